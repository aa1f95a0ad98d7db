"""Every file an analysis writes, in one table: the output folder checked, then each writer.

A new output format is a writer and a row in OUTPUTS (serve offers it with no other edit).
Nothing else spells an output's file name: it asks its row (`output(key).path_for(...)`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hingecheck.errors import InputError

if TYPE_CHECKING:
    from hingecheck.analysis import Analysis

# The writers are imported in each row's function: the output folder is checked here at
# start-up, before the pose model, and the writers' imports (scipy through the rep events)
# are not needed until the model is done (pipeline.preload_judge loads them meanwhile).


def prepare_out_dir(out: Path) -> Path:
    """Create the folder and prove it can be written, before any expensive work."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return out


# What writers.atomic_path adds to a name while the file is written: ".<name>.XXXXXXXX.part".
_TEMP_EXTRA = len("." + "." + "XXXXXXXX" + ".part")


def output_stem(video: Path, out: Path) -> str:
    """The stem the outputs of `video` are written under in `out`: the video's own, unless a
    name built on it (the longest suffix, while being written) would pass the file system's
    limit; then cut to fit (on a character boundary) with a hash of the whole stem, so two
    long names that differ only at the end keep apart, and each run picks the same one."""
    stem = video.stem
    try:
        name_max = int(os.pathconf(out, "PC_NAME_MAX"))
    except (OSError, ValueError):
        name_max = 255
    longest = max(len(os.fsencode(o.suffix)) for o in (*OUTPUTS, TRACK))
    room = name_max - longest - _TEMP_EXTRA
    raw = os.fsencode(stem)
    if len(raw) <= room:
        return stem
    tag = "~" + hashlib.sha256(raw).hexdigest()[:10]
    cut = raw[: max(room - len(tag), 1)]
    for _ in range(3):  # drop the bytes of a character the cut went through
        try:
            cut.decode("utf-8")
            break
        except UnicodeDecodeError:
            cut = cut[:-1]
    return os.fsdecode(cut) + tag


def _json(result: Analysis, video: Path, path: Path, progress: bool) -> None:
    from hingecheck.outputs.writers import write_json

    write_json(result.report, path)


def _csv(result: Analysis, video: Path, path: Path, progress: bool) -> None:
    from hingecheck.outputs.writers import write_csv

    write_csv(result.signals, result.report, path)


def _srt(result: Analysis, video: Path, path: Path, progress: bool) -> None:
    from hingecheck.outputs.writers import write_srt

    write_srt(result.report, path)


def _video(result: Analysis, video: Path, path: Path, progress: bool) -> None:
    from hingecheck.outputs.video import render_video  # OpenCV drawing: loaded when asked

    render_video(video, result, path, progress=progress)


def _review(result: Analysis, video: Path, path: Path, progress: bool) -> None:
    from hingecheck.outputs.review import write_review

    write_review(result, video, path.parent, path.name.removesuffix(".html"))


@dataclass(frozen=True)
class OutputFile:
    """A file kept for a set, named `<stem><suffix>` in its output folder."""

    key: str
    suffix: str
    what: str
    media: str  # its media type, as a server sends it

    def name_for(self, stem: str) -> str:
        """The file's name for the set named `stem`."""
        return f"{stem}{self.suffix}"

    def path_for(self, folder: Path, stem: str) -> Path:
        """The file's path in `folder` for the set named `stem`."""
        return folder / self.name_for(stem)


@dataclass(frozen=True)
class Output(OutputFile):
    """One file an analysis writes, with its writer."""

    write: Callable[[Analysis, Path, Path, bool], None]  # (result, video, path, progress)
    optional: bool = False  # the annotated video: skipped with --no-video
    link: str = ""  # its link's words where pages offer it for download ("": shown otherwise)


# In writing order: the review page comes after the annotated video, which it shows if present.
OUTPUTS: tuple[Output, ...] = (
    Output(
        "json", ".json", "the report (schema hingecheck.report/1)", "application/json", _json,
        link="report JSON",
    ),
    Output(
        "csv", ".csv", "one row per frame: angles, rep, phase, faults",
        "text/csv; charset=utf-8", _csv, link="CSV",
    ),
    Output(
        "srt", ".srt", "the faults as timed captions", "application/x-subrip", _srt,
        link="captions",
    ),
    Output("video", ".annotated.mp4", "the annotated video", "video/mp4", _video, optional=True),
    Output("html", ".html", "the trainer's review page", "text/html; charset=utf-8", _review),
)  # fmt: skip
# The pose model's landmarks, kept beside the outputs so a re-run skips the model (not served).
TRACK = OutputFile(
    "track", ".track.npz", "the pose track (a cache a re-run reads)", "application/octet-stream"
)
_BY_KEY = {o.key: o for o in OUTPUTS}


def output(key: str) -> Output:
    """The row of one output ("json", "csv", "srt", "video", "html")."""
    return _BY_KEY[key]


def write_outputs(
    result: Analysis,
    video: Path,
    out: Path,
    *,
    with_video: bool,
    progress: bool,
    stem: str | None = None,
) -> dict[str, Path]:
    """Write every output for one analysis, each as `<stem><suffix>` (default stem: the
    video's; see output_stem); each file appears only once complete."""
    paths: dict[str, Path] = {}
    for row in OUTPUTS:
        if row.optional and not with_video:
            continue
        path = row.path_for(out, stem or video.stem)
        row.write(result, video, path, progress)
        paths[row.key] = path
    result.outputs.update(paths)
    return paths
