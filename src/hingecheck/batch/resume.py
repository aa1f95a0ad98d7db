"""Finished sets, told apart from unfinished ones: a stamp written last, outputs staged aside.

A set's outputs are written into a staging folder beside its output folder (a sibling, so the
review page's relative link to the source video stays right), then renamed into place one by
one, the stamp `.<stem>.done.json` last. A set is finished when its stamp and report exist
and the stamp names the same video content, config digest, model, exercise and version: a
re-run skips it. An interrupted set leaves a staging folder (removed by `clean_staging`), never
a report without a stamp that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hingecheck.batch.jobs import SetJob, SetResult
from hingecheck.outputs.registry import TRACK, output

STAMP_SCHEMA = "hingecheck.batch-stamp/1"


def file_sha256(path: Path) -> str:
    """The file's content hash (read in 1 MB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def stamp_path(out_dir: Path, stem: str) -> Path:
    return out_dir / f".{stem}.done.json"


def _staging_prefix(job: SetJob) -> str:
    # A hash of the output folder's name and the stem: "x" + "y.z" and "x.y" + "z" never meet,
    # so one set's clean-up can't remove another's staging. The stem is cut for the name's sake.
    key = f"{job.out_dir.name}/{job.stem}".encode("utf-8", "surrogateescape")
    return f".{job.stem[:60]}.{hashlib.sha256(key).hexdigest()[:8]}.part-"


def staging_dir(job: SetJob, tag: str) -> Path:
    """Where a worker (tagged by its pid) writes this set's outputs before they go in place."""
    return job.out_dir.parent / f"{_staging_prefix(job)}{tag}"


def clean_staging(job: SetJob) -> None:
    """Remove what an interrupted or killed worker left of this set."""
    prefix = _staging_prefix(job)
    try:
        leftovers = [p for p in job.out_dir.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:  # no folder: nothing was staged
        leftovers = []
    for leftover in leftovers:
        shutil.rmtree(leftover, ignore_errors=True)
    for part in job.out_dir.glob(f".{TRACK.name_for(job.stem)}.*.part"):  # atomic_path's
        part.unlink(missing_ok=True)


def remove_empty(folder: Path, root: Path) -> None:
    """Remove `folder` and its parents up to (not including) `root` while they are empty."""
    folder, root = folder.absolute(), root.absolute()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty, or already gone
            if folder.exists():
                return
        folder = folder.parent


def commit(staging: Path, out_dir: Path, stem: str) -> None:
    """Move the staged outputs into the output folder, the stamp last, then drop staging.
    An earlier stamp goes first: a commit cut short leaves a set that is not finished, never
    an old stamp over new outputs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp_path(out_dir, stem).unlink(missing_ok=True)
    stamp = stamp_path(staging, stem)
    for f in sorted(staging.iterdir()):
        if f != stamp:
            os.replace(f, out_dir / f.name)
    os.replace(stamp, stamp_path(out_dir, stem))
    staging.rmdir()


@dataclass(frozen=True)
class SetKey:
    """What a finished set's outputs depend on, besides the video's content."""

    config: str  # Config.digest()
    model: str  # the pose bundle's name and size
    version: str
    exercise: str
    with_video: bool

    @staticmethod
    def of(job: SetJob, config_digest: str, model: Path, version: str) -> SetKey:
        return SetKey(
            config_digest,
            f"{model.name}:{model.stat().st_size}",
            version,
            job.exercise or "",
            job.with_video,
        )


def write_stamp(folder: Path, job: SetJob, key: SetKey, video: Path, result: SetResult) -> None:
    """The stamp for a set whose outputs are complete in `folder` (written by the worker)."""
    st = video.stat()
    data: dict[str, Any] = {
        "schema": STAMP_SCHEMA,
        "video": {"sha256": file_sha256(video), "size": st.st_size, "mtime_ns": st.st_mtime_ns},
        "key": key.__dict__,
        "result": {
            "status": result.status,
            "reps": result.reps,
            "faults": result.faults,
            "duration_s": result.duration_s,
            "seconds": result.seconds,
            "reason": result.reason,
            "exercise": result.exercise,
        },
    }
    stamp_path(folder, job.stem).write_text(json.dumps(data), encoding="utf-8")


def finished(job: SetJob, key: SetKey) -> SetResult | None:
    """The set as a "skipped" result when its outputs are complete for this video and key.

    The content hash is compared unless the video's size and modification time are the ones
    the stamp recorded (as make and rsync do): hashing 10,000 videos again on every resume
    would cost more than it saves.
    """
    done = committed(job, key)
    if done is None:
        return None
    before = done.status.replace("_", " ")
    return replace(
        done,
        status="skipped",
        seconds=0.0,
        reason=f"done before: {before}" + (f" ({done.reason})" if done.reason else ""),
    )


def committed(job: SetJob, key: SetKey) -> SetResult | None:
    """The set's result as its worker stamped it, when its outputs are complete for this video
    and key (see `finished`); None otherwise. A set can be committed on disk before its result
    reaches the driver, so an interrupted run asks this of the sets it had in flight."""
    try:
        data = json.loads(stamp_path(job.out_dir, job.stem).read_text("utf-8"))
        if data.get("schema") != STAMP_SCHEMA or data["key"] != key.__dict__:
            return None
        if not job.report_path.is_file() or (job.with_video and not _has_video(job)):
            return None
        st = job.video.stat()
        seen = data["video"]
        same_file = (st.st_size, st.st_mtime_ns) == (seen["size"], seen["mtime_ns"])
        if not same_file and file_sha256(job.video) != seen["sha256"]:
            return None
        r = data["result"]
        if r["status"] not in ("analysed", "not_judged"):  # only finished sets are stamped
            return None
        return SetResult(
            job=job,
            status=str(r["status"]),
            reps=int(r["reps"]),
            faults={str(k): int(v) for k, v in r["faults"].items()},
            duration_s=float(r["duration_s"]),
            seconds=float(r["seconds"]),
            reason=str(r["reason"] or ""),
            report=job.report_path,
            exercise=str(r.get("exercise") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _has_video(job: SetJob) -> bool:
    return output("video").path_for(job.out_dir, job.stem).is_file()
