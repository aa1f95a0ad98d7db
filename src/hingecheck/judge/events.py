"""Per-frame conditions to fault events: hysteresis, gap merging, minimum duration, rep lookup."""

from __future__ import annotations

import numpy as np

from hingecheck.records import Rep
from hingecheck.signals.filters import runs


def hysteresis(x: np.ndarray, on: float, off: float) -> np.ndarray:
    """True from where x reaches `on` until it falls below `off` (NaN counts as off).

    Vectorised: each frame takes the state set by the last frame that crossed either level.
    """
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    set_on = finite & (x >= on)
    set_off = ~finite | (x < off)
    decided = set_on | set_off
    idx = np.where(decided, np.arange(x.size), -1)
    last = np.maximum.accumulate(idx) if x.size else idx
    return np.where(last >= 0, set_on[np.maximum(last, 0)], False)


def spans(mask: np.ndarray, t: np.ndarray, min_duration_s: float, merge_gap_s: float) -> np.ndarray:
    """(first, last) inclusive index pairs of True runs, gaps < merge_gap_s merged, runs
    shorter than min_duration_s dropped. A run's duration counts one frame interval past its
    last frame, so a single frame at 30 fps lasts 1/30 s."""
    r = runs(mask)
    if len(r) == 0:
        return np.zeros((0, 2), dtype=int)
    first, last = r[:, 0], r[:, 1] - 1
    dt = np.median(np.diff(t)) if t.size > 1 else 0.0
    if len(r) > 1:
        gap = t[first[1:]] - t[last[:-1]] - dt  # the time with the condition off
        keep_break = np.concatenate([[True], gap >= merge_gap_s])
        group = np.cumsum(keep_break) - 1
        first = np.array([first[group == g].min() for g in range(group.max() + 1)])
        last = np.array([last[group == g].max() for g in range(group.max() + 1)])
    duration = t[last] - t[first] + dt
    ok = duration >= min_duration_s - 1e-9
    return np.stack([first[ok], last[ok]], axis=1)


def rep_index(n: int, reps: list[Rep]) -> np.ndarray:
    """Per frame, the 1-based rep it belongs to (start..end), 0 outside every rep."""
    out = np.zeros(n, dtype=np.int32)
    for rep in reps:  # one slice per rep, not per frame
        out[rep.start : rep.end + 1] = rep.index
    return out


def depth_fraction(flexion: np.ndarray, reps: list[Rep]) -> np.ndarray:
    """Per frame inside a rep: 0 at that rep's top level, 1 at its bottom (NaN outside reps).

    After the bottom the reference is the rep's top, so a rep that never locks out still spans
    0..1 on the way up; before it, the lower of the rep's start and top (a clip can start
    part-way down).
    """
    out = np.full(flexion.shape, np.nan)
    for rep in reps:
        peak = flexion[rep.bottom]
        top = flexion[rep.top]
        for a, b, ref in (
            (rep.start, rep.bottom, min(flexion[rep.start], top)),
            (rep.bottom, rep.end + 1, top),
        ):
            rng = peak - ref
            if rng > 1e-6:
                out[a:b] = (flexion[a:b] - ref) / rng
    return out


def phases_of(rep: Rep, t_s: np.ndarray) -> np.ndarray:
    """Where in the rep each moment falls: descent, bottom, ascent or top (the one definition
    the messages and the per-frame table share)."""
    t_s = np.asarray(t_s, dtype=np.float64)
    span = max(rep.top_s - rep.start_s, 1e-6)
    return np.where(
        t_s >= rep.top_s,
        "top",
        np.where(
            np.abs(t_s - rep.bottom_s) <= 0.15 * span,
            "bottom",
            np.where(t_s < rep.bottom_s, "descent", "ascent"),
        ),
    )


def phase_of(rep: Rep, t_s: float) -> str:
    """Where in the rep a moment falls: descent, bottom, ascent or top."""
    return str(phases_of(rep, np.array([t_s]))[0])
