"""One way in for every frame source: a video file, a camera index or a stream URL.

Whatever the source, frames come out as `source.Frame` (index, presentation time in s, RGB
pixels scaled so the longer side is at most `max_side`), with a `SourceInfo` saying what it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hingecheck.video.camera import Capture
from hingecheck.video.source import Frame, check_video_path, iter_frames, probe, scaled_size


@dataclass(frozen=True)
class SourceInfo:
    """What the source is and the size of its frames."""

    label: str  # "camera 0", a URL or a file name
    kind: str  # "camera" | "url" | "file"
    width: int  # the source's own size
    height: int
    fps: float
    scaled: tuple[int, int]  # (width, height) of the frames handed over


def source_kind(spec: str | int | Path) -> str:
    """ "camera" for an index (0, "1"), "url" for anything with a scheme, else "file"."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return "camera"
    if isinstance(spec, str) and "://" in spec:
        return "url"
    return "file"


def open_source(
    spec: str | int | Path, max_side: int | None = None
) -> tuple[SourceInfo, Iterator[Frame]]:
    """Open a source: its description, and an iterator over its frames (a file's as fast as
    they decode, a camera's as they arrive). Raises InputError, one line, when it can't be
    opened (no such file, not a video, no camera at that index, the camera is busy)."""
    kind = source_kind(spec)
    if kind in ("camera", "url"):
        target: int | str = int(str(spec)) if kind == "camera" else str(spec)
        cap = Capture(target, max_side)
        info = SourceInfo(cap.label, kind, cap.width, cap.height, cap.fps, cap.size)
        return info, cap.frames()
    path = Path(str(spec))
    check_video_path(path)
    vi = probe(path)
    size = scaled_size(vi.width, vi.height, max_side)
    # The decoder converts and scales in one pass: cheaper than full-size RGB, then resize.
    return SourceInfo(path.name, "file", vi.width, vi.height, vi.fps, size), iter_frames(
        path, max_side
    )
