"""How fast `hingecheck batch` goes on this machine, and what the driver costs.

    python bench/batch_bench.py throughput   # pool vs Ray: sets/min, real-time ratio, overhead
    python bench/batch_bench.py memory       # the driver's peak memory over a 1,000-line manifest

throughput: short synthetic sets (the synth figure, 6 s at 30 fps, 480x360, --no-video):
  - in-process: analyze_set with one warm SetAnalyzer, one set after another (the floor);
  - pool / Ray with 1 worker: the same sets; per-set overhead = its time per set - in-process;
  - pool / Ray with --workers 2: sets per minute and real-time ratio (video s / wall s).
  Ray runs on a local head started here (`ray start --head --block`, stopped afterwards).
memory: a 1,000-line manifest (a handful of 3-frame 64x48 videos under 200 lifters, resume
  off, --no-video) through the real command; the driver's peak RSS, without the workers'.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def make_sets(folder: Path, n: int, seconds: float = 6.0) -> list[Path]:
    from video_support import write_video

    from hingecheck.synth import RepSpec, hinge_motion, render_frames

    folder.mkdir(parents=True, exist_ok=True)
    kinds = ["clean", "squat", "rounded", "clean"]
    out = []
    for i in range(n):
        reps = [RepSpec(kinds[(i + j) % len(kinds)], duration_s=2.0, pause_s=0.4) for j in (0, 1)]
        motion = hinge_motion(reps, 30, lead_in_s=0.6, lead_out_s=seconds - 5.4)
        frames = list(render_frames(motion, width=480, height=360))
        out.append(write_video(folder / f"set{i}.mp4", frames, 30))
    return out


def jobs_for(videos: list[Path], out: Path, tag: str):
    from hingecheck.batch import SetJob

    return [SetJob(v, out / tag, with_video=False) for v in videos]


def timed_engine(jobs, workers: int, ray_address: str | None) -> tuple[float, float, list]:
    from hingecheck.batch import open_engine, run

    t0 = time.perf_counter()
    with open_engine(workers, ray_address) as engine:
        t1 = time.perf_counter()
        results = run(jobs, engine, resume=False)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, results


def start_ray(temp: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    head = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
            "--port", str(port), "--node-ip-address", "127.0.0.1", "--temp-dir", temp,
            "--num-cpus", "2", "--object-store-memory", str(200 * 1024 * 1024),
            "--include-dashboard", "false", "--disable-usage-stats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    time.sleep(3)
    return head, f"127.0.0.1:{port}"


def throughput(n: int) -> dict:
    from hingecheck.batch import SetAnalyzer, analyze_set

    tmp = Path(tempfile.mkdtemp(prefix="hcb"))
    figures: dict = {"sets": n}
    try:
        videos = make_sets(tmp / "in", n)
        video_s = 6.0 * n
        analyzer = SetAnalyzer()
        analyzer.warm()
        t0 = time.perf_counter()
        for job in jobs_for(videos, tmp / "out", "inproc"):
            assert analyze_set(job, analyzer).status != "failed"
        inproc = (time.perf_counter() - t0) / n
        analyzer.close()
        figures["in_process_s_per_set"] = round(inproc, 2)
        head, address = start_ray(tempfile.mkdtemp(prefix="hcr", dir="/tmp"))
        try:
            for name, addr in (("pool", None), ("ray", address)):
                start1, wall1, res1 = timed_engine(
                    jobs_for(videos, tmp / "out", f"{name}1"), 1, addr
                )
                assert all(r.status != "failed" for r in res1), [r.reason for r in res1]
                start2, wall2, res2 = timed_engine(
                    jobs_for(videos, tmp / "out", f"{name}2"), 2, addr
                )
                assert all(r.status != "failed" for r in res2), [r.reason for r in res2]
                figures[name] = {
                    "start_s_1_worker": round(start1, 1),
                    "s_per_set_1_worker": round(wall1 / n, 2),
                    "overhead_s_per_set": round(wall1 / n - inproc, 2),
                    "start_s_2_workers": round(start2, 1),
                    "sets_per_min_2_workers": round(60 * n / wall2, 1),
                    "realtime_ratio_2_workers": round(video_s / wall2, 2),
                }
        finally:
            head.send_signal(signal.SIGTERM)
            head.wait(timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return figures


def memory(lines: int) -> dict:
    from video_support import write_video

    from hingecheck.synth import RepSpec, hinge_motion, render_frames

    tmp = Path(tempfile.mkdtemp(prefix="hcm"))
    try:
        motion = hinge_motion([RepSpec("clean")], 10, lead_in_s=0.0, lead_out_s=0.0)
        frames = list(render_frames(motion, width=64, height=48))[:3]
        videos = [write_video(tmp / f"tiny{i}.mp4", frames, 10) for i in range(5)]
        manifest = tmp / "sets.csv"
        with open(manifest, "w") as fh:
            fh.write("path,lifter\n")
            for i in range(lines):
                fh.write(f"{videos[i % 5].name},lifter{i // 5:03d}\n")
        code = (
            "import resource, sys; from hingecheck.cli import main; rc = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(rc)"
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, "batch", str(manifest), "-o", str(tmp / "out"),
             "--no-video", "--no-resume", "-q", "--workers", "2"],
            capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        peak_kb = int(proc.stderr.strip().splitlines()[-1])
        summary = json.loads((tmp / "out" / "batch.json").read_text())
        return {
            "lines": lines,
            "exit": proc.returncode,
            "counts": summary["counts"],
            "driver_peak_rss_mb": round(peak_kb / 1024, 1),
            "wall_s": round(wall, 1),
            "sets_per_min": round(60 * lines / wall, 1),
            "bench_process_peak_rss_mb": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            ),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=("throughput", "memory"))
    ap.add_argument("--sets", type=int, default=6, help="sets per throughput run")
    ap.add_argument("--lines", type=int, default=1000, help="manifest lines (memory)")
    args = ap.parse_args()
    figures = throughput(args.sets) if args.part == "throughput" else memory(args.lines)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
