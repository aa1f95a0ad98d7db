"""Every file an analysis writes, in one place: the output folder checked, then each writer."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hingecheck.errors import InputError

if TYPE_CHECKING:
    from hingecheck.pipeline import Analysis


def prepare_out_dir(out: Path) -> Path:
    """Create the folder and prove it can be written, before any expensive work."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return out


def write_outputs(
    result: Analysis, video: Path, out: Path, *, with_video: bool, progress: bool
) -> dict[str, Path]:
    """Write every output for one analysis; each file appears only once complete."""
    # Imported here: the output folder is checked (prepare_out_dir) at start-up, before the
    # pose model, and the writers' imports (scipy through the rep events) are not needed then.
    from hingecheck.outputs.writers import write_csv, write_json, write_srt

    stem = video.stem
    paths = {
        "json": out / f"{stem}.json",
        "csv": out / f"{stem}.csv",
        "srt": out / f"{stem}.srt",
    }
    write_json(result.report, paths["json"])
    write_csv(result.signals, result.report, paths["csv"])
    write_srt(result.report, paths["srt"])
    if with_video:
        from hingecheck.outputs.video import render_video

        paths["video"] = out / f"{stem}.annotated.mp4"
        render_video(video, result, paths["video"], progress=progress)
    from hingecheck.outputs.review import write_review

    paths["html"] = write_review(result, video, out, stem)
    result.outputs.update(paths)
    return paths
