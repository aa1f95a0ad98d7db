"""The annotated video's text layout, planned once per video before any frame is drawn: the rep
counter's corner, each run of fault banners' slot (off the lifter for as long as it is up) and,
frame by frame, each angle label's box (beside its joint, off every limb).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hingecheck.outputs import draw, glyphs, layout
from hingecheck.outputs.layout import Box


@dataclass(frozen=True)
class Banner:
    """One fault banner as drawn: its box, wrapped lines, text size and colour."""

    box: Box
    lines: list[str]
    px: int
    color: draw.Color


def body_boxes(landmarks_px: np.ndarray, present: np.ndarray) -> list[Box | None]:
    """Per frame, the lifter's box from all landmarks (N, 33, 2) pixels (None when absent)."""
    return [layout.body_box(p) if ok else None for p, ok in zip(landmarks_px, present, strict=True)]


def counter_box(titles: list[str], subs: list[str], st: draw.Style, body: Box | None) -> Box:
    """The rep counter's box, wide enough for every title and phase word of the video, in the
    top-left corner unless the lifter stands there and the top-right is clear."""
    title = max(titles, key=lambda s: glyphs.text_size(s, st.big_px)[0])
    sub = max(subs, key=lambda s: glyphs.text_size(s, st.text_px)[0])
    left = draw.rep_counter_box(title, sub, st)
    right = draw.rep_counter_box(title, sub, st, right=True)
    if body is not None and layout.overlap(left, body) and not layout.overlap(right, body):
        return right
    return left


def typical_body(boxes: list[Box | None]) -> Box | None:
    """Where the lifter usually is over the set: the 10th-90th percentile of each edge (a few
    stray frames do not move the rep counter)."""
    real = np.array([b for b in boxes if b is not None])
    if len(real) == 0:
        return None
    x0, y0 = np.percentile(real[:, :2], 10, axis=0)
    x1, y1 = np.percentile(real[:, 2:], 90, axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def banner_stack(
    texts: list[str],
    colors: list[draw.Color],
    body: Box | None,
    keep_out: list[Box],
    st: draw.Style,
) -> list[Banner]:
    """Banners for texts shown together, stacked in one slot off the lifter's `body` box."""
    gap = st.pad // 2

    def laid(width: int) -> tuple[list[tuple[list[str], int, tuple[int, int]]], int, int]:
        items = []
        for s in texts:
            lines, px = draw.banner_lines(s, width, st)
            items.append((lines, px, draw.banner_size(lines, px, st)))
        w = max(size[0] for *_, size in items)
        h = sum(size[1] for *_, size in items) + gap * (len(items) - 1)
        return items, w, h

    slot = layout.stack_slot(
        lambda width: laid(width)[1:], st.picture, body, keep_out, min_width=6 * st.big_px
    )
    items, _, _ = laid(int(slot[2] - slot[0]))
    out, y = [], slot[1]
    for (lines, px, (_, h)), color in zip(items, colors, strict=True):
        out.append(Banner((slot[0], y, slot[2], y + h), lines, px, color))
        y += h + gap
    return out


def banner_runs(
    shown: np.ndarray,
    texts: list[str],
    colors: list[draw.Color],
    boxes: list[Box | None],
    keep_out: list[Box],
    st: draw.Style,
) -> tuple[np.ndarray, list[list[Banner]]]:
    """Per frame, which stack of banners is up (-1: none), and the stacks. Each run of frames
    showing the same faults gets one slot, clear of the lifter over the whole run, so a
    banner never jumps while it is read."""
    n = len(shown)
    which = np.full(n, -1, dtype=np.int64)
    stacks: list[list[Banner]] = []
    i = 0
    while i < n:
        j = i + 1
        while j < n and np.array_equal(shown[j], shown[i]):
            j += 1
        faults = np.flatnonzero(shown[i])
        if len(faults):
            body = layout.union(boxes[i:j])
            stacks.append(
                banner_stack([texts[f] for f in faults], [colors[f] for f in faults], body,
                             keep_out, st)
            )  # fmt: skip
            which[i:j] = len(stacks) - 1
        i = j
    return which, stacks


@dataclass(frozen=True)
class LabelScene:
    """What one frame's angle labels must keep clear of, in pixels."""

    segments: np.ndarray  # (S, 2, 2) limbs, the back outline and the plumb line
    taken: list[Box]  # the rep counter, banners, what the hands hold
    trunk_len: float  # px: the body's scale (limbs' widths, the hips' depth)


def hands_box(wrist: np.ndarray, trunk_len: float) -> Box | None:
    """Round the hands and what they hold (a bar, a bell): a label there would cover them."""
    if not np.isfinite(wrist).all() or not np.isfinite(trunk_len):
        return None
    r = 0.28 * trunk_len
    return wrist[0] - r, wrist[1] - 0.4 * r, wrist[0] + r, wrist[1] + 1.6 * r


def head_box(ear: np.ndarray, trunk_len: float) -> Box | None:
    """Round the head (the ear landmark sits near its centre): labels keep off the face."""
    if not np.isfinite(ear).all() or not np.isfinite(trunk_len):
        return None
    r = 0.3 * trunk_len
    return ear[0] - r, ear[1] - r, ear[0] + r, ear[1] + r


def chain_segments(pts: np.ndarray, ok: np.ndarray, edges) -> list[np.ndarray]:
    """The drawn bones as segments (pixels)."""
    return [np.stack([pts[a], pts[b]]) for a, b in edges if ok[a] and ok[b]]


def polyline_segments(pts: np.ndarray, ok: np.ndarray) -> list[np.ndarray]:
    """Consecutive valid points of a polyline as segments."""
    both = ok[:-1] & ok[1:]
    return list(np.stack([pts[:-1], pts[1:]], axis=1)[both])


def label_scene(
    pts: np.ndarray,
    ok: np.ndarray,
    segments: list[np.ndarray],
    taken: list[Box],
    trunk_len: float,
) -> LabelScene:
    """What one frame's labels keep clear of: the drawn bones of the chain `pts` (9, 2) pixels
    (draw.JOINTS order, `ok` seen) and the other `segments`; the `taken` boxes, the hands' load
    and the head."""
    segs = chain_segments(pts, ok, draw.EDGES) + segments
    hands = hands_box(pts[draw.WRIST], trunk_len) if ok[draw.WRIST] else None
    head = head_box(pts[draw.EAR], trunk_len) if ok[draw.EAR] else None
    return LabelScene(
        np.array(segs).reshape(-1, 2, 2),
        [*taken, *(b for b in (hands, head) if b is not None)],
        float(trunk_len),
    )


def joint_angle_items(
    pts: np.ndarray,
    ok: np.ndarray,
    hip_deg: float,
    knee_deg: float,
    straight: tuple[float, float],
) -> list[tuple[int, str, np.ndarray, tuple[float, float]]]:
    """The hip (slot 0) and knee (slot 1) angle labels this frame can carry, as (slot, text,
    anchor, away-direction): each on the outside of its angle; `straight` gives the hip's and
    the knee's side (x sign) for a limb too straight to have an outside."""
    items = []
    for slot, name, (j, a, b), deg, side in (
        (0, "hip", (draw.HIP, draw.SHOULDER, draw.KNEE), hip_deg, straight[0]),
        (1, "knee", (draw.KNEE, draw.HIP, draw.ANKLE), knee_deg, straight[1]),
    ):
        if ok[j] and ok[a] and ok[b] and np.isfinite(deg):
            away = layout.outside_of_angle(pts[j], pts[a], pts[b], side)
            items.append((slot, draw.angle_text(name, deg), pts[j], away))
    return items


def place_labels(
    items: list[tuple[str, np.ndarray, tuple[float, float]]],
    scene: LabelScene,
    st: draw.Style,
    prefer: list[int | None],
) -> list[tuple[Box, int, bool]]:
    """Boxes for (text, anchor, away-direction) labels, each clear of the scene and of the
    labels placed before it; `prefer` holds each label's candidate from the last frame."""
    taken = list(scene.taken)
    out = []
    body = scene.trunk_len if np.isfinite(scene.trunk_len) else 0.0
    # Clear of the flesh round the joint (the hips' depth behind the hip landmark) and of each
    # limb's half-width, not just of the drawn bones.
    gap = max(2.0 * st.joint + st.line, 0.12 * body)
    margin = max(float(st.line), 0.05 * body)
    for (text, anchor, away), pref in zip(items, prefer, strict=True):
        size = draw.label_size(text, st)
        box, k, clear = layout.place_label(
            size, (float(anchor[0]), float(anchor[1])), away, gap, scene.segments, taken,
            st.picture, pref, margin,
        )  # fmt: skip
        taken.append(box)
        out.append((box, k, clear))
    return out
