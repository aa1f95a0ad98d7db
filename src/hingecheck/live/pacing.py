"""Keeping up with a camera: the pose model on up to two frames at once, and frames skipped
evenly when even that is too slow.

One model call takes longer than a frame lasts (~44 ms here for a detected pose at 30 fps), so
one model alone falls behind, and the frames it misses are whichever arrived while it was busy:
an uneven cadence, and each frame it does take has waited for the previous call. Two models in
two threads (their calls release the GIL and run on their own native threads) take turns, so a
2-core machine takes nearly every frame while a paired call stays cheap (94-96 % of a 720p30
clip here; see `Stride` for when pairs are not worth it); results are handed on in frame order.
When the calls still take longer than the frames allow (a slower machine, another process
holding a core, a 60 fps camera), frames are taken on a stride (every 2nd, every 3rd, ...)
chosen from the measured call time, so the frames analysed stay evenly spaced, each one is fresh
when taken, and nothing queues. A hinge rep lasts over a second, so even every 3rd frame at 30
fps sees each bottom and lockout.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# The stride never rises past this: at 30 fps every 4th frame is still 7.5 a second.
MAX_STRIDE = 4


@dataclass
class Stride:
    """Which frames to analyse and how many model calls to run at once, from the calls' times.

    Two calls side by side only pay when two cores are free: with one core taken by something
    else they share the other, each takes about twice as long, and every frame waits twice the
    model's time. So the time of a call made alone and of one made beside another are tracked
    apart, and the second model is used only while a paired call costs under 1.4x a lone one
    (the paired estimate drifts back towards the lone one while unused, so pairs are tried
    again after a while, and kept if the other load has gone). Then the stride is the smallest
    that keeps the frames taken within what the calls in flight can do, with a 10 % margin,
    and it changes only when the need is clear (no flapping between 1 and 2).
    """

    fps: float
    workers: int
    every: int = 1
    in_flight: int = 0  # calls allowed at once (0 until set: all the workers)
    call_s: float | None = None  # running mean of one call's wall time, as they are run now
    solo_s: float | None = None  # ... of a call made alone
    pair_s: float | None = None  # ... of a call made beside another

    def __post_init__(self) -> None:
        self.in_flight = self.in_flight or self.workers

    def update(self, seconds: float, paired: bool = False) -> None:
        """Note one call's wall time, and whether another call ran beside it."""
        self.call_s = _mean(self.call_s, seconds)
        if paired:
            self.pair_s = _mean(self.pair_s, seconds)
        else:
            self.solo_s = _mean(self.solo_s, seconds)
            if self.pair_s is not None and self.in_flight == 1:
                self.pair_s = 0.98 * self.pair_s + 0.02 * self.solo_s  # try pairs again later
        if self.workers > 1 and self.solo_s is not None and self.pair_s is not None:
            self.in_flight = self.workers if self.pair_s < 1.4 * self.solo_s else 1
        need = self.call_s * self.fps / max(self.in_flight, 1)  # frames each call spans
        wanted = min(MAX_STRIDE, max(1, math.ceil(need * 1.1)))
        if wanted > self.every or need < 0.8 * (self.every - 1):
            self.every = wanted

    def takes(self, index: int) -> bool:
        """Whether the frame with this source index is analysed."""
        return index % self.every == 0


def _mean(old: float | None, new: float) -> float:
    return new if old is None else 0.9 * old + 0.1 * new


class OrderedPool(Generic[T, R]):
    """Runs `work(item)` on up to `workers` items at once, each worker thread with its own
    state from `make_state()` (a pose model each, fed frames in time order), and hands the
    results back in submission order."""

    def __init__(self, workers: int, make_state: Callable[[], object], work: Callable) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="hingecheck-live-pose")
        self._states = [make_state() for _ in range(workers)]
        self._next = 0
        self._work = work
        self._pending: deque[tuple[T, Future, bool]] = deque()

    def full(self, limit: int | None = None) -> bool:
        """True when `limit` (default: all the workers) items are in flight."""
        return len(self._pending) >= min(limit or self.workers, self.workers)

    def submit(self, item: T) -> None:
        """Start work on an item (round robin over the workers' states)."""
        state = self._states[self._next]
        self._next = (self._next + 1) % self.workers
        # One state per worker, used in turn: a state's items are submitted in order, and its
        # previous item is done before its next starts (at most `workers` are in flight).
        paired = any(not f.done() for _, f, _ in self._pending)
        self._pending.append((item, self._pool.submit(self._work, state, item), paired))

    def ready(self, block: bool) -> list[tuple[T, R, bool]]:
        """The finished results at the head of the order (waiting for the oldest if block),
        each with whether another item was in flight when it started."""
        out: list[tuple[T, R, bool]] = []
        while self._pending:
            item, future, paired = self._pending[0]
            if not future.done() and not (block and not out):
                break
            self._pending.popleft()
            out.append((item, future.result(), paired))
        return out

    def drain(self) -> list[tuple[T, R, bool]]:
        """Every result still pending, in order."""
        out: list[tuple[T, R, bool]] = []
        while self._pending:
            out += self.ready(block=True)
        return out

    @property
    def states(self) -> list[object]:
        return list(self._states)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
