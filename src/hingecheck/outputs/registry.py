"""Every file an analysis writes, in one table: the output folder checked, then each writer.

A new output format is a writer and a row in OUTPUTS."""

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
    from hingecheck.pipeline import Analysis

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


TRACK_SUFFIX = ".track.npz"  # the landmark cache `analyze` keeps beside the outputs
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
    longest = max(len(os.fsencode(s)) for s in (*(o.suffix for o in OUTPUTS), TRACK_SUFFIX))
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
class Output:
    """One file an analysis writes, as `<stem><suffix>` in the output folder."""

    key: str
    suffix: str
    what: str
    write: Callable[[Analysis, Path, Path, bool], None]  # (result, video, path, progress)
    optional: bool = False  # the annotated video: skipped with --no-video


# In writing order: the review page comes after the annotated video, which it shows if present.
OUTPUTS: tuple[Output, ...] = (
    Output("json", ".json", "the report (schema hingecheck.report/1)", _json),
    Output("csv", ".csv", "one row per frame: angles, rep, phase, faults", _csv),
    Output("srt", ".srt", "the faults as timed captions", _srt),
    Output("video", ".annotated.mp4", "the annotated video", _video, optional=True),
    Output("html", ".html", "the trainer's review page", _review),
)


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
    for output in OUTPUTS:
        if output.optional and not with_video:
            continue
        path = out / f"{stem or video.stem}{output.suffix}"
        output.write(result, video, path, progress)
        paths[output.key] = path
    result.outputs.update(paths)
    return paths
