"""Frames for the live loop: any source (`opener.open_source`), read in a thread of its own.

The reader always hands over only the newest frame: when the loop is still busy with the last
one, the waiting frame is replaced (and counted as dropped), never queued, so the loop can't
fall behind the camera. A file is read either paced at its own frame rate (`realtime`, as a
camera would deliver it) or frame by frame in lock-step with the loop (nothing dropped).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from hingecheck.errors import InputError
from hingecheck.video.opener import open_source
from hingecheck.video.source import Frame


@dataclass(frozen=True)
class Grab:
    """One frame as it arrived: its time in the stream, its arrival on the perf_counter clock
    and its RGB pixels, scaled to the size the pose model gets (and the recording keeps).

    The pixels are converted (scaled, to RGB) on first use of `rgb` (Frame.rgb is lazy), by
    whoever takes the frame: a frame replaced by a newer one before it was taken costs only
    its decoding, so the reader thread stays on time when the machine is busy (converting
    every frame, only to drop most of them, had made it fall behind the source).
    """

    index: int
    t: float
    arrived: float
    frame: Frame

    @property
    def rgb(self) -> np.ndarray:
        return self.frame.rgb


class Grabber:
    """Reads a source in a daemon thread and keeps only the newest frame for `get`."""

    def __init__(self, source: str, *, realtime: bool = False, max_side: int | None = 640) -> None:
        self.max_side = max_side
        self.seen = 0
        self.error: str | None = None  # why the source stopped early (disconnect), if it did
        self._cond = threading.Condition()
        self._slot: Grab | None = None
        self._done = False
        self._stop = threading.Event()
        self.info, self._frames = open_source(source, max_side)
        self._lockstep = self.info.kind == "file" and not realtime
        self._paced = self.info.kind == "file" and realtime
        self._thread = threading.Thread(target=self._run, name="hingecheck-grab", daemon=True)
        self._on_frame: Callable[[Grab], None] | None = None

    def start(self, on_frame: Callable[[Grab], None] | None = None) -> Grabber:
        """Start reading. `on_frame` is called in the reader's thread with every frame as it
        arrives, before it can be replaced by the next (live records every frame with it); it
        must not hold the reader up (hand the frame on, don't convert or encode it there)."""
        self._on_frame = on_frame
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading (the thread ends at its next frame)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    @property
    def finished(self) -> bool:
        """True once the source has no more frames and the last one was taken."""
        with self._cond:
            return self._done and self._slot is None

    def get(self, timeout: float = 0.1) -> Grab | None:
        """The newest frame not yet taken, waiting up to `timeout` s; None if none came."""
        with self._cond:
            if self._slot is None and not self._done:
                self._cond.wait(timeout)
            grab, self._slot = self._slot, None
            self._cond.notify_all()
            return grab

    def _run(self) -> None:
        start = time.perf_counter()
        frames: Iterator[Frame] = self._frames
        try:
            for frame in frames:
                if self._stop.is_set():
                    break
                arrived = time.perf_counter()
                if self.info.kind != "file":
                    arrived = start + frame.t  # a camera's frames are timed by their arrival
                elif self._paced:
                    # A camera delivers frame t at start + t whether or not we were ready:
                    # a late decode counts as waiting, so the latency shows it.
                    due = start + frame.t
                    wait = due - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                    arrived = due
                grab = Grab(frame.index, frame.t, arrived, frame)
                if self._on_frame is not None:
                    self._on_frame(grab)
                self._publish(grab)
        except InputError as exc:  # a camera that went silent: the session ends, saved
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a reader failure ends the session, not the app
            self.error = f"{self.info.label}: reading failed ({type(exc).__name__}: {exc})"
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()  # releases the camera or the file
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _publish(self, grab: Grab) -> None:
        with self._cond:
            if self._lockstep:  # a file read as fast as the loop goes: hand over when taken
                while self._slot is not None and not self._stop.is_set():
                    self._cond.wait(0.1)
                grab = replace(grab, arrived=time.perf_counter())
            self._slot = grab  # a frame still waiting is replaced: dropped, not queued
            self.seen += 1
            self._cond.notify_all()
