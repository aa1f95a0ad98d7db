"""The analysis queue: sets wait in SQLite and a thread hands them to the engine.

The queue's truth is the `sets` table (queued -> running -> done | failed), so nothing is lost
when the server stops: at start-up, sets left running by a stopped or killed server go back in
the queue. Only as many sets are marked running as the engine runs at once.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from hingecheck.serve.engine import Engine, SetJob, SetResult, prepare, stop
from hingecheck.serve.store import SetRow, Store

log = logging.getLogger("hingecheck.serve")


class QueueRunner:
    """Feeds queued sets to the engine and records each outcome."""

    def __init__(
        self,
        store: Store,
        open_engine: Callable[[], Engine],
        uploads: Path,
        set_folder: Callable[[str], Path],
        capacity: int = 2,
        config_path: Path | None = None,
        config_for: Callable[[SetRow], Path | None] | None = None,
    ) -> None:
        self.store, self._open_engine = store, open_engine
        self.uploads, self.set_folder = uploads, set_folder
        self.capacity = max(1, capacity)
        self.config_path = config_path
        # The config each set is judged with when claimed (the trainer's tuned version, which
        # it records on the set's row); None: `config_path` for every set.
        self.config_for = config_for
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._in_flight: dict[int, concurrent.futures.Future[SetResult]] = {}
        self._thread: threading.Thread | None = None
        self._engine: Engine | None = None

    def start(self) -> int:
        """Re-queue what a previous server left running and start feeding; returns how many
        sets were re-queued."""
        requeued = self.store.requeue_running()
        self._engine = self._open_engine()
        # As many sets marked running as the engine runs at once; the rest wait in the store.
        self.capacity = max(1, int(getattr(self._engine, "workers", 0) or self.capacity))
        self._thread = threading.Thread(target=self._loop, name="hingecheck-queue", daemon=True)
        self._thread.start()
        return requeued

    def wake(self) -> None:
        """A set was queued: look at the queue now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        """Stop feeding and close the engine; unfinished sets stay 'running' in the store and
        are re-queued at the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._engine is not None:
            stop(self._engine)

    def job_for(self, row: SetRow) -> SetJob:
        config = self.config_for(row) if self.config_for else self.config_path
        return SetJob(
            video=self.uploads / row.stored_name,
            out_dir=self.set_folder(row.public_id),
            exercise=row.exercise,
            lifter=str(row.client_id),
            date=None,
            with_video=True,
            config_path=config,
            title=row.original_name or None,
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._fill()
            self._wake.wait(timeout=2.0)
            self._wake.clear()

    def _fill(self) -> None:
        assert self._engine is not None
        while not self._stop.is_set():
            with self._lock:
                if len(self._in_flight) >= self.capacity:
                    return
                row = self.store.claim_next()
                if row is None:
                    return
                try:
                    job = self.job_for(row)
                    prepare(job)
                    future = self._engine.submit(job)
                except Exception as exc:  # noqa: BLE001 - the engine refused: the set fails
                    self._record_error(row.id, exc)
                    continue
                self._in_flight[row.id] = future
            future.add_done_callback(functools.partial(self._done, row.id))

    def _done(self, set_id: int, future: concurrent.futures.Future[SetResult]) -> None:
        with self._lock:
            self._in_flight.pop(set_id, None)
        try:
            result = future.result()
        except BaseException as exc:  # noqa: BLE001 - cancelled, or the engine itself broke
            if not self._stop.is_set():
                self._record_error(set_id, exc)
        else:
            if self._stop.is_set() and result.status == "failed":
                return  # stopped by the shutdown: still running in the store, re-queued later
            self.record(set_id, result)
        self._wake.set()

    def record(self, set_id: int, result: SetResult) -> None:
        ok = result.status in ("analysed", "not_judged", "skipped") and result.report is not None
        reason = result.reason or ("" if ok else "the analysis wrote no report")
        # Reasons name the stored file; the people reading them know it as "the video".
        reason = reason.replace(f"{result.job.video}: ", "").replace(
            str(result.job.video), "the video"
        )
        self.store.finish(
            set_id,
            ok=ok,
            status=result.status,
            reason=reason,
            reps=result.reps,
            faults=dict(result.faults),
            seconds=result.seconds,
        )
        log.info("set %s: %s %s", set_id, result.status, reason)

    def _record_error(self, set_id: int, exc: BaseException) -> None:
        first = str(exc).splitlines()[0] if str(exc) else ""
        reason = f"the analysis stopped: {type(exc).__name__}{': ' + first if first else ''}"
        self.store.finish(
            set_id, ok=False, status="failed", reason=reason, reps=0, faults={}, seconds=0.0
        )
        log.warning("set %s failed: %s", set_id, reason)
