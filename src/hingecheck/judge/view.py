"""Where the camera stands (side, oblique, facing the lifter), and whether the set can be judged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hingecheck.body import pixel_points, trunk_length, trunk_pixels
from hingecheck.config import ViewConfig
from hingecheck.faults import FAULT_TYPES, FAULTS
from hingecheck.records import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER, Signals, Track, View
from hingecheck.signals.filters import frame_rate

FRONT_REASON = (
    "camera faces the lifter: film from the side to judge back and hips (reps are counted)"
)
NOBODY_REASON = "no one in view: film the whole lifter from the side"


def not_judged(camera: str) -> dict[str, str]:
    """The faults a camera position can't carry, each with the reason."""
    if camera == "oblique":
        return {k.key: k.oblique for k in FAULTS if k.oblique}  # each row says why
    if camera in ("front", "unknown"):
        reason = FRONT_REASON if camera == "front" else NOBODY_REASON
        return {key: reason for key in FAULT_TYPES}
    return {}


def apparent_width(track: Track) -> np.ndarray:
    """Per frame: shoulder and hip width seen by the camera over trunk length (NaN if absent).

    From the side the two shoulders overlap (~0); facing the camera they sit a trunk-width
    apart (~0.7-1 of trunk length).
    """
    size = (track.info.width, track.info.height)
    # Only the four landmarks used, not all 33 (this is most of the view's cost on a long set).
    px = pixel_points(track.landmarks, [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP], size)
    ls, rs, lh, rh = np.moveaxis(px, 1, 0)
    shoulders = np.linalg.norm(ls - rs, axis=1)
    hips = np.linalg.norm(lh - rh, axis=1)
    trunk = trunk_length(*trunk_pixels(track.landmarks, size))
    width = 0.5 * (shoulders + hips) / np.where(trunk > 0, trunk, np.nan)
    # A landmark outside the picture is the model's guess (a head and shoulders cut off at
    # lockout), not a measurement of the view.
    inside = ((px >= 0) & (px <= np.asarray(size, dtype=np.float64))).all(axis=(1, 2))
    width[~track.present | ~inside] = np.nan
    return width


def classify_view(track: Track, signals: Signals, cfg: ViewConfig) -> View:
    """Judge the camera from upright frames (bent over, any view foreshortens the trunk), with
    its roll as read from the scene (Track.roll)."""
    seen = track.roll[np.isfinite(track.roll)]
    roll = float(np.median(seen)) if seen.size else None
    return replace(_camera(track, signals, cfg), roll_deg=roll)


def _camera(track: Track, signals: Signals, cfg: ViewConfig) -> View:
    n = len(track)
    if n == 0 or track.present.mean() < cfg.min_present_share:
        return View("unknown", signals.side, False, NOBODY_REASON, not_judged("unknown"))
    width = apparent_width(track)
    upright = np.abs(signals.trunk_lean) < cfg.upright_max_lean
    sample = width[upright & np.isfinite(width)]
    # Standing is held (a set-up, a lockout): fewer upright frames than that are the model
    # misreading a bent-over lifter in passing, so the whole set is used instead (bent over,
    # a camera in front sees the trunk foreshortened, which only widens its reading).
    if sample.size < cfg.min_upright_s * frame_rate(track.t):
        sample = width[np.isfinite(width)]
    if sample.size == 0:
        return View("unknown", signals.side, False, NOBODY_REASON, not_judged("unknown"))
    w = float(np.median(sample))
    if w >= cfg.front_min_width:
        return View("front", signals.side, False, FRONT_REASON, not_judged("front"))
    camera = "side" if w <= cfg.side_max_width else "oblique"
    return View(camera, signals.side, True, "", not_judged(camera))
