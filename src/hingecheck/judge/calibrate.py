"""Fit the rules' thresholds to a coach's verdicts, and say honestly how much better it got.

Each labelled set is read once (`pipeline.read_track`: signals, view, reps, exercise); only the
rules run again, once per candidate threshold (a millisecond each). For each fault the keys the
fault table names (`FaultKind.tuned`) move together by one shift, on a grid of a quarter of the
reading's rep-to-rep spread (`repeat_sd`) out to 10 spreads either side of the starting config
(further, up to 40, while the best lies at the grid's edge).

Agreement is balanced: the mean of the share of faulty units the rule calls and the share of
clean units it leaves alone, so four rounded sets among forty flat ones weigh as much as the
forty. A unit is a rep where the labels list the reps that show the fault (`fault_reps`, with
`rep_windows`), the whole set otherwise; each set weighs one in each class it has units of.

The figure reported is always out of sample: each source (the clip-name prefix before `__`, or
a client) is left out in turn, the threshold fitted on the rest and scored on it. A threshold is
left alone, with the reason, when the gain is within the noise floor, when fewer than 3 sets are
labelled present or absent, when all sets come from one source, or when the fit lands outside
the value's range (config.RANGES) or at the edge of the search.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr

from hingecheck.config import RANGES, Config, RulesConfig
from hingecheck.faults import FAULT_TYPES, fault_kind
from hingecheck.judge.evaluate import _rep_of
from hingecheck.judge.rules import judge
from hingecheck.outputs.text import counted

if TYPE_CHECKING:  # for the type alone: judging does not depend on the pipeline
    from hingecheck.pipeline import Reading

STEPS_PER_SD = 4  # grid step: a quarter of the reading's rep-to-rep spread
SEARCH_SDS = 10  # how far either side of the start the search first reaches, in spreads
MAX_SEARCH_SDS = 40  # ... and, while the best lies at its edge, at most (doubling)
MIN_EACH = 3  # sets labelled present, and absent, needed to fit


@dataclass(frozen=True)
class LabelledSet:
    """One set: its labels.json entry, its source and its reading (pipeline.Reading)."""

    file: str
    source: str
    label: dict[str, Any]
    reading: Reading


def source_of(file: str) -> str:
    """The source a clip comes from: its name's prefix before `__` (the whole stem without)."""
    stem = file.rsplit("/", 1)[-1]
    return stem.split("__", 1)[0] if "__" in stem else stem.rsplit(".", 1)[0]


@dataclass
class Units:
    """What one fault is scored on: one row per unit (a rep or a whole set)."""

    set_index: np.ndarray  # (U,) int, into the sets
    window: list[tuple[float, float] | None]  # the rep's [start_s, end_s]; None: the set
    positive: np.ndarray  # (U,) bool
    weight: np.ndarray  # (U,) float: each set weighs 1 in each class it has units in
    source: np.ndarray  # (U,) int codes


@dataclass
class FaultFit:
    """One fault's calibration: the decision and the figures behind it."""

    fault: str
    keys: tuple[str, ...]
    start: dict[str, float]  # the starting config's values
    fitted: dict[str, float] = field(default_factory=dict)  # the fit on all sets (if any)
    tuned: bool = False  # True: `fitted` goes into the overlay
    reason: str = ""
    sets_present: int = 0
    sets_absent: int = 0
    sources: int = 0
    rep_units: int = 0  # units that are reps (fault_reps), not whole sets
    before: float | None = None  # agreement with the starting config
    after: float | None = None  # out of sample, left-one-source-out
    noise: float | None = None
    noise_from: str = ""
    # Per source: agreement with the starting config and out of sample (None: not fitted).
    by_source: dict[str, tuple[float, float | None]] = field(default_factory=dict)

    @property
    def gain(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


def _units(fault: str, sets: Sequence[LabelledSet], codes: Mapping[str, int]) -> Units:
    idx: list[int] = []
    windows: list[tuple[float, float] | None] = []
    pos: list[bool] = []
    weight: list[float] = []
    for i, s in enumerate(sets):
        verdict = s.label.get("faults", {}).get(fault)
        if verdict not in ("present", "absent"):
            continue  # unclear or not labelled: not scored
        listed = (s.label.get("fault_reps") or {}).get(fault) or []
        reps = s.label.get("rep_windows") or []
        if verdict == "present" and any(1 <= n <= len(reps) for n in listed):
            flags = [n in listed for n in range(1, len(reps) + 1)]
            n_pos, n_neg = sum(flags), len(flags) - sum(flags)
            for w, flag in zip(reps, flags, strict=True):
                idx.append(i)
                windows.append((float(w[0]), float(w[1])))
                pos.append(flag)
                weight.append(1.0 / (n_pos if flag else n_neg))
        else:
            idx.append(i)
            windows.append(None)
            pos.append(verdict == "present")
            weight.append(1.0)
    return Units(
        np.array(idx, dtype=int),
        windows,
        np.array(pos, dtype=bool),
        np.array(weight, dtype=float),
        np.array([codes[sets[i].source] for i in idx], dtype=int),
    )


def _candidate_rules(
    rules: RulesConfig, fault: str, values: Mapping[str, float], keep: set[str]
) -> RulesConfig:
    """`rules` with the fault's keys set to `values`, except those the set's exercise profile
    sets itself (`keep`): an overlay sets the base values, and a profile still wins over them."""
    section = getattr(rules, fault)
    change = {k: v for k, v in values.items() if k not in keep}
    return dataclasses.replace(rules, **{fault: dataclasses.replace(section, **change)})


def _profile_keys(config: Config, exercise: str, fault: str) -> set[str]:
    return set(config.profiles.get(exercise, {}).get("rules", {}).get(fault, {}))


def _called(
    fault: str, s: LabelledSet, windows: list[tuple[float, float] | None], rules: RulesConfig
) -> list[bool]:
    """Whether the rule calls the fault on each unit of this set (a rep: an event peaking in
    it, matched as `hingecheck evaluate` matches them)."""
    r = s.reading
    peaks = [f.peak_s for f in judge(r.signals, r.reps, r.view, rules) if f.type == fault]
    reps = [list(w) for w in windows if w is not None]
    hit = {_rep_of(t, reps) for t in peaks}
    out, k = [], 0
    for w in windows:
        if w is None:
            out.append(bool(peaks))
        else:
            k += 1
            out.append(k in hit)
    return out


def decisions(
    fault: str, sets: Sequence[LabelledSet], units: Units, config: Config, shifts: np.ndarray
) -> np.ndarray:
    """(units, candidates) bool: the fault called on each unit with each shift of its keys."""
    keys = fault_kind(fault).tuned
    start = getattr(config.rules, fault)
    out = np.zeros((len(units.positive), len(shifts)), dtype=bool)
    for i in np.unique(units.set_index):
        s = sets[int(i)]
        rows = np.flatnonzero(units.set_index == i)
        windows = [units.window[int(r)] for r in rows]
        keep = _profile_keys(config, s.reading.exercise, fault)
        for c, shift in enumerate(shifts):
            values = {k: float(getattr(start, k)) + float(shift) for k in keys}
            rules = _candidate_rules(s.reading.profiled.rules, fault, values, keep)
            out[rows, c] = _called(fault, s, windows, rules)
    return out


def agreement(called: np.ndarray, positive: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Balanced agreement of each column of `called` (units, candidates) with the labels: the
    weighted share of positives called and of negatives not, averaged (NaN without either)."""
    called = called.reshape(len(positive), -1).astype(float)
    wp, wn = weight * positive, weight * ~positive
    if wp.sum() == 0 or wn.sum() == 0:
        return np.full(called.shape[1], np.nan)
    return 0.5 * (wp @ called / wp.sum() + wn @ (1.0 - called) / wn.sum())


def best_candidate(scores: np.ndarray, start: int) -> tuple[int, bool]:
    """The best-scoring candidate: of the runs of equal best scores, the one nearest the
    start, and the middle of that run (the threshold half way between the readings that
    bound it). Also whether that run touches the grid's edge (the optimum may lie beyond)."""
    top = np.nanmax(scores)
    best = np.flatnonzero(scores >= top - 1e-9)
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    run = min(runs, key=lambda r: min(abs(r - start)))
    lo, hi = int(run[0]), int(run[-1])
    if lo <= start <= hi:  # the start is among the best: nothing to move
        return start, lo == 0 or hi == len(scores) - 1
    return (lo + hi) // 2 if hi < start else (lo + hi + 1) // 2, lo == 0 or hi == len(scores) - 1


def leave_one_source_out(called: np.ndarray, units: Units, start: int) -> np.ndarray:
    """Each unit's call out of sample: fitted on the other sources' units, applied to its own
    (the start where the rest hold no positive or no negative to fit on)."""
    out = np.zeros(len(units.positive), dtype=bool)
    for src in np.unique(units.source):
        mine = units.source == src
        rest = ~mine
        scores = agreement(called[rest], units.positive[rest], units.weight[rest])
        pick = start if np.isnan(scores).all() else best_candidate(scores, start)[0]
        out[mine] = called[mine, pick]
    return out


def jitter_noise(called: np.ndarray, units: Units, shifts: np.ndarray, start: int, sd: float):
    """The noise floor from the readings: the expected balanced share of calls that change when
    each reading moves by the reading's rep-to-rep spread `sd` (a repeat of the movement, another
    encoder or a mirrored camera moves it about that much). A unit whose call changes at a
    distance d from the threshold (the nearest shift that changes it) flips with the chance
    that noise reaches d: ndtr(-d / sd); on the line, one in two."""
    changed = called != called[:, [start]]
    dist = np.where(changed, np.abs(shifts - shifts[start])[None, :], np.inf).min(axis=1)
    return _balanced_share(ndtr(-dist / sd), units)


def flip_share(a: np.ndarray, b: np.ndarray, units: Units) -> float:
    """The balanced share of units called differently in `a` and `b` (measured noise: the same
    sets re-encoded or mirrored, bench/robustness.py)."""
    return _balanced_share(a != b, units)


def _balanced_share(flag: np.ndarray, units: Units) -> float:
    """The weighted share of `flag` (0/1 or a chance) over each class, averaged."""
    shares = []
    for cls in (units.positive, ~units.positive):
        w = units.weight * cls
        if w.sum():
            shares.append(float(w @ flag / w.sum()))
    return float(np.mean(shares)) if shares else 0.0


def fit_fault(
    fault: str,
    sets: Sequence[LabelledSet],
    config: Config,
    variants: Sequence[Mapping[str, Reading]] = (),
) -> FaultFit:
    """Fit one fault's tuned keys to the sets' labels and validate the fit out of sample.

    `variants`: per re-encoded or mirrored copy of the sets, file -> its Reading; where given,
    the noise floor is the larger of the measured flips and the readings' jitter.
    """
    kind = fault_kind(fault)
    start_section = getattr(config.rules, fault)
    start_values = {k: float(getattr(start_section, k)) for k in kind.tuned}
    fit = FaultFit(fault, kind.tuned, start_values)
    codes = {src: i for i, src in enumerate(sorted({s.source for s in sets}))}
    units = _units(fault, sets, codes)
    scored = {int(i) for i in units.set_index}
    present = {int(i) for i, p in zip(units.set_index, units.positive, strict=True) if p}
    fit.sets_present = len(present)
    fit.sets_absent = len(scored - present)
    fit.sources = len(np.unique(units.source))
    fit.rep_units = sum(w is not None for w in units.window)
    if not scored:
        fit.reason = "no set is labelled present or absent"
        return fit
    step = kind.repeat_sd / STEPS_PER_SD
    n = STEPS_PER_SD * SEARCH_SDS
    shifts = step * np.arange(-n, n + 1)
    called = decisions(fault, sets, units, config, shifts)
    scores = agreement(called, units.positive, units.weight)
    fit.before = float(scores[n]) if np.isfinite(scores[n]) else None
    fit.noise = jitter_noise(called, units, shifts, n, kind.repeat_sd)
    fit.noise_from = f"calls a reading spread of {kind.repeat_sd:g} would change"
    measured = _measured_noise(fault, sets, units, config, called[:, n], variants)
    if measured is not None and measured > fit.noise:
        fit.noise, fit.noise_from = measured, f"calls that change on {len(variants)} copies"
    if fit.sets_present < MIN_EACH or fit.sets_absent < MIN_EACH:
        fit.reason = (
            f"only {_sets(fit.sets_present)} labelled present and {fit.sets_absent} absent "
            f"(needs {MIN_EACH} of each)"
        )
        return fit
    if fit.sources < 2:
        fit.reason = "all sets come from one source: none left out to check a fit on"
        return fit
    pick, at_edge = best_candidate(scores, n)
    reach = SEARCH_SDS
    while at_edge and pick != n and reach < MAX_SEARCH_SDS:
        # The best lies at the edge of the search (a coach far from the start): look further.
        reach = min(2 * reach, MAX_SEARCH_SDS)
        n = STEPS_PER_SD * reach
        shifts = step * np.arange(-n, n + 1)
        called = decisions(fault, sets, units, config, shifts)
        scores = agreement(called, units.positive, units.weight)
        pick, at_edge = best_candidate(scores, n)
    fit.fitted = {k: float(f"{v + shifts[pick]:.6g}") for k, v in start_values.items()}
    held_out = leave_one_source_out(called, units, n)
    fit.after = float(agreement(held_out[:, None], units.positive, units.weight)[0])
    fit.by_source = {
        name: (_share(called[:, n], units, code), _share(held_out, units, code))
        for name, code in codes.items()
        if (units.source == code).any()
    }
    outside = [k for k, v in fit.fitted.items() if not _in_range(fault, k, v)]
    if pick == n:
        fit.reason = "the starting value already fits the verdicts best"
    elif at_edge:
        fit.reason = (
            f"the verdicts ask for {kind.tuned[0]} beyond {reach} rep-to-rep spreads of "
            f"{fmt(start_values[kind.tuned[0]])}: no threshold of this rule matches them"
        )
    elif outside:
        lo, hi = RANGES[f"rules.{fault}.{outside[0]}"]
        fit.reason = (
            f"the fit {outside[0]} = {fmt(fit.fitted[outside[0]])} lies outside its range "
            f"{lo:g}..{hi:g}"
        )
    elif fit.gain is None or fit.before is None or fit.gain <= fit.noise:
        fit.reason = f"the out-of-sample gain {fit.gain or 0.0:+.2f} is within noise"
    else:
        fit.tuned = True
        fit.reason = "fitted"
    return fit


def _share(calls: np.ndarray, units: Units, source: int) -> float:
    """One source's agreement: balanced where it has both faulty and clean units, else the
    weighted share of its units called as labelled."""
    rows = units.source == source
    pos, w = units.positive[rows], units.weight[rows]
    balanced = agreement(calls[rows][:, None], pos, w)[0]
    return float(balanced if np.isfinite(balanced) else w @ (calls[rows] == pos) / w.sum())


def _in_range(fault: str, key: str, value: float) -> bool:
    lo, hi = RANGES.get(f"rules.{fault}.{key}", (-np.inf, np.inf))
    return bool(np.isfinite(value) and lo <= value <= hi)


def _measured_noise(
    fault: str,
    sets: Sequence[LabelledSet],
    units: Units,
    config: Config,
    original: np.ndarray,
    variants: Sequence[Mapping[str, Reading]],
) -> float | None:
    worst = None
    for copies in variants:
        rows = np.array([sets[int(i)].file in copies for i in units.set_index], dtype=bool)
        if not rows.any():
            continue
        sub = [dataclasses.replace(s, reading=copies.get(s.file, s.reading)) for s in sets]
        got = decisions(fault, sub, units, config, np.zeros(1))[:, 0]
        share = flip_share(got[rows], original[rows], _subset(units, rows))
        worst = share if worst is None else max(worst, share)
    return worst


def _subset(units: Units, rows: np.ndarray) -> Units:
    return Units(
        units.set_index[rows],
        [w for w, keep in zip(units.window, rows, strict=True) if keep],
        units.positive[rows],
        units.weight[rows],
        units.source[rows],
    )


def calibrate(
    sets: Sequence[LabelledSet],
    config: Config,
    faults: Sequence[str] = FAULT_TYPES,
    variants: Sequence[Mapping[str, Reading]] = (),
) -> list[FaultFit]:
    """Every asked fault's fit (see fit_fault), in the fault table's order."""
    return [fit_fault(f, sets, config, variants) for f in FAULT_TYPES if f in faults]


def _sets(n: int) -> str:
    return counted(n, "set")


def fmt(v: float) -> str:
    """A threshold as the table and the overlay's notes write it."""
    return f"{v:.4g}"
