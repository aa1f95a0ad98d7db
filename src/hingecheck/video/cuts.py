"""Jump cuts (an edited clip: two takes joined, a change of camera angle) told from the picture.

From the landmarks alone a cut can't be told from the model jumping under a plate (landmarks
jump 1.0-1.2 trunk lengths in one frame on plate-hidden side views), so the pose pass compares
each decoded frame's picture with the one before it. A cut changes the whole picture at once;
camera shake and pans move it (each region finds itself again a little way off), and a lifter
moving fast changes a part of it. So each frame is reduced to a small grey thumbnail, cut into
a grid of cells, and each cell is compared with the same place in the previous thumbnail,
shifted by up to `MAX_SHIFT` pixels either way (the best match counts): the frame's *change* is
the share of cells that match nowhere. A cut is a frame whose change stands above both of its
neighbours' by a threshold: a whip pan, a zoom or a fast lifter changes many frames in a row.

Why not PySceneDetect: its ContentDetector scores the whole frame's mean HSV difference with no
allowance for movement, so a handheld pan crosses its threshold as a cut does; its
AdaptiveDetector needs frames after the current one and its `min_scene_len` drops a cut in the
clip's first frames (a leftover frame of the previous take); and the package pulls in
`opencv-python`, a second `cv2` that clobbers the `opencv-contrib-python` MediaPipe needs. The
comparison here is a few numpy lines on a 68x52 thumbnail (~0.1-0.3 ms a frame at 720p).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from hingecheck.body import trunk_length, trunk_pixels

if TYPE_CHECKING:
    from hingecheck.config import PoseConfig

# Thumbnail: a grid of CELLS_X x CELLS_Y cells of CELL pixels, plus a MAX_SHIFT margin all round
# (the shifted comparisons read into it). Its aspect is fixed: comparing a frame with the one
# before it needs the same reduction for both, not the true proportions.
CELL = 8
CELLS_X, CELLS_Y = 8, 6
# Up to 2 thumbnail pixels (3 % of the frame's width, 4 % of its height) a frame: a handheld
# shake or a pan of a full frame width in a second at 30 fps; a lifter's hips move ~0.1 trunk
# lengths (~1 % of a 720p frame's width) a frame in a kettlebell swing.
MAX_SHIFT = 2
THUMB_SIZE = (CELLS_X * CELL + 2 * MAX_SHIFT, CELLS_Y * CELL + 2 * MAX_SHIFT)  # (w, h)

_SHIFTS = [
    (dy, dx) for dy in range(-MAX_SHIFT, MAX_SHIFT + 1) for dx in range(-MAX_SHIFT, MAX_SHIFT + 1)
]


def thumbnail(grey: np.ndarray) -> np.ndarray:
    """The frame's grey picture (H, W) uint8 reduced to THUMB_SIZE by area averaging (which also
    averages away sensor noise and compression blocks). Every few rows and columns are taken
    first: still ~20 pixels behind each thumbnail pixel, at a tenth of the time (720p: 2.5 ->
    0.2 ms measured)."""
    rows = max(1, grey.shape[0] // (4 * THUMB_SIZE[1]))
    cols = max(1, grey.shape[1] // (4 * THUMB_SIZE[0]))
    return cv2.resize(grey[::rows, ::cols], THUMB_SIZE, interpolation=cv2.INTER_AREA)


def grey_of(rgb: np.ndarray) -> np.ndarray:
    """The grey picture of an RGB frame (H, W, 3) uint8."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def cell_change(prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Per cell (CELLS_Y, CELLS_X), the mean absolute grey difference between `cur` and the best
    matching place in `prev` within MAX_SHIFT pixels (0-255), on thumbnails."""
    m = MAX_SHIFT
    h, w = CELLS_Y * CELL, CELLS_X * CELL
    here = cur[m : m + h, m : m + w]
    best: np.ndarray | None = None
    for dy, dx in _SHIFTS:
        diff = cv2.absdiff(prev[m + dy : m + dy + h, m + dx : m + dx + w], here)
        # An exact block mean: the thumbnail is a whole number of cells.
        cells = cv2.resize(diff, (CELLS_X, CELLS_Y), interpolation=cv2.INTER_AREA)
        best = cells if best is None else np.minimum(best, cells)
    assert best is not None
    return best


def changed_share(prev: np.ndarray, cur: np.ndarray, cell_threshold: float) -> float:
    """The share of cells (0-1) whose picture changed by more than `cell_threshold` grey levels
    after allowing for a small movement: near 1 across a cut, low for shake, pans and motion."""
    return float(np.mean(cell_change(prev, cur) > cell_threshold))


class PictureChange:
    """Feed it every decoded frame in order; it returns each frame's changed share against the
    frame before it (0 for the first).

    A blank frame (black between takes, the end of a fade, a blank last frame) reads 0: it
    shows no lifter and starts no take. The picture after blank frames is compared with the
    last picture before them: a new take there is a cut, the same scene resumed is not."""

    def __init__(self, cell_threshold: float, blank_std: float) -> None:
        self.cell_threshold = cell_threshold
        self.blank_std = blank_std
        self._prev: np.ndarray | None = None  # the last frame that was not blank

    @classmethod
    def from_config(cls, pose: PoseConfig) -> PictureChange:
        """With the thresholds of config [pose]."""
        return cls(pose.cut_cell_change, pose.cut_blank_std)

    def update(self, thumb: np.ndarray) -> float:
        """This frame's changed share; `thumb` from `thumbnail`."""
        if float(thumb.std()) < self.blank_std:
            return 0.0
        prev, self._prev = self._prev, thumb
        return 0.0 if prev is None else changed_share(prev, thumb, self.cell_threshold)


def find_cuts(share: np.ndarray, min_share: float) -> np.ndarray:
    """Per frame, True where a cut happened just before it: its changed share exceeds both of
    its neighbours' by at least `min_share`. A cut is one frame's change, while a whip pan, a
    zoom, a lifter moving fast or a plate passing the lens changes several frames in a row
    (measured on the shared clips: such runs reach 0.15, the frames around them within 0.04).
    The first frame is never a cut."""
    share = np.asarray(share, dtype=np.float64)
    if share.size < 2:
        return np.zeros(share.size, bool)
    before = np.concatenate([[np.inf], share[:-1]])  # also: the first frame is never a cut
    after = np.concatenate([share[1:], [0.0]])
    return share - np.maximum(before, after) >= min_share


# A frame whose picture changed this much is a new picture whatever the pose does: real cuts
# read 0.85-1.0 on three shared sources; flicker, captions and doubled frames at most 0.5.
NEW_PICTURE = 0.6


def pose_confirms(
    cut: np.ndarray,
    landmarks: np.ndarray,
    present: np.ndarray,
    size: tuple[int, int],
    jump_trunks: float,
    change: np.ndarray | None = None,
) -> np.ndarray:
    """The picture's cuts that the lifter's pose confirms as a new take.

    A change of the whole picture in one frame is not always a cut: flickering light or lens
    flare at night, burned-in captions appearing, or a video with duplicated frames (every
    second frame unchanged, so each moving one stands above both neighbours) pass the picture
    test (measured: shares 0.17-0.5 on such frames of three shared clips, with the hips moving
    0.01-0.08 trunk lengths across them, as on any frame). A new take shows it in the body: the
    lifter jumps (a same-framing jump cut), changes size (another camera) or appears or leaves.
    So a cut stands where, across it, the mid-hip or mid-shoulder moves more than `jump_trunks`
    trunk lengths (the fastest hinge, a swing, moves the hips ~0.1 a frame at 30 fps), the
    trunk's length changes by a third, or the lifter is seen on one side only; or where the
    picture changed almost wholly (`change`, each frame's changed share: at least NEW_PICTURE;
    NaN, not measured: the picture's flag stands). `landmarks`: (N, 33, >=2) normalised; the
    unit is the trunk's median length over the clip."""
    out = np.asarray(cut, dtype=bool).copy()
    idx = np.flatnonzero(out)
    idx = idx[idx > 0]
    if idx.size == 0:
        return out
    hip, shoulder = trunk_pixels(landmarks, size)
    trunk = trunk_length(hip, shoulder)
    seen = present & np.isfinite(trunk) & (trunk > 0)
    unit = float(np.median(trunk[seen])) if seen.any() else 0.0
    for i in idx:
        a, b = i - 1, i
        share = np.nan if change is None else float(change[i])
        if not share < NEW_PICTURE:  # a new picture, or not measured (NaN)
            continue
        if seen[a] != seen[b] or unit <= 0:
            continue  # the lifter appears or leaves with the picture: a new take
        if not seen[a]:
            out[i] = False  # no one on either side: nothing to split
            continue
        moved = max(
            float(np.linalg.norm(hip[b] - hip[a])), float(np.linalg.norm(shoulder[b] - shoulder[a]))
        )
        resized = max(trunk[a], trunk[b]) / min(trunk[a], trunk[b]) > 4.0 / 3.0
        out[i] = moved > jump_trunks * unit or resized
    return out
