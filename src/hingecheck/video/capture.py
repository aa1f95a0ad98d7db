"""Frames for the live loop: a camera, a stream URL or a file, read in a thread of its own.

The reader always hands over only the newest frame: when the loop is still busy with the last
one, the waiting frame is replaced (and counted as dropped), never queued, so the loop can't
fall behind the camera. A file is read either paced at its own frame rate (`realtime`, as a
camera would deliver it) or frame by frame in lock-step with the loop (nothing dropped).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hingecheck.errors import InputError
from hingecheck.video.source import check_video_path, iter_frames, probe, scaled_size

# A camera that gives no frame for this long has been unplugged (or is held by another program).
CAMERA_TIMEOUT_S = 2.0


class Grab:
    """One frame as it arrived: its time in the stream, its arrival on the perf_counter clock
    and its RGB pixels, scaled to the size the pose model gets (and the recording keeps).

    The pixels are converted (scaled, to RGB) on first use of `rgb`, by whoever takes the
    frame: a frame replaced by a newer one before it was taken costs only its decoding, and
    the reader thread stays on time when the machine is busy (converting every frame it
    delivers, only to drop most of them, had made it fall behind the source).
    """

    __slots__ = ("index", "t", "arrived", "_pixels", "_convert")

    def __init__(
        self,
        index: int,
        t: float,
        arrived: float,
        pixels: object,
        convert: Callable[[object], np.ndarray] | None = None,
    ) -> None:
        self.index, self.t, self.arrived = index, t, arrived
        self._pixels, self._convert = pixels, convert

    @property
    def rgb(self) -> np.ndarray:
        if self._convert is not None:
            self._pixels, self._convert = self._convert(self._pixels), None
        return self._pixels  # type: ignore[return-value]

    def arriving_at(self, arrived: float) -> Grab:
        """The same frame with another arrival time."""
        return Grab(self.index, self.t, arrived, self._pixels, self._convert)


@dataclass(frozen=True)
class SourceInfo:
    """What the source is and the size of its frames."""

    label: str  # "camera 0", a URL or a file name
    kind: str  # "camera" | "url" | "file"
    width: int  # the source's own size
    height: int
    fps: float
    scaled: tuple[int, int]  # (width, height) of the frames handed over


def _quiet_cv2():
    import cv2

    # OpenCV prints a warning per index it fails to open: keep the terminal for our message.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    with contextlib.suppress(AttributeError):  # builds without the logging module
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    return cv2


def list_cameras(max_index: int = 10) -> list[int]:
    """Indices 0..max_index-1 that open as a camera (on Linux only /dev/videoN that exist)."""
    cv2 = _quiet_cv2()
    if sys.platform.startswith("linux"):
        candidates = [i for i in range(max_index) if Path(f"/dev/video{i}").exists()]
    else:
        candidates = list(range(max_index))
    found = []
    for i in candidates:
        cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append(i)
        cap.release()
    return found


def _camera_list() -> str:
    found = list_cameras()
    return ", ".join(map(str, found)) if found else "none"


class _CameraFrame:
    """A camera's BGR frame, scaled and converted to RGB on first use of `rgb`."""

    __slots__ = ("_bgr", "_size")

    def __init__(self, bgr: np.ndarray, size: tuple[int, int]) -> None:
        self._bgr, self._size = bgr, size

    @property
    def rgb(self) -> np.ndarray:
        cv2 = _quiet_cv2()
        bgr = self._bgr
        if bgr.shape[1::-1] != self._size:  # scale first: the colour conversion is cheaper
            bgr = cv2.resize(bgr, self._size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _rgb_of(frame: Any) -> np.ndarray:
    return frame.rgb


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
        self._frames, self.info = self._open(source)
        self._lockstep = self.info.kind == "file" and not realtime
        self._paced = self.info.kind == "file" and realtime
        self._thread = threading.Thread(target=self._run, name="hingecheck-grab", daemon=True)

    def _open(self, source: str) -> tuple[Iterator[tuple[float, Any, float]], SourceInfo]:
        if source.isdigit():
            return self._open_capture(int(source), f"camera {source}", "camera")
        if "://" in source:
            return self._open_capture(source, source, "url")
        path = Path(source)
        check_video_path(path)
        vi = probe(path)
        # The decoder converts and scales in one pass (cheaper than full-size RGB, then resize),
        # when the frame is taken (Frame.rgb is lazy).
        frames = ((f.t, f, time.perf_counter()) for f in iter_frames(path, self.max_side))
        return frames, SourceInfo(
            path.name,
            "file",
            vi.width,
            vi.height,
            vi.fps,
            scaled_size(vi.width, vi.height, self.max_side),
        )

    def _open_capture(self, target: int | str, label: str, kind: str):
        cv2 = _quiet_cv2()
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            if kind == "camera":
                raise InputError(f"no camera at index {target} (cameras found: {_camera_list()})")
            raise InputError(f"cannot open the stream {target}")
        ok, bgr = cap.read()
        if not ok or bgr is None:
            cap.release()
            if kind == "camera":
                raise InputError(
                    f"camera {target} gives no picture: it may be in use by another "
                    f"program (cameras found: {_camera_list()})"
                )
            raise InputError(f"the stream {target} sends no frames")
        h, w = bgr.shape[:2]
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or 30.0
        size = scaled_size(w, h, self.max_side)
        return self._read_capture(cap, bgr, label, size), SourceInfo(label, kind, w, h, fps, size)

    def _read_capture(
        self, cap, first: np.ndarray, label: str, size: tuple[int, int]
    ) -> Iterator[tuple[float, Any, float]]:
        """Camera/stream frames (t, frame with a lazy .rgb, arrival) timed by their arrival; a
        long silence is a disconnect."""
        t0 = time.perf_counter()
        bgr: np.ndarray | None = first
        last_ok = t0
        try:
            while not self._stop.is_set():
                if bgr is not None:
                    last_ok = time.perf_counter()
                    yield last_ok - t0, _CameraFrame(bgr, size), last_ok
                ok, bgr = cap.read()
                if not ok:
                    bgr = None
                    if time.perf_counter() - last_ok > CAMERA_TIMEOUT_S:
                        self.error = f"{label} stopped sending frames (disconnected?)"
                        return
                    time.sleep(0.01)
        finally:
            cap.release()

    def start(self) -> Grabber:
        """Start reading."""
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
        try:
            for index, (t, rgb, arrived) in enumerate(self._frames):  # rgb: lazy, see Grab
                if self._stop.is_set():
                    break
                if self._paced:
                    # A camera delivers frame t at start + t whether or not we were ready:
                    # a late decode counts as waiting, so the latency shows it.
                    due = start + t
                    wait = due - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                    arrived = due
                self._publish(Grab(index, t, arrived, rgb, _rgb_of))
        except Exception as exc:  # noqa: BLE001 - a reader failure ends the session, not the app
            self.error = f"{self.info.label}: reading failed ({type(exc).__name__}: {exc})"
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _publish(self, grab: Grab) -> None:
        with self._cond:
            if self._lockstep:  # a file read as fast as the loop goes: hand over when taken
                while self._slot is not None and not self._stop.is_set():
                    self._cond.wait(0.1)
                grab = grab.arriving_at(time.perf_counter())
            self._slot = grab  # a frame still waiting is replaced: dropped, not queued
            self.seen += 1
            self._cond.notify_all()
