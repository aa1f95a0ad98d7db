"""The live loop: newest frame -> pose -> causal judge -> cue, and the session saved on quit.

Three threads share the work: the grabber reads the source, hands every frame to the recorder
and keeps only the newest for this loop, which runs the pose model and the causal judge on it;
the recorder encodes every frame the source gave to the session video (at the camera's own
rate, not only the frames analysed). Only poses are kept in memory; on quit the session is
analysed like a recorded set (offline rules over the whole session) and written with the
same outputs as `hingecheck analyze`, in a timestamped folder.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hingecheck.config import PoseConfig, load_config
from hingecheck.faults import label
from hingecheck.judge.causal import CausalJudge, LiveFault
from hingecheck.live.pacing import OrderedPool, Stride
from hingecheck.live.recording import Beeper, Tape, save_session
from hingecheck.outputs.registry import prepare_out_dir
from hingecheck.outputs.text import clock
from hingecheck.outputs.writers import write_text
from hingecheck.pose.bundle import quiet_native_stderr
from hingecheck.pose.landmarker import FollowSettings, FramePose, PoseEstimator
from hingecheck.pose.parallel import available_cpus
from hingecheck.records import VideoInfo
from hingecheck.video.capture import Grab, Grabber


def _follow_settings(pose: PoseConfig, opts: LiveOptions) -> FollowSettings:
    """Live follows the lifter as the offline pass does (config [pose], --num-poses candidates):
    the same landmarks and back outline, so the same thresholds hold. A tracked pose on a crop
    costs half as much but reads differently: analysed every frame at live's 640 px, 8 of the
    33 shared clips came out otherwise than offline with it (a rounding call added on a clean
    lift and lost on a rounded one, a squat added, rep counts), 1 with detection. Detected
    frames are independent, so two models take any two frames side by side, with no tracker
    to keep in order or to reset."""
    return replace(FollowSettings.from_config(pose), num_poses=opts.num_poses)


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
    workers: int = 0  # pose models taking turns (0: two when paced and two CPUs are ours)


@dataclass
class Session:
    """What the loop gathered: per analysed frame its time, pose and latency."""

    tape: Tape  # every frame the source gave, recorded
    times: list[float] = field(default_factory=list)  # the recorded video's clock (s)
    poses: list[FramePose] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    stage_ms: list[tuple[float, float, float]] = field(default_factory=list)  # wait, pose, judge
    stride: Stride | None = None  # how frames were taken (models side by side, every n-th)
    strides: list[int] = field(default_factory=list)  # per analysed frame, the stride then
    in_flight: list[int] = field(default_factory=list)  # ... and the model calls allowed at once
    follow: list[dict[str, int]] = field(default_factory=list)  # each model's FollowStats


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
    session = Session(Tape(opts.out, info.width, info.height, src.fps))
    if not opts.quiet:
        print(
            f"hingecheck live: {src.label} ({src.width}x{src.height}); "
            f"{'press q to stop' if window else 'Ctrl-C to stop'}",
            file=sys.stderr,
        )
    paced = opts.realtime or src.kind != "file"
    try:
        with quiet_native_stderr():
            pool = _pose_pool(opts, _follow_settings(cfg.pose, opts), info, paced)
            try:
                session.stride = Stride(src.fps, pool.workers)
                grabber.start(on_frame=session.tape)
                _loop(
                    grabber,
                    pool,
                    session.stride,
                    judge,
                    session,
                    opts,
                    window,
                    beeper,
                )
            finally:
                pool.close()
                for est in pool.states:
                    session.follow.append(asdict(est.stats))  # type: ignore[attr-defined]
                    est.close()  # type: ignore[attr-defined]
    finally:
        grabber.stop()
        if window is not None:
            window.close()
        if beeper is not None:
            beeper.close()
    for lf in judge.finish():
        _announce(lf, opts, None)
    tape = session.tape
    tape.close()
    stats = stats_dict(grabber, judge, session, opts)
    if tape.recorder is not None:
        stats["session_dir"] = str(tape.folder)
        save_session(
            tape,
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
        saved = f": saved the session to {tape.folder}" if tape.folder else ""
        print(f"hingecheck: error: {grabber.error}{saved}", file=sys.stderr)
        return 2
    return 0


def _pose_pool(
    opts: LiveOptions, follow: FollowSettings, info: VideoInfo, paced: bool
) -> OrderedPool[Grab, tuple[FramePose, float]]:
    """The pose models, warmed up: two taking turns when frames come at the source's pace
    and two CPUs are ours (live.pacing), else one."""
    workers = opts.workers or (min(2, available_cpus()) if paced else 1)
    blank = np.zeros((info.height, info.width, 3), np.uint8)

    def make() -> PoseEstimator:
        est = PoseEstimator(opts.model, follow)
        # The model's first calls set up its runtime (~100+ ms): do it before frames come.
        for _ in range(3):
            est.process(blank, 0.0)
        return est

    def work(est: PoseEstimator, grab: Grab) -> tuple[FramePose, float]:
        t0 = time.perf_counter()
        pose = est.process(grab.rgb, grab.t)
        return pose, time.perf_counter() - t0

    return OrderedPool(workers, make, work)


def _loop(
    grabber: Grabber,
    pool: OrderedPool[Grab, tuple[FramePose, float]],
    stride: Stride,
    judge: CausalJudge,
    session: Session,
    opts: LiveOptions,
    window: Any,
    beeper: Beeper | None,
) -> None:
    """Hand the newest frames to the pose models as they free up (on the stride, when the
    source is paced) and judge the poses in frame order, until the source ends or the user
    quits."""
    paced = opts.realtime or grabber.info.kind != "file"
    view = _View()
    try:
        while True:
            for done, (pose, call_s), paired in pool.ready(block=pool.full(stride.in_flight)):
                stride.update(call_s, paired)
                if _judge(done, pose, call_s, judge, session, opts, grabber, window, beeper, view):
                    return
            if pool.full(stride.in_flight):
                continue
            if grabber.finished:
                break
            grab = grabber.get(timeout=0.1)
            if grab is None:
                if window is not None and window.poll():
                    return
                continue
            if paced and not stride.takes(grab.index):
                continue  # skipped evenly: the models can't take every frame
            pool.submit(grab)
        for done, (pose, call_s), _ in pool.drain():
            _judge(done, pose, call_s, judge, session, opts, grabber, window, beeper, view)
    except KeyboardInterrupt:
        return


@dataclass
class _View:
    """The window's frame rate, measured between shown frames."""

    shown: float = field(default_factory=time.perf_counter)
    fps: float = 0.0


def _judge(
    grab: Grab,
    pose: FramePose,
    call_s: float,
    judge: CausalJudge,
    session: Session,
    opts: LiveOptions,
    grabber: Grabber,
    window: Any,
    beeper: Beeper | None,
    view: _View,
) -> bool:
    """One analysed frame: judge, record, announce, show. True when the user quit."""
    t1 = time.perf_counter()
    state = judge.update(grab.t, pose)
    t2 = time.perf_counter()
    session.latency_ms.append(1000.0 * (t2 - grab.arrived))
    wait_ms = 1e3 * (t1 - grab.arrived) - 1e3 * call_s
    session.stage_ms.append((wait_ms, 1e3 * call_s, 1e3 * (t2 - t1)))
    if session.stride is not None:
        session.strides.append(session.stride.every)
        session.in_flight.append(session.stride.in_flight)
    session.times.append(session.tape.time_of(grab))  # the pixels were recorded on arrival
    session.poses.append(pose)
    for lf in state.new_faults:
        _announce(lf, opts, beeper)
    if window is None:
        return False
    from hingecheck.live.overlay import active_cue, draw_live

    now = time.perf_counter()
    view.fps = 0.9 * view.fps + 0.1 / max(now - view.shown, 1e-3)
    view.shown = now
    seen = max(grabber.seen, 1)
    img = draw_live(
        grab.rgb,
        state,
        active_cue(judge.faults, grab.t),
        1.0 - len(session.times) / seen,
        view.fps,
    )
    return bool(window.show(img))


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


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1e3 * seconds, 2)


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
        # The session video holds every frame the source gave, bar any the encoder skipped.
        "frames_recorded": session.tape.recorded,
        "frames_not_recorded": session.tape.recorder.skipped if session.tape.recorder else 0,
        "drop_rate": round((seen - done) / seen, 4) if seen else 0.0,
        "latency_ms": {
            "p50": pct(50),
            "p95": pct(95),
            "max": round(float(lat.max()), 2) if lat.size else None,
            "mean": round(float(lat.mean()), 2) if lat.size else None,
        },
        # Where the latency goes (medians): waiting to be picked up, the pose model, the judge.
        "stage_ms_p50": _stage_medians(session.stage_ms),
        # Pose models taking turns, and the share of frames analysed at each stride (1: every
        # frame; 2: every other one, when the models could not keep up).
        "pose_workers": session.stride.workers if session.stride else 1,
        "two_in_flight": round(float(np.mean(np.asarray(session.in_flight) > 1)), 3)
        if session.in_flight
        else 0.0,
        # The running mean of a model call's wall time made alone and beside another (ms).
        "call_ms": {
            "alone": _ms(session.stride.solo_s if session.stride else None),
            "paired": _ms(session.stride.pair_s if session.stride else None),
        },
        # Model runs by kind over the models (pose.landmarker.FollowStats): tracked frames,
        # re-runs after a jump, looks at the whole frame, tracker resets, crop changes.
        "follow": {k: sum(f[k] for f in session.follow) for k in (session.follow or [{}])[0]},
        "strides": {
            str(k): round(float(np.mean(np.asarray(session.strides) == k)), 3)
            for k in sorted(set(session.strides))
        },
        "reps": judge.reps,
        "rep_bottoms_s": [round(b, 3) for b in judge.rep_times()],
        "faults": [_fault_dict(lf) for lf in judge.faults],
        "error": grabber.error,
        "session_dir": None,
    }
