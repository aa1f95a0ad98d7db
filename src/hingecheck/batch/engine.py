"""The batch engine's API: open an engine (local pool or Ray), feed it sets, collect results.

>>> from hingecheck.batch import SetJob, open_engine, run
>>> with open_engine(workers=2) as engine:
...     results = run(jobs, engine, on_result=print)

`run` keeps at most `max_in_flight` sets submitted at once and reads `jobs` lazily, so a
10,000-line manifest is never held in memory, only the small SetResults.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self

from hingecheck.batch.jobs import SetJob, SetResult, failed
from hingecheck.batch.resume import SetKey, clean_staging, committed, finished
from hingecheck.config import load_config
from hingecheck.errors import InputError
from hingecheck.pose.bundle import default_model_path
from hingecheck.version import __version__

if TYPE_CHECKING:
    from hingecheck.batch.pool import PoolEngine
    from hingecheck.batch.ray_engine import RayEngine


class Engine(Protocol):
    """Runs sets somewhere; `submit` never raises for a bad set (the result says failed)."""

    def submit(self, job: SetJob) -> Future[SetResult]: ...

    def close(self) -> None: ...


class EngineContext:
    """`with engine:` closes it after a normal exit (finishing the sets in flight) and aborts it
    after an error or Ctrl-C (stopping them): the engines' shared context manager."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def open_engine(
    workers: int | None = None,
    ray_address: str | None = None,
    *,
    model: Path | None = None,
    ship: bool = False,
    timeout: float | None = None,
    notify: Callable[[str], None] | None = None,
) -> PoolEngine | RayEngine:
    """The local process pool (default: one worker per CPU), or with `ray_address` ("auto"
    or host:port) an actor pool on that Ray cluster (`workers` default: its CPUs). Use as a
    context manager. `model`: another pose bundle. `ship`: send every video through Ray's
    object store even when a node could read it from a shared disk. `timeout`: seconds a set
    may run before its worker is ended and replaced and the set fails (None: no limit).
    `notify`: where the Ray engine's one-line news goes (default: the logging module).
    Raises InputError for an unreachable cluster or a version mismatch."""
    if ray_address:
        from hingecheck.batch.ray_engine import RayEngine

        return RayEngine(ray_address, workers, model, ship, timeout, notify)
    from hingecheck.batch.pool import PoolEngine

    return PoolEngine(workers, model, timeout)


class _Keys:
    """What each set's resume check compares, the config read once per file."""

    def __init__(self, model: Path) -> None:
        self.model = model
        self._digests: dict[Path | None, str] = {}

    def of(self, job: SetJob) -> SetKey:
        if job.config_path not in self._digests:
            self._digests[job.config_path] = load_config(job.config_path).digest()
        return SetKey.of(job, self._digests[job.config_path], self.model, __version__)


def run(
    jobs: Iterable[SetJob],
    engine: Engine,
    *,
    max_in_flight: int | None = None,
    on_result: Callable[[SetResult], None] | None = None,
    resume: bool = True,
) -> list[SetResult]:
    """Run every job on `engine`; results in the order they finish.

    With `resume`, a set whose outputs are complete for the same video content, config,
    model and version is not run again (its result says "skipped"). At most `max_in_flight`
    sets are submitted at once (default: twice the engine's workers). On an exception or
    Ctrl-C the engine is stopped, what the running sets had staged is removed, and the
    exception goes on; finished sets stay finished.
    """
    workers = int(getattr(engine, "workers", 0) or os.cpu_count() or 1)
    limit = max(1, max_in_flight or 2 * workers)
    keys = _Keys(getattr(engine, "model", None) or default_model_path())
    results: list[SetResult] = []
    in_flight: dict[Future[SetResult], SetJob] = {}

    def collect(result: SetResult) -> None:
        if result.status == "failed":
            clean_staging(result.job)  # a worker that died leaves its staging behind
        results.append(result)
        if on_result is not None:
            on_result(result)

    def drain(block: bool) -> None:
        done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED, timeout=None if block else 0)
        for f in done:
            job = in_flight.pop(f)
            collect(f.result() if not f.cancelled() else failed(job, "cancelled"))

    try:
        for job in jobs:
            if resume:
                try:
                    skipped = finished(job, keys.of(job))
                except (InputError, OSError) as exc:  # a bad config or an unreadable model
                    collect(failed(job, str(exc)))
                    continue
                if skipped is not None:
                    collect(skipped)
                    continue
            while len(in_flight) >= limit:
                drain(block=True)
            in_flight[engine.submit(job)] = job
            drain(block=False)
        while in_flight:
            drain(block=True)
    except BaseException:
        abort = getattr(engine, "abort", None)
        if abort is not None:
            abort()
        # A set its worker committed before the stop is finished, even if its result had not
        # reached us yet: report it as such (the stamp is written last, so it is complete).
        for f, job in in_flight.items():
            f.cancel()
            try:
                done = committed(job, keys.of(job))
            except (InputError, OSError):
                done = None
            if done is not None:
                collect(done)
            else:
                clean_staging(job)
                with contextlib.suppress(OSError):  # only when empty: the set wrote nothing
                    job.out_dir.rmdir()
        raise
    return results
