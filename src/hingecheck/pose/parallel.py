"""The pose pass split over worker processes: one time chunk of the video each, then stitched.

The model is the one expensive stage and runs one frame after another, so a long video is cut
into N chunks by time and each chunk is run in its own process (own decoder, own model, pinned
to a CPU of its own when there are enough). A worker seeks to the keyframe before its chunk,
starts its model `OVERLAP_S` early so the VIDEO-mode tracker and its smoothing have settled by
the chunk's first frame, and returns the poses of its own frames only. Frame times come from
the same clock as a single pass, so the chunks stitch into one Track with no frame missing or
doubled; that is checked, and any seam that does not meet falls back to the single pass. Reps
are found on the stitched Track, so a rep across a chunk boundary is counted once by
construction.

Workers are spawned (not forked), so a script calling `analyze(..., workers=2)` needs the usual
`if __name__ == "__main__":` guard; the `hingecheck` command has it.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hingecheck.config import PoseConfig
from hingecheck.pose.track import PosePass, finish_pass
from hingecheck.progress import frame_bar
from hingecheck.records import Track, VideoInfo

# Long enough for the tracker to lock on and its landmark smoothing to forget its start.
OVERLAP_S = 1.0
# Below this a video is not worth the workers' start-up (~2 s each: imports and model load).
MIN_PARALLEL_S = 20.0
# Each worker holds its own model and decoder (~360 MB resident; parent + 2 workers measured
# at ~850 MB on a 1-minute video, 933 MB at the end of a 30-minute 1080p one): more than 2 by
# default would break the 1 GB memory bound.
MAX_AUTO_WORKERS = 2
# A worker's memory grows with the frames it holds (~4 MB per video minute): a long video is
# cut into chunks of at most this length, each run by a fresh worker process that hands its
# frames back and exits, so a 30-minute video needs no more worker memory than a 2-minute one.
CHUNK_MAX_S = 120.0


@dataclass
class _Shared:
    """What the parent shares with each worker process (set once, by the pool's initializer)."""

    counter: Any  # multiprocessing Value: frames done, behind the progress bar
    cpus: list[int]  # the CPUs the workers may pin themselves to, one each
    busy: Any  # multiprocessing Array: 1 where a worker holds that CPU


_shared: _Shared | None = None  # per worker process, set by _init_worker


@dataclass(frozen=True)
class Chunk:
    """One worker's share: frames with start_s <= t < end_s (end_s None: to the end)."""

    index: int
    start_s: float
    end_s: float | None


@dataclass(frozen=True)
class PoseSettings:
    """What the model needs, picklable for the worker processes."""

    model_path: str
    pose: PoseConfig


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_workers(duration_s: float) -> int:
    """The default worker count: 1 for short clips, else the CPUs we may use (capped)."""
    if duration_s <= MIN_PARALLEL_S:
        return 1
    return max(1, min(available_cpus(), MAX_AUTO_WORKERS))


def plan_chunks(duration_s: float, workers: int, max_s: float | None = None) -> list[Chunk]:
    """Equal time chunks, at least one per worker and none longer than `max_s` (default
    CHUNK_MAX_S); the first starts at 0 and the last runs to the end of the stream."""
    max_s = CHUNK_MAX_S if max_s is None else max_s
    n = max(1, int(workers), int(np.ceil(duration_s / max_s)) if max_s > 0 else 1)
    edges = [duration_s * k / n for k in range(n + 1)]
    return [Chunk(k, edges[k], None if k == n - 1 else edges[k + 1]) for k in range(n)]


def _init_worker(shared: _Shared) -> None:
    global _shared  # noqa: PLW0603 - one per process, set by the pool's initializer
    _shared = shared


@contextlib.contextmanager
def _own_cpu() -> Iterator[None]:
    """Pin this worker (and the threads its model and decoder start) to a CPU no other worker
    holds. Unpinned, each model's thread pool spreads over every core and the workers' threads
    contend: measured on 2 cores at 720p, 40.4 ms of CPU a frame against 34.9 for one pinned
    process (45 fps); pinned, 37.7 ms (52 fps)."""
    shared = _shared
    slot = None
    if shared is not None and shared.cpus and hasattr(os, "sched_setaffinity"):
        with shared.busy.get_lock():
            free = [k for k, b in enumerate(shared.busy) if not b]
            if free:
                slot = free[0]
                shared.busy[slot] = 1
        if slot is not None:
            os.sched_setaffinity(0, {shared.cpus[slot]})
    try:
        yield
    finally:
        if shared is not None and slot is not None:
            with shared.busy.get_lock():
                shared.busy[slot] = 0


def run_chunk(
    video: str, chunk: Chunk, settings: PoseSettings, info: VideoInfo
) -> tuple[PosePass, float | None]:
    """Worker: the pose samples and frame times of one chunk's own frames, and the time of the
    frame decoded just before the chunk (None if none), which the parent checks against the
    previous chunk's last frame.
    """
    from hingecheck.pose.landmarker import PoseEstimator, quiet_native_stderr
    from hingecheck.pose.track import sample_poses
    from hingecheck.video.source import iter_frames

    lead_in = max(0.0, chunk.start_s - OVERLAP_S) if chunk.index else None
    before: float | None = None

    def own(t: float) -> bool:
        nonlocal before
        if t < chunk.start_s:  # overlap: only settles the tracker
            before = t
            return False
        return True

    def count(_t: float) -> None:
        if _shared is not None:
            with _shared.counter.get_lock():
                _shared.counter.value += 1

    cfg = settings.pose
    with _own_cpu():  # before the model and decoder start their threads: they inherit it
        model = PoseEstimator(
            settings.model_path, cfg.num_poses, cfg.min_presence, cfg.people_check_s
        )
        with quiet_native_stderr(), model as est:
            frames = iter_frames(video, cfg.max_side, lead_in, chunk.end_s)
            result = sample_poses(frames, info, est, cfg.sample_hz, keep=own, on_frame=count)
    return result, before


def stitch(parts: list[tuple[PosePass, float | None]], info: VideoInfo) -> PosePass | None:
    """Join the chunks in time order; None if a seam does not meet exactly (a frame missing or
    doubled), so the caller can fall back to a single pass."""
    last_t: float | None = None
    for k, (part, before) in enumerate(parts):
        if k and len(part.frame_t) and (last_t is None or before != last_t):
            return None  # the frame before this chunk is not the previous chunk's last
        if len(part.frame_t):
            last_t = float(part.frame_t[-1])
    frame_t = np.concatenate([p.frame_t for p, _ in parts])
    if len(frame_t) > 1 and not np.all(np.diff(frame_t) > 0):
        return None
    return PosePass(Track.concatenate([p.samples for p, _ in parts], info), frame_t)


def estimate_track_parallel(
    video: Path,
    info: VideoInfo,
    settings: PoseSettings,
    workers: int,
    progress: bool = False,
) -> Track | None:
    """The pose pass over `workers` processes, stitched; None when the seams don't meet
    (e.g. a stream without timestamps), in which case run the single pass instead."""

    chunks = plan_chunks(info.duration_s, workers)
    workers = min(workers, len(chunks))
    # spawn, not fork: the parent may already hold the model's threads, which fork can't copy.
    ctx = mp.get_context("spawn")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    # Pin only when every worker can have a CPU of its own.
    cpus = cpus if len(cpus) >= workers else []
    shared = _Shared(ctx.Value("q", 0), cpus, ctx.Array("b", max(len(cpus), 1)))
    counter = shared.counter
    bar = frame_bar(info.frames, f"{video.name} ({workers} workers)", progress)
    pool = ProcessPoolExecutor(
        workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(shared,),
        max_tasks_per_child=1,  # a fresh process per chunk: its memory is returned each time
    )
    try:
        with bar:
            futures = [pool.submit(run_chunk, str(video), c, settings, info) for c in chunks]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                bar.update(counter.value - bar.n)
                if any(f.exception() for f in done):
                    break
            parts = [f.result() for f in futures]  # re-raises a worker's error here
    except BaseException:
        # Don't let the other workers run on for minutes after one failed or Ctrl-C: they are
        # our own processes, ended by their pids.
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    joined = stitch(parts, info)
    return None if joined is None else finish_pass(joined)
