"""Which hinge this is: given by the user, or told from the movement itself.

The profiles differ in what a correct rep looks like (a Romanian deadlift keeps the knees soft,
a swing is fast and the bell floats up), so each may override thresholds in the config's
`[profiles.<name>]` tables.
"""

from __future__ import annotations

import warnings

import numpy as np

from hingecheck.config import ExerciseConfig
from hingecheck.records import (
    L_HIP,
    L_SHOULDER,
    L_WRIST,
    R_HIP,
    R_SHOULDER,
    R_WRIST,
    Rep,
    Signals,
    Track,
)


def detect_exercise(track: Track, signals: Signals, reps: list[Rep], cfg: ExerciseConfig) -> str:
    """Tell the hinge from the movement; "deadlift" when nothing sets it apart.

    - good morning: the hands stay up at the shoulders (the bar is on the back);
    - kettlebell swing: at the top the hands float up to chest height or higher, reps are quick;
    - Romanian deadlift: the knees stay soft at the bottom.
    The cut-offs and their reasons are in the config's `[exercise]` table.
    A conventional deadlift and a kettlebell deadlift move alike, so they share a profile.
    """
    done = [r for r in reps if r.complete]
    if not done:
        return "deadlift"
    with warnings.catch_warnings():  # hidden wrists or knees give all-NaN slices: no vote
        warnings.simplefilter("ignore", RuntimeWarning)
        return _classify(track, signals, done, cfg)


def _classify(track: Track, signals: Signals, done: list[Rep], cfg: ExerciseConfig) -> str:
    height = float(track.info.height)
    lm = track.landmarks[..., 1].astype(np.float64) * height  # image y, pixels
    wrist = np.nanmean(lm[:, [L_WRIST, R_WRIST]], axis=1)
    shoulder = np.nanmean(lm[:, [L_SHOULDER, R_SHOULDER]], axis=1)
    trunk = np.nanmedian(np.abs(shoulder - np.nanmean(lm[:, [L_HIP, R_HIP]], axis=1)))
    if not np.isfinite(trunk) or trunk <= 0:
        return "deadlift"
    bottoms = np.array([r.bottom for r in done])
    tops = np.array([r.top for r in done])
    # Wrist below the shoulder by this share of trunk length: ~1.3 hanging, ~0 on the back.
    hang_bottom = np.nanmedian(wrist[bottoms] - shoulder[bottoms]) / trunk
    hang_top = np.nanmedian(wrist[tops] - shoulder[tops]) / trunk
    # The bend's size: a knee read 40-70 deg "backwards" at the bottom is a bend read with the
    # wrong facing (from near the front, as reps.py counts it), not a hyperextended knee.
    knee_bottom = np.nanmedian(np.abs(signals.knee_flexion[bottoms]))
    rep_s = np.median([r.end_s - r.start_s for r in done])
    gm = cfg.good_morning_max_hang
    if abs(hang_bottom) < gm and abs(hang_top) < gm:
        return "good_morning"
    if hang_top < cfg.swing_max_top_hang and rep_s < cfg.swing_max_rep_s:
        return "kettlebell_swing"
    if knee_bottom < cfg.rdl_max_knee_flexion:
        return "romanian_deadlift"
    return "deadlift"
