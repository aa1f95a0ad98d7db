"""Where overlay text goes: boxes that keep banners off the lifter and angle labels off the limbs.

Pure geometry on pixel boxes (x0, y0, x1, y1) and segments; nothing here draws. The annotated
video plans with it once per run of frames, the live window once per frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 pixels

# Label candidates: 16 directions round the joint, at 1, 1.7 and 2.5 times the first gap;
# a farther ring costs as much as turning 20 degrees from the preferred direction.
_ANGLES = np.linspace(0.0, 2 * math.pi, 16, endpoint=False)
_DIRS = np.tile(np.stack([np.cos(_ANGLES), np.sin(_ANGLES)], axis=1), (3, 1))
_RADII = np.repeat([1.0, 1.7, 2.5], 16)
_RING_COST = np.repeat([0.0, 0.35, 0.7], 16)


def overlap(a: Box, b: Box) -> bool:
    """Whether two boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(a: Box, b: Box) -> bool:
    """Whether box a lies wholly within box b."""
    return a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]


def body_box(points: np.ndarray) -> Box | None:
    """The lifter's box from the landmark pixels (K, 2) (NaN rows ignored), grown to take in
    what the landmarks stop short of: the top of the head above the eyes and ears, the hair,
    the feet's and hands' edges."""
    p = points[np.isfinite(points).all(axis=1)]
    if len(p) < 4:
        return None
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    size = max(x1 - x0, y1 - y0)
    side, head = 0.05 * size + 4, 0.10 * size + 4
    return float(x0 - side), float(y0 - head), float(x1 + side), float(y1 + side)


def union(boxes: Sequence[Box | None]) -> Box | None:
    """The box round all the given boxes (None entries skipped)."""
    real = [b for b in boxes if b is not None]
    if not real:
        return None
    a = np.array(real)
    return float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max())


def segments_hit_boxes(seg: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(B,) bool: which boxes (B, 4) any segment (S, 2, 2) passes through (Liang-Barsky
    clipping, all pairs at once)."""
    if len(seg) == 0 or len(boxes) == 0:
        return np.zeros(len(boxes), bool)
    p = seg[None, :, 0, :]  # (1, S, 2)
    d = seg[None, :, 1, :] - p
    lo = boxes[:, None, :2]  # (B, 1, 2)
    hi = boxes[:, None, 2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_a = (lo - p) / d
        t_b = (hi - p) / d
    t_in = np.where(d == 0, -np.inf, np.minimum(t_a, t_b))
    t_out = np.where(d == 0, np.inf, np.maximum(t_a, t_b))
    # A segment parallel to an axis misses unless it runs between that axis's two sides.
    parallel_miss = (d == 0) & ((p < lo) | (p > hi))
    enter = np.maximum(t_in.max(axis=2), 0.0)
    leave = np.minimum(t_out.min(axis=2), 1.0)
    hit = (enter <= leave) & ~parallel_miss.any(axis=2)
    return hit.any(axis=1)


def outside_of_angle(joint: np.ndarray, a: np.ndarray, b: np.ndarray, fallback: float) -> tuple:
    """The unit direction pointing away from both limbs joint->a and joint->b (the outside of
    the angle). Nearly straight limbs have no outside: then across the limb, towards x's sign
    `fallback` (-1 left, +1 right)."""
    ua = (a - joint) / max(float(np.linalg.norm(a - joint)), 1e-6)
    ub = (b - joint) / max(float(np.linalg.norm(b - joint)), 1e-6)
    s = -(ua + ub)
    if np.linalg.norm(s) < 0.35:  # within ~20 degrees of straight
        s = np.array([ua[1], -ua[0]])
        s = s if np.sign(s[0]) == np.sign(fallback) or s[0] == 0 else -s
    n = float(np.linalg.norm(s))
    return (float(s[0] / n), float(s[1] / n)) if n > 1e-9 else (float(fallback), 0.0)


def place_label(
    size: tuple[int, int],
    anchor: tuple[float, float],
    away: tuple[float, float],
    gap: float,
    segments: np.ndarray,
    taken: Sequence[Box],
    frame: Box,
    prefer: int | None = None,
    margin: float = 0.0,
) -> tuple[Box, int, bool]:
    """A box of `size` beside `anchor`, as close to the direction `away` as it can be while
    clear of every segment (S, 2, 2) by `margin` pixels (a limb's half-width), of the `taken`
    boxes and inside `frame`.

    Returns (box, candidate index, clear). `prefer` (the candidate chosen last frame) is kept
    unless a clearly better one appears, so a label does not hop about between frames. When no
    candidate is clear the one nearest `away` inside the frame is returned with clear=False.
    """
    w, h = size
    # How far the box's centre sits from its edge along each direction.
    reach = 0.5 * (np.abs(_DIRS[:, 0]) * w + np.abs(_DIRS[:, 1]) * h)
    centre = np.asarray(anchor, dtype=np.float64) + _DIRS * (gap * _RADII + reach)[:, None]
    half = np.array([w / 2, h / 2])
    boxes = np.concatenate([centre - half, centre + half], axis=1)  # (48, 4)
    score = np.arccos(np.clip(_DIRS @ np.asarray(away, dtype=np.float64), -1.0, 1.0))
    score += _RING_COST
    if prefer is not None and 0 <= prefer < len(boxes):
        score[prefer] -= 0.6
    fits = (boxes[:, :2] >= frame[:2]).all(axis=1) & (boxes[:, 2:] <= frame[2:]).all(axis=1)
    free = fits.copy()
    if len(taken):
        t = np.asarray(taken, dtype=np.float64)[None]  # (1, T, 4)
        b = boxes[:, None]
        free &= ~(
            (b[..., 0] < t[..., 2]) & (t[..., 0] < b[..., 2]) & (b[..., 1] < t[..., 3])
            & (t[..., 1] < b[..., 3])
        ).any(axis=1)  # fmt: skip
    # Best first, a few at a time: the first few are nearly always clear, and testing every
    # candidate against every segment would cost ten times as much.
    grow = np.array([-margin, -margin, margin, margin])
    order = np.argsort(np.where(free, score, np.inf), kind="stable")[: int(free.sum())]
    for start in range(0, len(order), 8):
        chunk = order[start : start + 8]
        hit = segments_hit_boxes(segments, boxes[chunk] + grow)
        if not hit.all():
            i = int(chunk[int(np.argmin(hit))])
            return _box(boxes[i]), i, True
    pool = fits if fits.any() else np.ones(len(boxes), bool)
    i = int(np.argmin(np.where(pool, score, np.inf)))
    return _box(boxes[i]), i, False


def _box(b: np.ndarray) -> Box:
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def stack_slot(
    layout: Callable[[int], tuple[float, float]],
    frame: Box,
    body: Box | None,
    keep_out: Sequence[Box],
    min_width: float,
) -> Box:
    """Where a stack of banners goes: the first of these slots that stays off the body and off
    the `keep_out` boxes (the rep counter): a band across the top; the top right, beside the
    keep-out boxes; a column beside the body (the wider side first); a band across the bottom.
    If none is clear, the slot that covers least of the body.

    `layout(width)` gives the stack's (width, height) when at most `width` pixels wide (its text
    wraps to fit). Returns the stack's box.
    """
    fx0, fy0, fx1, fy1 = frame
    below = max([fy0, *(k[3] for k in keep_out)])
    beside = max([fx0, *(k[2] for k in keep_out)])
    columns = [(fx0, fx1, below), (beside, fx1, fy0)]  # (x0, x1, top)
    if body is not None:
        sides = sorted([(fx0, body[0]), (body[2], fx1)], key=lambda s: s[0] - s[1])
        columns += [(x0, x1, below if x0 < beside else fy0) for x0, x1 in sides]
    slots: list[Box] = []
    for k, (x0, x1, top) in enumerate(columns):
        if x1 - x0 < min_width:
            continue
        w, h = layout(int(x1 - x0))
        if k == 0:  # the band spans the frame
            slots.append((x0, top, x1, top + h))
        elif x1 >= fx1:  # a column on the right: the stack hugs the frame's right edge
            slots.append((x1 - w, top, x1, top + h))
        else:
            slots.append((x0, top, x0 + w, top + h))
    _, h = layout(int(fx1 - fx0))
    slots.append((fx0, fy1 - h, fx1, fy1))  # the band across the bottom

    def cost(s: Box) -> float:
        if s[3] > fy1 or any(overlap(s, k) for k in keep_out):
            return math.inf
        if body is None or not overlap(s, body):
            return 0.0
        return (min(s[2], body[2]) - max(s[0], body[0])) * (min(s[3], body[3]) - max(s[1], body[1]))

    costs = [cost(s) for s in slots]
    return slots[next((i for i, c in enumerate(costs) if c == 0.0), int(np.argmin(costs)))]
