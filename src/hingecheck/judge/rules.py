"""The four fault rules: per-frame conditions on whole arrays, turned into events per rep.

Each rule compares the lifter to thresholds with margins wider than MediaPipe's published
error (knee 2-7 deg, hip 11-17 deg from the side), uses hysteresis and a minimum duration, and
reads only the part of the rep where the fault can happen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtr

from hingecheck.config import RoundingConfig, RulesConfig
from hingecheck.faults import fault_kind
from hingecheck.judge.events import depth_fraction, hysteresis, phase_of, rep_index, spans
from hingecheck.records import Fault, Rep, Signals, View, is_borderline


def confidence(fault_type: str, excess: float) -> float:
    """The chance the reading would cross its threshold again on a repeat of the same movement:
    its typical excess over the threshold against the rule's rep-to-rep spread (normal CDF).
    0.5 is a reading on the line; it says nothing of clothing or view, which the rules handle
    by abstaining or by wider margins."""
    return float(ndtr(excess / fault_kind(fault_type).repeat_sd))


def severity(fault_type: str, excess: float, threshold: float) -> str:
    """mild / moderate / severe: how far past the threshold, on the fault table's scale."""
    return fault_kind(fault_type).severity(excess, threshold)


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
    phase = phase_of(rep, float(t[worst]))
    kind = fault_kind(fault_type)
    return Fault(
        type=fault_type,
        rep=rep.index,
        start_s=float(t[a]),
        end_s=float(t[b]),
        peak_s=float(t[worst]),
        severity=severity(fault_type, typical_excess, threshold),
        value=value,
        threshold=threshold,
        phase=phase,
        message=kind.describe(phase, value),
        detail=kind.explain(value),
        cue=kind.cue,
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
    """Turn a per-frame fault mask into one call per rep, at its worst moment (the highest
    value), judged on the median reading of the frames that carry the fault.

    Calls are made within each rep: an event merged across the gap between two reps would
    belong to neither (and its worst frame could fall between them, where no rep is). Within a
    rep, its held stretches (each at least `min_duration_s`) make one call, from the first to
    the last: a coach calls a fault once per rep, and whether a dip between two stretches
    outlasts `merge_gap_s` depends on the frame rate (a live session analysing every 2nd or
    3rd frame split calls the offline pass of the same set made once).
    """
    t = signals.t
    owner = rep_index(len(t), reps)  # where reps overlap by a frame, the later one owns it
    out: list[Fault] = []
    for rep in reps:
        lo, hi = max(rep.start, 0), min(rep.end, len(t) - 1)
        if hi < lo:
            continue
        inside = mask[lo : hi + 1] & (owner[lo : hi + 1] == rep.index)
        held = spans(inside, t[lo : hi + 1], cfg.min_duration_s, cfg.merge_gap_s) + lo
        frames = np.concatenate([np.arange(a, b + 1) for a, b in held] or [np.zeros(0, int)])
        reading = value[frames]
        if not np.isfinite(reading).any():  # nothing held, or nothing measured: no call
            continue
        worst = int(frames[int(np.nanargmax(reading))])
        out.append(
            _fault(
                fault_type,
                rep,
                t,
                (int(held[0, 0]), int(held[-1, 1])),
                worst,
                float(value[worst]),
                threshold,
                float(np.nanmedian(reading)) - threshold,
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
    faults = _rounded_reps(bow, bent, p75, c.threshold, c, signals, reps, cfg)
    # Hysteresis over the set, as over the frames: once this lifter has rounded clearly (a call
    # that is not borderline), the fault stays called on the set's other reps while they read
    # above the release level. A lifter repeats one movement pattern; the clear reps are the
    # same back, shirt and camera, and rounding builds and eases over a set rather than coming
    # and going. Those calls keep the onset threshold's confidence (borderline, as they are),
    # and carry the release level as their threshold: the level they were called at, which
    # the chart then draws (their reading can sit below the onset line).
    if any(not is_borderline(f.confidence) for f in faults):
        called = {f.rep for f in faults}
        rest = [r for r in reps if r.index not in called]
        p75_rest = np.array([p for r, p in zip(reps, p75, strict=True) if r.index not in called])
        held = _rounded_reps(bow, bent, p75_rest, c.release, c, signals, rest, cfg)
        # Said with the call, wherever it is read: it sits under the drawn onset line.
        clear = min(f.rep for f in faults if not is_borderline(f.confidence))
        why = f"called: the set already showed clear rounding (rep {clear})"
        faults += [replace(f, threshold=c.release, message=f"{f.message} ({why})") for f in held]
    return faults


def _rounded_reps(
    bow: np.ndarray,
    bent: np.ndarray,
    p75: np.ndarray,
    onset: float,
    c: RoundingConfig,
    signals: Signals,
    reps: list[Rep],
    cfg: RulesConfig,
) -> list[Fault]:
    """Rounding events on the reps whose bent-over reading reaches `onset` (judged, for
    confidence, against the threshold)."""
    on = hysteresis(bow, onset, min(c.release, onset)) & bent
    # The rep as a whole must read rounded: the 75th percentile of its bent-over frames is the
    # measure the threshold was set on (real clips); a brief blip (an arm or plate crossing the
    # outline) does not lift it.
    owner = rep_index(len(bow), reps)
    for rep, level in zip(reps, p75, strict=True):
        if not level >= onset:  # NaN too: nothing to read
            on[owner == rep.index] = False
    return _faults_from_mask("lumbar_rounding", on, bow, c.threshold, signals, reps, cfg)


def squat_like_knee_bend(
    signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig
) -> list[Fault]:
    """At the bottom: an upright trunk, hips sunk to knee height, knees bent as much as hips."""
    c = cfg.squat_like_knee_bend
    max_lean = squat_max_lean(view, cfg)
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
    short_by = lockout_short_by(view, cfg)
    shortfall = standing_reference(signals.hip_angle) - signals.hip_angle
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
        f,
        value=-f.value,
        threshold=-f.threshold,
        detail=fault_kind(f.type).explain(-f.value),
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
    limit = back_lean_limit(view, cfg)
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


def squat_max_lean(view: View, cfg: RulesConfig) -> float:
    """The most upright trunk (deg from vertical) a squatted bottom may show, for this view."""
    c = cfg.squat_like_knee_bend
    return c.oblique_max_trunk_lean if view.camera == "oblique" else c.max_trunk_lean


def lockout_short_by(view: View, cfg: RulesConfig) -> float:
    """How far (deg) short of the lifter's own standing extension a top counts as no lockout."""
    c = cfg.missing_lockout
    return c.oblique_hip_short_deg if view.camera == "oblique" else c.hip_short_deg


def standing_reference(hip_angle: np.ndarray) -> float:
    """The lifter's own standing extension: their best across the set, capped at straight."""
    if not np.isfinite(hip_angle).any():
        return 180.0
    return min(float(np.nanpercentile(hip_angle, 97)), 180.0)


def back_lean_limit(view: View, cfg: RulesConfig) -> float:
    """How far behind vertical (deg) the back may lean at the top, for this view."""
    c = cfg.lockout_hyperextension
    return c.oblique_max_back_lean if view.camera == "oblique" else c.max_back_lean


@dataclass(frozen=True)
class ThresholdLine:
    """A rule's threshold as a chart of its reading draws it, in the chart's signal units:
    a level, or a per-frame curve where the threshold moves with another signal."""

    fault: str
    chart: str  # the Signals key (or `reading` key) the chart plots
    label: str
    value: float = float("nan")
    curve: np.ndarray | None = None  # (N,) per frame, instead of `value`


def threshold_lines(
    signals: Signals, view: View, cfg: RulesConfig, faults: Sequence[Fault] = ()
) -> list[ThresholdLine]:
    """Every rule's thresholds, as the rules apply them to this set and view; with the set's
    `faults`, also the rounding release level when reps were called at it (lumbar_rounding)."""
    ref, short = standing_reference(signals.hip_angle), lockout_short_by(view, cfg)
    lean, back = squat_max_lean(view, cfg), back_lean_limit(view, cfg)
    ratio = cfg.squat_like_knee_bend.min_knee_hip_ratio
    bow = cfg.lumbar_rounding.threshold
    return [
        ThresholdLine(
            "missing_lockout",
            "hip_angle",
            f"lockout: within {short:.0f}° of best standing ({ref:.0f}°)",
            value=ref - short,
        ),
        # The knee counts as squatting when its bend reaches `ratio` of the hip bend.
        ThresholdLine(
            "squat_like_knee_bend",
            "knee_angle",
            f"squat zone: knee bend ≥ {ratio * 100:.0f} % of hip bend",
            curve=180.0 - ratio * signals.hip_flexion,
        ),
        ThresholdLine(
            "squat_like_knee_bend",
            "trunk_lean",
            f"squat if at most {lean:.0f}° at the bottom",
            value=lean,
        ),
        ThresholdLine(
            "lockout_hyperextension", "lockout_lean", f"leaning back past {back:.0f}°", value=-back
        ),
        ThresholdLine("lumbar_rounding", "back_bow", f"rounded above {bow * 100:.1f} %", value=bow),
    ] + [
        ThresholdLine(
            "lumbar_rounding",
            "back_bow",
            f"after a clear rounding: still rounded above {level * 100:.1f} %",
            value=level,
        )
        for level in sorted({f.threshold for f in faults if f.type == "lumbar_rounding"})
        if level < bow
    ]


def reading(signals: Signals, view: View, key: str) -> np.ndarray:
    """A chart's per-frame values: a Signals field, or what a rule reads that no single signal
    is (`lockout_lean`, the lean the hyperextension rule reads for this view)."""
    if key == "lockout_lean":
        return lockout_lean(signals, view)
    return np.asarray(getattr(signals, key), dtype=np.float64)


RULES = (lumbar_rounding, squat_like_knee_bend, missing_lockout, lockout_hyperextension)


def judge(signals: Signals, reps: list[Rep], view: View, cfg: RulesConfig) -> list[Fault]:
    """All faults, in time order; nothing when the view can't be judged."""
    if not view.judged or not reps:
        return []
    # The view decides which faults it can carry (judge/view.py); the rest abstain.
    faults = [
        f for rule in RULES for f in rule(signals, reps, view, cfg) if f.type not in view.not_judged
    ]
    return sorted(faults, key=lambda f: (f.start_s, f.type))
