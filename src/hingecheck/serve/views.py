"""What the trainer's and the lifter's pages show of a set, and the set's files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, Response

from hingecheck.faults import FAULT_TYPES, label, lift_name
from hingecheck.outputs.registry import OUTPUTS, output
from hingecheck.outputs.text import clock, counted
from hingecheck.records import Fault, Report
from hingecheck.serve.agreement import load_report
from hingecheck.serve.settings import Settings
from hingecheck.serve.store import SetRow, Store

# The analysis' review page is one self-contained file with inline script and style.
REVIEW_CSP = (
    "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
# Which of a set's outputs may be fetched, by suffix after the set's generated stem: all of them.
_SERVED = {o.suffix: (o.key, o.media) for o in OUTPUTS}
DEFAULT_SPEED = 2.0  # analysis seconds per second of video before this server has measured it


def report_of(settings: Settings, row: SetRow) -> dict[str, Any] | None:
    """The set's report JSON once the analysis wrote it."""
    if row.state != "done":
        return None
    return load_report(settings.result_path(row, "json"))


def has_video(settings: Settings, row: SetRow) -> bool:
    """Whether the set's annotated video was written."""
    return settings.result_path(row, "video").is_file()


def set_view(row: SetRow, report: dict[str, Any] | None) -> dict[str, Any]:
    """The set as its pages show it: reps, faults with time, cue and rep, warnings."""
    if report is None:
        return {"reps": [], "faults": [], "warnings": [], "judged": False, "exercise": "",
                "camera": "", "complete_reps": 0}  # fmt: skip
    rep = Report.from_dict(report)
    faults = []
    first: dict[str, Fault] = {}  # each type's first fault: its cue is said there, once
    for i, f in enumerate(rep.faults):
        once = first.setdefault(f.type, f) is f
        faults.append(
            {
                "index": i,
                "type": f.type,
                "label": label(f.type) if f.type in FAULT_TYPES else f.type,
                "rep": f.rep or None,
                "start_s": f.start_s,
                "end_s": f.end_s,
                "peak_s": f.peak_s,
                "when": f"{clock(f.start_s)}–{clock(f.end_s)}",
                "message": f.message,
                "detail": f.detail,
                "cue": f.cue if once else "",
                "cue_on": None if once else (first[f.type].rep or None),
                "severity": f.severity,
                "borderline": f.borderline,
            }
        )
    return {
        "reps": rep.reps,
        "complete_reps": sum(r.complete for r in rep.reps),
        "faults": faults,
        "warnings": rep.warnings,
        "judged": rep.view.judged,
        "camera": rep.view.camera,
        "exercise": lift_name(rep.exercise, rep.exercise_source) if rep.exercise else "",
    }


def status(store: Store, row: SetRow) -> dict[str, Any]:
    """Where the set's analysis stands, for the live status on its page."""
    out: dict[str, Any] = {"state": row.state, "progress": None, "position": None, "text": ""}
    if row.state == "queued":
        pos = store.queue_position(row)
        out["position"] = pos
        out["text"] = (
            "next in line" if pos == 0 else f"waiting: {counted(pos, 'set')} before this one"
        )
    elif row.state == "running":
        speed = store.speed() or DEFAULT_SPEED
        expected = max(row.video_s * speed, 1.0)
        elapsed = time.time() - (row.started or time.time())
        # An estimate from this server's recent speed: never shown as finished before it is.
        out["progress"] = round(min(elapsed / expected, 0.95), 3)
        out["text"] = f"analysing: about {out['progress'] * 100:.0f} % (estimated)"
    elif row.state == "failed":
        out["text"] = f"could not be analysed: {row.reason}"
    else:
        out["progress"] = 1.0
        out["text"] = "ready" if row.status != "not_judged" else f"not judged: {row.reason}"
    return out


def set_file(settings: Settings, row: SetRow, name: str) -> Response:
    """One of the set's outputs, if `name` is one of them (the caller has authorised the set).

    Only `<stem><suffix>` for the listed suffixes: no other name, and no path, is served."""
    for suffix, (key, media) in _SERVED.items():
        if name == f"{row.stem}{suffix}":
            path = settings.result_path(row, key)
            if row.state == "done" and path.is_file():
                if suffix == output("json").suffix:
                    return _public_report(row, path)
                page = suffix == output("html").suffix
                headers = {"content-security-policy": REVIEW_CSP} if page else {}
                return FileResponse(path, media_type=media, headers=headers)
            break
    raise HTTPException(404, "no such file")


def _public_report(row: SetRow, path: Path) -> Response:
    """The report as served: its source names the lifter's own file, not where this server
    keeps it (the analysis read `uploads/<id>` under the data folder)."""
    report = load_report(path)
    if report is None:
        raise HTTPException(404, "no such file")
    source = report.get("source")
    if isinstance(source, dict) and "path" in source:
        source["path"] = row.original_name or Path(str(source["path"])).name
    return JSONResponse(report)
