"""The one place the server meets the batch engine (hingecheck.batch, the batch issue's API).

The server hands each queued set to `Engine.submit` and reads the `SetResult` back. Until the
batch package exists in this tree, a stand-in with the same contract runs `hingecheck.analyze`
and the output writers in a process pool; `open_analysis_engine` picks whichever is present.
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

try:  # the real engine, once the batch issue has landed it
    from hingecheck.batch.engine import open_engine as _open_batch_engine  # type: ignore[import-not-found]
    from hingecheck.batch.jobs import SetJob, SetResult  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - exercised only on a tree without hingecheck.batch
    _open_batch_engine = None

    @dataclass(frozen=True)
    class SetJob:  # type: ignore[no-redef]
        """One set to analyse (the batch engine's job, same fields)."""

        video: Path
        out_dir: Path
        exercise: str | None = None
        lifter: str | None = None
        date: str | None = None
        with_video: bool = True
        config_path: Path | None = None

    @dataclass(frozen=True)
    class SetResult:  # type: ignore[no-redef]
        """What became of one set (the batch engine's result, same fields)."""

        job: SetJob
        status: str  # "analysed" | "not_judged" | "failed" | "skipped"
        reps: int
        faults: dict[str, int]
        duration_s: float
        seconds: float
        reason: str
        report: Path | None


class Engine(Protocol):
    """What the server needs of an engine."""

    def submit(self, job: SetJob) -> concurrent.futures.Future[SetResult]: ...

    def close(self) -> None: ...


def open_analysis_engine(workers: int | None = None, ray_address: str | None = None) -> Engine:
    """The batch engine when installed, else the local stand-in (no Ray there)."""
    if _open_batch_engine is not None:
        return _open_batch_engine(workers=workers, ray_address=ray_address)
    if ray_address:
        from hingecheck.errors import InputError

        raise InputError("--ray-address needs the batch engine (hingecheck.batch)")
    return _PoolEngine(workers)


def analyse_set(job: SetJob) -> SetResult:
    """Analyse one set and write its outputs (the stand-in's worker; never raises)."""
    from hingecheck.errors import InputError
    from hingecheck.outputs.registry import prepare_out_dir, write_outputs
    from hingecheck.pipeline import analyze

    start = time.monotonic()
    stem = job.video.stem
    try:
        prepare_out_dir(job.out_dir)
        result = analyze(
            job.video,
            job.config_path,
            cache_path=job.out_dir / f"{stem}.track.npz",
            exercise=job.exercise,
            workers=1,
        )
        report = result.report
        paths = write_outputs(
            result, job.video, job.out_dir, with_video=job.with_video, progress=False
        )
        json_path = paths["json"]
    except InputError as exc:
        return SetResult(job, "failed", 0, {}, 0.0, time.monotonic() - start, str(exc), None)
    except Exception as exc:  # noqa: BLE001 - a bad set is a result, not a crash of the pool
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return SetResult(job, "failed", 0, {}, 0.0, time.monotonic() - start, reason, None)
    faults: dict[str, int] = {}
    for f in report.faults:
        faults[f.type] = faults.get(f.type, 0) + 1
    return SetResult(
        job,
        "analysed" if report.view.judged else "not_judged",
        sum(r.complete for r in report.reps),
        faults,
        float(report.source.duration_s),
        time.monotonic() - start,
        "" if report.view.judged else report.view.reason,
        json_path,
    )


class _PoolEngine:
    """The stand-in: `analyse_set` in a pool of processes (each holds the pose model)."""

    def __init__(self, workers: int | None) -> None:
        n = workers or max(1, min(2, (os.cpu_count() or 1) // 2))
        self.workers = n
        self._pool = concurrent.futures.ProcessPoolExecutor(max_workers=n)

    def submit(self, job: SetJob) -> concurrent.futures.Future[SetResult]:
        return self._pool.submit(analyse_set, job)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> _PoolEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
