"""Benchmark `hingecheck live` on a clip delivered as a camera would deliver it.

Runs `hingecheck live --headless --realtime --stats-json` on the clip, then the offline
analysis of the same clip, and prints the figures the live targets are stated in: latency
from a frame's arrival to its decision (p50, p95, max), the share of frames dropped, and how
well the live fault events agree with the offline ones (same type, same rep): the cues given
live, and the saved session's report (the offline rules over the frames live analysed, on
every frame the session recorded).

    python bench/live_latency.py [CLIP] [--as-720p] [--max-side 640] [--runs 1] [--json OUT]

With no CLIP, the demo set (samples/demo_set.mp4, 960x540) is used; --as-720p first scales the
clip to 1280x720 (a temporary copy), the size of a laptop camera, as the targets are stated.

Agreement: a live rep is the offline rep with the nearest bottom (within 2 s); events are
(rep, type) pairs; agreement = |live & offline| / |live | offline| (1.0 when both are empty).
It is given against two offline analyses: the default one (`hingecheck analyze CLIP`), and one
whose pose model runs with live's settings (max_side, num_poses), which isolates the causal
pipeline from the pose model's own sensitivity to its input size and candidate count.
The machine's load average is printed too: on a shared machine it moves the latency figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
DEFAULT_CLIP = HERE.parent / "samples" / "demo_set.mp4"
TARGETS = {"p50": 40.0, "p95": 70.0, "drop_rate": 0.05, "agreement": 0.90}


def run_live(clip: Path, out: Path, max_side: int, num_poses: int) -> dict:
    """One headless, real-time paced live session; returns its stats."""
    stats = out / "stats.json"
    cmd = [
        sys.executable,
        "-m",
        "hingecheck",
        "live",
        "--source",
        str(clip),
        "--headless",
        "--realtime",
        "--stats-json",
        str(stats),
        "-o",
        str(out),
        "--max-side",
        str(max_side),
        "--num-poses",
        str(num_poses),
        "--no-video",
        "-q",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"live failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(stats.read_text())


def run_offline(clip: Path, out: Path, pose: dict | None = None) -> dict:
    """The offline analysis of the same clip (report JSON); `pose` overrides [pose] settings."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "hingecheck", "analyze", str(clip), "-o", str(out)]
    cmd += ["--no-video", "-q"]
    if pose:
        toml = out / "pose.toml"
        toml.write_text("[pose]\n" + "".join(f"{k} = {v}\n" for k, v in pose.items()))
        cmd += ["--config", str(toml)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"analyze failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads((out / f"{clip.stem}.json").read_text())


def agreement(bottoms: list[float], faults: list[dict], report: dict) -> tuple[float, set, set]:
    """Share of fault events (rep, type) both analyses found, of those either found; `bottoms`
    are the live reps' bottom times (s), `faults` the live events."""

    def offline_rep(live_rep: int) -> int | None:
        # The offline rep with the nearest bottom (a bottom held still for a while can sit
        # anywhere on its plateau), within 2 s.
        b = bottoms[live_rep - 1]
        reps = report["reps"]
        if not reps:
            return None
        best = min(reps, key=lambda r: abs(r["bottom_s"] - b))
        return best["index"] if abs(best["bottom_s"] - b) <= 2.0 else None

    live = {(offline_rep(f["rep"]) or -f["rep"], f["type"]) for f in faults}
    off = {(f["rep"], f["type"]) for f in report["faults"]}
    union = live | off
    return (len(live & off) / len(union) if union else 1.0), live, off


def scale_to_720p(src: Path, dst: Path) -> Path:
    """A 1280x720 copy of the clip (same frame times), as a laptop camera would deliver it."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ist = inp.streams.video[0]
        ost = out.add_stream("libx264", rate=ist.average_rate or 30)
        ost.width, ost.height, ost.pix_fmt = 1280, 720, "yuv420p"
        ost.options = {"crf": "18", "preset": "veryfast"}
        for frame in inp.decode(ist):
            img = frame.reformat(width=1280, height=720, format="yuv420p")
            img.pts, img.time_base = frame.pts, frame.time_base
            out.mux(ost.encode(img))
        out.mux(ost.encode(None))
    return dst


def figures(clip: Path, stats: dict, offline: dict[str, dict], args) -> dict:
    """One run's figures, printed, with the targets each meets or misses."""
    lat = stats["latency_ms"]
    row = {
        "clip": clip.name,
        "size": f"{stats['width']}x{stats['height']}",
        "fps": stats["fps"],
        "max_side": args.max_side,
        "num_poses": args.num_poses,
        **lat,
        "stage_ms_p50": stats.get("stage_ms_p50"),
        "frames_seen": stats["frames_seen"],
        "frames_processed": stats["frames_processed"],
        "frames_recorded": stats.get("frames_recorded"),
        "drop_rate": stats["drop_rate"],
        "reps_live": stats["reps"],
    }
    print(
        f"{clip.name} {row['size']} @ {row['fps']} fps, max_side {args.max_side}, "
        f"num_poses {args.num_poses} (load {os.getloadavg()[0]:.2f})"
    )
    print(
        f"  latency ms  p50 {lat['p50']:.1f} (<= 40 {_mark(lat['p50'] <= TARGETS['p50'])})  "
        f"p95 {lat['p95']:.1f} (<= 70 {_mark(lat['p95'] <= TARGETS['p95'])})  "
        f"max {lat['max']:.1f}   stages p50 {stats.get('stage_ms_p50')}"
    )
    drop_ok = stats["drop_rate"] < TARGETS["drop_rate"]
    print(
        f"  frames      seen {stats['frames_seen']}  processed {stats['frames_processed']}  "
        f"dropped {100 * stats['drop_rate']:.1f} % (< 5 % {_mark(drop_ok)})  "
        f"recorded {stats.get('frames_recorded')}"
    )
    saved_path = Path(stats["session_dir"] or ".") / "session.json"
    saved = json.loads(saved_path.read_text()) if saved_path.is_file() else None
    for name, report in offline.items():
        agree, live, off = agreement(stats["rep_bottoms_s"], stats["faults"], report)
        row[f"agreement_{name}"] = round(agree, 3)
        row[f"reps_{name}"] = len(report["reps"])
        row[f"faults_{name}"] = sorted(map(list, off))
        row["faults_live"] = sorted(map(list, live))
        print(
            f"  vs offline ({name}): reps live {stats['reps']} / offline "
            f"{len(report['reps'])}; agreement {100 * agree:.0f} % of fault events "
            f"(>= 90 % {_mark(agree >= TARGETS['agreement'])})"
        )
        print(f"      live {sorted(live)}\n      offline {sorted(off)}")
        if saved is not None:
            bottoms = [r["bottom_s"] for r in saved["reps"]]
            agree, kept, _ = agreement(bottoms, saved["faults"], report)
            row[f"saved_agreement_{name}"] = round(agree, 3)
            row["faults_saved"] = sorted(map(list, kept))
            print(
                f"      saved session: reps {len(saved['reps'])}; agreement "
                f"{100 * agree:.0f} %: {sorted(kept)}"
            )
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", type=Path, nargs="?", default=DEFAULT_CLIP)
    ap.add_argument("--as-720p", action="store_true", help="scale the clip to 1280x720 first")
    ap.add_argument("--max-side", type=int, default=640)
    ap.add_argument("--num-poses", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1, help="live runs (figures per run)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    if not args.clip.is_file():
        sys.exit(f"no such clip: {args.clip}")
    results = []
    with tempfile.TemporaryDirectory(prefix="hingecheck-bench-") as tmp:
        clip = args.clip
        if args.as_720p:
            clip = scale_to_720p(clip, Path(tmp) / f"{clip.stem}_720p.mp4")
        offline = {
            "default": run_offline(clip, Path(tmp) / "offline"),
            "live pose settings": run_offline(
                clip,
                Path(tmp) / "offline_live_pose",
                {"max_side": args.max_side, "num_poses": args.num_poses},
            ),
        }
        for k in range(args.runs):
            out = Path(tmp) / f"run{k}"
            out.mkdir()
            stats = run_live(clip, out, args.max_side, args.num_poses)
            results.append(figures(clip, stats, offline, args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


if __name__ == "__main__":
    raise SystemExit(main())
