"""The four fault rules: per-frame conditions on whole arrays, turned into events per rep.

Each rule compares the lifter to thresholds with margins wider than MediaPipe's published
error (knee 2-7 deg, hip 11-17 deg from the side), uses hysteresis and a minimum duration, and
reads only the part of the rep where the fault can happen.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.special import ndtr

from hingecheck.config import RoundingConfig, RulesConfig
from hingecheck.faults import cue, describe
from hingecheck.judge.events import depth_fraction, hysteresis, phase_of, rep_index, spans
from hingecheck.records import Fault, Rep, Signals, View

# How far past the threshold (in the value's own units) makes a fault severe: about the
# spread between a clear fault and a borderline one on real lifts.
_SEVERE_EXCESS = {
    "lumbar_rounding": 0.02,
    "squat_like_knee_bend": 15.0,
    "missing_lockout": 20.0,
    "lockout_hyperextension": 12.0,
}


# How much each rule's reading moves from rep to rep when one lifter repeats the same movement
# (measured on one lifter's three clean 10-rep kettlebell deadlift sessions and a squatted one,
# real test clips; more lifters would firm these up): per-rep 75th-percentile bow SD
# 0.002-0.004, trunk lean at the bottom SD 1.2-4.0 deg, best lockout extension SD 1.2-2.9 deg,
# trunk lean at the top SD 1.3-2.0 deg. Values at the upper end, so a reading near its
# threshold is not called certain.
_REPEAT_SD = {
    "lumbar_rounding": 0.004,
    "squat_like_knee_bend": 3.0,
    "missing_lockout": 3.0,
    "lockout_hyperextension": 2.0,
}


def confidence(fault_type: str, excess: float) -> float:
    """The chance the reading would cross its threshold again on a repeat of the same movement:
    its typical excess over the threshold against the rule's rep-to-rep spread (normal CDF).
    0.5 is a reading on the line; it says nothing of clothing or view, which the rules handle
    by abstaining or by wider margins."""
    return float(ndtr(excess / _REPEAT_SD[fault_type]))


def severity(fault_type: str, excess: float, duration_s: float) -> str:
    """mild / moderate / severe from how far past the threshold and for how long."""
    score = excess / _SEVERE_EXCESS[fault_type] + min(duration_s, 1.5) / 3.0
    return "mild" if score < 0.4 else "moderate" if score < 0.9 else "severe"


def _fault(
    fault_type: str,
    rep: Rep,
    t: np.ndarray,
    span: tuple[int, int],
    worst: int,
    value: float,
    threshold: float,
    typical_excess: float,
) -> Fault:
    """One event; value and threshold as the report shows them (degrees or bow). Severity and
    confidence rest on the typical excess over the threshold, not on the peak (`value`), which
    one noisy frame can lift."""
    a, b = span
    duration = float(t[b] - t[a])
    phase = phase_of(rep, float(t[worst]))
    return Fault(
        type=fault_type,
        rep=rep.index,
        start_s=float(t[a]),
        end_s=float(t[b]),
        peak_s=float(t[worst]),
        severity=severity(fault_type, max(typical_excess, 0.0), duration),
        value=value,
        threshold=threshold,
        phase=phase,
        message=describe(fault_type, phase, value),
        cue=cue(fault_type),
        confidence=confidence(fault_type, typical_excess),
    )


def _faults_from_mask(
    fault_type: str,
    mask: np.ndarray,
    value: np.ndarray,
    threshold: float,
    signals: Signals,
    reps: list[Rep],
    cfg: RulesConfig,
) -> list[Fault]:
    """Turn a per-frame fault mask into events, each at its worst moment (the highest value),
    judged on the event's median reading.

    Events are found within each rep: an event merged across the gap between two reps would
    belong to neither (and its worst frame could fall between them, where no rep is).
    """
    t = signals.t
    owner = rep_index(len(t), reps)  # where reps overlap by a frame, the later one owns it
    out: list[Fault] = []
    for rep in reps:
        lo, hi = max(rep.start, 0), min(rep.end, len(t) - 1)
        if hi < lo:
            continue
        inside = mask[lo : hi + 1] & (owner[lo : hi + 1] == rep.index)
        for a, b in spans(inside, t[lo : hi + 1], cfg.min_duration_s, cfg.merge_gap_s) + lo:
            window = value[a : b + 1]
            if not np.isfinite(window).any():  # nothing measured: no reading to report
                continue
            worst = int(a) + int(np.nanargmax(window))
            out.append(
                _fault(
                    fault_type,
                    rep,
                    t,
                    (int(a), int(b)),
                    worst,
                    float(value[worst]),
                    threshold,
                    float(np.nanmedian(window)) - threshold,
                )
            )
    return out


def rounding_reading(
    signals: Signals, reps: list[Rep], c: RoundingConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the rounding rule reads: the plausible bow per frame, the bent-over frames (by rep
    phase, not by a trunk-angle cut-off: rounding itself steepens the trunk line, though an
    upright trunk carries no hinge load), and each rep's 75th percentile of bow over them."""
    bow = np.where(signals.back_bow <= c.max_plausible, signals.back_bow, np.nan)
    with np.errstate(invalid="ignore"):
        bent = (depth_fraction(signals.hip_flexion, reps) >= c.phase_fraction) & (
            signals.trunk_lean >= c.min_trunk_lean
        )
    owner = rep_index(len(bow), reps)
    p75 = np.full(len(reps), np.nan)
    for i, rep in enumerate(reps):
        frames = (owner == rep.index) & bent & np.isfinite(bow)
        if frames.any():
            p75[i] = np.percentile(bow[frames], 75)
    return bow, bent, p75


def lumbar_rounding(signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig) -> list[Fault]:
    """The lower back's outline bows outward while bent over, over the rep as a whole."""
    c = cfg.lumbar_rounding
    if view.camera != "side":
        # From an oblique camera the traced edge is the trapezius or the trunk's side, not the
        # spine (measured on real clips): abstain rather than guess.
        return []
    bow, bent, p75 = rounding_reading(signals, reps, c)
    on = hysteresis(bow, c.threshold, c.release) & bent
    # The rep as a whole must read rounded: the 75th percentile of its bent-over frames is the
    # measure the threshold was set on (real clips); a brief blip (an arm or plate crossing the
    # outline) does not lift it.
    owner = rep_index(len(bow), reps)
    for rep, level in zip(reps, p75, strict=True):
        if not level >= c.threshold:  # NaN too: nothing to read
            on[owner == rep.index] = False
    return _faults_from_mask("lumbar_rounding", on, bow, c.threshold, signals, reps, cfg)


def squat_like_knee_bend(
    signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig
) -> list[Fault]:
    """At the bottom: an upright trunk, hips sunk to knee height, knees bent as much as hips."""
    c = cfg.squat_like_knee_bend
    max_lean = c.oblique_max_trunk_lean if view.camera == "oblique" else c.max_trunk_lean
    with np.errstate(invalid="ignore", divide="ignore"):
        # The deep part of the rep: a squatted set-up can sit just above the deepest frame,
        # which may come as the hips rise before the bar leaves the floor.
        bottom = depth_fraction(signals.hip_flexion, reps) >= 0.6
        ratio = signals.knee_flexion / np.maximum(signals.hip_flexion, 1.0)
        on = (
            bottom
            & (signals.trunk_lean <= max_lean)
            & (signals.hip_knee_height <= c.max_hip_knee_height)
            & (ratio >= c.min_knee_hip_ratio)
        )
    faults = _faults_from_mask(
        "squat_like_knee_bend", on, -signals.trunk_lean, -max_lean, signals, reps, cfg
    )
    # Reported as the trunk's lean from vertical at the most upright moment.
    return [_flip(f) for f in faults]


def missing_lockout(signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig) -> list[Fault]:
    """At the top of each rep the hips stay short of the lifter's own full extension."""
    c = cfg.missing_lockout
    short_by = c.oblique_hip_short_deg if view.camera == "oblique" else c.hip_short_deg
    hip = signals.hip_angle
    # The lifter's own standing extension: their best across the set, capped at straight.
    reference = min(float(np.nanpercentile(hip, 97)), 180.0) if np.isfinite(hip).any() else 180.0
    shortfall = reference - hip
    t = signals.t
    out: list[Fault] = []
    for rep in reps:
        # A rep the clip cuts before its top can't be judged at the top.
        if not rep.complete or t[-1] - rep.top_s < 0.2:
            continue
        window = shortfall[rep.top : rep.end + 1]
        if not np.isfinite(window).any():
            continue
        best = rep.top + int(np.nanargmin(window))
        if shortfall[best] >= short_by and signals.trunk_lean[best] >= c.max_top_lean:
            out.append(
                _fault(
                    "missing_lockout",
                    rep,
                    t,
                    (rep.top, rep.end),
                    best,
                    float(shortfall[best]),
                    short_by,
                    float(shortfall[best] - short_by),  # one reading decides: the best extension
                )
            )
    return out


def _flip(f: Fault) -> Fault:
    """Faults judged on a negated signal report the signal itself (degrees from vertical)."""
    return replace(
        f, value=-f.value, threshold=-f.threshold, message=describe(f.type, f.phase, -f.value)
    )


def lockout_lean(signals: Signals, view: View) -> np.ndarray:
    """The lean the hyperextension rule reads (deg from vertical, + forward). From the side: the
    back line where the outline was read, else the hip-shoulder line, whose hip landmark the
    hands and bar push forward at lockout. From an oblique camera: the hip-shoulder line, since
    the traced edge there is the trunk's side, not the back (as for rounding)."""
    if view.camera == "oblique":
        return signals.trunk_lean
    line = signals.back_line_lean
    return np.where(np.isfinite(line), line, signals.trunk_lean)


def lockout_hyperextension(
    signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig
) -> list[Fault]:
    """Around the top, the back leans back past vertical and is held there."""
    c = cfg.lockout_hyperextension
    limit = c.oblique_max_back_lean if view.camera == "oblique" else c.max_back_lean
    with np.errstate(invalid="ignore"):
        near_top = depth_fraction(signals.hip_flexion, reps) <= 0.5  # NaN: outside the reps
        back_lean = -lockout_lean(signals, view)
        past = (back_lean >= limit) & near_top
    # The limit already holds the line's wobble, so the lean must stay past it for the hold:
    # a reading that touches it once and sits in the range of tall lockouts is not a lean.
    held = np.zeros(len(past), dtype=bool)
    for a, b in spans(past, signals.t, c.min_hold_s, 0.0):
        held[a : b + 1] = True
    # The event then spans from there until the lean comes back by the wobble (4 deg).
    on = hysteresis(back_lean, limit, limit - 4.0) & near_top
    run_id = np.cumsum(np.diff(on.astype(np.int8), prepend=0) == 1) * on
    on &= np.isin(run_id, run_id[held & on])
    return _faults_from_mask("lockout_hyperextension", on, back_lean, limit, signals, reps, cfg)


RULES = (lumbar_rounding, squat_like_knee_bend, missing_lockout, lockout_hyperextension)


def judge(signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig) -> list[Fault]:
    """All faults, in time order; nothing when the view can't be judged."""
    if not view.judged or not reps:
        return []
    faults = [f for rule in RULES for f in rule(signals, reps, view, cfg)]
    return sorted(faults, key=lambda f: (f.start_s, f.type))
