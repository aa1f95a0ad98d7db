"""The cluster engine: a pool of Ray actors on an existing cluster, each holding a loaded model.

Sets go to idle actors only (a set per actor at a time; `run` bounds how many are queued), so
a 10,000-line manifest is never submitted at once. An actor that can see the set's video on
its own disk (same size and modification time as the driver sees) works there and writes the
outputs in place; one that can't (a node without the shared disk) gets the video's bytes
through Ray's object store and sends the outputs back for the driver to write. An actor that
dies (even in native code) or overruns the time limit per set fails its one set and is
replaced by a new one, started in the background: the others go on meanwhile, and when the
cluster has no room for it (its node was lost), it starts when the node is back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hingecheck.batch.engine import EngineContext
from hingecheck.batch.jobs import SetJob, SetResult, failed, overdue
from hingecheck.batch.ray_cluster import (
    check_version,
    connect,
    driver_exposure,
    first_line,
    why_lost,
)
from hingecheck.batch.resume import staging_dir
from hingecheck.batch.worker import SetAnalyzer, analyze_set, analyze_shipped, place_shipped
from hingecheck.errors import InputError
from hingecheck.version import __version__
from hingecheck.video.source import check_video_path

READY_TIMEOUT_S = 180.0  # actors load the model at start; a full cluster never places them
START_TRIES = 3  # a replacement actor that fails to start this often in a row is given up


class SetActor:
    """One Ray worker process holding a loaded pose model for its whole life."""

    def __init__(self, model: str | None) -> None:
        self.analyzer = SetAnalyzer(Path(model) if model else None)
        self.analyzer.warm()

    def hello(self) -> dict[str, Any]:
        """Who this actor is: its process, node and hingecheck version."""
        return {"pid": os.getpid(), "host": socket.gethostname(), "version": __version__}

    def analyze(self, job: SetJob, size: int, mtime_ns: int) -> tuple[Any, ...]:
        """Analyse the set in place, or ("ship",) when this node can't see the driver's file
        or can't write its output folder."""
        try:
            st = job.video.stat()
            seen = (st.st_size, st.st_mtime_ns) == (size, mtime_ns)
        except OSError:
            seen = False
        folder = job.out_dir
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not seen or not os.access(folder, os.W_OK):
            return ("ship",)
        return ("done", analyze_set(job, self.analyzer))

    def analyze_shipped(self, job: SetJob, data: bytes, rel: str) -> tuple[Any, ...]:
        result, files = analyze_shipped(job, data, rel, self.analyzer)
        return ("shipped", result, files)


@dataclass
class _Slot:
    """One actor and what the driver knows of it."""

    actor: Any
    pid: int = 0
    ship: bool = False  # its node can't see the driver's disk: send it the video
    busy: SetJob | None = None
    hello: Any = None  # the pending greeting of an actor starting in the background
    since: float = 0.0  # when that start began
    failed_starts: int = 0


class RayEngine(EngineContext):
    """Sets run on `workers` actors on a Ray cluster (default: one per CPU it has).

    `timeout`: seconds a set may take before its actor is stopped and replaced (None: no
    limit). `notify`: where one-line news goes (a lost or returning worker, a warning)."""

    def __init__(
        self,
        address: str,
        workers: int | None = None,
        model: Path | None = None,
        ship: bool = False,
        timeout: float | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        import ray

        self._ray = ray
        self._notify = notify or logging.getLogger(__name__).warning
        self._joined = connect(address)
        self.model = Path(model) if model else None
        self.timeout = timeout
        self._ship_all = ship
        self._stopped = False
        try:
            if (warning := driver_exposure(ray)) is not None:
                self._notify(warning)
            cpus = int(ray.cluster_resources().get("CPU", 1))
            self.workers = max(1, workers or cpus)
            self._cls = ray.remote(num_cpus=1, max_restarts=0)(SetActor)
            self._slots = [_Slot(self._new_actor()) for _ in range(self.workers)]
            self._greet(self._slots)
        except BaseException:
            self._leave()
            raise
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._queue: deque[tuple[SetJob, Future[SetResult]]] = deque()
        self._running: dict[Any, tuple[_Slot, SetJob, Future[SetResult], float]] = {}
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="hingecheck-ray", daemon=True)
        self._thread.start()

    def _new_actor(self) -> Any:
        return self._cls.remote(str(self.model) if self.model else None)

    def _greet(self, slots: list[_Slot]) -> None:
        """Wait for the actors to load the model; refuse a cluster running another version."""
        ray = self._ray
        try:
            infos = ray.get([s.actor.hello.remote() for s in slots], timeout=READY_TIMEOUT_S)
        except ray.exceptions.GetTimeoutError:
            raise InputError(
                f"the Ray cluster did not start {len(slots)} workers within "
                f"{READY_TIMEOUT_S:.0f} s (too few free CPUs? use --workers)"
            ) from None
        except ray.exceptions.RayError as exc:
            raise InputError(f"the Ray workers could not start: {first_line(exc)}") from None
        for slot, info in zip(slots, infos, strict=True):
            check_version(info)
            slot.pid = int(info["pid"])

    def worker_pids(self) -> list[int]:
        """The actors' process ids (on their own nodes); 0 for one still starting."""
        return [s.pid for s in self._slots]

    def submit(self, job: SetJob) -> Future[SetResult]:
        """Queue one set for the next idle actor; the future never raises. Relative paths are
        made absolute here: an actor's working folder is not the driver's."""
        job = replace(job, video=job.video.absolute(), out_dir=job.out_dir.absolute())
        fut: Future[SetResult] = Future()
        with self._lock:
            if self._closing:
                fut.set_result(failed(job, "the engine is closed"))
                return fut
            self._queue.append((job, fut))
        self._wake.set()
        return fut

    def _start(self, slot: _Slot, job: SetJob, fut: Future[SetResult]) -> None:
        try:
            check_video_path(job.video)
            st = job.video.stat()
            if slot.ship or self._ship_all:
                staging = staging_dir(job, "x")
                rel = os.path.relpath(job.video.resolve(), staging.resolve())
                ref = slot.actor.analyze_shipped.remote(job, job.video.read_bytes(), rel)
            else:
                ref = slot.actor.analyze.remote(job, st.st_size, st.st_mtime_ns)
        except InputError as exc:
            fut.set_result(failed(job, str(exc)))
            return
        except OSError as exc:
            fut.set_result(failed(job, f"cannot read {job.video}: {exc.strerror or exc}"))
            return
        slot.busy = job
        self._running[ref] = (slot, job, fut, time.monotonic())

    def _finish(self, ref: Any) -> None:
        ray = self._ray
        slot, job, fut, _t0 = self._running.pop(ref)
        slot.busy = None
        try:
            value = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            why = why_lost(exc)
            fut.set_result(failed(job, f"the worker died while analysing this set ({why})"))
            self._replace(slot, f"a Ray worker was lost ({why})")
            return
        except ray.exceptions.RayError as exc:
            fut.set_result(failed(job, f"{type(exc).__name__}: {first_line(exc)}"))
            return
        if value[0] == "ship":  # this actor's node can't see the file: send it, to this one
            slot.ship = True
            self._start(slot, job, fut)
            return
        result: SetResult = value[1]
        if value[0] == "shipped" and result.status != "failed":
            try:
                place_shipped(job, value[2])
            except (OSError, InputError) as exc:
                result = failed(job, f"cannot write the outputs to {job.out_dir}: {exc}")
        fut.set_result(result)

    def _stop_overdue(self) -> None:
        """Fail the sets past the time limit and replace their actors (a hung decoder)."""
        if not self.timeout:
            return
        now = time.monotonic()
        for ref, (slot, job, fut, t0) in list(self._running.items()):
            if now - t0 > self.timeout:
                del self._running[ref]
                slot.busy = None
                fut.set_result(failed(job, overdue(self.timeout), now - t0))
                self._replace(
                    slot, f"a Ray worker was stopped ({job.video.name} ran past the time limit)"
                )

    def _replace(self, slot: _Slot, why: str) -> None:
        """Put a new actor in `slot`, started in the background (no wait here: with every CPU
        in use it may start only when a lost node is back)."""
        with contextlib.suppress(Exception):  # already gone
            self._ray.kill(slot.actor, no_restart=True)
        slot.actor, slot.ship, slot.pid = self._new_actor(), False, 0
        slot.hello, slot.since = slot.actor.hello.remote(), time.monotonic()
        if why:
            ready = sum(1 for s in self._slots if s.hello is None)
            self._notify(
                f"{why}; {ready} of {len(self._slots)} workers go on, a new one starts "
                "when the cluster has room"
            )

    def _greeted(self, slot: _Slot) -> None:
        """A background start answered: the actor joins the pool, or the start is retried
        (given up after START_TRIES failures in a row, or for another version)."""
        ray = self._ray
        try:
            info = ray.get(slot.hello)
            check_version(info)
        except (ray.exceptions.RayError, InputError) as exc:
            slot.failed_starts += 1
            if isinstance(exc, InputError) or slot.failed_starts >= START_TRIES:
                self._slots.remove(slot)
                self._notify(f"a Ray worker could not be replaced: {first_line(exc)}")
            else:
                self._replace(slot, "")
            return
        slot.hello, slot.pid, slot.failed_starts = None, int(info["pid"]), 0
        ready = sum(1 for s in self._slots if s.hello is None)
        self._notify(f"a Ray worker is back: {ready} of {len(self._slots)} workers")

    def _none_left(self) -> bool:
        """No actor ready, and none started within READY_TIMEOUT_S: the queue can't run."""
        if any(s.hello is None for s in self._slots):
            return False
        now = time.monotonic()
        return all(now - s.since > READY_TIMEOUT_S for s in self._slots)

    def _loop(self) -> None:
        ray = self._ray
        while True:
            with self._lock:
                self._stop_overdue()
                idle = [s for s in self._slots if s.busy is None and s.hello is None]
                while idle and self._queue:
                    job, fut = self._queue.popleft()
                    if fut.set_running_or_notify_cancel():
                        self._start(idle.pop(), job, fut)
                if self._closing and not self._queue and not self._running:
                    return
                if self._queue and self._none_left():
                    while self._queue:
                        job, fut = self._queue.popleft()
                        fut.set_result(failed(job, "no Ray worker is left to run this set"))
                starting = {s.hello: s for s in self._slots if s.hello is not None}
                waiting = [*self._running, *starting]
            if waiting:
                ready, _ = ray.wait(waiting, num_returns=1, timeout=0.2)
                with self._lock:
                    for ref in ready:
                        if ref in self._running:
                            self._finish(ref)
                        elif ref in starting and starting[ref] in self._slots:
                            self._greeted(starting[ref])
            else:
                self._wake.wait(0.2)
                self._wake.clear()

    def close(self) -> None:
        """Let submitted sets finish, then end the actors (and leave the cluster)."""
        if self._stopped:
            return
        with self._lock:
            self._closing = True
        self._wake.set()
        self._thread.join()
        self._leave()

    def abort(self) -> None:
        """Stop now: queued sets are cancelled, running ones killed with their actors. Safe
        to call again (a `with` block and `run` may both call it)."""
        if self._stopped:
            return
        with self._lock:
            self._closing = True
            while self._queue:
                _job, fut = self._queue.popleft()
                fut.cancel()  # still pending: never started
            for _slot, job, fut, _t0 in self._running.values():
                if not fut.done():
                    fut.set_result(failed(job, "cancelled"))
            self._running.clear()
        self._thread.join()
        self._leave()

    def _leave(self) -> None:
        self._stopped = True
        # Only while connected: Ray calls made after shutdown start a local Ray instance.
        if self._ray.is_initialized():
            for slot in getattr(self, "_slots", []):
                with contextlib.suppress(Exception):  # already gone
                    self._ray.kill(slot.actor, no_restart=True)
        if self._joined and self._ray.is_initialized():
            self._ray.shutdown()
            self._joined = False
