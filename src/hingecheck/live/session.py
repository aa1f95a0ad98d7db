"""The live loop: newest frame -> pose -> causal judge -> cue, and the session saved on quit.

Three threads share the work: the grabber reads the source and keeps only the newest frame,
this loop runs the pose model and the causal judge on it, and the recorder encodes each
analysed frame to the session video. Only poses are kept in memory; on quit the session is
analysed like a recorded set (offline rules over the whole session) and written with the
same outputs as `hingecheck analyze`, in a timestamped folder.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hingecheck.config import load_config
from hingecheck.faults import label
from hingecheck.judge.causal import CausalJudge, LiveFault
from hingecheck.live.recording import Beeper, Recorder, save_session, session_folder
from hingecheck.outputs.registry import prepare_out_dir
from hingecheck.outputs.text import clock
from hingecheck.outputs.writers import write_text
from hingecheck.pose.landmarker import FramePose, PoseEstimator, quiet_native_stderr
from hingecheck.records import VideoInfo
from hingecheck.video.capture import Grabber

# Live, a frame has ~33 ms: track one person (the detector runs only when tracking is lost) and
# look for others every 2 s, instead of running the detector on every frame as offline does.
LIVE_PEOPLE_CHECK_S = 2.0


@dataclass
class LiveOptions:
    """What `hingecheck live` was asked to do."""

    source: str = "0"
    headless: bool = False
    realtime: bool = False
    max_side: int = 640
    num_poses: int = 2
    out: Path = Path(".")
    sound: bool = False
    stats_json: Path | None = None
    config: Path | None = None
    model: Path | None = None
    with_video: bool = True
    quiet: bool = False


@dataclass
class Session:
    """What the loop gathered: per analysed frame its time, pose and latency."""

    times: list[float] = field(default_factory=list)  # the recorded video's clock (s)
    poses: list[FramePose] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    stage_ms: list[tuple[float, float, float]] = field(default_factory=list)  # wait, pose, judge
    t_first: float | None = None  # the source's time of the first analysed frame
    folder: Path | None = None
    recorder: Recorder | None = None


def run_live(opts: LiveOptions) -> int:
    """Run a live session until the source ends, q is pressed or Ctrl-C; returns the exit code
    (0, or 2 when the source failed, after saving what was recorded)."""
    cfg = load_config(opts.config)
    prepare_out_dir(opts.out)  # fail before the camera opens, not at the first frame
    window = None
    if not opts.headless:
        from hingecheck.live.overlay import Window  # the window code is never loaded headless

        window = Window()
    grabber = Grabber(opts.source, realtime=opts.realtime, max_side=opts.max_side)
    src = grabber.info
    # Everything downstream sees (and the recording keeps) the frames the pose model gets.
    info = VideoInfo(
        path=src.label,
        width=src.scaled[0],
        height=src.scaled[1],
        fps=src.fps,
        frames=0,
        duration_s=0.0,
    )
    judge = CausalJudge(cfg, info)
    beeper = Beeper() if opts.sound else None
    session = Session()
    if not opts.quiet:
        print(
            f"hingecheck live: {src.label} ({src.width}x{src.height}); "
            f"{'press q to stop' if window else 'Ctrl-C to stop'}",
            file=sys.stderr,
        )
    try:
        with (
            quiet_native_stderr(),
            PoseEstimator(
                opts.model, opts.num_poses, cfg.pose.min_presence, LIVE_PEOPLE_CHECK_S
            ) as est,
        ):
            # The model's first calls set up its runtime (~100+ ms): do it before frames come.
            blank = np.zeros((info.height, info.width, 3), np.uint8)
            for _ in range(3):
                est.process(blank, 0.0)
            grabber.start()
            _loop(grabber, est, judge, session, opts, window, beeper)
    finally:
        grabber.stop()
        if window is not None:
            window.close()
        if beeper is not None:
            beeper.close()
    for lf in judge.finish():
        _announce(lf, opts, None)
    stats = stats_dict(grabber, judge, session, opts)
    if session.recorder is not None:
        session.recorder.close()
        stats["session_dir"] = str(session.folder)
        save_session(
            session.recorder,
            session.times,
            session.poses,
            cfg,
            info,
            stats,
            with_video=opts.with_video,
            quiet=opts.quiet,
        )
    if opts.stats_json:
        write_text(opts.stats_json, json.dumps(stats, indent=2) + "\n")
    if grabber.error:
        saved = f": saved the session to {session.folder}" if session.folder else ""
        print(f"hingecheck: error: {grabber.error}{saved}", file=sys.stderr)
        return 2
    return 0


def _loop(
    grabber: Grabber,
    est: PoseEstimator,
    judge: CausalJudge,
    session: Session,
    opts: LiveOptions,
    window: Any,
    beeper: Beeper | None,
) -> None:
    """Process the newest frame until the source ends or the user quits."""
    shown = time.perf_counter()
    fps = 0.0
    try:
        while not grabber.finished:
            grab = grabber.get(timeout=0.1)
            if grab is None:
                if window is not None and window.poll():
                    return
                continue
            if session.t_first is None:
                session.t_first = grab.t
            t0 = time.perf_counter()
            pose = est.process(grab.rgb, grab.t)
            t1 = time.perf_counter()
            state = judge.update(grab.t, pose)
            t2 = time.perf_counter()
            session.latency_ms.append(1000.0 * (t2 - grab.arrived))
            session.stage_ms.append((1e3 * (t0 - grab.arrived), 1e3 * (t1 - t0), 1e3 * (t2 - t1)))
            _record(session, grab.t, grab.rgb, pose, opts, grabber)
            for lf in state.new_faults:
                _announce(lf, opts, beeper)
            if window is not None:
                from hingecheck.live.overlay import active_cue, draw_live

                now = time.perf_counter()
                fps = 0.9 * fps + 0.1 / max(now - shown, 1e-3)
                shown = now
                seen = max(grabber.seen, 1)
                img = draw_live(
                    grab.rgb,
                    state,
                    active_cue(judge.faults, grab.t),
                    1.0 - len(session.times) / seen,
                    fps,
                )
                if window.show(img):
                    return
    except KeyboardInterrupt:
        return


def _record(
    session: Session,
    t: float,
    rgb: np.ndarray,
    pose: FramePose,
    opts: LiveOptions,
    grabber: Grabber,
) -> None:
    """Stream the analysed frame to the session video and keep its pose (never the pixels)."""
    if session.recorder is None:
        session.folder = session_folder(opts.out)
        h, w = rgb.shape[:2]
        session.recorder = Recorder(session.folder / "session.mp4", w, h, grabber.info.fps)
    stored = session.recorder.put(t - (session.t_first or 0.0), rgb)
    session.times.append(stored)
    session.poses.append(pose)


def _announce(lf: LiveFault, opts: LiveOptions, beeper: Beeper | None) -> None:
    """One line per fault as it is decided (and the sound cue)."""
    f = lf.fault
    if not opts.quiet:
        print(
            f"rep {f.rep} at {clock(f.peak_s)}: {label(f.type)} [{f.grade}]. {f.cue}",
            flush=True,
        )
    if beeper is not None:
        beeper()


def _fault_dict(lf: LiveFault) -> dict[str, Any]:
    """A live fault as the report writes it, plus when the live judge decided it."""
    return {**lf.fault.to_dict(), "decided_s": round(lf.decided_s, 3)}


def _stage_medians(stage_ms: list[tuple[float, float, float]]) -> dict[str, float]:
    if not stage_ms:
        return {}
    med = np.round(np.median(np.asarray(stage_ms), axis=0), 2).tolist()
    return dict(zip(("wait", "pose", "judge"), med, strict=True))


def stats_dict(
    grabber: Grabber, judge: CausalJudge, session: Session, opts: LiveOptions
) -> dict[str, Any]:
    """The session's figures: frames seen/processed, latency percentiles, reps and faults.
    Times are the source's own (a file's presentation times; a camera's since opening)."""
    lat = np.asarray(session.latency_ms, dtype=np.float64)
    seen, done = grabber.seen, len(session.times)

    def pct(q: float) -> float | None:
        return round(float(np.percentile(lat, q)), 2) if lat.size else None

    return {
        "source": grabber.info.label,
        "width": grabber.info.width,
        "height": grabber.info.height,
        "fps": round(grabber.info.fps, 3),
        "max_side": opts.max_side,
        "num_poses": opts.num_poses,
        "realtime": bool(opts.realtime or grabber.info.kind != "file"),
        "frames_seen": seen,
        "frames_processed": done,
        "frames_dropped": seen - done,
        "drop_rate": round((seen - done) / seen, 4) if seen else 0.0,
        "latency_ms": {
            "p50": pct(50),
            "p95": pct(95),
            "max": round(float(lat.max()), 2) if lat.size else None,
            "mean": round(float(lat.mean()), 2) if lat.size else None,
        },
        # Where the latency goes (medians): waiting to be picked up, the pose model, the judge.
        "stage_ms_p50": _stage_medians(session.stage_ms),
        "reps": judge.reps,
        "rep_bottoms_s": [round(b, 3) for b in judge.rep_times()],
        "faults": [_fault_dict(lf) for lf in judge.faults],
        "error": grabber.error,
        "session_dir": None,
    }
