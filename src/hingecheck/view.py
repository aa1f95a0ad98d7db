"""Where the camera stands (side, oblique, facing the lifter), and whether the set can be judged."""

from __future__ import annotations

import numpy as np

from .config import ViewConfig
from .records import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER, Signals, Track, View

FRONT_REASON = "camera faces the lifter: film from the side to judge back and hips"
NOBODY_REASON = "no one in view: film the whole lifter from the side"


def apparent_width(track: Track) -> np.ndarray:
    """Per frame: shoulder and hip width seen by the camera over trunk length (NaN if absent).

    From the side the two shoulders overlap (~0); facing the camera they sit a trunk-width
    apart (~0.7-1 of trunk length).
    """
    scale = np.array([track.info.width, track.info.height], dtype=np.float64)
    lm = track.landmarks[..., :2].astype(np.float64) * scale
    shoulders = np.linalg.norm(lm[:, L_SHOULDER] - lm[:, R_SHOULDER], axis=1)
    hips = np.linalg.norm(lm[:, L_HIP] - lm[:, R_HIP], axis=1)
    mid_s = 0.5 * (lm[:, L_SHOULDER] + lm[:, R_SHOULDER])
    mid_h = 0.5 * (lm[:, L_HIP] + lm[:, R_HIP])
    trunk = np.linalg.norm(mid_s - mid_h, axis=1)
    width = 0.5 * (shoulders + hips) / np.where(trunk > 0, trunk, np.nan)
    width[~track.present] = np.nan
    return width


def classify_view(track: Track, signals: Signals, cfg: ViewConfig) -> View:
    """Judge the camera from upright frames (bent over, any view foreshortens the trunk)."""
    n = len(track)
    if n == 0 or track.present.mean() < cfg.min_present_share:
        return View("unknown", signals.side, False, NOBODY_REASON)
    width = apparent_width(track)
    upright = np.abs(signals.trunk_lean) < 25.0
    sample = width[upright & np.isfinite(width)]
    if sample.size < 5:
        sample = width[np.isfinite(width)]
    if sample.size == 0:
        return View("unknown", signals.side, False, NOBODY_REASON)
    w = float(np.median(sample))
    if w >= cfg.front_min_width:
        return View("front", signals.side, False, FRONT_REASON)
    camera = "side" if w <= cfg.side_max_width else "oblique"
    return View(camera, signals.side, True, "")
