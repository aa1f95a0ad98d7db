"""Cameras and network streams through OpenCV, as Frames timed by their arrival."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from hingecheck.errors import InputError
from hingecheck.video.source import Frame, scaled_size

# A camera that gives no frame for this long has been unplugged (or is held by another program).
CAMERA_TIMEOUT_S = 2.0


def quiet_cv2() -> Any:
    """cv2, with its per-index warnings silenced (the caller prints one message of its own)."""
    import cv2

    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    with contextlib.suppress(AttributeError):  # builds without the logging module
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    return cv2


def list_cameras(max_index: int = 10) -> list[int]:
    """Indices 0..max_index-1 that open as a camera (on Linux only /dev/videoN that exist)."""
    cv2 = quiet_cv2()
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


class Capture:
    """An opened camera (an index) or stream (a URL): its size and rate, then its frames."""

    def __init__(self, target: int | str, max_side: int | None) -> None:
        cv2 = quiet_cv2()
        self.kind = "camera" if isinstance(target, int) else "url"
        self.label = f"camera {target}" if self.kind == "camera" else str(target)
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            if self.kind == "camera":
                raise InputError(f"no camera at index {target} (cameras found: {_camera_list()})")
            raise InputError(f"cannot open the stream {target}")
        ok, bgr = cap.read()
        if not ok or bgr is None:
            cap.release()
            if self.kind == "camera":
                raise InputError(
                    f"camera {target} gives no picture: it may be in use by another "
                    f"program (cameras found: {_camera_list()})"
                )
            raise InputError(f"the stream {target} sends no frames")
        self.height, self.width = bgr.shape[:2]
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or 30.0
        self.size = scaled_size(self.width, self.height, max_side)
        self._cap, self._first = cap, bgr

    def frames(self) -> Iterator[Frame]:
        """Frames scaled to `size`, timed by their arrival from the first; a silence longer
        than CAMERA_TIMEOUT_S is a disconnect (InputError). Closing the iterator releases the
        device."""
        cv2 = quiet_cv2()
        t0 = time.perf_counter()
        bgr: np.ndarray | None = self._first
        last_ok, index = t0, 0
        try:
            while True:
                if bgr is not None:
                    last_ok = time.perf_counter()
                    if bgr.shape[1::-1] != self.size:  # scale first: the conversion is cheaper
                        bgr = cv2.resize(bgr, self.size, interpolation=cv2.INTER_AREA)
                    yield Frame.from_rgb(index, last_ok - t0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                    index += 1
                ok, bgr = self._cap.read()
                if not ok:
                    bgr = None
                    if time.perf_counter() - last_ok > CAMERA_TIMEOUT_S:
                        raise InputError(f"{self.label} stopped sending frames (disconnected?)")
                    time.sleep(0.01)
        finally:
            self._cap.release()
