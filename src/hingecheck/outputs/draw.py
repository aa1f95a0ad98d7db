"""Drawing primitives for the annotated video: skeleton, angle labels, back outline, rep counter,
fault banners and the set's timeline strip. All draw in place on an RGB uint8 frame; lines with
cv2, text with a TrueType font (glyphs.py).

Sizes come from a Style built once per video from the frame size, so overlays read the same on
a 360p phone clip and on 4K, and stay legible when a phone shrinks the video to its screen.
Points arrive as fixed-point int32 (pixels * 2**SHIFT) so lines are placed with sub-pixel
precision and anti-aliased. Where text goes is decided by layout.py; these only draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hingecheck import records as rec
from hingecheck.outputs import glyphs
from hingecheck.outputs.layout import Box
from hingecheck.outputs.text import degrees

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
AA = cv2.LINE_AA

Color = tuple[int, int, int]  # RGB: the frames are RGB, not OpenCV's usual BGR
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
SKELETON: Color = (245, 245, 245)
JOINT: Color = (0, 190, 255)
OUTLINE: Color = (60, 220, 200)
PANEL: Color = (20, 20, 20)
NOT_JUDGED: Color = (90, 90, 100)
SUBTLE: Color = (210, 210, 210)


@dataclass(frozen=True)
class Style:
    """Pixel sizes for one frame size (unit u = 1 on a 720p frame, 3 on 4K)."""

    width: int
    height: int
    u: float
    line: int
    joint: int
    text_px: int  # angle labels and small print
    big_px: int  # banners and the rep counter's title
    pad: int
    strip: int

    @property
    def picture(self) -> Box:
        """The frame less a margin and the timeline strip: where overlay text may go."""
        return (self.pad, self.pad, self.width - self.pad, self.height - self.strip - self.pad)


def make_style(width: int, height: int) -> Style:
    """Sizes scaled to the frame's shorter side (portrait and landscape read alike).

    Text is ~4.6 % of the shorter side (25 px at 540p): shown 390 px wide on a phone, a 960x540
    video still has ~10 px letters. Below that, fixed floors keep tiny frames legible.
    """
    short = min(width, height)
    u = short / 720.0
    return Style(
        width=width,
        height=height,
        u=u,
        line=max(1, round(3 * u)),
        joint=max(2, round(5 * u)),
        text_px=max(12, round(0.046 * short)),
        big_px=max(14, round(0.054 * short)),
        pad=max(4, round(10 * u)),
        strip=max(18, round(0.06 * short)),  # 32 px at 540p: rep numbers ~15 px tall
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


def angle_text(name: str, deg: float) -> str:
    """'hip 97°' (text.degrees: never '-0°')."""
    return f"{name} {degrees(deg)}"


def label_size(text: str, st: Style) -> tuple[int, int]:
    """The box an angle label needs: its text on a plate a little wider."""
    w, h = glyphs.text_size(text, st.text_px)
    return w + 2 * _plate_pad(st), h


def _plate_pad(st: Style) -> int:
    return max(2, st.text_px // 5)


def angle_label(img: np.ndarray, text: str, box: Box, st: Style) -> None:
    """An angle label in the box layout.place_label chose: white on a dark translucent plate,
    which reads over any background and leaves the ring of the '°' open."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    shade(img, x0, y0, x1, y1, PANEL, 0.55)
    glyphs.draw_text(img, text, x0 + _plate_pad(st), y0, st.text_px, WHITE)


def vertical_ref(img: np.ndarray, base: np.ndarray, length: float, st: Style) -> None:
    """A thin plumb line up from the hip: what the trunk lean is measured against."""
    top = base - np.array([0, int(length)], dtype=np.int32)
    cv2.line(img, tuple(base), tuple(top), (200, 200, 200), max(1, st.line // 2), AA, SHIFT)


def rep_counter_box(title: str, sub: str, st: Style, right: bool = False) -> Box:
    """The rep counter's box in the top-left (or top-right) corner."""
    w1, h1 = glyphs.text_size(title, st.big_px)
    w2, h2 = glyphs.text_size(sub, st.text_px) if sub else (0, 0)
    w, h = max(w1, w2) + 2 * st.pad, h1 + h2 + st.pad
    x0 = st.width - st.pad - w if right else st.pad
    return x0, st.pad, x0 + w, st.pad + h


def rep_counter(img: np.ndarray, title: str, sub: str, box: Box, st: Style) -> None:
    """The rep counter ('Rep 3/10' over the phase) in its box."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    shade(img, x0, y0, x1, y1, PANEL, 0.6)
    _, h1 = glyphs.draw_text(img, title, x0 + st.pad, y0 + st.pad // 2, st.big_px, WHITE)
    if sub:
        glyphs.draw_text(img, sub, x0 + st.pad, y0 + st.pad // 2 + h1, st.text_px, SUBTLE)


def banner_lines(text: str, width: int, st: Style) -> tuple[list[str], int]:
    """A banner's text wrapped to `width` pixels (less its margins), at the banner size or,
    when one word alone is too wide, at the size that fits."""
    inner = max(1, width - 2 * st.pad)
    px = min(glyphs.fit_px(word, st.big_px, inner) for word in text.split())
    return glyphs.wrap(text, px, inner), px


def banner_size(lines: list[str], px: int, st: Style) -> tuple[int, int]:
    """(width, height) of a banner holding these lines."""
    sizes = [glyphs.text_size(s, px) for s in lines]
    return max(w for w, _ in sizes) + 2 * st.pad, sum(h for _, h in sizes) + st.pad


def banner(img: np.ndarray, box: Box, lines: list[str], px: int, color: Color, st: Style) -> None:
    """A coloured band filling `box`, its lines centred."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    shade(img, x0, y0, x1, y1, color, 0.8)
    ink = text_color_on(color)
    y = y0 + st.pad // 2
    for s in lines:
        w, h = glyphs.text_size(s, px)
        glyphs.draw_text(img, s, (x0 + x1 - w) // 2, y, px, ink)
        y += h


def timeline_strip(
    width: int,
    height: int,
    duration: float,
    rep_spans: list[tuple[float, float]],
    fault_spans: list[tuple[float, float, Color]],
) -> np.ndarray:
    """The whole set as a (height, width, 3) strip: faults as coloured marks over their span
    on the upper third (at least 3 px wide so a one-frame fault still shows), reps below as grey
    blocks carrying their numbers. Drawn once per video."""
    strip = np.empty((height, width, 3), np.uint8)
    strip[:] = (35, 35, 35)
    mark = max(3, height // 3)

    def x(t: float) -> int:
        return int(np.clip(round(t / max(duration, 1e-9) * width), 0, width - 1))

    px = max(9, round(0.7 * (height - mark)))
    for i, (a, b) in enumerate(rep_spans):
        shade_ = (105, 105, 105) if i % 2 == 0 else (140, 140, 140)  # neighbours stay apart
        x0, x1 = x(a), max(x(a) + 1, x(b) - 1)
        cv2.rectangle(strip, (x0, mark + 1), (x1, height - 1), shade_, -1)
        num = str(i + 1)
        w, h = glyphs.text_size(num, px)
        if w + 2 <= x1 - x0:  # numbers only where they fit
            glyphs.draw_text(strip, num, (x0 + x1 - w) // 2, mark + (height - mark - h) // 2, px,
                             WHITE)  # fmt: skip
    for a, b, color in fault_spans:
        x0, x1 = x(a), x(b)
        if x1 - x0 < 3:
            x0, x1 = max(0, (x0 + x1) // 2 - 1), min(width - 1, (x0 + x1) // 2 + 1)
        cv2.rectangle(strip, (x0, 0), (x1, mark - 1), color, -1)
    return strip


def paste_strip(img: np.ndarray, strip: np.ndarray, playhead_x: int, st: Style) -> None:
    """Blend the timeline into the bottom rows and draw the playhead."""
    h = strip.shape[0]
    roi = img[-h:]
    roi[:] = cv2.addWeighted(roi, 0.15, strip, 0.85, 0.0)
    y0 = st.height - h - max(3, h // 4)  # the playhead pokes above the strip to be seen
    cv2.line(img, (playhead_x, y0), (playhead_x, st.height - 1), BLACK, max(3, st.line + 2))
    cv2.line(img, (playhead_x, y0), (playhead_x, st.height - 1), WHITE, max(1, st.line))
