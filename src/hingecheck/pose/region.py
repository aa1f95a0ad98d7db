"""The lifter's region in the frame: the crop the pose model sees, and when to look again.

The pose model's own input is 256x256, but its pre- and post-processing (the frame's copy, the
segmentation mask warped back to the whole frame) cost by the frame's pixels. A crop around the
lifter with a margin keeps all of them small and keeps bystanders out of the model's sight, so
tracking one person cannot wander onto someone else. The tracker can still go wrong on the
lifter (a joint hidden under a plate drags its next region along): `jumped` is the test for a
pose that moved or shrank more than a body can between two samples, upon which the caller
looks again with a fresh detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hingecheck.body import mid_hip, mid_shoulder


@dataclass(frozen=True)
class Crop:
    """A pixel rectangle [x0, x1) x [y0, y1) of a frame of size (width, height)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def take(self, rgb: np.ndarray) -> np.ndarray:
        """The crop's pixels, C-contiguous (the model silently misreads strided rows)."""
        return np.ascontiguousarray(rgb[self.y0 : self.y1, self.x0 : self.x1])

    def to_frame(self, lm: np.ndarray, width: int, height: int) -> np.ndarray:
        """Landmarks normalised to the crop -> normalised to the whole frame (z scales as x)."""
        out = lm.copy()
        out[:, 0] = (lm[:, 0] * self.width + self.x0) / width
        out[:, 1] = (lm[:, 1] * self.height + self.y0) / height
        out[:, 2] = lm[:, 2] * self.width / width
        return out


def whole(width: int, height: int) -> Crop:
    """The whole frame."""
    return Crop(0, 0, width, height)


def body_box(lm: np.ndarray, width: int, height: int) -> np.ndarray:
    """(x0, y0, x1, y1) in pixels around all of a pose's landmarks (normalised to the frame),
    clipped to the frame. Hidden joints count too: the model still places them near the body,
    and a foot behind a plate must stay inside the crop."""
    x = np.clip(lm[:, 0], 0.0, 1.0) * width
    y = np.clip(lm[:, 1], 0.0, 1.0) * height
    return np.array([np.nanmin(x), np.nanmin(y), np.nanmax(x), np.nanmax(y)], np.float64)


def crop_around(box: np.ndarray, width: int, height: int, margin: float) -> Crop:
    """The body's box grown by `margin` of its longer side on every side, within the frame."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    m = margin * max(bw, bh, 1.0)
    x0 = int(max(0.0, np.floor(box[0] - m)))
    y0 = int(max(0.0, np.floor(box[1] - m)))
    x1 = int(min(float(width), np.ceil(box[2] + m)))
    y1 = int(min(float(height), np.ceil(box[3] + m)))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return whole(width, height)
    return Crop(x0, y0, x1, y1)


def near_edge(box: np.ndarray, crop: Crop, width: int, height: int, share: float) -> bool:
    """True when the body comes within `share` of the crop's size of an edge of the crop that
    is not also the frame's edge: the lifter is leaving the crop, re-centre it."""
    gap_x, gap_y = share * crop.width, share * crop.height
    return bool(
        (crop.x0 > 0 and box[0] - crop.x0 < gap_x)
        or (crop.y0 > 0 and box[1] - crop.y0 < gap_y)
        or (crop.x1 < width and crop.x1 - box[2] < gap_x)
        or (crop.y1 < height and crop.y1 - box[3] < gap_y)
    )


def too_loose(box: np.ndarray, crop: Crop, margin: float) -> bool:
    """True when the crop is much bigger than the body needs (it was the whole frame, or the
    lifter stepped closer to the camera's far side): tighten it to save the model's time."""
    need = crop_around(box, 1 << 30, 1 << 30, margin)
    return crop.width * crop.height > 2.0 * need.width * need.height


def _trunk(lm: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, float]:
    scale = np.array([width, height], np.float64)
    hip, shoulder = mid_hip(lm[:, :2]) * scale, mid_shoulder(lm[:, :2]) * scale
    return hip, shoulder, float(np.linalg.norm(shoulder - hip))


def jumped(
    prev: np.ndarray, lm: np.ndarray, width: int, height: int, tolerance: float, dt: float
) -> bool:
    """True when a tracked pose moved or changed size more than a lifter can in `dt` seconds.

    Mid-hip and mid-shoulder may move up to `tolerance` trunk lengths per 1/30 s (a fast
    kettlebell swing moves the hips ~0.1 a frame at 30 fps); the trunk and the body's box may
    not shrink or grow by more than a third between two samples.
    """
    h0, s0, t0 = _trunk(prev, width, height)
    h1, s1, t1 = _trunk(lm, width, height)
    if not (np.isfinite(t0) and np.isfinite(t1)) or t0 < 4.0:
        return False
    allowed = tolerance * t0 * max(1.0, dt * 30.0)
    if np.linalg.norm(h1 - h0) > allowed or np.linalg.norm(s1 - s0) > allowed:
        return True
    b0, b1 = body_box(prev, width, height), body_box(lm, width, height)
    d0 = float(np.hypot(b0[2] - b0[0], b0[3] - b0[1]))
    d1 = float(np.hypot(b1[2] - b1[0], b1[3] - b1[1]))
    return bool(t1 < 0.67 * t0 or t1 > 1.5 * t0 or d1 < 0.67 * d0 or d1 > 1.5 * d0)
