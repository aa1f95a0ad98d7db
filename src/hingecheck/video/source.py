"""Frames from a video file, with the stream's own presentation times and rotation applied."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from hingecheck.errors import InputError
from hingecheck.records import VideoInfo

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}
# Demuxers that read still images: a photo is not a set.
_IMAGE_FORMATS = ("image2", "_pipe", "gif", "apng")


class Frame:
    """One decoded frame: its index, presentation time (s from the video's start) and pixels.

    The pixels are converted (scaled, rotated, to RGB) on first use of `rgb`, so a caller that
    skips a frame (the pose pass at a sampling rate below the frame rate) pays only its decode.
    `colorspace` is the stream's matrix tag (FFmpeg's numbering: 1 BT.709, 2 unspecified).
    """

    __slots__ = (
        "index",
        "t",
        "colorspace",
        "_source",
        "_rotation",
        "_max_side",
        "_fast",
        "_rgb",
        "_lock",
    )

    def __init__(
        self,
        index: int,
        t: float,
        source: av.VideoFrame,
        rotation: int = 0,
        max_side: int | None = None,
        fast: bool = False,
    ) -> None:
        self.index, self.t = index, t
        self.colorspace = int(getattr(source, "colorspace", 2) or 2)
        self._source: av.VideoFrame | None = source
        self._rotation, self._max_side = rotation, max_side
        self._fast = fast
        self._rgb: np.ndarray | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_rgb(cls, index: int, t: float, rgb: np.ndarray) -> Frame:
        """A frame whose pixels are already RGB at their final size (a camera's)."""
        frame = cls.__new__(cls)
        frame.index, frame.t, frame.colorspace = index, t, 2
        frame._source, frame._rotation, frame._max_side, frame._fast = None, 0, None, False
        frame._lock = threading.Lock()
        frame._rgb = np.ascontiguousarray(rgb)
        return frame

    @property
    def rgb(self) -> np.ndarray:
        """(H, W, 3) uint8, C-contiguous (MediaPipe silently fails on strided rows)."""
        if self._rgb is None:
            # Two threads may ask at once (live: the recorder and the pose model), and PyAV
            # deadlocks converting one frame in two threads at once: one converts, the other
            # waits for its pixels.
            with self._lock:
                if self._rgb is None:
                    assert self._source is not None  # released only once converted
                    self._rgb = _pixels(self._source, self._rotation, self._max_side, self._fast)
                    self._source = None  # the decoder's buffer is not needed once converted
        return self._rgb

    def grey(self) -> np.ndarray:
        """(H, W) uint8 brightness at the decoded size, unrotated: the stream's own Y plane
        where it has one (no conversion, nothing copied), for comparing a frame with the one
        before it (video/cuts.py). Call before `rgb`, which releases the decoded frame."""
        src = self._source
        if src is None:
            rgb = self.rgb
            # Coarse Rec.601 weights on every other pixel: only for a stream of ready RGB frames.
            return (rgb[::2, ::2] @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
        if src.format.name in _LUMA_FIRST:
            plane = src.planes[0]
            rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
            return rows[:, : plane.width]
        return src.to_ndarray(format="gray")


# 8-bit pixel formats whose first plane is the luma (Y), full size, one byte a pixel.
_LUMA_FIRST = frozenset(
    ["yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21"]
)


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video file")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not a readable video ({_short(exc)})") from None
    fmt = container.format.name or ""
    if any(key in fmt for key in _IMAGE_FORMATS):
        container.close()
        raise InputError(f"{path} is a still image, not a video")
    if not container.streams.video:
        kind = "an audio-only file" if container.streams.audio else "not a video"
        container.close()  # after reading the streams: closing empties them
        raise InputError(f"{path} has no video stream ({kind})")
    return container


def _short(exc: BaseException) -> str:
    """The reason alone: FFmpeg's str() adds an errno and repeats the path the message names."""
    text = getattr(exc, "strerror", None) or str(exc)
    return text.splitlines()[0][:160] if text else type(exc).__name__


def _rotation(stream: av.video.stream.VideoStream, first: av.VideoFrame | None) -> int:
    """Display rotation in degrees counter-clockwise (phones store portrait video sideways)."""
    rot = getattr(first, "rotation", 0) if first is not None else 0
    if not rot:
        try:
            rot = int(float(stream.metadata.get("rotate", 0)))
            rot = -rot  # the legacy tag is clockwise
        except ValueError:
            rot = 0
    return int(round(rot / 90.0)) * 90 % 360


def probe(path: str | Path) -> VideoInfo:
    """Read the container's facts (size after rotation, fps, frame count, duration)."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        first = None
        try:
            first = next(container.decode(stream), None)
        except (av.error.FFmpegError, ValueError) as exc:
            raise InputError(
                f"{path}: the video stream cannot be decoded ({_short(exc)})"
            ) from None
        if first is None:
            raise InputError(f"{path}: the video stream holds no frames")
        rotation = _rotation(stream, first)
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        fps = float(rate)
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        frames = int(stream.frames) or int(round(duration * fps))
        created = _created(container)
        return VideoInfo(
            path=str(path),
            width=width,
            height=height,
            fps=fps,
            frames=frames,
            duration_s=duration,
            rotation=rotation,
            codec=stream.codec_context.name or "",
            recorded=created.isoformat() if created is not None else "",
        )
    finally:
        container.close()


# Where containers keep when they were recorded: MP4/MOV's creation_time (cameras, Android),
# QuickTime's own tag (iPhones, with the local time zone), Matroska's DATE.
_CREATED_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date", "DATE")


def recorded_at(path: str | Path) -> datetime.datetime | None:
    """When the video was recorded, as its container says; None when it says nothing usable
    (no tag, a zero date, unreadable). Never the file's modification time: a copy changes it."""
    try:
        with av.open(str(path)) as container:
            return _created(container)
    except (av.error.FFmpegError, OSError):
        return None


def _created(container: av.container.InputContainer) -> datetime.datetime | None:
    """The creation time an open container's (or its video stream's) tags give, if usable."""
    try:
        tags = [container.metadata] + [s.metadata for s in container.streams.video]
    except (UnicodeDecodeError, ValueError):  # tags in no readable encoding: nothing said
        return None
    for meta in tags:
        for tag in _CREATED_TAGS:
            text = str(meta.get(tag, "")).strip()
            try:
                when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            if when.year >= 1995:  # muxers write 1970 or 1904 for "unknown"
                return when
    return None


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Even dimensions with the longer side at most `max_side` (None: unchanged)."""
    if not max_side or max(width, height) <= max_side:
        return width - width % 2, height - height % 2
    scale = max_side / max(width, height)
    return int(round(width * scale / 2)) * 2, int(round(height * scale / 2)) * 2


def iter_frames(
    path: str | Path,
    max_side: int | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    fast_rgb: bool = False,
) -> Iterator[Frame]:
    """Decode frames one by one (never all held), scaled so the longer side <= max_side.

    Times are the stream's presentation times relative to its first frame, so variable frame
    rate phone videos keep their true clock. A broken stream mid-way ends the iteration early
    (what was decoded stands); the caller learns it from the frame count.

    `start_s` / `end_s` yield only frames with start_s <= t < end_s (same clock as a full pass):
    the decoder seeks to the keyframe before start_s and decodes forward, dropping earlier
    frames unconverted. With start_s, `Frame.index` counts from the first frame yielded.

    `fast_rgb` scales in YUV and converts with OpenCV's BT.601 matrix, whatever the stream's
    tag: ~3x cheaper than swscale's RGB path at 1080p -> 720p, for pictures that are drawn on
    and encoded back with the same matrix (the annotated video), not for the model's input.
    """
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base) if stream.time_base else 0.0
        origin: int | None = None
        if start_s and tb:
            origin = _seek(container, stream, start_s)
        last_t = -1.0
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        rotation: int | None = None
        index = 0
        try:
            for frame in container.decode(stream):
                if rotation is None:
                    rotation = _rotation(stream, frame)
                if frame.pts is not None and tb:
                    origin = frame.pts if origin is None else origin
                    t = (frame.pts - origin) * tb
                else:
                    t = last_t + 1.0 / fps
                if t <= last_t:  # repeated or out-of-order stamps: keep time moving forward
                    t = last_t + 1e-3
                last_t = t
                if end_s is not None and t >= end_s:
                    break
                if start_s and t < start_s:
                    continue  # decoded from the keyframe on, but before the wanted range
                yield Frame(index, t, frame, rotation, max_side, fast_rgb)
                index += 1
        except av.error.FFmpegError:
            return  # a truncated file: stop at the last good frame
    finally:
        container.close()


def _seek(container: av.container.InputContainer, stream, start_s: float) -> int | None:
    """Seek to the keyframe at or before `start_s`; return the first frame's pts (the clock's
    origin, exactly as a pass from the start computes it). Without timestamps it rewinds and
    returns None: the caller then decodes from the start and skips to start_s by its clock."""
    try:
        first = next(container.decode(stream), None)
    except av.error.FFmpegError:
        first = None
    if first is None or first.pts is None:
        container.seek(0, stream=stream)
        return None
    target = first.pts + int(start_s / float(stream.time_base))
    container.seek(target, stream=stream, backward=True, any_frame=False)
    return first.pts


def _pixels(frame: av.VideoFrame, rotation: int, max_side: int | None, fast: bool) -> np.ndarray:
    w, h = frame.width, frame.height
    if rotation in (90, 270):
        sw, sh = scaled_size(h, w, max_side)
        sw, sh = sh, sw
    else:
        sw, sh = scaled_size(w, h, max_side)
    if fast:
        import cv2  # here, not at the top: the parent needs none of its ~30 MB for the pose pass

        # Area averaging: the better filter for shrinking, and cheaper than the default here.
        yuv = frame.reformat(width=sw, height=sh, format="yuv420p", interpolation="AREA")
        rgb = cv2.cvtColor(yuv.to_ndarray(), cv2.COLOR_YUV2RGB_I420)
    else:
        rgb = frame.reformat(width=sw, height=sh, format="rgb24").to_ndarray()
    if rotation:
        rgb = np.rot90(rgb, k=rotation // 90)
    return np.ascontiguousarray(rgb)


def check_video_path(path: Path) -> None:
    """Refuse what can't be a video before any work (the decoder has the final word)."""
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video file")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        allowed = ", ".join(sorted(VIDEO_SUFFIXES))
        raise InputError(f"{path.name}: not a supported video type (use {allowed})")
