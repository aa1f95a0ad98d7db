"""Issue 13's figures on real clips (and synthetic ones): the whole command against the plain
loop, start-up, and live coaching with and without a second busy process.

    python bench/real_clips.py [VIDEO ...] [--names good008,0016k] [--make-video 1280x720:11]
                               [--repeat 3] [--live] [--json OUT]

Videos are the ones named, else those in HINGECHECK_CLIPS whose names contain one of
--names (default: every clip there). For each video, per repeat and back to back:

- naive: `bench/naive_loop.py` (decode + PoseLandmarker VIDEO mode with the mask, one pose,
  every frame, full size), the whole process timed;
- command: `hingecheck analyze VIDEO --no-video --no-cache`, the whole process timed, with the
  time from the process's start to the first frame handed to the pose model (read from a
  wrapper that notes the first call; the command itself is unchanged);
- x naive: naive time over command time within the repeat (median over repeats); x real
  time: video seconds over command seconds. CPU seconds (user + system) of both are shown
  too: on a shared machine the wall clock depends on the other load, CPU time much less.

`--version` is timed once per run (median of 5). With --live (and always for 1280x720 clips
of 25-30 fps) `hingecheck live --headless --realtime` is run on the clip idle and again with a
second process spinning on one core, against the command's offline report: latency p50/p95,
dropped frames, reps and fault events live vs offline.
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
import time
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from live_latency import agreement  # noqa: E402 - a sibling script, not a package

TARGETS = {"x_naive": 1.5, "x_realtime_720p30": 2.0, "version_s": 0.3, "first_frame_s": 1.5}
LIVE_TARGETS = {"p50": 40.0, "p95": 70.0, "drop_rate": 0.05}

# Runs `hingecheck analyze ...` unchanged, noting when the first frame reaches the pose model
# and how many frames it was run on.
_WRAPPER = """
import sys, time
def _since_start():
    ticks = int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19])
    return float(open('/proc/uptime').read().split()[0]) - ticks / {hz}
from hingecheck.pose import landmarker
_real = landmarker.PoseEstimator.process
_first = []
_calls = []
def _process(self, rgb, t):
    if not _first:
        _first.append(_since_start())
    _calls.append(1)
    return _real(self, rgb, t)
landmarker.PoseEstimator.process = _process
from hingecheck.cli import main
code = main(sys.argv[1:])
print('FIRST_FRAME_S', _first[0] if _first else -1, file=sys.stderr)
print('MODEL_CALLS', len(_calls), file=sys.stderr)
sys.exit(code)
""".format(hz=os.sysconf("SC_CLK_TCK"))


def _timed(
    cmd: list[str], env: dict | None = None
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds (user + system, the child and its threads) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()[-800:]}")
    return wall, cpu, proc


def _info(video: Path) -> tuple[int, int, float, float]:
    with av.open(str(video)) as box:
        s = box.streams.video[0]
        fps = float(s.average_rate or 30)
        dur = float(s.duration * s.time_base) if s.duration else box.duration / av.time_base
        return s.width, s.height, fps, dur


def version_time() -> float:
    exe = Path(sys.executable).with_name("hingecheck")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "hingecheck"]
    return statistics.median(_timed(cmd + ["--version"])[0] for _ in range(5))


def offline_once(video: Path, out: Path, config: Path | None = None) -> dict:
    """One naive run and one command run, back to back."""
    naive_wall, naive_cpu, _ = _timed([sys.executable, str(HERE / "naive_loop.py"), str(video)])
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", _WRAPPER, "analyze", str(video), "-o", str(out)]
    cmd += ["--config", str(config)] if config else []
    wall, cpu, proc = _timed(cmd + ["--no-video", "--no-cache", "-q"])
    first = float(proc.stderr.rsplit("FIRST_FRAME_S", 1)[1].split()[0])
    calls = int(proc.stderr.rsplit("MODEL_CALLS", 1)[1].split()[0])
    return {
        "model_calls": calls,
        "naive_s": naive_wall,
        "naive_cpu_s": naive_cpu,
        "command_s": wall,
        "command_cpu_s": cpu,
        "first_frame_s": first,
        "x_naive": naive_wall / wall,
        "x_naive_cpu": naive_cpu / cpu,
    }


def _busy_core() -> subprocess.Popen:
    """A second process keeping one core busy (a spinning loop), ended by its pid after."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def live_once(video: Path, out: Path, busy: bool, config: Path | None = None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    stats = out / "stats.json"
    cmd = [sys.executable, "-m", "hingecheck", "live", "--source", str(video), "--headless"]
    cmd += ["--realtime", "--stats-json", str(stats), "-o", str(out), "--no-video", "-q"]
    cmd += ["--config", str(config)] if config else []
    spinner = _busy_core() if busy else None
    try:
        _timed(cmd)
    finally:
        if spinner is not None:
            spinner.terminate()
            spinner.wait()
    return json.loads(stats.read_text())


def bench_clip(
    video: Path,
    repeat: int,
    live: bool,
    tmp: Path,
    config: Path | None = None,
    no_live: bool = False,
) -> dict:
    w, h, fps, dur = _info(video)
    runs = [offline_once(video, tmp / f"{video.stem}_{k}", config) for k in range(repeat)]
    row: dict = {"clip": video.name, "size": f"{w}x{h}", "fps": round(fps, 2)}
    row["duration_s"] = round(dur, 2)
    for key in runs[0]:
        row[key] = round(statistics.median(r[key] for r in runs), 3)
    row["x_realtime"] = round(dur / row["command_s"], 3)
    row["runs"] = runs
    report = json.loads((tmp / f"{video.stem}_0" / f"{video.stem}.json").read_text())
    row["reps_offline"] = len(report["reps"])
    row["frames"] = report["source"]["frames"]
    if not no_live and (live or ((w, h) == (1280, 720) and 25 <= fps <= 31)):
        for busy in (False, True):
            stats = live_once(video, tmp / f"{video.stem}_live{int(busy)}", busy, config)
            agree, got, want = agreement(stats["rep_bottoms_s"], stats["faults"], report)
            row["live_busy" if busy else "live_idle"] = {
                **{k: stats["latency_ms"][k] for k in ("p50", "p95", "max")},
                "drop_rate": stats["drop_rate"],
                "reps": stats["reps"],
                "agreement": round(agree, 3),
                "faults_live": sorted(map(list, got)),
                "faults_offline": sorted(map(list, want)),
                "stage_ms_p50": stats.get("stage_ms_p50"),
                "strides": stats.get("strides"),
                "two_in_flight": stats.get("two_in_flight"),
                "call_ms": stats.get("call_ms"),
                "follow": stats.get("follow"),
            }
    return row


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_row(row: dict) -> None:
    is_720p30 = row["size"] == "1280x720" and 25 <= row["fps"] <= 31
    print(f"{row['clip']} ({row['size']}, {row['fps']} fps, {row['duration_s']} s)")
    print(
        f"  naive {row['naive_s']:.2f} s (CPU {row['naive_cpu_s']:.1f} s)   command "
        f"{row['command_s']:.2f} s (CPU {row['command_cpu_s']:.1f} s)   x naive "
        f"{row['x_naive']:.2f} (>= 1.5 {_mark(row['x_naive'] >= TARGETS['x_naive'])}; "
        f"CPU {row['x_naive_cpu']:.2f})   x real time {row['x_realtime']:.2f}"
        + (f" (>= 2 {_mark(row['x_realtime'] >= 2.0)})" if is_720p30 else "")
    )
    first = row["first_frame_s"]
    share = row["model_calls"] / max(row["frames"], 1)
    print(
        f"  first frame into the model {first:.2f} s (< 1.5 {_mark(first < 1.5)}); the model "
        f"ran on {row['model_calls']:.0f} of {row['frames']} frames ({share:.2f})"
    )
    for key in ("live_idle", "live_busy"):
        if key not in row:
            continue
        lv = row[key]
        print(
            f"  {key}: p50 {lv['p50']:.1f} ms ({_mark(lv['p50'] <= 40)}), p95 {lv['p95']:.1f} "
            f"({_mark(lv['p95'] <= 70)}), dropped {100 * lv['drop_rate']:.1f} % "
            f"({_mark(lv['drop_rate'] < 0.05)}); reps live {lv['reps']} / offline "
            f"{row['reps_offline']}; fault events agree {100 * lv['agreement']:.0f} %"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", type=Path, nargs="*")
    ap.add_argument("--names", default="", help="comma list: clips in HINGECHECK_CLIPS to run")
    ap.add_argument("--make-video", metavar="WxH:SECONDS", action="append", default=[])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--live", action="store_true", help="live figures for every clip")
    ap.add_argument("--no-live", action="store_true", help="no live figures at all")
    ap.add_argument("--config", type=Path, default=None, help="a config for hingecheck's runs")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    videos = list(args.videos)
    clips = os.environ.get("HINGECHECK_CLIPS")
    if clips and not videos:
        names = [n for n in args.names.split(",") if n]
        videos = sorted(
            p for p in Path(clips).glob("*.mp4") if not names or any(n in p.name for n in names)
        )
    rows = []
    with tempfile.TemporaryDirectory(prefix="hingecheck-real-") as tmp_dir:
        tmp = Path(tmp_dir)
        for spec in args.make_video:
            from bench import make_video

            videos.append(make_video(spec, tmp / f"synthetic_{spec.replace(':', '_')}.mp4"))
        if not videos:
            ap.error("no videos: name some, set HINGECHECK_CLIPS, or give --make-video")
        vt = version_time()
        load = os.getloadavg()[0]
        print(f"hingecheck --version: {vt:.2f} s (< 0.3 {_mark(vt < 0.3)}); load {load:.1f}")
        for video in videos:
            row = bench_clip(video, args.repeat, args.live, tmp, args.config, args.no_live)
            row["load"] = round(os.getloadavg()[0], 2)
            print_row(row)
            rows.append(row)
    if args.json:
        args.json.write_text(json.dumps({"version_s": vt, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
