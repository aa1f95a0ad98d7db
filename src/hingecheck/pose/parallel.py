"""The pose pass split over threads: one time chunk of the video each, then stitched.

The model is the one expensive stage and runs one frame after another, so the video is cut
into chunks by time and each chunk is run by a thread with its own decoder and its own model.
Threads, not processes: the model's calls and the decoder release the GIL (the model runs on
its own native threads), so two threads keep two cores busy, and a thread costs no interpreter
start-up, no second import of the model's runtime (~1.5-3 s a process here) and no copy of its
memory; chunks are therefore worth it on a clip of a few seconds. A thread decodes from the
keyframe before its chunk and shows its model `OVERLAP_S` of frames before the chunk (the
tracker starts with a fresh detection either way; the overlap's last frame is what proves the
seam meets), and returns the poses of its own frames only. Frame times come from the same clock
as a single pass, so the chunks stitch into one Track with no frame missing or doubled; that is
checked, and any seam that does not meet falls back to the single pass. Reps are found on the
stitched Track, so a rep across a chunk boundary is counted once by construction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hingecheck.config import PoseConfig
from hingecheck.pose.track import PosePass, finish_pass
from hingecheck.progress import frame_bar
from hingecheck.records import Track, VideoInfo

# Frames shown to a chunk's model before its own: they prove the seam (the last of them is the
# previous chunk's last frame) and let the tracker's first detection settle.
OVERLAP_S = 0.1
# Below this a second thread is not worth its model's start-up (~0.2 s) and first detection.
MIN_PARALLEL_S = 2.0
# One thread per core, and 2 at most by default: on 2 cores a third only adds switching.
MAX_AUTO_WORKERS = 2
# Long videos are cut into chunks of at most this length, taken in time order from a queue by
# whichever thread is free, so a thread slowed by other load does not hold up the end.
CHUNK_MAX_S = 30.0


@dataclass(frozen=True)
class Chunk:
    """One worker's share: frames with start_s <= t < end_s (end_s None: to the end)."""

    index: int
    start_s: float
    end_s: float | None


@dataclass(frozen=True)
class PoseSettings:
    """What the model needs."""

    model_path: str
    pose: PoseConfig


class _Counter:
    """Frames done over all threads, behind the progress bar."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_workers(duration_s: float) -> int:
    """The default thread count: 1 for very short clips, else the CPUs we may use (capped)."""
    if duration_s <= MIN_PARALLEL_S:
        return 1
    return max(1, min(available_cpus(), MAX_AUTO_WORKERS))


def plan_chunks(duration_s: float, workers: int, max_s: float | None = None) -> list[Chunk]:
    """Equal time chunks, at least one per worker and none longer than `max_s` (default
    CHUNK_MAX_S); the first starts at 0 and the last runs to the end of the stream."""
    max_s = CHUNK_MAX_S if max_s is None else max_s
    n = max(1, int(workers), int(np.ceil(duration_s / max_s)) if max_s > 0 else 1)
    # A multiple of the workers, so the last round of chunks keeps every thread busy.
    n = int(np.ceil(n / max(1, workers))) * max(1, workers)
    edges = [duration_s * k / n for k in range(n + 1)]
    return [Chunk(k, edges[k], None if k == n - 1 else edges[k + 1]) for k in range(n)]


def run_chunk(
    video: str,
    chunk: Chunk,
    settings: PoseSettings,
    info: VideoInfo,
    counter: _Counter | None = None,
    on_frame: Callable[[float], None] | None = None,
) -> tuple[PosePass, float | None]:
    """The pose samples and frame times of one chunk's own frames, and the time of the frame
    decoded just before the chunk (None if none), which the caller checks against the
    previous chunk's last frame.
    """
    from hingecheck.pose.landmarker import FollowSettings, PoseEstimator
    from hingecheck.pose.sampling import TurnSettings
    from hingecheck.pose.track import sample_poses
    from hingecheck.video.cuts import PictureChange
    from hingecheck.video.source import iter_frames

    # At least two frames of overlap whatever the frame rate: the seam is proven by them.
    overlap = max(OVERLAP_S, 2.5 / max(info.fps, 1.0))
    lead_in = max(0.0, chunk.start_s - overlap) if chunk.index else None
    before: float | None = None

    def own(t: float) -> bool:
        nonlocal before
        if t < chunk.start_s:  # overlap: only settles the tracker
            before = t
            return False
        return True

    def count(t: float) -> None:
        if counter is not None:
            counter.add()
        if on_frame is not None:
            on_frame(t)

    cfg = settings.pose
    with PoseEstimator(settings.model_path, FollowSettings.from_config(cfg)) as est:
        frames = iter_frames(video, cfg.max_side, lead_in, chunk.end_s)
        result = sample_poses(
            frames,
            info,
            est,
            TurnSettings.from_config(cfg),
            picture=PictureChange.from_config(cfg),
            keep=own,
            on_frame=count,
        )
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
    # Each chunk's first frame was compared with the frame before the chunk (its lead-in's
    # last), so the picture changes join as a single pass's would.
    change = np.concatenate([p.frame_change for p, _ in parts])
    roll = np.concatenate([p.frame_roll for p, _ in parts])
    return PosePass(Track.concatenate([p.samples for p, _ in parts], info), frame_t, change, roll)


def estimate_track_parallel(
    video: Path,
    info: VideoInfo,
    settings: PoseSettings,
    workers: int,
    progress: bool = False,
    on_frame: Callable[[float], None] | None = None,
) -> Track | None:
    """The pose pass over `workers` threads, stitched; None when the seams don't meet
    (e.g. a stream without timestamps), in which case run the single pass instead.
    `on_frame(t)` is called (from the threads) after each frame of the chunks' own.
    The caller silences the model's native log lines (quiet_native_stderr) around this."""

    chunks = plan_chunks(info.duration_s, workers)
    workers = min(workers, len(chunks))
    counter = _Counter()
    bar = frame_bar(info.frames, f"{video.name} ({workers} threads)", progress)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="hingecheck-pose")
    try:
        with bar:
            futures = [
                pool.submit(run_chunk, str(video), c, settings, info, counter, on_frame)
                for c in chunks
            ]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
                bar.update(counter.value - bar.n)
                if any(f.exception() for f in done):
                    break
            parts = [f.result() for f in futures]  # re-raises a thread's error here
    finally:
        # On an error or Ctrl-C the chunks not yet started are dropped; a running one ends
        # with its chunk.
        pool.shutdown(wait=True, cancel_futures=True)
    joined = stitch(parts, info)
    return None if joined is None else finish_pass(joined, settings.pose.cut_min_share)
