"""Split a set into reps from hip flexion: each rep is a prominent bend of the hips.

Peaks of hip flexion with a minimum prominence are the bottoms. Prominence works as hysteresis:
an angle hovering near any level can't add a rep, and a rep that stops short of lockout still
counts, because it only has to fall back by part of its range, not to a fixed standing level.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from .config import RepConfig
from .filters import fill_gaps, frame_rate
from .records import Rep, Signals


def find_reps(signals: Signals, cfg: RepConfig) -> list[Rep]:
    """Reps with start, bottom, top and end; the last is incomplete if the clip ends mid-rep."""
    t = signals.t
    n = len(t)
    if n < 3 or not np.isfinite(signals.hip_angle).any():
        return []
    # Long gaps (lifter out of view) are bridged here only to keep the peak finder going;
    # a rep whose bottom falls in such a gap is dropped below.
    flex = fill_gaps(t, signals.hip_flexion, max_gap_s=np.inf)
    fps = frame_rate(t)
    peaks, props = find_peaks(
        flex,
        prominence=cfg.min_prominence_deg,
        distance=max(1, int(cfg.min_rep_s * fps)),
    )
    peaks = peaks[signals.valid[peaks]]
    reps: list[Rep] = []
    for i, p in enumerate(peaks):
        lo = peaks[i - 1] if i > 0 else 0
        hi = peaks[i + 1] if i + 1 < len(peaks) else n - 1
        before = lo + int(np.argmin(flex[lo : p + 1]))
        after = p + int(np.argmin(flex[p : hi + 1]))
        top_level = flex[after]
        rng_down = flex[p] - flex[before]
        rng_up = flex[p] - top_level
        # The descent starts where flexion leaves the previous top by a share of the range.
        rising = np.flatnonzero(flex[before : p + 1] <= flex[before] + cfg.edge_fraction * rng_down)
        start = before + int(rising[-1]) if rising.size else before
        # A rep the clip cuts before the lifter comes back up is incomplete.
        complete = rng_up >= 0.5 * max(rng_down, cfg.min_prominence_deg)
        near_top = np.flatnonzero(flex[p : after + 1] <= top_level + cfg.top_fraction * rng_up)
        top = p + int(near_top[0]) if near_top.size else after
        # The rep ends when the next descent begins (or the lockout hold runs out).
        leaving = np.flatnonzero(flex[top : hi + 1] > top_level + cfg.edge_fraction * rng_up)
        end = top + int(leaving[0]) - 1 if leaving.size else hi
        # A long hold at lockout (or standing after the last rep) is not part of the rep.
        end = int(np.clip(np.searchsorted(t, t[top] + cfg.max_hold_s), top, end))
        if not complete:
            top = end = n - 1
        reps.append(
            Rep(
                index=len(reps) + 1,
                start=start,
                bottom=int(p),
                top=top,
                end=end,
                start_s=float(t[start]),
                bottom_s=float(t[p]),
                top_s=float(t[top]),
                end_s=float(t[end]),
                complete=bool(complete),
            )
        )
    return reps
