"""The dashboard's agreement figure over a real SQLite store: each reviewed set's report is read
once per change of the set, its review or its report file, not on every visit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
from hingecheck.serve.agreement import AgreementCache  # noqa: E402
from hingecheck.serve.store import SetRow, Store  # noqa: E402

# A report in the analysis' JSON form, cut to what scoring reads: one rep, one rounding call.
REPORT = {
    "faults": [
        {"type": "lumbar_rounding", "rep": 1, "start_s": 1.0, "end_s": 1.6, "peak_s": 1.3,
         "confidence": 1.0},
    ],
    "reps": [{"index": 1, "start_s": 0.5, "end_s": 2.5, "complete": True,
              "faults": ["lumbar_rounding"]}],
    "view": {"camera": "side", "judged": True},
    "exercise": {"name": "deadlift"},
}  # fmt: skip


def _reviewed_set(store: Store, results: Path) -> SetRow:
    client = store.add_client("Anna")
    row = store.add_set("a1", client.id, "a1.mp4", "my set.mp4", 1000, 3.0, None, "")
    store.finish(row.id, ok=True, status="analysed", reason="", reps=1,
                 faults={"lumbar_rounding": 1}, seconds=1.0)  # fmt: skip
    (results / "a1").mkdir(parents=True)
    (results / "a1" / "a1.json").write_text(json.dumps(REPORT))
    store.set_verdict(row.id, 0, "agree")
    return row


def test_a_reviewed_report_is_read_once_per_change(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    results = tmp_path / "results"
    row = _reviewed_set(store, results)
    path = results / "a1" / "a1.json"
    cache = AgreementCache()

    def report_path(r: SetRow) -> Path:
        return results / r.public_id / f"{r.stem}.json"

    first = cache.agreement(store, report_path)
    assert first.sets == 1 and first.evaluation.faults["lumbar_rounding"].tp == 1
    # The file's bytes change behind the cache's back (its time and size kept): not read again.
    stat = path.stat()
    path.write_text("x" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = cache.agreement(store, report_path)
    assert (again.sets, again.agreed, again.scored) == (first.sets, first.agreed, first.scored)
    # A new verdict is a change: the report is read again (now unreadable, so left out).
    store.set_verdict(row.id, 0, "disagree")
    assert cache.agreement(store, report_path).sets == 0
    # A rewritten report is a change too (here its size tells, whatever the clock's grain).
    path.write_text(json.dumps(REPORT, indent=1))
    after = cache.agreement(store, report_path)
    assert after.sets == 1 and after.evaluation.faults["lumbar_rounding"].fp == 1
