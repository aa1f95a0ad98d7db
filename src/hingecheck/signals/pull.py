"""The readings the rep counter takes besides the hips' flexion (built here from the Track, so
the judge reads only Signals and these cues): where the hands are, the hips' travel across the
picture, the head's height, and the hips' flexion seen from a camera that faces the lifter.

A rep is a loaded pull: the bar leaves the floor (or the hang) in the hands, passes the knees
to a standing lockout and comes back down. The hands carry that: at any lockout, even a missed
one, the bar (the wrists) is above the knees, while a lifter rocking the hips over a bar that
stays on the floor, or with the hands on the floor (a burpee, a crawl), keeps them below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hingecheck.body import mid_hip, mid_shoulder, pixel_points, trunk_length, trunk_pixels
from hingecheck.config import SignalConfig
from hingecheck.records import (
    L_EAR,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NOSE,
    R_EAR,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    Signals,
    Track,
)
from hingecheck.signals.filters import clean, frame_rate, running_median, takes


@dataclass(frozen=True)
class PullCues:
    """Per-frame readings that tell a loaded pull from other rises of the hips (NaN: unseen).

    hands: the wrists' height above the knees, in thigh lengths.
    hip_x: the hips' position across the picture, in trunk lengths (walking shows in it).
    head_y: the highest of the head and shoulders, in picture heights from its top edge
    (negative: above the picture, where the model places what it can't see); NaN where no one
    is seen. A lifter standing up out of a tight frame leaves it there.
    """

    hands: np.ndarray
    hip_x: np.ndarray
    head_y: np.ndarray | None = None

    def part(self, frames: slice) -> PullCues:
        """The cues over some frames (a take)."""
        head = None if self.head_y is None else self.head_y[frames]
        return PullCues(self.hands[frames], self.hip_x[frames], head)


def pull_cues(track: Track, cfg: SignalConfig) -> PullCues:
    """The readings the rep counter needs besides the hips' flexion."""
    return PullCues(wrists_above_knees(track, cfg), hips_across(track, cfg), head_height(track))


def head_height(track: Track) -> np.ndarray:
    """Per frame, the highest of the nose, ears and shoulders as the model places them (y over
    picture height, 0 at the top edge, negative above it), NaN where no one is seen."""
    y = track.landmarks[:, [NOSE, L_EAR, R_EAR, L_SHOULDER, R_SHOULDER], 1].astype(np.float64)
    with np.errstate(invalid="ignore"):
        top = np.nanmin(np.where(np.isfinite(y), y, np.inf), axis=1)
    return np.where(track.present & np.isfinite(top), top, np.nan)


def hips_across(track: Track, cfg: SignalConfig) -> np.ndarray:
    """Per frame, the mid-hip's horizontal position in trunk lengths (NaN where unseen), as a
    0.3 s running median: a few frames of the model jumping to the wrong place (seen on real
    clips where plates hide the hips) don't move it, a lifter walking away does."""
    n = len(track)
    if n < 3:
        return np.full(n, np.nan)
    size = (track.info.width, track.info.height)
    hip, shoulder = trunk_pixels(track.landmarks, size)
    seen = (track.visibility[:, [L_HIP, R_HIP]] >= cfg.min_visibility).any(axis=1)
    trunks = trunk_length(hip, shoulder)
    if not np.isfinite(trunks).any() or not np.nanmedian(trunks) > 0:
        return np.full(n, np.nan)
    x = np.where(seen & track.present, hip[:, 0] / float(np.nanmedian(trunks)), np.nan)
    window = max(3, int(round(0.3 * frame_rate(track.t))) | 1)
    out = np.empty(n)
    for s in takes(track.cut, n):  # another take's framing is not a walk
        out[s] = running_median(x[s], window)
    return out


def _clean(t: np.ndarray, x: np.ndarray, cfg: SignalConfig, cut: np.ndarray) -> np.ndarray:
    if len(t) < 3 or not np.isfinite(x).any():
        return np.full(len(t), np.nan)
    return clean(
        t,
        x,
        window_s=cfg.outlier_window_s,
        n_mads=cfg.outlier_mads,
        max_gap_s=cfg.max_gap_s,
        cutoff_hz=cfg.lowpass_hz,
        cut=cut,
    )


def wrists_above_knees(track: Track, cfg: SignalConfig) -> np.ndarray:
    """Per frame, how far the wrists sit above the knees, in thigh lengths (NaN: not seen).

    Both hands hold the bar, so the two wrists (and the two knees) are averaged where the model
    sees them; image height stands in for height above the floor (a camera roll of a few
    degrees moves this by a few hundredths). Standing tall with the bar the wrists are ~0.8
    thigh lengths above the knees; at a floor set-up 0.1-0.9 below."""
    n = len(track)
    if n == 0:
        return np.zeros(0)
    size = (track.info.width, track.info.height)
    ids = [L_WRIST, R_WRIST, L_KNEE, R_KNEE, L_HIP, R_HIP]
    px = pixel_points(track.landmarks, ids, size)
    seen = track.visibility[:, ids] >= cfg.min_visibility
    y = np.where(seen, px[..., 1], np.nan)
    wrist, knee = _pair_mean(y[:, 0:2]), _pair_mean(y[:, 2:4])
    thighs = np.linalg.norm(px[:, 4:6] - px[:, 2:4], axis=2)
    if not np.isfinite(thighs).any():
        return np.full(n, np.nan)
    thigh = float(np.nanmedian(thighs))
    if thigh <= 0:
        return np.full(n, np.nan)
    return _clean(track.t, (knee - wrist) / thigh, cfg, track.cut)


def _pair_mean(y: np.ndarray) -> np.ndarray:
    """Mean of the seen values of each row (N, 2): NaN where neither is seen."""
    seen = np.isfinite(y)
    count = seen.sum(axis=1)
    total = np.where(seen, y, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (deg) between two (N, 3) vectors, per row."""
    dot = np.einsum("ij,ij->i", a, b)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.degrees(np.arccos(np.clip(dot / norm, -1.0, 1.0)))


def facing_camera_signals(track: Track, signals: Signals, cfg: SignalConfig) -> Signals:
    """The hips' flexion and the trunk's lean for counting reps from a camera that faces the
    lifter, where the image flattens both (the trunk and thigh point at the lens): from the
    model's 3D (world) landmarks instead. Those are rough (several degrees, more than the
    side view's image angles), enough to find a 60-110 deg hinge, not to judge one. Lean is
    from the world's vertical axis, which follows the camera's: a level camera is assumed."""
    w = track.world.astype(np.float64)
    if len(track) < 3 or not np.isfinite(w).any() or not np.abs(w).max() > 0:
        return signals
    shoulder, hip = mid_shoulder(w), mid_hip(w)
    knee = 0.5 * (w[:, L_KNEE] + w[:, R_KNEE])
    absent = ~track.present
    hip_angle = _angle(shoulder - hip, knee - hip)
    up = np.tile([0.0, -1.0, 0.0], (len(track), 1))  # world y points down
    lean = _angle(shoulder - hip, up)
    hip_angle[absent] = np.nan
    lean[absent] = np.nan
    hip_angle = _clean(track.t, hip_angle, cfg, track.cut)
    return replace(
        signals,
        hip_angle=hip_angle,
        trunk_lean=_clean(track.t, lean, cfg, track.cut),
        valid=np.isfinite(hip_angle),
    )
