"""Throughput of hingecheck's stages on one video, as ratios of the pose-only figure.

    python bench/bench.py VIDEO [--repeat 3] [--workers 2] [--stages decode,pose,full,...]
    python bench/bench.py --make-video 1280x720:60 [--out clip.mp4] [--make-only]

Each stage runs in a fresh process (so its peak RSS is its own) and, except `parallel`, pinned
to one CPU. Stages of one repeat run back to back, so on a shared machine the ratios are fairer
than the absolute figures; the table shows medians over the repeats. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

STAGES = ("decode", "pose", "full", "video", "parallel", "rules")
RULES_TRACK_S = 600.0  # the cached track the rules stage re-judges: 10 minutes
GROWTH_MIN_S = 120.0  # shorter videos: start-up dominates the RSS trace, no growth shown


def _rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children() -> list[str]:
    out: list[str] = []
    for task in Path("/proc/self/task").glob("*/children"):
        out += task.read_text().split()
    return out


class RssSampler(threading.Thread):
    """Samples this process's RSS plus its children's (the pose workers) every `every` s."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every, self.samples, self.stop = every, [], threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            total = _rss_mb() + sum(_rss_mb(p) for p in _children())
            self.samples.append((time.perf_counter() - self.t0, round(total, 1)))


def run_stage(
    stage: str, video: Path, workers: int, track_path: Path, pose_hz: float | None = None
) -> dict:
    """Run one stage in this process; return its wall time, frame count and memory."""
    from hingecheck import analyze
    from hingecheck.config import load_config
    from hingecheck.outputs.registry import write_outputs
    from hingecheck.pipeline import judge_track
    from hingecheck.pose.bundle import quiet_native_stderr
    from hingecheck.pose.landmarker import FollowSettings, PoseEstimator
    from hingecheck.pose.sampling import TurnSettings
    from hingecheck.pose.track import estimate_track
    from hingecheck.records import Track
    from hingecheck.video.cuts import PictureChange
    from hingecheck.video.source import iter_frames, probe

    cfg = load_config()
    if pose_hz is not None:  # as `hingecheck analyze --pose-hz`
        cfg = replace(cfg, pose=replace(cfg.pose, sample_hz=pose_hz))
    info = probe(video)
    sampler = RssSampler()
    sampler.start()
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    t0 = time.perf_counter()
    frames, seconds = 0, None
    if stage == "decode":
        frames = sum(1 for _ in iter_frames(video, cfg.pose.max_side))
    elif stage == "pose":
        with (
            quiet_native_stderr(),
            PoseEstimator(None, FollowSettings.from_config(cfg.pose)) as est,
        ):
            frames = len(
                estimate_track(
                    iter_frames(video, cfg.pose.max_side),
                    info,
                    est,
                    TurnSettings.from_config(cfg.pose),
                    picture=PictureChange.from_config(cfg.pose),
                    cut_min_share=cfg.pose.cut_min_share,
                )
            )
    elif stage in ("full", "video", "parallel"):
        with tempfile.TemporaryDirectory() as out:
            result = analyze(video, cfg, workers=workers if stage == "parallel" else 1)
            write_outputs(result, video, Path(out), with_video=stage == "video", progress=False)
        frames = len(result.track)
        if stage == "full":
            result.track.save(track_path, "bench")
    elif stage == "rules":
        track = _tile(Track.load(track_path), RULES_TRACK_S)
        frames = len(track)
        times = []
        for _ in range(5):
            t1 = time.perf_counter()
            judge_track(track, cfg)
            times.append(time.perf_counter() - t1)
        seconds = statistics.median(times)
    seconds = time.perf_counter() - t0 if seconds is None else seconds
    sampler.stop.set()
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    peak_self, peak_kids = me.ru_maxrss / 1024, kids.ru_maxrss / 1024
    # CPU seconds (this process and its workers): wall time hides how much CPU the machine gave.
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime - cpu0
    sampled = max((s for _, s in sampler.samples), default=0.0)
    return {
        "stage": stage,
        "seconds": seconds,
        "frames": frames,
        "duration_s": RULES_TRACK_S if stage == "rules" else info.duration_s,
        "peak_rss_mb": round(max(peak_self, sampled), 1),
        "peak_worker_rss_mb": round(peak_kids, 1),
        "cpu_s": round(cpu, 2),
        "rss_trace": sampler.samples,
    }


def _tile(track, seconds: float):
    """A long Track made by repeating a short one (times keep rising): the rules stage input."""
    import numpy as np

    if track is None:
        raise SystemExit("the rules stage needs the full stage's track: run with stage full")
    step = float(track.t[-1] + np.median(np.diff(track.t)))
    k = max(1, int(np.ceil(seconds / step)))
    copies = [replace(track, t=track.t + i * step) for i in range(k)]
    return type(track).concatenate(copies, track.info)


def _child(
    stage: str, video: Path, workers: int, track_path: Path, one_cpu: bool, pose_hz: float | None
) -> dict:
    cmd = [sys.executable, __file__, str(video), "--_stage", stage, "--workers", str(workers)]
    cmd += [] if pose_hz is None else ["--pose-hz", str(pose_hz)]
    cmd += ["--_track", str(track_path)] + (["--_one-cpu"] if one_cpu else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"stage {stage} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _growth(trace: list, duration_s: float, seconds: float) -> float | None:
    """RSS growth in MB per minute of video, from a line fitted to the second half of a run."""
    import numpy as np

    pts = np.array(trace[len(trace) // 2 :], dtype=float)
    if len(pts) < 4 or seconds <= 0:
        return None
    slope = np.polyfit(pts[:, 0], pts[:, 1], 1)[0]  # MB per wall second
    return float(slope * seconds / duration_s * 60.0)


def bench(
    video: Path, stages: list[str], repeat: int, workers: int, pose_hz: float | None = None
) -> list[dict]:
    """Run the stages `repeat` times (interleaved), print the table, return the raw rows."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        track_path = Path(tmp) / "bench.track.npz"
        for r in range(repeat):
            for stage in stages:
                one_cpu = stage != "parallel"
                row = _child(stage, video, workers, track_path, one_cpu, pose_hz)
                row["repeat"] = r
                rows.append(row)
                print(f"  run {r + 1} {stage:<8} {row['seconds']:.2f} s", file=sys.stderr)
    _table(rows, stages, workers)
    return rows


def _table(rows: list[dict], stages: list[str], workers: int) -> None:
    pose = {r["repeat"]: r["frames"] / r["seconds"] for r in rows if r["stage"] == "pose"}
    head = f"{'stage':<28}{'fps':>9}{'x real time':>12}{'/ pose':>8}{'ms':>9}{'peak RSS MB':>13}"
    print(head + f"{'CPU s/frame':>13}{'cores':>7}")
    names = {
        "decode": "decode only",
        "pose": "decode + pose (floor)",
        "full": "full, no video",
        "video": "full + annotated video",
        "parallel": f"full, no video, {workers} workers",
        "rules": "rules on cached 10-min track",
    }
    for stage in stages:
        mine = [r for r in rows if r["stage"] == stage]
        fps = [r["frames"] / r["seconds"] for r in mine]
        rtf = [r["duration_s"] / r["seconds"] for r in mine]
        pairs = zip(fps, mine, strict=True)
        ratio = [f / pose[r["repeat"]] for f, r in pairs if r["repeat"] in pose]
        med = statistics.median
        rss = max(r["peak_rss_mb"] for r in mine)
        if stage == "rules":  # a re-judge, not a pass over frames: its time is the figure
            ms = med(r["seconds"] for r in mine) * 1000
            print(f"{names[stage]:<28}{'':>9}{med(rtf):12.0f}{'':>8}{ms:9.0f}{rss:13.0f}")
            continue
        rel = f"{med(ratio):8.2f}" if ratio else f"{'':>8}"
        cpu = [(r["cpu_s"], r) for r in mine if "cpu_s" in r]
        use = ""
        if cpu:
            per = med(c / r["frames"] for c, r in cpu) * 1e3
            use = f"{per:10.1f} ms{med(c / r['seconds'] for c, r in cpu):7.2f}"
        print(f"{names[stage]:<28}{med(fps):9.1f}{med(rtf):12.2f}{rel}{'':>9}{rss:13.0f}{use}")
        last = mine[-1]
        growth = _growth(last["rss_trace"], last["duration_s"], last["seconds"])
        if growth is not None and stage != "rules" and last["duration_s"] >= GROWTH_MIN_S:
            print(f"{'':<28}RSS growth {growth:+.1f} MB per video minute (2nd half of last run)")


def make_video(spec: str, out: Path) -> Path:
    """Synthesise a WxH:SECONDS 30 fps H.264 video of a figure doing hinge reps."""
    import av

    size, seconds = spec.split(":")
    width, height = (int(v) for v in size.lower().split("x"))
    fps = 30
    with tempfile.TemporaryDirectory() as tmp:
        seg = Path(tmp) / "cycle.mp4"
        n = 0
        with av.open(str(seg), "w") as dst:  # one cycle of reps, rendered once
            stream = dst.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"crf": "23", "preset": "veryfast", "g": str(2 * fps)}
            for img in _cycle_frames(width, height, fps):
                dst.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
                n += 1
            dst.mux(stream.encode(None))
        loops = max(1, round(float(seconds) * fps / n))
        with av.open(str(seg)) as src, av.open(str(out), "w") as dst:  # looped by remuxing
            s_in = src.streams.video[0]
            s_out = dst.add_stream_from_template(s_in)
            packets = [(p, p.pts, p.dts) for p in src.demux(s_in) if p.size]
            period = round(n / fps / s_in.time_base)
            for k in range(loops):
                for p, pts, dts in packets:
                    p.pts, p.dts, p.stream = pts + k * period, dts + k * period, s_out
                    dst.mux(p)
    return out


def _cycle_frames(width: int, height: int, fps: int):
    """Frames of one rep cycle (standing -> clean rep -> squat-like rep -> standing)."""
    try:
        from hingecheck.synth import RepSpec, hinge_motion, render_frames
    except ImportError:
        yield from _stick_frames(width, height, fps)
        return
    reps = [RepSpec("clean", duration_s=2.4), RepSpec("squat", duration_s=2.4)]
    motion = hinge_motion(reps, fps, lead_in_s=0.5, lead_out_s=0.5)
    yield from render_frames(motion, width=width, height=height)


def _stick_frames(width: int, height: int, fps: int):
    """Fallback without hingecheck.synth: a stick figure bowing at the hips."""
    import cv2
    import numpy as np

    for i in range(4 * fps):
        img = np.full((height, width, 3), 200, np.uint8)
        a = np.radians(80 * np.sin(np.pi * i / (4 * fps)) ** 2)
        hip, foot = np.array([width / 2, height * 0.5]), np.array([width / 2, height * 0.9])
        head = hip + height * 0.35 * np.array([np.sin(a), -np.cos(a)])
        for p, q in ((foot, hip), (hip, head)):
            cv2.line(img, tuple(map(int, p)), tuple(map(int, q)), (40, 40, 40), height // 30)
        cv2.circle(img, tuple(map(int, head)), height // 18, (40, 40, 40), -1)
        yield img


def main() -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", type=Path, nargs="?")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--make-video", metavar="WxH:SECONDS")
    ap.add_argument("--out", type=Path, help="where --make-video writes (default: /tmp)")
    ap.add_argument("--make-only", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw rows here")
    ap.add_argument("--pose-hz", type=float, help="pose.sample_hz, as `analyze --pose-hz`")
    ap.add_argument("--_stage", help=argparse.SUPPRESS)
    ap.add_argument("--_track", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_one-cpu", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._stage:
        if args._one_cpu and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        row = run_stage(args._stage, args.video, args.workers, args._track, args.pose_hz)
        print(json.dumps(row))
        return 0
    video = args.video
    if args.make_video:
        video = args.out or Path(tempfile.gettempdir()) / f"bench_{args.make_video}.mp4".replace(
            ":", "_"
        )
        make_video(args.make_video, video)
        print(f"wrote {video}", file=sys.stderr)
        if args.make_only:
            return 0
    if video is None:
        ap.error("give a VIDEO or --make-video")
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        ap.error(f"unknown stage(s) {sorted(unknown)}; choose from {STAGES}")
    rows = bench(video, stages, args.repeat, args.workers, args.pose_hz)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
