"""A batch's summary files: OUT/batch.csv and OUT/batch.json (one row per set), the index page
over every set in OUT, and the lines the terminal shows."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from hingecheck.batch.jobs import ROW_FIELDS, STATUSES, SetResult
from hingecheck.faults import FAULT_TYPES, label
from hingecheck.outputs.index import write_index
from hingecheck.outputs.text import counted
from hingecheck.outputs.writers import write_text
from hingecheck.version import __version__

SCHEMA = "hingecheck.batch/1"


def counts(results: list[SetResult]) -> dict[str, int]:
    c = Counter(r.status for r in results)
    return {s: c.get(s, 0) for s in STATUSES}


def write_summary(
    out: Path, results: list[SetResult], *, engine: str, started: datetime, complete: bool
) -> list[Path]:
    """batch.csv, batch.json and index.html in `out` (each written atomically)."""
    rows = [r.row() for r in results]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(out / "batch.csv", buf.getvalue())
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "version": __version__,
        "engine": engine,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "complete": complete,  # False: interrupted, the sets not listed were not run
        "counts": counts(results),
        "sets": rows,
    }
    write_text(out / "batch.json", json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return [out / "batch.csv", out / "batch.json", write_index(out, None)]


def set_line(r: SetResult) -> str:
    """One finished set as `-v` prints it."""
    name = str(r.job.video)
    if r.status == "failed":
        return f"failed      {name}: {r.reason}"
    faults = ", ".join(
        f"{n} {label(k).lower()}" for k, n in r.faults.items() if n and k in FAULT_TYPES
    )
    took = f", {r.seconds:.1f} s" if r.status != "skipped" else " (done before)"
    what = f"{counted(r.reps, 'rep')}, {faults or 'no faults'}"
    if r.status == "not_judged" or (r.status == "skipped" and "not judged" in r.reason):
        what = f"not judged: {r.reason}"
    return f"{r.status.replace('_', ' '):11} {name}: {what}{took}"


def totals_line(results: list[SetResult], seconds: float) -> str:
    c = counts(results)
    parts = [f"{c[s]} {s.replace('_', ' ')}" for s in STATUSES if c[s]]
    video_s = sum(r.duration_s for r in results if r.status in ("analysed", "not_judged"))
    ran = sum(1 for r in results if r.status != "skipped")
    rate = f", {60.0 * ran / seconds:.1f} sets/min" if seconds > 0 and ran else ""
    ratio = f", {video_s / seconds:.2f}x real time" if seconds > 0 and video_s else ""
    return f"{counted(len(results), 'set')}: {', '.join(parts)} in {seconds:.0f} s{rate}{ratio}"
