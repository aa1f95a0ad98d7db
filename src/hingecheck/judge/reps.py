"""Split a set into reps from hip flexion: each rep holds one full rise from a bottom to a top.

A deadlift from the floor starts at the bottom (pull, lockout, lower); a Romanian deadlift or a
swing starts at the top (lower, then stand up). Counting *ascents* fits both: every rep has
exactly one, the set-down at the end of a set has none, and a clip that stops mid-pull holds an
incomplete one. Bottoms are peaks of hip flexion with a minimum prominence, which works as
hysteresis: an angle hovering near any level can't add a rep, and a rep that stops short of
lockout still counts, because it only has to rise by part of its range, not to a fixed level.

Not every rise of the hips is a rep: a rep is a loaded pull, the bar carried past the knees to a
standing top. A rise whose top is not standing (the trunk near horizontal: a plank, a crawl),
or whose hands stay below the knees (rocking over a bar that stays on the floor, hands on the
floor) is not one; nor is a pull the clip opened on after the bar had left the floor.

An edited clip (jump cuts: takes joined, camera angles changed) is counted take by take, each
as a clip of its own: a rise of the hips across a cut joins two movements, so it is never a
rep; its halves are at most partial reps (one cut by the take's end, one opened mid-pull).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np
from scipy.signal import find_peaks

from hingecheck.config import RepConfig
from hingecheck.records import Rep, Signals
from hingecheck.signals.filters import fill_gaps, frame_rate, runs, takes
from hingecheck.signals.pull import PullCues

# A top this close to the clip's end, still rising, is where the clip cut, not a lockout.
_END_MARGIN_S = 0.1
# No hip extends further than this past straight: a lean back at lockout reads 5-15 deg of
# negative flexion on real side views; -60 to -77 at the bottoms of a front camera's reps.
_MAX_HIP_EXTENSION_DEG = 35.0


def find_bottoms(flex: np.ndarray, fps: float, cfg: RepConfig) -> np.ndarray:
    """Indices of rep bottoms (peaks of hip flexion), a clip's first or last frame included."""
    # Pad both ends far below the signal so a clip that starts or ends bent over has a peak there.
    low = np.nanmin(flex) - 2 * cfg.min_prominence_deg
    padded = np.concatenate([[low], flex, [low]])
    peaks, _ = find_peaks(
        padded, prominence=cfg.min_prominence_deg, distance=max(1, int(cfg.min_rep_s * fps))
    )
    return peaks - 1


def opens_mid_pull(bottoms: np.ndarray, flex: np.ndarray, t: np.ndarray, cfg: RepConfig) -> bool:
    """A clip that opens mid-pull has its first "bottom" at frame 0 but not at the lifter's
    depth: that pull is partial unless it is nearly as deep as the set's other bottoms (85 %),
    or, with no other rep to compare, as deep as a set-up at the floor. A clip that opens with
    the hips already extending at the speed of a pull, short of a floor set-up's depth, opened
    after the bar left the floor (the other bottoms may be partial too: a jump cut)."""
    if bottoms.size == 0 or bottoms[0] != 0:
        return False
    others = flex[bottoms[1:]]
    depth = 0.85 * float(np.median(others)) if others.size else cfg.floor_start_deg
    if flex[0] < depth:
        return True
    k = int(np.searchsorted(t, t[0] + 0.2))  # the clip's first 0.2 s
    if k >= len(t) or not np.isfinite(flex[[0, k]]).all():
        return False
    rising = (flex[0] - flex[k]) / (t[k] - t[0])
    return bool(rising > cfg.lift_off_speed_deg_s and flex[0] < cfg.floor_start_deg)


def rising_at_end(t: np.ndarray, flex: np.ndarray, cfg: RepConfig) -> bool:
    """Whether the hips are still extending when the clip (or the take, before a jump cut)
    ends, faster than a lifter standing still: a rise the end cut, not a lockout held to it
    (where the noise of a still stance can put the lowest flexion in the last frames)."""
    seen = np.flatnonzero(np.isfinite(flex))
    if seen.size < 2:
        return True
    last = int(seen[-1])
    k = int(seen[np.searchsorted(t[seen], t[last] - 0.3)])  # the first seen in the last 0.3 s
    if k >= last:
        return True
    speed = (flex[k] - flex[last]) / (t[last] - t[k])
    return bool(speed > cfg.still_speed_deg_s)


def stood_out_of_view(
    t: np.ndarray, flex: np.ndarray, head_y: np.ndarray, cfg: RepConfig
) -> np.ndarray:
    """Hip flexion with each gap the lifter stood up in read as standing
    (cfg.standing_flexion_deg). A tight or portrait frame loses the head and shoulders at
    lockout, a caption box or a plate hides them, and with them goes the hip angle (often the
    whole person: the model's detector needs the head): the hips, knees and hands still carry
    the rep. Such a gap is entered with the hips extending and the head rising (the last
    0.3 s before it), and left with the hips bending (the first 0.3 s after it: lowering the
    weight) within `max_unseen_top_s`: the top happened out of view."""
    out = flex.copy()
    seen = np.isfinite(flex)
    n = len(flex)
    for a, b in runs(~seen):
        if a == 0 or b >= n or t[b] - t[a - 1] > cfg.max_unseen_top_s:
            continue  # a clip that opens or ends out of view, or a lifter gone
        before = np.flatnonzero(seen[:a] & (t[:a] >= t[a - 1] - 0.3))
        after = b + np.flatnonzero(seen[b:] & (t[b:] <= t[b] + 0.3))
        if before.size < 2 or after.size < 2:
            continue
        head = head_y[before]
        head = head[np.isfinite(head)]
        rising = flex[before[0]] > flex[before[-1]] and head.size >= 2 and head[-1] < head[0]
        lowering = flex[after[-1]] > flex[after[0]]
        if rising and lowering:
            out[a:b] = min(cfg.standing_flexion_deg, float(np.nanmin(flex)))
    return out


def is_pull(
    signals: Signals,
    flex: np.ndarray,
    hands: np.ndarray | None,
    bottom: int,
    top: int,
    cfg: RepConfig,
) -> bool:
    """Whether the rise from `bottom` to `top` is a pull to a standing top: the trunk upright
    at the top, and the wrists, where the camera sees them, above the knees over the rise's
    upper half (the bar carried up past the knees, not left on the floor)."""
    lean = signals.trunk_lean[top]
    if np.isfinite(lean) and abs(lean) > cfg.max_top_lean_deg:
        return False
    if hands is None:
        return True
    half = flex[bottom] - 0.5 * (flex[bottom] - flex[top])
    upper = bottom + int(np.argmax(flex[bottom : top + 1] <= half))
    rise = hands[upper : top + 1]
    seen = np.isfinite(rise)
    if not seen.any() or seen.mean() < cfg.min_hands_seen:
        return True  # hidden behind plates or out of frame: the hips decide alone
    return bool(np.max(rise[seen]) >= cfg.min_top_wrists_above_knees)


def walks_off(
    t: np.ndarray, hip_x: np.ndarray | None, top: int, until: int, cfg: RepConfig
) -> bool:
    """Whether the lifter walks away after the top (before the next bottom, within 3 s): a bar
    can't be walked with, so standing up and walking off is standing up without it (after
    setting it down), not a pull. The hips travel 0.1-0.6 trunk lengths across the picture
    between a top and the next bottom on real sets (the hinge pushes them back)."""
    if hip_x is None or cfg.walk_off_trunks <= 0 or not np.isfinite(hip_x[top]):
        return False
    stop = min(until, int(np.searchsorted(t, t[top] + 3.0)))
    after = hip_x[top : stop + 1]
    after = after[np.isfinite(after)]
    return bool(after.size and np.max(np.abs(after - hip_x[top])) >= cfg.walk_off_trunks)


def find_reps(
    signals: Signals,
    cfg: RepConfig,
    cues: PullCues | None = None,
    cut: np.ndarray | None = None,
) -> list[Rep]:
    """Reps with start, bottom, top and end; the last is incomplete if the clip cuts its rise.

    `cues`: the hands and the hips' travel (signals/pull.py); None reads the hips' flexion
    alone (the live window). `cut`: per frame, a jump cut just before it (Track.cut); each
    take is counted apart, so no rep spans a cut."""
    reps: list[Rep] = []
    for s in takes(cut, len(signals.t)):
        arrays: dict[str, Any] = {
            f.name: getattr(signals, f.name)[s]
            for f in fields(signals)
            if isinstance(getattr(signals, f.name), np.ndarray)
        }
        part = replace(signals, **arrays)
        part_cues = None if cues is None else cues.part(s)
        for rep in _reps_in_take(part, cfg, part_cues):
            a = s.start
            reps.append(
                replace(
                    rep,
                    index=len(reps) + 1,
                    start=rep.start + a,
                    bottom=rep.bottom + a,
                    top=rep.top + a,
                    end=rep.end + a,
                )
            )
    return reps


def _reps_in_take(signals: Signals, cfg: RepConfig, cues: PullCues | None) -> list[Rep]:
    """find_reps on one take (a whole clip without cuts)."""
    t = signals.t
    n = len(t)
    if n < 3 or not np.isfinite(signals.hip_angle).any():
        return []
    # Long gaps (lifter out of view) are bridged here only to keep the peak finder going;
    # a rep whose bottom falls in such a gap is dropped below. A lifter who stood up out of
    # view (a tight frame, a caption over the head) was standing there.
    flex = signals.hip_flexion
    # Flexion far below zero is a bend read with the wrong facing (from near the front, the
    # toes that give the facing point at the lens): the bend's size is counted.
    if np.isfinite(flex).any() and np.nanpercentile(flex, 5) < -_MAX_HIP_EXTENSION_DEG:
        flex = np.abs(flex)
    if cues is not None and cues.head_y is not None:
        flex = stood_out_of_view(t, flex, cues.head_y, cfg)
    flex = fill_gaps(t, flex, max_gap_s=np.inf)
    fps = frame_rate(t)
    bottoms = find_bottoms(flex, fps, cfg)
    end_margin = max(1, int(round(_END_MARGIN_S * fps)))
    partial_first = opens_mid_pull(bottoms, flex, t, cfg)
    # Lying or in a plank: the trunk near horizontal with the thighs trailing behind it. On the
    # feet the thigh never tilts far behind vertical (hips pushed through at a lean-back: 4-8
    # deg), so a rise with this anywhere since the last top is floor work (a burpee), not a pull.
    with np.errstate(invalid="ignore"):
        lean = signals.trunk_lean
        lying = (lean > cfg.max_top_lean_deg) & (lean - flex > cfg.lying_thigh_back_deg)
    hands = cues.hands if cues is not None else None
    hip_x = cues.hip_x if cues is not None else None
    reps: list[Rep] = []
    prev_top = 0
    for i, p in enumerate(bottoms):
        hi = bottoms[i + 1] if i + 1 < len(bottoms) else n - 1
        lowest = np.flatnonzero(flex[p : hi + 1] == np.min(flex[p : hi + 1]))
        # A top out of view reads flat (standing) across its gap: its middle is the top.
        top_idx = p + int(lowest[len(lowest) // 2])
        rise = flex[p] - flex[top_idx]
        # A rise that never nears standing is a set-down, a pause or a shift, not a rep: even a
        # lockout that falls short brings the hips back within max_top_flexion_deg of straight.
        # A top the camera did not see (head out of frame at lockout) can't be held to that
        # (the lifter still rising when the view was lost: a gap within ~0.2 s of the top).
        around_top = slice(max(top_idx - end_margin, 0), top_idx + 2 * end_margin + 1)
        seen_top = signals.valid[around_top].all()
        short_top = flex[top_idx] > cfg.max_top_flexion_deg and seen_top
        if (
            rise < cfg.min_prominence_deg
            or short_top
            or not signals.valid[p]
            or not is_pull(signals, flex, hands, int(p), int(top_idx), cfg)
            or walks_off(t, hip_x, int(top_idx), int(hi), cfg)
            or lying[prev_top : top_idx + 1].any()
        ):
            prev_top = top_idx
            continue
        # Partial (judged, not counted): cut by the clip's end before lockout, or opened mid-pull.
        # A rise the end cuts once the lifter stands (held within the lockout's share of the
        # rise of the standing level seen before this rep, over the take's last 0.1 s) is done.
        # Shared clips: finishes the last rep on 3 sources (a clip or take ending at lockout);
        # counts a rise that isn't a pull on 2 (standing up after the set-down, a fade-out).
        standing = float(np.nanmin(flex[: p + 1])) if p > 0 else np.nan
        band = standing + cfg.top_fraction * (flex[p] - standing)
        last = flex[max(p, n - 1 - end_margin) :]
        stood = standing <= cfg.max_top_flexion_deg and bool(np.all(last <= band))
        cut_short = (
            top_idx >= n - 1 - end_margin
            and hi == n - 1
            and rising_at_end(t, flex, cfg)
            and not stood
        )
        complete = not cut_short and not (i == 0 and partial_first)
        # The descent starts where flexion leaves the previous top by a share of its range.
        base = flex[prev_top]
        down = flex[p] - base
        leaving = np.flatnonzero(flex[prev_top : p + 1] <= base + cfg.edge_fraction * down)
        start = prev_top + int(leaving[-1]) if leaving.size and p > prev_top else p
        # Lockout is reached once flexion is within a share of the rise of its lowest point.
        near = np.flatnonzero(flex[p : top_idx + 1] <= flex[top_idx] + cfg.top_fraction * rise)
        top = p + int(near[0]) if near.size else top_idx
        # The rep ends when the next descent begins, or after a hold at lockout.
        rising = np.flatnonzero(flex[top : hi + 1] > flex[top_idx] + cfg.edge_fraction * rise)
        end = top + int(rising[0]) - 1 if rising.size else hi
        end = int(np.clip(np.searchsorted(t, t[top] + cfg.max_hold_s), top, max(end, top)))
        prev_top = top_idx
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
