"""What a live session sends out besides the window: the recording, the saved session and the
sound cue.

The recorder streams every frame the source gave (not only the ones the pose model took) to an
H.264 file from a thread of its own, so the session video plays at the camera's own rate and the
session can be analysed and reviewed afterwards like any recorded set, without ever holding its
frames in memory (a short bounded queue absorbs the encoder's hiccups).
"""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from dataclasses import replace
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from hingecheck.config import Config
from hingecheck.errors import InputError
from hingecheck.outputs.text import counted
from hingecheck.outputs.writers import write_text
from hingecheck.pose.landmarker import FramePose
from hingecheck.pose.sampling import fill_frames
from hingecheck.pose.track import stack_track
from hingecheck.records import VideoInfo
from hingecheck.video.capture import Grab

TIME_BASE = Fraction(1, 1000)  # frame times to the millisecond: what the Track records


def to_ms(t: float) -> int:
    """A time (s) on the recording's clock, in its whole milliseconds."""
    return int(round(t * 1000.0))


class Pixels(Protocol):
    """A frame whose RGB pixels are made on first use (video.source.Frame, capture.Grab)."""

    @property
    def rgb(self) -> np.ndarray: ...


class Recorder:
    """Encode RGB frames with their own times (variable frame rate) to an mp4 in a thread."""

    def __init__(
        self, path: Path, width: int, height: int, fps: float, queue_size: int = 16
    ) -> None:
        self.path = path
        self.frames = 0
        self.skipped = 0  # frames not recorded: the encoder was behind (the queue was full)
        self.error: str | None = None
        self._size = (width - width % 2, height - height % 2)  # yuv420p needs even sides
        self._fps = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._queue: queue.Queue[tuple[int, np.ndarray | Pixels] | None] = queue.Queue(queue_size)
        self._last_ms = -1
        self._thread = threading.Thread(target=self._run, name="hingecheck-record", daemon=True)
        self._thread.start()

    def put(self, t: float, image: np.ndarray | Pixels, wait: bool = True) -> float | None:
        """Queue one frame at time t (s from the recording's start): RGB pixels, or a frame
        whose pixels the encoder's thread then makes. Returns the time it is stored at (whole
        ms, strictly increasing: the recorded video's own clock), or None when `wait` is False
        and the encoder is a queue behind (the frame is skipped, and counted)."""
        ms = max(to_ms(t), self._last_ms + 1)
        try:
            self._queue.put((ms, image), block=wait)
        except queue.Full:
            self.skipped += 1
            return None
        self._last_ms = ms
        return ms / 1000.0

    def close(self) -> None:
        """Finish the file (waits for the queued frames)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        w, h = self._size
        out = None
        try:
            out = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
            stream = out.add_stream("libx264", rate=self._fps)
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            stream.time_base = TIME_BASE
            stream.codec_context.time_base = TIME_BASE
            # ultrafast on one thread: the pose model needs the other core.
            stream.options = {"preset": "ultrafast", "crf": "20", "threads": "1"}
            while (item := self._queue.get()) is not None:
                ms, image = item
                rgb = image if isinstance(image, np.ndarray) else image.rgb
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(rgb[:h, :w]), format="rgb24"
                )
                frame.pts, frame.time_base = ms, TIME_BASE
                out.mux(stream.encode(frame))
                self.frames += 1
            out.mux(stream.encode(None))
        except Exception as exc:  # noqa: BLE001 - any failure ends the recording, never hangs close()
            self.error = f"recording failed: {exc}"
            while self._queue.get() is not None:  # keep draining so put() never blocks forever
                pass
        finally:
            if out is not None:
                with contextlib.suppress(av.error.FFmpegError, OSError):
                    out.close()


class Tape:
    """Every frame the source gives, recorded as it arrives (called in the reader's thread,
    live.capture.Grabber), and each frame's time on the recorded video's clock.

    The session folder and the recorder are made at the first frame. The pixels are made and
    encoded in the recorder's thread, so the reader never waits for them; when the encoder is
    a full queue behind (a machine too busy), frames are skipped and counted, never queued
    without bound.
    """

    def __init__(self, out: Path, width: int, height: int, fps: float) -> None:
        self.out, self.size, self.fps = out, (width, height), fps
        self.folder: Path | None = None
        self.recorder: Recorder | None = None
        # Every frame's time (s) on the video's clock, whether or not the encoder took it:
        # the session's timeline, which the saved analysis reads on.
        self.times: list[float] = []
        self._t0: float | None = None  # the source's time of the first frame
        self._closed = False

    def __call__(self, grab: Grab) -> None:
        """Record one frame (queued for the encoder's thread)."""
        if self._closed:  # a reader still finishing its last frame after the session ended
            return
        if self.recorder is None:
            self.folder = session_folder(self.out)
            self._t0 = grab.t
            self.recorder = Recorder(self.folder / "session.mp4", *self.size, self.fps, 32)
        t = self.time_of(grab)
        stored = self.recorder.put(t, grab.frame, wait=False)
        self.times.append(stored if stored is not None else max(t, self._last() + 1e-3))

    def close(self) -> None:
        """Finish the recording (waits for the frames queued); later frames are ignored."""
        self._closed = True
        if self.recorder is not None:
            self.recorder.close()

    @property
    def recorded(self) -> int:
        """The frames the session video holds."""
        return len(self.times) - (self.recorder.skipped if self.recorder else 0)

    def _last(self) -> float:
        return self.times[-1] if self.times else -1.0

    def time_of(self, grab: Grab) -> float:
        """A frame's time on the recorded video's clock (s since the first frame, whole ms),
        whether or not the encoder could take it."""
        t0 = grab.t if self._t0 is None else self._t0  # (the first frame's time may be 0.0)
        return to_ms(grab.t - t0) / 1000.0


def _beep_wav(path: Path, freq: float = 880.0, dur: float = 0.25, rate: int = 22050) -> None:
    """A short sine tone with soft edges (no click), as 16-bit mono PCM."""
    n = int(rate * dur)
    tone = np.sin(2 * np.pi * freq * np.arange(n) / rate)
    edge = min(n // 2, int(0.02 * rate))
    ramp = np.ones(n)
    ramp[:edge] = np.linspace(0.0, 1.0, edge)
    ramp[n - edge :] = np.linspace(1.0, 0.0, edge)
    pcm = (0.6 * 32767 * tone * ramp).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())


class Beeper:
    """A sound cue: a short tone through the first audio player found, else the terminal bell.
    Never fails: with no audio device the player's error is discarded."""

    PLAYERS = ("paplay", "aplay", "afplay")

    def __init__(self) -> None:
        self._player = next((p for p in map(shutil.which, self.PLAYERS) if p), None)
        self._dir = tempfile.TemporaryDirectory(prefix="hingecheck-") if self._player else None
        self._wav: Path | None = None
        self._playing: list[subprocess.Popen] = []
        if self._dir is not None:
            self._wav = Path(self._dir.name) / "cue.wav"
            _beep_wav(self._wav)

    def __call__(self) -> None:
        """Sound the cue without waiting for it to finish."""
        self._playing = [p for p in self._playing if p.poll() is None]  # reap finished players
        try:
            if self._player and self._wav:
                player = subprocess.Popen(
                    [self._player, str(self._wav)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                )
                self._playing.append(player)
            else:
                sys.stderr.write("\a")
                sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        """Remove the temporary tone file."""
        if self._dir is not None:
            self._dir.cleanup()


def session_folder(out: Path) -> Path:
    """A new folder hingecheck-live-YYYYmmdd-HHMMSS under `out` (suffixed if taken)."""
    base = out / datetime.now().strftime("hingecheck-live-%Y%m%d-%H%M%S")
    folder, k = base, 1
    while folder.exists():
        k += 1
        folder = base.with_name(f"{base.name}-{k}")
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise InputError(f"cannot write to {out}: {exc.strerror or exc}") from None
    return folder


def save_session(
    tape: Tape,
    times: list[float],
    poses: list[FramePose],
    cfg: Config,
    info: VideoInfo,
    stats: dict[str, Any],
    *,
    with_video: bool,
    quiet: bool,
) -> None:
    """Analyse the recorded session like a recorded set and write its outputs beside the
    recording: report, CSV, captions, annotated video, review page; plus the live figures
    (session.live.json) and the Track.

    The pose model took some of the source's frames (`times`, `poses`); the frames between are
    filled as the offline pass fills those its sampling skips (pose.sampling.fill_frames), so
    the offline rules read the session on every frame the source gave, as they read a
    recorded set (and the frame count is the session's, even where the encoder skipped some).
    """
    from hingecheck.outputs.registry import TRACK, write_outputs
    from hingecheck.pipeline import Analysis, judge_track

    recorder = tape.recorder
    assert recorder is not None and tape.folder is not None
    folder, video = tape.folder, recorder.path
    write_text(folder / "session.live.json", json.dumps(stats, indent=2) + "\n")
    if recorder.error or len(times) < 2 or len(tape.times) < 2:
        reason = recorder.error or "fewer than 2 frames were analysed"
        print(f"hingecheck: the session was not analysed: {reason}", file=sys.stderr)
        return
    frame_t = np.asarray(tape.times)
    dur = float(frame_t[-1] + np.median(np.diff(frame_t)))
    vinfo = replace(info, path=str(video), frames=len(frame_t), duration_s=dur)
    track = fill_frames(stack_track(times, poses, vinfo), frame_t)
    track.save(TRACK.path_for(folder, "session"), key="live")
    signals, report = judge_track(track, cfg)
    if recorder.skipped:  # said on the page and in the report, not only on the terminal
        skipped = (
            f"the session video lacks {counted(recorder.skipped, 'frame')} of {len(frame_t)}: "
            "the machine was too busy to encode them (the frames the pose model took were "
            "all judged)"
        )
        report = replace(report, warnings=[*report.warnings, skipped])
        if not quiet:
            print(f"hingecheck: {skipped}", file=sys.stderr)
    result = Analysis(report, track, signals, cfg)
    write_outputs(
        result, video, folder, with_video=with_video, progress=not quiet and sys.stderr.isatty()
    )
    if not quiet:
        print(
            f"saved the session ({counted(len(report.reps), 'rep')}, "
            f"{counted(len(report.faults), 'fault')} on "
            f"review) to {folder}",
            file=sys.stderr,
        )
