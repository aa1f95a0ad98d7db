"""Build the self-made demo set: a rendered figure doing ten hinge reps with known faults.

Writes demo_set.mp4 (H.264, yuv420p) and demo_set.truth.json next to this script (or --out-dir).
--check runs MediaPipe's PoseLandmarker on the written video and prints the detection rate, the
detected trunk/hip angles against the truth per rep, and the segmentation mask's lower-back bow.

    python samples/make_demo.py [--out-dir DIR] [--check] [--model models/pose_landmarker_full.task]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # run from a checkout without installing

from hingecheck.synth import Motion, RepSpec, hinge_motion, render_frames  # noqa: E402

FPS, WIDTH, HEIGHT, FACING, SEED = 30, 960, 540, +1, 7
# Depth, speed and fault size all vary so that no single lucky threshold passes the set.
REPS = [
    RepSpec("clean", depth=0.9, duration_s=3.0, severity=0.0, pause_s=0.6),
    RepSpec("clean", depth=0.25, duration_s=1.6, severity=0.0, pause_s=0.5),
    RepSpec("rounded", depth=0.65, duration_s=2.4, severity=0.3, pause_s=0.5),
    RepSpec("rounded", depth=0.9, duration_s=2.8, severity=0.9, pause_s=0.6),
    RepSpec("squat", depth=0.7, duration_s=2.6, severity=0.6, pause_s=0.5),
    RepSpec("short_lockout", depth=0.6, duration_s=2.0, severity=0.3, pause_s=0.5),
    RepSpec("short_lockout", depth=0.45, duration_s=1.8, severity=0.9, pause_s=0.5),
    RepSpec("clean", depth=0.6, duration_s=2.2, severity=0.0, pause_s=0.5),
    RepSpec("hyperextension", depth=0.7, duration_s=2.4, severity=0.6, pause_s=0.8),
    RepSpec("clean", depth=0.5, duration_s=2.0, severity=0.0, pause_s=0.5),
]


def build(out_dir: Path) -> tuple[Path, Motion]:
    """Render the set and write the video and its ground truth; return the video path."""
    motion = hinge_motion(REPS, FPS, lead_in_s=1.2, lead_out_s=1.0)
    video = out_dir / "demo_set.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "28", "preset": "slow", "threads": "1"}
        for img in render_frames(motion, width=WIDTH, height=HEIGHT, facing=FACING, seed=SEED):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))
    truth = {
        "generator": "hingecheck.synth (rendered figure, no real footage); samples/make_demo.py",
        "fps": FPS,
        "frames": motion.n_frames,
        "width": WIDTH,
        "height": HEIGHT,
        "facing": "right" if FACING == 1 else "left",
        "duration_s": round(motion.n_frames / FPS, 3),
        "rep_specs": [vars(r) for r in REPS],
        "reps": [
            {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
            for r in motion.reps
        ],
        "faults": [
            {k: round(v, 3) if isinstance(v, float) else v for k, v in f.items()}
            for f in motion.faults
        ],
    }
    (out_dir / "demo_set.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return video, motion


def track(video: Path, model: Path) -> tuple[np.ndarray, np.ndarray, list]:
    """Run PoseLandmarker (VIDEO mode, masks on): landmarks (N, 33, 2) px (NaN when missed),
    frame times (s) and the person masks (None when missed)."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        output_segmentation_masks=True,
    )
    lms, times, masks = [], [], []
    with vision.PoseLandmarker.create_from_options(opts) as lm, av.open(str(video)) as src:
        for frame in src.decode(video=0):
            img = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            h, w = img.shape[:2]
            ts = int(round(frame.time * 1000))
            ts = max(ts, times[-1] * 1000 + 1 if times else 0)
            r = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=img), ts)
            times.append(ts / 1000)
            if r.pose_landmarks:
                lms.append([(p.x * w, p.y * h) for p in r.pose_landmarks[0]])
                masks.append(r.segmentation_masks[0].numpy_view()[..., 0].copy())
            else:
                lms.append(np.full((33, 2), np.nan))
                masks.append(None)
    return np.asarray(lms, float), np.asarray(times), masks


def angles(p: np.ndarray, facing: int) -> tuple[float, float, float]:
    """Trunk inclination (+ forward), hip and knee flexion (deg) from pixel landmarks."""
    hip, sh, kn = p[[23, 24]].mean(0), p[[11, 12]].mean(0), p[[25, 26]].mean(0)
    ank = p[[27, 28]].mean(0)
    trunk = np.degrees(np.arctan2(facing * (sh[0] - hip[0]), hip[1] - sh[1]))
    thigh = np.degrees(np.arctan2(facing * (kn[0] - hip[0]), kn[1] - hip[1]))
    shank = np.degrees(np.arctan2(facing * (kn[0] - ank[0]), ank[1] - kn[1]))
    return float(trunk), float(trunk + thigh), float(thigh + shank)


def back_bow(p: np.ndarray, mask: np.ndarray, facing: int) -> float:
    """Bow of the mask's back outline over t = 0.10-0.60 of the hip->shoulder line, per trunk
    length: + = convex (rounded). Steps away from the front to where the mask ends."""
    hip, sh = p[[23, 24]].mean(0), p[[11, 12]].mean(0)
    axis = sh - hip
    length = float(np.hypot(*axis))
    n = np.array([-axis[1], axis[0]]) / length
    n = -n if n[0] * facing > 0 else n
    ts, steps = np.linspace(0.1, 0.6, 11), np.arange(0, 0.6 * length, 0.5)
    d = []
    for t in ts:
        q = hip + t * axis + steps[:, None] * n
        xi = np.clip(np.round(q[:, 0]).astype(int), 0, mask.shape[1] - 1)
        yi = np.clip(np.round(q[:, 1]).astype(int), 0, mask.shape[0] - 1)
        out = np.flatnonzero(mask[yi, xi] <= 0.5)
        d.append(steps[out[0]] / length if out.size else np.nan)
    a = np.polyfit(ts, np.asarray(d), 2)[0]
    return float(-a * (ts[-1] - ts[0]) ** 2 / 4)


def check(video: Path, motion: Motion, model: Path) -> None:
    """Print detection rate, per-rep angles (detected vs truth) and per-rep back bow."""
    lms, times, masks = track(video, model)
    found = ~np.isnan(lms[:, 0, 0])
    print(f"detected {found.sum()}/{len(found)} frames = {found.mean():.1%}")
    n = min(len(found), motion.n_frames)

    def at(s: float) -> int:
        return min(int(round(s * motion.fps)), n - 1)

    stand = [back_bow(lms[i], masks[i], FACING) for i in range(at(1.0)) if found[i]]
    print(f"standing bow (median) {np.median(stand):+.3f}")
    print("detected/truth deg: trunk, hip, knee at the bottom; trunk, hip at top_s + 0.25 s")
    print("rep kind            trunk_bot    hip_bot      knee_bot     trunk_top    hip_top    bow")
    m = motion
    for r, spec in zip(m.reps, REPS, strict=True):
        row = f"{r['index']:>3} {spec.kind:<15}"
        for i, truth in (
            (at(r["bottom_s"]), (m.trunk_incl_deg, m.hip_flexion_deg, m.knee_flexion_deg)),
            (at(r["top_s"] + 0.25), (m.trunk_incl_deg, m.hip_flexion_deg)),
        ):
            got = angles(lms[i], FACING) if found[i] else (np.nan,) * 3
            row += "".join(f" {g:5.1f}/{a[i]:5.1f}" for g, a in zip(got, truth, strict=False))
        sel = np.arange(at(r["start_s"]), at(r["top_s"]))
        peak = motion.hip_flexion_deg[sel].max()
        sel = [i for i in sel if found[i] and motion.hip_flexion_deg[i] > 0.6 * peak]
        bows = [back_bow(lms[i], masks[i], FACING) for i in sel]
        row += f"  {np.nanpercentile(bows, 75):+.3f}" if bows else "  n/a"
        print(row + ("  " + ",".join(r["faults"]) if r["faults"] else ""))


def main() -> None:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--check", action="store_true", help="run MediaPipe on the result")
    ap.add_argument("--model", type=Path, default=HERE.parent / "models/pose_landmarker_full.task")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    video, motion = build(args.out_dir)
    print(f"wrote {video} ({os.path.getsize(video)} bytes), {motion.n_frames} frames")
    if args.check:
        check(video, motion, args.model)


if __name__ == "__main__":
    main()
