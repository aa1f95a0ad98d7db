"""The embedded engine: a local pool of worker processes, each loading the pose model once.

Built on pebble's ProcessPool because a worker that dies there (even in native code, by a
signal) fails only the task it was running and is replaced; the standard library's pool
breaks as a whole instead, and every set in flight would be lost with it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import CancelledError, Future
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from hingecheck.batch.engine import EngineContext
from hingecheck.batch.jobs import SetJob, SetResult, failed, overdue
from hingecheck.batch.worker import SetAnalyzer, analyze_set

# The analyzer of this worker process, set once by the pool's initializer: a process-wide
# slot is how a pool worker keeps state between tasks (the driver never touches it).
_WORKER: SetAnalyzer | None = None
_START_ERROR = ""


def _start_worker(model: str | None) -> None:
    global _WORKER, _START_ERROR
    # Ctrl-C reaches the whole process group: the driver alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _WORKER = SetAnalyzer(Path(model) if model else None)
        _WORKER.warm()
    except Exception as exc:  # noqa: BLE001 - reported with each set this worker is given
        _WORKER, _START_ERROR = None, f"the worker could not load the pose model: {exc}"


def _run_in_worker(job: SetJob) -> SetResult:
    if _WORKER is None:
        return failed(job, _START_ERROR)
    return analyze_set(job, _WORKER)


def death_reason(exc: BaseException) -> str:
    """Why a worker process ended mid-set, as a lifter can read it."""
    if isinstance(exc, ProcessExpired):
        code = exc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker died while analysing this set (killed by {name})"
        return f"the worker died while analysing this set (exit code {code})"
    return f"{type(exc).__name__}: {exc}"


def _quiet_resource_tracker() -> None:
    """Start Python's resource tracker without its warnings. A worker killed while holding
    one of the pool's locks makes it warn, at exit, of a "leaked semaphore" that it then
    removes itself: noise after the set's failure was already reported."""
    from multiprocessing import resource_tracker

    before = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = "ignore::UserWarning"
    try:
        resource_tracker.ensure_running()  # started once; it reads the variable at start
    finally:
        if before is None:
            del os.environ["PYTHONWARNINGS"]
        else:
            os.environ["PYTHONWARNINGS"] = before


class PoolEngine(EngineContext):
    """Sets run in `workers` local processes (default: one per CPU)."""

    def __init__(
        self, workers: int | None = None, model: Path | None = None, timeout: float | None = None
    ) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.model = Path(model) if model else None
        self.timeout = timeout  # seconds a set may take; its worker is then ended and replaced
        _quiet_resource_tracker()
        # spawn, not fork: the driver has threads (progress bar, callbacks) a fork would copy.
        self._pool = ProcessPool(
            max_workers=self.workers,
            initializer=_start_worker,
            initargs=(str(model) if model else None,),
            context=multiprocessing.get_context("spawn"),
        )
        self._closed = False

    def submit(self, job: SetJob) -> Future[SetResult]:
        """Queue one set; the future's result is its SetResult (a failed one, never raises)."""
        outer: Future[SetResult] = Future()
        inner = self._pool.schedule(_run_in_worker, args=(job,), timeout=self.timeout)

        def finish(f: Future) -> None:
            if outer.cancelled():
                return
            try:
                outer.set_result(f.result())
            except CancelledError:
                outer.set_result(failed(job, "cancelled"))
            except TimeoutError:  # pebble ended the worker (SIGKILL if SIGTERM is not enough)
                outer.set_result(failed(job, overdue(self.timeout or 0), self.timeout or 0))
            except BaseException as exc:  # noqa: BLE001 - a dead worker or a lost task
                outer.set_result(failed(job, death_reason(exc)))

        inner.add_done_callback(finish)
        return outer

    def abort(self) -> None:
        """Stop now: running sets are killed (their staging is left for the caller to clean)."""
        if not self._closed:
            self._closed = True
            self._pool.stop()
            self._pool.join()

    def close(self) -> None:
        """Let queued sets finish, then end the workers."""
        if not self._closed:
            self._closed = True
            self._pool.close()
            self._pool.join()
