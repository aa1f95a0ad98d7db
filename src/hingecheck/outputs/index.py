"""`hingecheck review DIR`: one index page over every analysed set in a folder (and below it).

Each set is a report JSON (schema hingecheck.report/1); its row links to the set's review page
`<stem>.html` when one was written beside it, else to the JSON itself.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from hingecheck.errors import InputError
from hingecheck.faults import FAULT_TYPES, fault_kind
from hingecheck.outputs.registry import output
from hingecheck.outputs.review import template_env
from hingecheck.outputs.text import clock
from hingecheck.outputs.writers import write_text
from hingecheck.records import SCHEMA, Report
from hingecheck.video.source import recorded_at


@dataclass
class SetEntry:
    """One analysed set as the index lists it."""

    json_path: Path
    folder: str  # relative to the scanned folder ("" at its top)
    stem: str
    clip: str
    date: datetime
    reps: int
    duration_s: float
    camera: str
    judged: bool
    faults: dict[str, int] = field(default_factory=dict)
    warnings: int = 0
    date_source: str = ""  # "manifest", "recording" or "report": who gave the date

    @property
    def page(self) -> Path:
        """The review page if written, else the report itself."""
        html = output("html").path_for(self.json_path.parent, self.stem)
        return html if html.exists() else self.json_path


def _set_date(json_path: Path, data: dict) -> tuple[datetime, str]:
    """When the set was recorded, and who says so: the report's date (a batch manifest's, or
    the recording's own creation time), else the recording's creation time read now (reports
    of older versions), else when the report was written. Never the video file's modification
    time, which a copy resets, and never relative to where `review` runs."""
    recorded = data.get("recorded") or {}
    when = _parse(str(recorded.get("date", "")))
    if when is not None:
        return when, str(recorded.get("source", ""))
    source = Path(str(data["source"]["path"]))
    # A relative path was relative to where the analysis ran, unknown here: only the file
    # beside the report is looked at then.
    candidates = [source] if source.is_absolute() else []
    for candidate in [*candidates, json_path.parent / source.name]:
        try:
            found = candidate.is_file()
        except OSError:  # an over-long or unreadable name
            continue
        if found and (created := recorded_at(candidate)) is not None:
            return _local(created), "recording"
    return datetime.fromtimestamp(json_path.stat().st_mtime), "report"


DATE_NOTES = {
    "manifest": "the date in the batch manifest",
    "recording": "when the video was recorded (its own time stamp)",
    "report": "when it was analysed: the video carries no recording date",
}


def _parse(text: str) -> datetime | None:
    try:
        return _local(datetime.fromisoformat(text.replace("Z", "+00:00"))) if text else None
    except ValueError:
        return None


def _local(when: datetime) -> datetime:
    """A time in this machine's zone, without a zone (so all rows sort together)."""
    return when.astimezone().replace(tzinfo=None) if when.tzinfo else when


def read_entry(path: Path, root: Path) -> SetEntry | None:
    """The index row for one report JSON; None for any JSON that is not a readable report."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    try:
        report = Report.from_dict(data)
        date, date_source = _set_date(path, data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    faults = {k: 0 for k in FAULT_TYPES}
    for f in report.faults:
        faults[f.type] = faults.get(f.type, 0) + 1
    rel = path.parent.relative_to(root).as_posix()
    return SetEntry(
        json_path=path,
        folder="" if rel == "." else rel,
        stem=path.name.removesuffix(output("json").suffix),
        clip=Path(report.source.path).name,
        date=date,
        date_source=date_source,
        reps=sum(r.complete for r in report.reps),
        duration_s=report.source.duration_s,
        camera=report.view.camera,
        judged=report.view.judged,
        faults=faults,
        warnings=len(report.warnings),
    )


def load_entries(root: Path) -> list[SetEntry]:
    """Every report under `root`, grouped by folder, newest first within a folder."""
    found = (
        read_entry(p, root) for p in sorted(root.rglob("*" + output("json").suffix)) if p.is_file()
    )
    entries = [e for e in found if e is not None]
    entries.sort(key=lambda e: e.date, reverse=True)
    entries.sort(key=lambda e: e.folder)  # stable: keeps newest first inside each folder
    return entries


def _href(target: Path, page_dir: Path) -> str:
    rel = os.path.relpath(target.resolve(), page_dir.resolve())
    return quote(Path(rel).as_posix())


def render_index(root: Path, entries: list[SetEntry], page_dir: Path) -> str:
    """The index page's HTML; links are relative to `page_dir`, where it will be written."""
    rows = [
        {
            "folder": e.folder,
            "clip": e.clip,
            "stem": e.stem,
            # A manifest gives a day, not a time of day.
            "date": e.date.strftime(
                "%Y-%m-%d" if e.date_source == "manifest" else "%Y-%m-%d %H:%M"
            ),
            "date_note": DATE_NOTES.get(e.date_source, ""),
            "reps": e.reps,
            "duration": clock(e.duration_s),
            "camera": e.camera,
            "judged": e.judged,
            "href": _href(e.page, page_dir),
            "has_page": e.page.suffix == output("html").suffix,
            "faults": [{"type": k, "count": e.faults.get(k, 0)} for k in FAULT_TYPES],
            "total": sum(e.faults.values()),
            "warnings": e.warnings,
        }
        for e in entries
    ]
    kinds = [
        {
            "type": k,
            "label": fault_kind(k).label,
            "colour": fault_kind(k).colour,
            "total": sum(e.faults.get(k, 0) for e in entries),
        }
        for k in FAULT_TYPES
    ]
    return (
        template_env()
        .get_template("index.html.j2")
        .render(
            title=root.resolve().name or str(root),
            rows=rows,
            kinds=kinds,
            folders=len({e.folder for e in entries}) > 1 or any(e.folder for e in entries),
            generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        )
    )


def write_index(root: Path, out: Path | None, entries: list[SetEntry] | None = None) -> Path:
    """Write the index of `root` (its `entries` if already loaded): to `out` (a .html file, or
    a folder for index.html), else `root/index.html`. InputError when root is not a folder."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder" if root.exists() else f"no such folder: {root}")
    if out is None:
        target = root / "index.html"
    elif out.suffix.lower() in (".html", ".htm"):
        target = out
    else:
        target = out / "index.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write to {target.parent}: {exc.strerror or exc}") from None
    if entries is None:
        entries = load_entries(root)
    write_text(target, render_index(root, entries, target.parent))
    return target
