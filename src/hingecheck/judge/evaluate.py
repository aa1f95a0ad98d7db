"""Score reports against hand labels (the labels.json format of the project's test clips).

Per fault, at clip level: a clip labelled "present" is a true positive when the report has that
fault, "absent" a false positive when it has it; "unclear" is not scored. Rep counts are scored
where the label gives one. Where labels name the reps that show a fault (`fault_reps`), each
reported fault is checked to fall inside one of them, and each listed rep to hold a reported
event of that fault (per-rep recall: a coach wants every rounded rep, not one in four). Rep
count errors are split by kind: over-counts (a set-up, a set-down or another movement read as
a rep) and under-counts. The exercise told from the movement is
scored against the labelled one, by the profile each selects. The confident calls alone (not
borderline) are scored too: what a coach who skips the borderline ones would see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hingecheck.errors import InputError
from hingecheck.faults import FAULT_TYPES, FAULTS
from hingecheck.records import is_borderline

# Label names -> the profile that judges them. A stiff-leg deadlift keeps the knees as nearly
# straight as a Romanian one; a kettlebell deadlift moves like a deadlift and shares its profile
# (hingecheck.exercise), so telling them apart from the movement is not asked of it.
_PROFILE_OF = {
    "conventional_deadlift": "deadlift",
    "kettlebell_deadlift": "deadlift",
    # A sumo pull is a pull from the floor with the knees bent to reach the bar: the deadlift's
    # profile judges it (its stance differs, not what the rules read).
    "sumo_deadlift": "deadlift",
    "stiff_leg_deadlift": "romanian_deadlift",
}
# A label naming none of the profiles ("other": a single-leg or Smith-machine variant) has no
# profile for the detector to find: not scored.
_UNSCORED = {"other"}


def profile_of(exercise: str) -> str:
    """The profile an exercise name (a label's or a report's) is judged by."""
    return _PROFILE_OF.get(exercise, exercise)


@dataclass
class FaultScore:
    """Clip-level confusion counts for one fault type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    in_labelled_rep: int = 0  # reported events inside a rep the labels say shows the fault
    outside_labelled_rep: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return (
            2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
        )

    @property
    def false_alarm_rate(self) -> float | None:
        """Share of clips labelled absent where the fault was reported."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None


@dataclass
class ClipResult:
    """One clip: what was labelled and what was found."""

    file: str
    view: str
    reps_labelled: int | None
    reps_found: int
    found: dict[str, bool]
    labelled: dict[str, str]
    found_confident: dict[str, bool] = field(default_factory=dict)  # not borderline
    misplaced: list[str] = field(default_factory=list)  # faults outside labelled reps
    camera: str = ""
    error: str = ""
    exercise_labelled: str = ""
    exercise_found: str = ""
    # Per fault with its reps listed in the labels: (labelled reps, of them found).
    rep_hits: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def rep_error(self) -> int | None:
        """Reps found minus reps labelled (+ over-count, - under-count; None: no count)."""
        return None if self.reps_labelled is None else self.reps_found - self.reps_labelled

    @property
    def exercise_right(self) -> bool | None:
        """Whether the detected exercise selects the labelled one's profile (None: no label)."""
        if not self.exercise_labelled or not self.exercise_found:
            return None
        if self.exercise_labelled in _UNSCORED:
            return None
        return profile_of(self.exercise_labelled) == profile_of(self.exercise_found)


@dataclass
class Evaluation:
    """All clips' results and the totals."""

    clips: list[ClipResult]
    faults: dict[str, FaultScore]
    confident: dict[str, FaultScore] = field(default_factory=dict)  # borderline calls dropped

    @property
    def reps_scored(self) -> int:
        return sum(c.reps_labelled is not None for c in self.clips)

    @property
    def reps_exact(self) -> int:
        return sum(
            c.reps_labelled == c.reps_found for c in self.clips if c.reps_labelled is not None
        )

    @property
    def reps_over(self) -> int:
        """Clips where more reps were counted than labelled."""
        return sum((c.rep_error or 0) > 0 for c in self.clips if not c.error)

    @property
    def reps_under(self) -> int:
        """Clips where fewer reps were counted than labelled."""
        return sum((c.rep_error or 0) < 0 for c in self.clips if not c.error)

    def rep_recall(self, fault: str) -> tuple[int, int]:
        """(labelled reps showing the fault, of them reported) over clips that list the reps."""
        hits = [c.rep_hits[fault] for c in self.clips if fault in c.rep_hits and not c.error]
        return sum(h[0] for h in hits), sum(h[1] for h in hits)

    @property
    def exercises_scored(self) -> int:
        return sum(c.exercise_right is not None for c in self.clips)

    @property
    def exercises_right(self) -> int:
        return sum(bool(c.exercise_right) for c in self.clips)

    def figures(self) -> dict[str, float]:
        """The headline figures, as recorded in the project's baseline."""
        out: dict[str, float] = {}
        if self.reps_scored:
            out["rep_count_exact"] = round(self.reps_exact / self.reps_scored, 3)
            out["rep_count_over"] = self.reps_over
            out["rep_count_under"] = self.reps_under
        if self.exercises_scored:
            out["exercise_right"] = round(self.exercises_right / self.exercises_scored, 3)
        for name, s in self.faults.items():
            for key in ("precision", "recall", "f1", "false_alarm_rate"):
                value = getattr(s, key)
                if value is not None:
                    out[f"{name}.{key}"] = round(value, 3)
        for name, s in self.confident.items():
            if s.precision is not None:
                out[f"{name}.confident_precision"] = round(s.precision, 3)
        for name in self.faults:
            listed, found = self.rep_recall(name)
            if listed:
                out[f"{name}.rep_recall"] = round(found / listed, 3)
        return out


def check_labels(labels: Any, origin: str) -> list[dict[str, Any]]:
    """The labels, checked before any clip is analysed: InputError naming the entry and key
    for anything score_clip could not read."""
    if not isinstance(labels, list):
        raise InputError(f"{origin}: expected a list of clips, got {type(labels).__name__}")

    def bad(i: int, what: str) -> InputError:
        return InputError(f"{origin}: clip {i}: {what}")

    def number(x: Any) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    for i, label in enumerate(labels, start=1):
        if not isinstance(label, dict):
            raise bad(i, "expected an object")
        if not isinstance(label.get("file"), str) or not label["file"].strip():
            raise bad(i, "'file' must name the clip")
        for key in ("view", "exercise"):
            if key in label and not isinstance(label[key], str):
                raise bad(i, f"'{key}' must be text")
        reps = label.get("reps")
        if reps is not None and not (isinstance(reps, int) and not isinstance(reps, bool)):
            raise bad(i, f"'reps' must be a whole number, got {reps!r}")
        if reps is not None and reps < 0:
            raise bad(i, f"'reps' must be >= 0, got {reps}")
        windows = label.get("rep_windows") or []
        if not isinstance(windows, list) or not all(
            isinstance(w, list) and len(w) == 2 and all(map(number, w)) and w[0] <= w[1]
            for w in windows
        ):
            raise bad(i, "'rep_windows' must be a list of [start_s, end_s] pairs")
        faults = label.get("faults", {})
        if not isinstance(faults, dict) or not all(isinstance(v, str) for v in faults.values()):
            raise bad(i, "'faults' must map a fault type to a word such as present or absent")
        fault_reps = label.get("fault_reps") or {}
        if not isinstance(fault_reps, dict) or not all(
            isinstance(v, list) and all(isinstance(n, int) for n in v) for v in fault_reps.values()
        ):
            raise bad(i, "'fault_reps' must map a fault type to a list of rep numbers")
        for key in list(faults) + list(fault_reps):
            if key not in FAULT_TYPES:
                raise bad(i, f"unknown fault type {key!r} ({', '.join(FAULT_TYPES)})")
    return labels


def load_labels(path: Path) -> list[dict[str, Any]]:
    """A labels.json file, read and checked (InputError naming the file for anything wrong)."""
    try:
        labels = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read labels {path}: {exc}") from None
    return check_labels(labels, f"labels {path}")


def _rep_of(t: float, windows: list[list[float]], slack: float = 0.3) -> int | None:
    """1-based index of the labelled rep window holding time t, or failing that the nearest one
    within a little slack (windows of a quick set can lie closer than twice the slack)."""
    dist = [max(a - t, t - b, 0.0) for a, b in windows]
    if not dist or min(dist) > slack:
        return None
    return int(min(range(len(dist)), key=dist.__getitem__)) + 1


def score_clip(label: dict[str, Any], report: dict[str, Any]) -> ClipResult:
    """Compare one report (its JSON form) with one clip's label."""
    found = {k: False for k in FAULT_TYPES}
    confident = dict(found)
    for f in report.get("faults", []):
        found[f["type"]] = True
        confident[f["type"]] |= not is_borderline(f.get("confidence", 1.0))
    reps_found = sum(1 for r in report.get("reps", []) if r.get("complete", True))
    misplaced = []
    windows = label.get("rep_windows") or []
    fault_reps = label.get("fault_reps") or {}
    hit: dict[str, set[int]] = {k: set() for k in FAULT_TYPES}
    for f in report.get("faults", []):
        rep = _rep_of(f["peak_s"], windows)
        allowed = fault_reps.get(f["type"])
        if allowed and rep not in allowed:
            misplaced.append(f"{f['type']}@{f['peak_s']:.1f}s")
        elif rep is not None:
            hit[f["type"]].add(rep)
    rep_hits = {
        k: (len(set(listed)), len(set(listed) & hit[k]))
        for k, listed in fault_reps.items()
        if listed and label.get("faults", {}).get(k) == "present" and k in hit
    }
    return ClipResult(
        file=label["file"],
        view=label.get("view", ""),
        reps_labelled=label.get("reps"),
        reps_found=reps_found,
        found=found,
        labelled=dict(label.get("faults", {})),
        found_confident=confident,
        misplaced=misplaced,
        camera=report.get("view", {}).get("camera", ""),
        exercise_labelled=label.get("exercise", ""),
        exercise_found=(report.get("exercise") or {}).get("name", ""),
        rep_hits=rep_hits,
    )


def _count(s: FaultScore, label: str, found: bool) -> None:
    if label == "present":
        s.tp += found
        s.fn += not found
    elif label == "absent":
        s.fp += found
        s.tn += not found


def tally(clips: list[ClipResult]) -> Evaluation:
    """Sum clip results into per-fault scores, for all calls and for the confident ones."""
    scores = {k: FaultScore() for k in FAULT_TYPES}
    confident = {k: FaultScore() for k in FAULT_TYPES}
    for c in clips:
        if c.error:
            continue
        for k in FAULT_TYPES:
            label = c.labelled.get(k, "unclear")
            _count(scores[k], label, c.found[k])
            _count(confident[k], label, c.found_confident.get(k, c.found[k]))
        for m in c.misplaced:
            scores[m.split("@")[0]].outside_labelled_rep += 1
    return Evaluation(clips, scores, confident)


def _fmt(v: float | None) -> str:
    return "  -  " if v is None else f"{v:5.2f}"


def _score_line(name: str, s: FaultScore) -> str:
    return (
        f"{name:<24}{s.tp:>3} {s.fp:>3} {s.fn:>3} {s.tn:>3}  {_fmt(s.precision)} "
        f"{_fmt(s.recall)}  {_fmt(s.f1)} {_fmt(s.false_alarm_rate)}"
    )


def table(ev: Evaluation) -> str:
    """The evaluation as plain text: per fault, rep counts, then per clip."""
    lines = ["fault                    TP  FP  FN  TN  prec  recall  F1    false-alarm"]
    for name, s in ev.faults.items():
        lines.append(_score_line(name, s))
    if ev.confident:
        lines.append("confident calls only (borderline calls dropped):")
        lines += [_score_line(name, s) for name, s in ev.confident.items()]
    lines.append(
        f"rep count exact: {ev.reps_exact}/{ev.reps_scored} "
        f"(over-counted on {ev.reps_over} clips, under-counted on {ev.reps_under})"
    )
    for name in ev.faults:
        listed, found = ev.rep_recall(name)
        if listed:
            lines.append(
                f"per-rep recall, {name}: {found}/{listed} = {found / listed:.2f} "
                "(labelled reps showing it, on clips whose labels list them)"
            )
    lines.append(
        f"exercise told right: {ev.exercises_right}/{ev.exercises_scored} "
        "(by profile: a kettlebell deadlift is judged as a deadlift)"
    )
    lines.append("")
    head = " ".join(f"{k.short:>8}" for k in FAULTS)
    lines.append(f"{'clip':<34}{'view':<14}{'reps':>9} {head}")
    for c in ev.clips:
        if c.error:
            lines.append(f"{c.file:<34}ERROR {c.error}")
            continue
        cells = []
        for k in FAULT_TYPES:
            lab = {"present": "P", "absent": "-", "unclear": "?"}.get(c.labelled.get(k, ""), "?")
            got = "P" if c.found[k] else "-"
            mark = "" if lab == "?" or lab == got else "!"
            cells.append(f"{lab}/{got}{mark:<1}".rjust(8))
        reps = f"{c.reps_found}/{'?' if c.reps_labelled is None else c.reps_labelled}"
        mark = "!" if c.reps_labelled is not None and c.reps_labelled != c.reps_found else " "
        notes = [f"outside labelled reps: {', '.join(c.misplaced)}"] if c.misplaced else []
        if c.exercise_right is False:
            notes.append(f"exercise: {c.exercise_labelled} labelled, {c.exercise_found} found")
        lines.append(
            f"{c.file:<34}{(c.camera or c.view):<14}{reps:>8}{mark} {' '.join(cells)}"
            + "".join(f"  {n}" for n in notes)
        )
    lines.append(
        "cells: labelled/found (P present, - absent, ? unclear); ! marks a miss; "
        "reps: found/labelled"
    )
    return "\n".join(lines)
