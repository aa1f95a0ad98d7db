"""Drawing primitives for the annotated video: skeleton, angle labels, back outline, rep counter,
fault banners and the set's timeline strip. All draw in place on an RGB uint8 frame with cv2.

Sizes come from a Style built once per video from the frame size, so overlays read the same on
a 360p phone clip and on 4K. Points arrive as fixed-point int32 (pixels * 2**SHIFT) so lines
are placed with sub-pixel precision and anti-aliased.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hingecheck import records as rec

# The skeleton the annotated video and the live window both draw: the chain of the body side
# nearer the camera.
_NAMES = ("EAR", "SHOULDER", "ELBOW", "WRIST", "HIP", "KNEE", "ANKLE", "HEEL", "TOE")
JOINTS = {side: [getattr(rec, f"{side[0].upper()}_{name}") for name in _NAMES]
           for side in ("left", "right")}  # fmt: skip
EAR, SHOULDER, ELBOW, WRIST, HIP, KNEE, ANKLE, HEEL, TOE = range(9)
EDGES = ((EAR, SHOULDER), (SHOULDER, ELBOW), (ELBOW, WRIST), (SHOULDER, HIP), (HIP, KNEE),
         (KNEE, ANKLE), (ANKLE, HEEL), (HEEL, TOE), (ANKLE, TOE))  # fmt: skip
SHIFT = 4  # fixed-point bits for cv2 coordinates
ONE = 1 << SHIFT
FONT = cv2.FONT_HERSHEY_DUPLEX
AA = cv2.LINE_AA

Color = tuple[int, int, int]  # RGB: the frames are RGB, not OpenCV's usual BGR
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
SKELETON: Color = (245, 245, 245)
JOINT: Color = (0, 190, 255)
OUTLINE: Color = (60, 220, 200)
PANEL: Color = (20, 20, 20)
NOT_JUDGED: Color = (90, 90, 100)


@dataclass(frozen=True)
class Style:
    """Pixel sizes for one frame size (unit u = 1 on a 720p frame, 3 on 4K)."""

    width: int
    height: int
    u: float
    line: int
    joint: int
    text: float
    text_thick: int
    big: float
    big_thick: int
    pad: int
    strip: int


def make_style(width: int, height: int) -> Style:
    """Sizes scaled to the frame's shorter side (portrait and landscape read alike)."""
    u = min(width, height) / 720.0
    # Small frames get relatively larger text: 0.4 is about the least cv2 fonts stay legible at.
    text = max(0.42, 0.75 * u)
    return Style(
        width=width,
        height=height,
        u=u,
        line=max(1, round(3 * u)),
        joint=max(2, round(5 * u)),
        text=text,
        text_thick=max(1, round(2 * u)),
        big=max(0.55, 1.15 * u),
        big_thick=max(1, round(2.4 * u)),
        pad=max(3, round(10 * u)),
        strip=max(6, round(0.028 * height)),
    )


def text_color_on(bg: Color) -> Color:
    """Black or white text, whichever reads on the background."""
    r, g, b = bg
    return BLACK if 0.299 * r + 0.587 * g + 0.114 * b > 150 else WHITE


def shade(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: Color, alpha: float) -> None:
    """Blend a filled rectangle into the image (only the rectangle's pixels are touched)."""
    h, w = img.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    # Scale then add a scalar: no full-size colour image is built for each frame.
    tint = tuple(float(c) * alpha for c in color) + (0.0,)
    roi[:] = cv2.add(cv2.convertScaleAbs(roi, alpha=1.0 - alpha), tint)


def outlined_text(
    img: np.ndarray, text: str, org: tuple[int, int], scale: float, color: Color, thick: int
) -> None:
    """Text with a dark rim so it reads over any background."""
    cv2.putText(img, text, org, FONT, scale, BLACK, thick + max(2, thick), AA)
    cv2.putText(img, text, org, FONT, scale, color, thick, AA)


def fit_scale(text: str, scale: float, thick: int, max_width: int) -> float:
    """The largest scale <= `scale` at which the text fits `max_width` pixels."""
    (w, _), _ = cv2.getTextSize(text, FONT, scale, thick)
    return scale if w <= max_width else scale * max_width / max(w, 1)


def wrap(text: str, scale: float, thick: int, max_width: int) -> list[str]:
    """Greedy word wrap to lines at most `max_width` pixels wide."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, FONT, scale, thick)[0][0] <= max_width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def skeleton(
    img: np.ndarray, pts: np.ndarray, ok: np.ndarray, edges: tuple[tuple[int, int], ...], st: Style
) -> None:
    """Bones (with a dark rim for contrast) and joints; pts (J, 2) fixed-point, ok (J,) bool."""
    bones = [(pts[a], pts[b]) for a, b in edges if ok[a] and ok[b]]
    for color, extra in ((BLACK, max(2, st.line)), (SKELETON, 0)):
        for p, q in bones:
            cv2.line(img, tuple(p), tuple(q), color, st.line + extra, AA, SHIFT)
    for p in pts[ok]:
        cv2.circle(img, tuple(p), st.joint * ONE, JOINT, -1, AA, SHIFT)
        cv2.circle(img, tuple(p), st.joint * ONE, BLACK, max(1, st.line // 2), AA, SHIFT)


def polyline_runs(
    img: np.ndarray, pts: np.ndarray, ok: np.ndarray, color: Color, thick: int
) -> None:
    """Draw the runs of consecutive valid points as open polylines (gaps stay gaps)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    runs = [pts[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= 2]
    if runs:
        cv2.polylines(img, runs, False, BLACK, thick + 2, AA, SHIFT)
        cv2.polylines(img, runs, False, color, thick, AA, SHIFT)


def angle_label(img: np.ndarray, name: str, deg: float, at: tuple[int, int], st: Style) -> None:
    """'hip 123°' at a pixel position (a small ring stands in for the degree sign cv2 lacks)."""
    text = f"{name} {deg:.0f}"
    (w, h), _ = cv2.getTextSize(text, FONT, st.text, st.text_thick)
    x = int(np.clip(at[0], 2, st.width - w - 3 * st.joint))
    y = int(np.clip(at[1], h + 2, st.height - st.strip - 4))
    outlined_text(img, text, (x, y), st.text, WHITE, st.text_thick)
    r = max(2, round(h * 0.18))
    ring = (x + w + r + 1, y - h + r // 2)
    cv2.circle(img, ring, r, BLACK, st.text_thick + 2, AA)
    cv2.circle(img, ring, r, WHITE, max(1, st.text_thick - 1), AA)


def vertical_ref(img: np.ndarray, base: np.ndarray, length: float, st: Style) -> None:
    """A thin plumb line up from the hip: what the trunk lean is measured against."""
    top = base - np.array([0, int(length)], dtype=np.int32)
    cv2.line(img, tuple(base), tuple(top), (200, 200, 200), max(1, st.line // 2), AA, SHIFT)


def rep_counter(img: np.ndarray, title: str, sub: str, st: Style) -> int:
    """The rep counter box in the top-left corner; returns its bottom edge (y)."""
    (w1, h1), b1 = cv2.getTextSize(title, FONT, st.big, st.big_thick)
    (w2, h2), _ = cv2.getTextSize(sub, FONT, st.text, st.text_thick) if sub else ((0, 0), 0)
    p = st.pad
    bottom = p + h1 + b1 + (h2 + p if sub else 0) + p
    shade(img, p, p, p + max(w1, w2) + 2 * p, bottom, PANEL, 0.6)
    cv2.putText(img, title, (2 * p, 2 * p + h1), FONT, st.big, WHITE, st.big_thick, AA)
    if sub:
        cv2.putText(
            img,
            sub,
            (2 * p, 2 * p + h1 + b1 + h2 + p // 2),
            FONT,
            st.text,
            (210, 210, 210),
            st.text_thick,
            AA,
        )
    return bottom


def banner(img: np.ndarray, lines: list[str], color: Color, top: int, st: Style) -> int:
    """A full-width coloured band with large centred text; returns its bottom edge (y)."""
    p = st.pad
    max_w = st.width - 4 * p
    scale = min(fit_scale(s, st.big, st.big_thick, max_w) for s in lines)
    sizes = [cv2.getTextSize(s, FONT, scale, st.big_thick) for s in lines]
    line_h = max(h + b for (_, h), b in sizes) + p // 2
    bottom = top + len(lines) * line_h + p
    shade(img, 0, top, st.width, bottom, color, 0.78)
    ink = text_color_on(color)
    for i, (s, ((w, h), _)) in enumerate(zip(lines, sizes, strict=True)):
        org = ((st.width - w) // 2, top + p // 2 + i * line_h + h + p // 4)
        cv2.putText(img, s, org, FONT, scale, ink, st.big_thick, AA)
    return bottom


def timeline_strip(
    width: int,
    height: int,
    duration: float,
    rep_spans: list[tuple[float, float]],
    fault_spans: list[tuple[float, float, Color]],
) -> np.ndarray:
    """The whole set as a (height, width, 3) strip: reps as grey blocks, faults as coloured marks
    over their span (at least 3 px wide so a one-frame fault still shows). Drawn once per video."""
    strip = np.empty((height, width, 3), np.uint8)
    strip[:] = (35, 35, 35)

    def x(t: float) -> int:
        return int(np.clip(round(t / max(duration, 1e-9) * width), 0, width - 1))

    for i, (a, b) in enumerate(rep_spans):
        shade_ = (120, 120, 120) if i % 2 == 0 else (150, 150, 150)  # neighbours stay apart
        cv2.rectangle(strip, (x(a), height // 2), (max(x(a) + 1, x(b) - 1), height - 1), shade_, -1)
    for a, b, color in fault_spans:
        x0, x1 = x(a), x(b)
        if x1 - x0 < 3:
            x0, x1 = max(0, (x0 + x1) // 2 - 1), min(width - 1, (x0 + x1) // 2 + 1)
        cv2.rectangle(strip, (x0, 0), (x1, max(1, height // 2 - 1)), color, -1)
    return strip


def paste_strip(img: np.ndarray, strip: np.ndarray, playhead_x: int, st: Style) -> None:
    """Blend the timeline into the bottom rows and draw the playhead."""
    h = strip.shape[0]
    roi = img[-h:]
    roi[:] = cv2.addWeighted(roi, 0.2, strip, 0.8, 0.0)
    y0 = st.height - h - max(2, h // 3)  # the playhead pokes above the strip to be seen
    cv2.line(img, (playhead_x, y0), (playhead_x, st.height - 1), BLACK, max(3, st.line + 2))
    cv2.line(img, (playhead_x, y0), (playhead_x, st.height - 1), WHITE, max(1, st.line))
