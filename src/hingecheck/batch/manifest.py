"""What a batch is given, turned into SetJobs: video files, folders (searched recursively) and
manifests (CSV with a header, or JSON lines: path, and optionally exercise, lifter, date).

Inputs are checked in full before any work (`check_inputs`: a missing file, a malformed
manifest line, a row naming a missing video are one-line InputErrors naming the line), then
read again lazily (`iter_jobs`), so a 10,000-line manifest is never held in memory.
Each set's outputs go to a folder that depends on the set alone (`set_folder`), so two runs
never put two different sets in one folder and a re-run finds each set where it left it.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hingecheck.batch.jobs import SetJob
from hingecheck.config import EXERCISES
from hingecheck.errors import InputError
from hingecheck.video.source import VIDEO_SUFFIXES, check_video_path

MANIFEST_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
COLUMNS = ("path", "exercise", "lifter", "date")


@dataclass(frozen=True)
class Entry:
    """One set as the inputs name it, before its output folder is chosen."""

    video: Path
    group: str  # the output subfolder (see set_folder)
    where: str  # for messages: "sets.csv line 4", or the path itself
    exercise: str | None = None
    lifter: str | None = None
    date: str | None = None


def folder_name(text: str) -> str:
    """A lifter's name or a folder path as a safe relative output folder."""
    parts = [re.sub(r"[^\w\-. ]+", "_", p).strip(" .") for p in re.split(r"[/\\]+", text)]
    return "/".join(p for p in parts if p) or "sets"


def set_folder(video: Path, lifter: str | None = None) -> str:
    """The set's output folder under OUT: its video's folder name and a short hash of that
    folder's full path and the video's suffix (`day0-3f2a1c0d`), under the lifter's folder when
    the row names one (`anna/day0-3f2a1c0d`). A function of the set alone: the same in every
    run whatever else is in it, and two different videos with the same name never share one
    (their outputs are named after the video's stem)."""
    where = video.resolve().parent
    key = f"{where}\0{video.suffix}".encode("utf-8", "surrogateescape")
    name = f"{folder_name(where.name)}-{hashlib.sha256(key).hexdigest()[:8]}"
    return f"{folder_name(lifter)}/{name}" if lifter else name


def _videos_in(folder: Path, skip: Path) -> Iterator[Path]:
    """Videos under `folder`, sorted; not the output folder, hidden files or our own outputs."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() not in VIDEO_SUFFIXES or ".annotated." in path.name:
            continue
        if skip == path or skip in path.parents or not path.is_file():
            continue
        yield path


def _check_video(video: Path, skip_missing: bool) -> None:
    """InputError for a file that can't be a video; a missing one passes with `skip_missing`
    (its set then fails on its own, named in the summary)."""
    if not video.exists() and not video.is_symlink():
        if skip_missing:
            return
        raise InputError(f"no such file: {video} (--skip-missing runs the other sets)")
    check_video_path(video)


def _row_entry(row: dict[str, object], base: Path, where: str, skip_missing: bool) -> Entry:
    """One manifest row, checked (InputError naming the line)."""
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected an object with a path")
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise InputError(f"{where}: unknown column {unknown[0]!r} (use {', '.join(COLUMNS)})")
    values = {k: str(v).strip() for k, v in row.items() if v is not None and str(v).strip()}
    if "path" not in values:
        raise InputError(f"{where}: no path")
    video = Path(values["path"]).expanduser()
    video = video if video.is_absolute() else base / video
    try:
        _check_video(video, skip_missing)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    exercise = values.get("exercise")
    if exercise is not None and exercise not in EXERCISES:
        raise InputError(f"{where}: unknown exercise {exercise!r} (use {', '.join(EXERCISES)})")
    date = values.get("date")
    if date is not None:
        try:
            datetime.date.fromisoformat(date[:10])
        except ValueError:
            raise InputError(f"{where}: date {date!r} is not YYYY-MM-DD") from None
    lifter = values.get("lifter")
    return Entry(video, set_folder(video, lifter), where, exercise, lifter, date)


def _manifest(path: Path, skip_missing: bool) -> Iterator[Entry]:
    kind = MANIFEST_SUFFIXES[path.suffix.lower()]
    base = path.parent
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            if kind == "csv":
                reader = csv.DictReader(
                    line for line in fh if line.strip() and not line.lstrip().startswith("#")
                )
                fields = [f.strip().lower() for f in reader.fieldnames or []]
                if "path" not in fields:
                    raise InputError(f"{path}: a CSV manifest needs a header with a path column")
                reader.fieldnames = fields
                for row in reader:
                    where = f"{path.name} line {reader.line_num}"
                    if None in row:
                        raise InputError(f"{where}: more fields than the header names")
                    yield _row_entry(dict(row), base, where, skip_missing)
            else:
                for n, line in enumerate(fh, start=1):
                    if not line.strip() or line.lstrip().startswith("#"):
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path.name} line {n}: not JSON ({exc.msg})") from None
                    yield _row_entry(row, base, f"{path.name} line {n}", skip_missing)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text manifest (CSV or JSON lines)") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _entries(inputs: list[Path], out: Path, skip_missing: bool) -> Iterator[Entry]:
    skip = out.resolve()
    for item in inputs:
        if skip_missing and not item.exists() and item.suffix.lower() in VIDEO_SUFFIXES:
            yield Entry(item, set_folder(item), str(item))
        elif not item.exists():
            raise InputError(f"no such file or folder: {item}")
        if item.is_dir():
            found = False
            for video in _videos_in(item, skip):
                found = True
                yield Entry(video, set_folder(video), str(video))
            if not found:
                raise InputError(f"no videos in {item} (looked for {', '.join(VIDEO_SUFFIXES)})")
        elif item.suffix.lower() in MANIFEST_SUFFIXES:
            yield from _manifest(item, skip_missing)
        else:
            check_video_path(item)
            yield Entry(item, set_folder(item), str(item))


def check_inputs(inputs: list[Path], out: Path, *, skip_missing: bool = False) -> int:
    """Read every input once, checking it; the number of sets. InputError on the first
    problem, before any work (with `skip_missing`, a video that does not exist is no problem
    here: its set fails alone)."""
    n = sum(1 for _ in iter_jobs(inputs, out, skip_missing=skip_missing))
    if n == 0:
        raise InputError("no videos to analyse")
    return n


def iter_jobs(
    inputs: list[Path],
    out: Path,
    *,
    exercise: str | None = None,
    with_video: bool = True,
    config_path: Path | None = None,
    skip_missing: bool = False,
) -> Iterator[SetJob]:
    """The SetJobs, lazily, in input order; a video named twice for one folder runs once.
    Paths are made absolute here, so a worker on another node or in another working folder
    reads and writes the same files as the driver."""
    seen: set[tuple[str, str]] = set()
    root = out.absolute()
    for e in _entries(inputs, out, skip_missing):
        if (e.group, e.video.name) in seen:
            continue
        seen.add((e.group, e.video.name))
        yield SetJob(
            video=e.video.absolute(),
            out_dir=root / e.group,
            exercise=e.exercise or exercise,
            lifter=e.lifter,
            date=e.date,
            with_video=with_video,
            config_path=config_path,
        )
