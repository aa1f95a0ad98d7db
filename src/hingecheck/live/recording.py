"""What a live session sends out besides the window: the recording, the saved session and the
sound cue.

The recorder streams each analysed frame to an H.264 file from a thread of its own, so the
session can be analysed and reviewed afterwards like any recorded set without ever holding its
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
from typing import Any

import av
import numpy as np

from hingecheck.config import Config
from hingecheck.errors import InputError
from hingecheck.outputs.text import counted
from hingecheck.outputs.writers import write_text
from hingecheck.pose.landmarker import FramePose
from hingecheck.pose.track import stack_track
from hingecheck.records import VideoInfo

TIME_BASE = Fraction(1, 1000)  # frame times to the millisecond: what the Track records


class Recorder:
    """Encode RGB frames with their own times (variable frame rate) to an mp4 in a thread."""

    def __init__(
        self, path: Path, width: int, height: int, fps: float, queue_size: int = 16
    ) -> None:
        self.path = path
        self.frames = 0
        self.error: str | None = None
        self._size = (width - width % 2, height - height % 2)  # yuv420p needs even sides
        self._fps = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._queue: queue.Queue[tuple[int, np.ndarray] | None] = queue.Queue(queue_size)
        self._last_ms = -1
        self._thread = threading.Thread(target=self._run, name="hingecheck-record", daemon=True)
        self._thread.start()

    def put(self, t: float, rgb: np.ndarray) -> float:
        """Queue one frame at time t (s from the recording's start); returns the time it is
        stored at (whole ms, strictly increasing: the recorded video's own clock)."""
        ms = max(int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        self._queue.put((ms, rgb))
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
                ms, rgb = item
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(rgb[:h, :w]), format="rgb24"
                )
                frame.pts, frame.time_base = ms, TIME_BASE
                out.mux(stream.encode(frame))
                self.frames += 1
            out.mux(stream.encode(None))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            self.error = f"recording failed: {exc}"
            while self._queue.get() is not None:  # keep draining so put() never blocks forever
                pass
        finally:
            if out is not None:
                with contextlib.suppress(av.error.FFmpegError, OSError):
                    out.close()


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
    recorder: Recorder,
    times: list[float],
    poses: list[FramePose],
    cfg: Config,
    info: VideoInfo,
    stats: dict[str, Any],
    *,
    with_video: bool,
    quiet: bool,
) -> None:
    """Analyse the recorded session like a recorded set (the offline rules over the whole
    session) and write its outputs beside the recording: report, CSV, captions, annotated
    video, review page; plus the live figures (session.live.json) and the Track."""
    from hingecheck.outputs.registry import TRACK, write_outputs
    from hingecheck.pipeline import Analysis, judge_track

    folder, video = recorder.path.parent, recorder.path
    write_text(folder / "session.live.json", json.dumps(stats, indent=2) + "\n")
    if recorder.error or len(times) < 2:
        reason = recorder.error or "fewer than 2 frames were analysed"
        print(f"hingecheck: the session was not analysed: {reason}", file=sys.stderr)
        return
    dur = times[-1] + float(np.median(np.diff(times)))
    vinfo = replace(info, path=str(video), frames=len(times), duration_s=dur)
    track = stack_track(times, poses, vinfo)
    track.save(TRACK.path_for(folder, "session"), key="live")
    signals, report = judge_track(track, cfg)
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
