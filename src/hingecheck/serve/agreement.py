"""The trainer's verdicts as labels (the labels.json `hingecheck evaluate` reads) and how often
the checker agreed with this trainer, scored by the project's own evaluation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hingecheck.faults import FAULT_TYPES
from hingecheck.judge.evaluate import ClipResult, Evaluation, score_clip, tally
from hingecheck.serve.store import Review, SetRow, Store

MISSED_WINDOW_S = 0.5  # half-width of the rep window made for a missed fault outside every rep


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


def label_for(row: SetRow, report: dict[str, Any], review: Review) -> dict[str, Any]:
    """One set's label in the clips' labels.json format.

    Only what the trainer said, per fault type: "present" when they agreed with a reported one
    or marked one missed; "absent" when they disagreed with every reported one. A type they
    gave no verdict on is left out (not scored): a verdict on one fault says nothing of the
    others, and counting them "absent" would inflate the agreement.
    """
    faults = report.get("faults", [])
    windows = [[float(r["start_s"]), float(r["end_s"])] for r in report.get("reps", [])]
    labels: dict[str, str] = {}
    fault_reps: dict[str, list[int]] = {}
    for ftype in FAULT_TYPES:
        reported = [i for i, f in enumerate(faults) if f.get("type") == ftype]
        agreed = [i for i in reported if review.verdicts.get(i) == "agree"]
        disagreed = [i for i in reported if review.verdicts.get(i) == "disagree"]
        missed = [m for m in review.missed if m.type == ftype]
        reps: set[int] = {int(faults[i]["rep"]) for i in agreed if faults[i].get("rep")}
        for m in missed:
            rep = _rep_at(m.time_s, windows)
            if rep is None:
                windows.append([max(0.0, m.time_s - MISSED_WINDOW_S), m.time_s + MISSED_WINDOW_S])
                rep = len(windows)
            reps.add(rep)
        if agreed or missed:
            labels[ftype] = "present"
            fault_reps[ftype] = sorted(reps)
        elif reported and len(disagreed) == len(reported):  # every reported one refused
            labels[ftype] = "absent"
    camera = str((report.get("view") or {}).get("camera", ""))
    exercise = row.exercise or str((report.get("exercise") or {}).get("name", ""))
    return {
        "file": row.stored_name,
        "exercise": exercise,
        "view": camera,
        "reps": None,  # the trainer confirms faults, not the rep count: not scored
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
            review = store.review(row.id)
            path = report_path(row)
            try:
                st = path.stat()
                stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
            except OSError:
                stamp = None
            key = (row, _review_key(review), stamp)
            with self._lock:
                hit = self._scores.get(row.id)
            clip = hit[1] if hit is not None and hit[0] == key else _score(row, review, path)
            scores[row.id] = (key, clip)
            if clip is not None:
                clips.append(clip)
        with self._lock:
            self._scores = scores  # sets no longer reviewed are forgotten
        return agreement(clips)


def _score(row: SetRow, review: Review, path: Path) -> ClipResult | None:
    report = load_report(path)
    return None if report is None else score_clip(label_for(row, report, review), report)


def _review_key(review: Review) -> Hashable:
    """What of a review its label depends on, as a comparable value."""
    return (
        tuple(sorted(review.verdicts.items())),
        tuple((m.id, m.type, m.time_s) for m in review.missed),
    )
