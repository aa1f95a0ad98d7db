"""The trainer's verdicts as labels (the labels.json `hingecheck evaluate` reads) and how often
the checker agreed with this trainer, scored by the project's own evaluation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hingecheck.faults import FAULT_TYPES
from hingecheck.judge.evaluate import ClipResult, Evaluation, score_clip, tally
from hingecheck.serve.store import Review, SetRow, Store
from hingecheck.serve.tuning_store import DroppedVerdict, RepMark, TuningStore

MISSED_WINDOW_S = 0.5  # half-width of the rep window made for a missed fault outside every rep
MISSED_REP_S = 1.0  # half-width of a missed rep's window around the moment the trainer marked


def load_report(path: Path) -> dict[str, Any] | None:
    """A set's report JSON, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _rep_at(t: float, windows: list[list[float]]) -> int | None:
    for i, (a, b) in enumerate(windows, start=1):
        if a <= t <= b:
            return i
    return None


def _rep(fault: dict[str, Any]) -> int:
    return int(fault.get("rep") or 0)


def _corrected_reps(
    report: dict[str, Any], marks: Sequence[RepMark]
) -> tuple[list[list[float]], dict[int, int], int | None]:
    """The rep windows after the trainer's corrections, where each reported rep now sits in them
    (report index -> 1-based position), and the count when the trainer said anything of it."""
    reps = report.get("reps", [])
    removed = {m.rep for m in marks if m.kind == "not_a_rep"}
    kept = [(float(r["start_s"]), float(r["end_s"]), int(r["index"])) for r in reps
            if int(r["index"]) not in removed]  # fmt: skip
    added = [float(m.time_s) for m in marks if m.kind == "missed" and m.time_s is not None]
    rows = kept + [(t - MISSED_REP_S, t + MISSED_REP_S, 0) for t in added]
    rows.sort()
    windows = [[max(0.0, a), b] for a, b, _ in rows]
    for i in range(1, len(windows)):  # a missed rep's window stops where its neighbour starts
        windows[i - 1][1] = min(windows[i - 1][1], max(windows[i - 1][0], windows[i][0]))
    position = {index: i for i, (_, _, index) in enumerate(rows, start=1) if index}
    complete = sum(1 for r in reps if r.get("complete", True) and int(r["index"]) not in removed)
    count = complete + len(added) if marks else None
    return windows, position, count


def label_for(
    row: SetRow,
    report: dict[str, Any],
    review: Review,
    dropped: Sequence[DroppedVerdict] = (),
    rep_marks: Sequence[RepMark] = (),
) -> dict[str, Any]:
    """One set's label in the clips' labels.json format.

    Only what the trainer said, per fault type: "present" when they agreed with a reported one
    or marked one missed; "absent" when they disagreed with every reported one. A type they
    gave no verdict on is left out (not scored): a verdict on one fault says nothing of the
    others, and counting them "absent" would inflate the agreement. Verdicts on calls a
    re-judge took away (`dropped`) still count: agreed, as a fault seen there; disagreed, as
    one refused. `fault_reps` lists a type's reps only where every call of it has a verdict
    (else the set is scored whole for it). The count and the rep windows are the report's, as
    the trainer corrected them (`rep_marks`); `reps` is None (not scored) until the trainer
    says anything of the count.
    """
    faults = report.get("faults", [])
    windows, position, count = _corrected_reps(report, rep_marks)
    removed = {m.rep for m in rep_marks if m.kind == "not_a_rep"}
    labels: dict[str, str] = {}
    fault_reps: dict[str, list[int]] = {}
    for ftype in FAULT_TYPES:
        reported = [i for i, f in enumerate(faults) if f.get("type") == ftype]
        agreed = [i for i in reported if review.verdicts.get(i) == "agree"]
        disagreed = [i for i in reported if review.verdicts.get(i) == "disagree"]
        kept = [d for d in dropped if d.type == ftype]
        seen = [m.time_s for m in review.missed if m.type == ftype]
        seen += [d.peak_s for d in kept if d.verdict == "agree"]
        reps = {position[_rep(faults[i])] for i in agreed if _rep(faults[i]) in position}
        for t in seen:
            rep = _rep_at(t, windows)
            if rep is None:
                windows.append([max(0.0, t - MISSED_WINDOW_S), t + MISSED_WINDOW_S])
                rep = len(windows)
            reps.add(rep)
        if agreed or seen:
            labels[ftype] = "present"
            # Per rep only when every call of the type (on a rep the trainer kept) has a
            # verdict: a rep left unlisted is then one the trainer looked at and found clean.
            if all(i in review.verdicts or _rep(faults[i]) in removed for i in reported):
                fault_reps[ftype] = sorted(reps)
        elif len(disagreed) == len(reported) and (reported or kept):  # every call refused
            labels[ftype] = "absent"
    camera = str((report.get("view") or {}).get("camera", ""))
    exercise = row.exercise or str((report.get("exercise") or {}).get("name", ""))
    return {
        "file": row.stored_name,
        "exercise": exercise,
        "view": camera,
        "reps": count,
        "rep_windows": [[round(a, 3), round(b, 3)] for a, b in windows],
        "faults": labels,
        "fault_reps": fault_reps,
        "confidence": "high",
        "notes": row.reply,
        "set": row.public_id,
        "client": row.client_id,
        "uploaded": datetime.fromtimestamp(row.uploaded, UTC).isoformat(timespec="seconds"),
        "labelled_by": "trainer (hingecheck serve)",
    }


@dataclass
class Agreement:
    """The checker against the trainer: clip-level fault calls scored where both have a say."""

    sets: int
    agreed: int
    scored: int
    evaluation: Evaluation
    agreed_present: int = 0  # faults both the checker and the trainer called
    agreed_absent: int = 0  # faults the trainer refused that the checker did not call either

    @property
    def rate(self) -> float | None:
        return self.agreed / self.scored if self.scored else None


def agreement(clips: list[ClipResult]) -> Agreement:
    """Sum sets scored with evaluate.score_clip (label, report) as evaluate.tally does."""
    ev = tally(clips)
    present = sum(s.tp for s in ev.faults.values())
    absent = sum(s.tn for s in ev.faults.values())
    scored = sum(s.tp + s.tn + s.fp + s.fn for s in ev.faults.values())
    return Agreement(len(clips), present + absent, scored, ev, present, absent)


class AgreementCache:
    """Each reviewed set's score against the trainer's verdicts, kept until the set, its review
    or its report file (time, size) changes: the dashboard reads a report once per change, not
    per visit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # handlers run in the thread pool
        self._scores: dict[int, tuple[Hashable, ClipResult | None]] = {}

    def agreement(self, store: Store, report_path: Callable[[SetRow], Path]) -> Agreement:
        """The checker against the trainer over every reviewed set with a readable report."""
        clips: list[ClipResult] = []
        scores: dict[int, tuple[Hashable, ClipResult | None]] = {}
        for row in store.reviewed_sets():
            said = said_of(store, row.id)
            path = report_path(row)
            try:
                st = path.stat()
                stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
            except OSError:
                stamp = None
            key = (row, _review_key(said), stamp)
            with self._lock:
                hit = self._scores.get(row.id)
            clip = hit[1] if hit is not None and hit[0] == key else _score(row, said, path)
            scores[row.id] = (key, clip)
            if clip is not None:
                clips.append(clip)
        with self._lock:
            self._scores = scores  # sets no longer reviewed are forgotten
        return agreement(clips)


@dataclass(frozen=True)
class Said:
    """Everything the trainer said of one set: verdicts and missed faults, verdicts on calls a
    re-judge took away, and corrections of the count."""

    review: Review
    dropped: tuple[DroppedVerdict, ...]
    rep_marks: tuple[RepMark, ...]

    def label(self, row: SetRow, report: dict[str, Any]) -> dict[str, Any]:
        return label_for(row, report, self.review, self.dropped, self.rep_marks)


def said_of(store: Store, set_id: int) -> Said:
    """What the trainer said of the set, from the store."""
    extra = TuningStore(store)
    return Said(store.review(set_id), tuple(extra.dropped(set_id)), tuple(extra.rep_marks(set_id)))


def _score(row: SetRow, said: Said, path: Path) -> ClipResult | None:
    report = load_report(path)
    return None if report is None else score_clip(said.label(row, report), report)


def _review_key(said: Said) -> Hashable:
    """What of a review its label depends on, as a comparable value."""
    return (
        tuple(sorted(said.review.verdicts.items())),
        tuple((m.id, m.type, m.time_s) for m in said.review.missed),
        said.dropped,
        said.rep_marks,
    )
