"""Short synthetic sets and a way to run `hingecheck batch` as a real process (shared by the
batch tests): each video a few seconds at 10 fps and 160x120, so a set costs ~2 s of model."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from video_support import write_video

from hingecheck.batch.manifest import set_folder
from hingecheck.synth import RepSpec, hinge_motion, render_frames

FPS = 10


def hinge_video(path: Path, reps=("clean",), lead_out_s: float = 1.4) -> Path:
    """A side view of the synth figure doing `reps`, every rep finished before the end."""
    specs = [RepSpec(k, duration_s=2.0, pause_s=0.4) for k in reps]
    motion = hinge_motion(specs, FPS, lead_in_s=0.8, lead_out_s=lead_out_s)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_video(path, list(render_frames(motion, width=160, height=120)), FPS)


def coach_folder(root: Path) -> Path:
    """A coach's folder: two lifters' subfolders, a bad file among them."""
    hinge_video(root / "anna" / "a1.mp4")
    hinge_video(root / "anna" / "a2.mp4", reps=("clean", "squat"))
    hinge_video(root / "ben" / "b1.mp4", reps=("squat",))
    (root / "ben" / "b2.mp4").write_text("not a video\n")
    return root


def interruptible() -> None:
    """In the child before it starts: Ctrl-C (SIGINT) does what it does at a terminal. A test
    run started in the background by a non-interactive shell inherits SIGINT ignored, and a
    Python started that way never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_batch(*args: str, **kw) -> subprocess.Popen:
    """`hingecheck batch ARGS` as its own process group (so a Ctrl-C can be sent as a
    terminal sends it: to the whole group)."""
    kw = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw}
    return subprocess.Popen(
        [sys.executable, "-m", "hingecheck", "batch", *args],
        text=True,
        start_new_session=True,
        preexec_fn=interruptible,
        **kw,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for_staging(out: Path, stem: str, proc: subprocess.Popen, timeout: float = 240) -> int:
    """The pid of the worker analysing `stem` (its staging folder is named by it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for d in out.rglob(f".*{stem}.*part-*"):  # .<stem>.<hash>.part-<pid>
            tag = d.name.rsplit("-", 1)[1]
            if tag.isdigit():
                return int(tag)
        if proc.poll() is not None:
            raise AssertionError(f"batch ended before {stem} started: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"{stem} never started")


def kill_worker(pid: int) -> None:
    """What a native crash looks like from outside: the worker process gone at once."""
    os.kill(pid, signal.SIGKILL)


def rows(out: Path) -> dict[str, dict[str, str]]:
    """batch.csv by video stem."""
    with open(out / "batch.csv", newline="") as fh:
        return {Path(r["path"]).stem: r for r in csv.DictReader(fh)}


def leftovers(out: Path) -> list[str]:
    """Anything half-written: staging folders and .part files."""
    return sorted(p.name for p in out.rglob("*") if ".part-" in p.name or p.name.endswith(".part"))


def set_dir(out: Path, video: Path, lifter: str | None = None) -> Path:
    """Where the batch puts `video`'s outputs (under the lifter's folder when a row names one)."""
    return out / set_folder(video, lifter)
