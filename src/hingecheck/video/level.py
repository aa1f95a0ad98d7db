"""How far the camera is rolled, read from the scene's straight lines.

A phone propped at an angle tilts everything in the picture by its roll, and every lean the
rules read (the trunk from vertical, the back line at lockout) with it: a tall lockout filmed
7 degrees rolled reads 7 degrees of lean. The body can't say how level the camera is (its lean
is what is measured), but a gym's walls, door frames and racks are built plumb. So frames are
searched for long straight edges (Canny, then a probabilistic Hough transform), and each edge
within `NEAR_DEG` of vertical votes, by its length, for its deviation; the roll is the peak of
those votes. Only verticals vote: a horizontal edge recedes with the camera's pan (an oblique
camera read floor edges 4-9 deg off on four sources), while a vertical one stays vertical
under a pan and leans only with the roll (and, symmetrically about the centre, with the
camera's pitch, which the peak of the votes averages out).

Measured on the shared clips' pose passes: the one source filmed with the phone rolled reads
4.0-5.4 deg on all five of its clips (its labels: the scene's verticals lean 6-7 deg near the
lifter, where the pitch adds to the roll); 25 clips of 9 other sources read within 1.4 deg of
level, 3 clips of 3 sources 2.3-3.4 deg (unconfirmed), and 22 clips name no roll (too few plumb
edges in view), which is taken as level.
"""

from __future__ import annotations

import cv2
import numpy as np

# A line further than this from vertical is not taken as the scene's (limbs, a bar, a rack's
# braces lean further); a roll beyond it is not read.
NEAR_DEG = 15.0
# The frame is searched at this size: enough for a wall's edge, ~4 ms a frame.
WIDTH = 640
# Lines shorter than this share of the frame's longer side are texture, not structure.
MIN_LINE = 1.0 / 8.0
# An edge broken by up to this many pixels (at WIDTH) is one line: a slightly rolled edge is
# drawn as a staircase whose steps Canny does not always join.
MAX_GAP = 10
# A frame's votes must add up to this many frame lengths of line to name a roll.
MIN_SUPPORT = 1.0
BIN_DEG = 0.5
# A take's roll needs readings on at least this share of the frames looked at (measured: the
# rolled source and 14 level clips read on 9-11 of 11 frames; clips reading on 1-3 of 11 gave
# 1-3.6 deg, from a door at the picture's border or edges of the body).
MIN_READ_SHARE = 0.5
# A pitched camera spreads plumb edges' leans by a few degrees across the picture (measured up
# to 3.5 deg between an edge near the centre and one at the border): the edges within this of
# the peak are taken as the scene's.
PITCH_SPREAD_DEG = 4.0
# Edges whose midpoints spread (SD) at least this share of the width across the picture pin
# down how their lean grows with the offset; nearer each other they can't.
MIN_SPREAD = 0.08
# Edges gathered within this share of the width of the centre line lean by the roll alone.
CENTRE_BAND = 0.15


def line_votes(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frame's long straight edges near vertical: each one's deviation from it (deg, +
    clockwise as the picture is seen), its length as a share of the frame's longer side, and
    its midpoint's offset from the picture's centre line (share of the width, + right)."""
    h, w = grey.shape[:2]
    scale = WIDTH / max(h, w)
    small = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))))
    edges = cv2.Canny(small, 50, 150)
    size = max(small.shape)
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 360, 60, minLineLength=int(size * MIN_LINE), maxLineGap=MAX_GAP
    )
    if lines is None:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    x1, y1, x2, y2 = lines.reshape(-1, 4).astype(np.float64).T
    angle = (np.degrees(np.arctan2(y2 - y1, x2 - x1)) + 90.0) % 180.0 - 90.0  # (-90, 90]
    length = np.hypot(x2 - x1, y2 - y1) / size
    # Image borders (a pillar-boxed video) are the frame's own edges, not the scene's: they
    # would always vote for a level camera.
    margin = 3.0
    width = small.shape[1]
    on_border = (np.abs(x1 - x2) < 1) & ((x1 < margin) | (x1 > width - 1 - margin))
    plumb = (np.abs(angle) >= 90.0 - NEAR_DEG) & ~on_border
    dev = angle - np.sign(angle) * 90.0  # a line down-right of vertical: rolled clockwise
    offset = 0.5 * (x1 + x2) / width - 0.5
    return dev[plumb], length[plumb], offset[plumb]


def roll_from_votes(dev: np.ndarray, weight: np.ndarray, offset: np.ndarray) -> float:
    """The roll the votes agree on (deg), or NaN when they can't say.

    A camera tilted down (pitch) makes plumb edges converge toward a point below the picture,
    so an edge's lean also grows with its distance from the centre line: about linearly, by
    the same amount each side. The roll is the lean at the centre line: a length-weighted line
    fitted to lean against offset, where the edges spread across the picture (`MIN_SPREAD`),
    or their weighted median where they gather near its centre (no pitch to remove there). A
    cluster of edges off to one side can't tell roll from pitch: NaN (taken as level)."""
    if dev.size == 0 or float(weight.sum()) < MIN_SUPPORT:
        return float("nan")
    # The edges that agree (the peak of the votes, with the spread pitch can give them).
    bins = np.arange(-NEAR_DEG, NEAR_DEG + BIN_DEG, BIN_DEG)
    hist, edges = np.histogram(dev, bins=bins, weights=weight)
    smooth = np.convolve(hist, np.ones(5), mode="same")
    peak = edges[int(np.argmax(smooth))] + BIN_DEG / 2
    near = np.abs(dev - peak) <= PITCH_SPREAD_DEG
    d, wt, x = dev[near], weight[near], offset[near]
    if float(wt.sum()) < MIN_SUPPORT:
        return float("nan")
    mean_x = float(np.average(x, weights=wt))
    spread = float(np.sqrt(np.average((x - mean_x) ** 2, weights=wt)))
    if spread >= MIN_SPREAD:
        slope, roll = np.polyfit(x, d, 1, w=np.sqrt(wt))
        return float(roll) if abs(roll) <= NEAR_DEG else float("nan")
    if abs(mean_x) <= CENTRE_BAND:
        order = np.argsort(d)
        cum = np.cumsum(wt[order])
        return float(d[order][np.searchsorted(cum, 0.5 * cum[-1])])
    return float("nan")


def take_roll(rolls: np.ndarray) -> float:
    """One take's roll from its frames' readings: NaN where a frame was not looked at, +inf
    where it was and named none. The median of the readings, so a frame where the lifter's own
    limbs dominate the picture does not move it; NaN (level) unless at least `MIN_READ_SHARE`
    of the frames looked at named one: a scene whose plumb edges show only now and then (a
    door at the border, a rack behind the lifter) reads the body's edges as often as its own."""
    looked = rolls[~np.isnan(rolls)]
    seen = looked[np.isfinite(looked)]
    if seen.size == 0 or seen.size < MIN_READ_SHARE * looked.size:
        return float("nan")
    return float(np.median(seen))


def level_points(points: np.ndarray, roll_deg: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pixel points (N, ..., 2) turned back by each frame's roll about the picture's centre,
    as a level camera would have seen them (NaN roll: left as they are)."""
    roll = np.radians(np.nan_to_num(np.asarray(roll_deg, dtype=np.float64)))
    c, s = np.cos(-roll), np.sin(-roll)
    shape = (-1,) + (1,) * (points.ndim - 2)
    c, s = c.reshape(shape), s.reshape(shape)
    centre = 0.5 * np.asarray(size, dtype=np.float64)
    x, y = points[..., 0] - centre[0], points[..., 1] - centre[1]
    return np.stack([c * x - s * y + centre[0], s * x + c * y + centre[1]], axis=-1)
