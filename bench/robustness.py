"""How far the evaluation moves when the same labelled clips are re-encoded or mirrored.

A lifter facing the other way, or another phone's encoder, changes nothing a coach would call,
so what changes here is the noise floor of the evaluation table (and a place to look for
fragile logic). Copies are written outside the repository, evaluated like the originals
(`hingecheck evaluate`), and compared with them:

    .venv/bin/python bench/robustness.py "$HINGECHECK_CLIPS" --out /tmp/hc-robust

- `reencode`: decoded (rotation applied, frame times kept) and encoded again as H.264 (CRF 12),
  the control: every copy goes through it;
- `mirror`: the same, flipped left-right.

The pose pass runs once per copy (about 4 minutes per variant for the shared clips on 2 cores);
tracks are cached under --out, so a second run takes seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from hingecheck.judge.evaluate import ClipResult, Evaluation, tally
from hingecheck.pipeline import evaluate_folder
from hingecheck.video.source import iter_frames, probe

VARIANTS = ("reencode", "mirror")
_TIME_BASE = Fraction(1, 90000)


def write_copy(src: Path, dst: Path, mirror: bool) -> None:
    """Re-encode `src` to `dst` (H.264, CRF 12, the source's frame times), flipped if asked."""
    fps = Fraction(probe(src).fps or 30).limit_denominator(1001)
    tmp = dst.with_name(dst.stem + ".part.mp4")
    with av.open(str(tmp), "w") as out:
        stream = None
        for frame in iter_frames(src):
            img = frame.rgb[:, ::-1] if mirror else frame.rgb
            h, w = img.shape[0] & ~1, img.shape[1] & ~1  # yuv420p needs even sides
            if stream is None:
                stream = out.add_stream("libx264", rate=fps, options={"crf": "12"})
                stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                stream.codec_context.time_base = _TIME_BASE
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:h, :w]), format="rgb24")
            vf.pts, vf.time_base = int(round(frame.t / _TIME_BASE)), _TIME_BASE
            for packet in stream.encode(vf):
                out.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                out.mux(packet)
    tmp.replace(dst)


def make_variant(clips: Path, labels: list[dict], folder: Path, mirror: bool) -> None:
    """The labelled clips re-encoded (and mirrored) into `folder`, with the same labels."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(clips / "labels.json", folder / "labels.json")
    for label in labels:
        dst = folder / label["file"]
        if not dst.exists():  # made once; the evaluation caches its tracks as well
            write_copy(clips / label["file"], dst, mirror)


def _outcome(c: ClipResult) -> tuple:
    found = tuple(sorted(k for k, v in c.found.items() if v))
    return (c.camera, c.reps_found, found, c.exercise_found)


def _describe(c: ClipResult) -> str:
    faults = ", ".join(k for k, v in sorted(c.found.items()) if v) or "no faults"
    return f"{c.camera}, {c.reps_found} reps, {faults}, {c.exercise_found}"


def report(evals: dict[str, Evaluation]) -> str:
    """The headline figures side by side, then every clip whose outcome differs from the
    original's."""
    names = list(evals)
    figures = {n: ev.figures() for n, ev in evals.items()}
    keys = sorted({k for f in figures.values() for k in f})
    lines = [f"{'figure':42s}" + "".join(f"{n:>10s}" for n in names)]
    for key in keys:
        cells = [figures[n].get(key) for n in names]
        lines.append(f"{key:42s}" + "".join(f"{'-' if v is None else v:>10}" for v in cells))
    lines.append(
        f"{'reps exact (clips)':42s}"
        + "".join(f"{f'{e.reps_exact}/{e.reps_scored}':>10s}" for e in evals.values())
    )
    base = {c.file: c for c in evals[names[0]].clips}
    for name in names[1:]:
        changed = [c for c in evals[name].clips if _outcome(c) != _outcome(base[c.file])]
        lines.append(f"\n{name}: {len(changed)} of {len(base)} clips read differently")
        for c in changed:
            lines.append(f"  {c.file}: {_describe(base[c.file])}  ->  {_describe(c)}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", type=Path, help="folder with the clips and labels.json")
    ap.add_argument("--out", type=Path, default=Path("/tmp/hingecheck-robustness"))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--config", type=Path, default=None, help="TOML overriding thresholds")
    args = ap.parse_args()
    labels = json.loads((args.clips / "labels.json").read_text("utf-8"))
    folders = {"original": args.clips}
    for name in filter(None, args.variants.split(",")):
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}: use {', '.join(VARIANTS)}")
        folders[name] = args.out / name / "clips"
        make_variant(args.clips, labels, folders[name], mirror=name == "mirror")
    evals = {}
    for name, folder in folders.items():
        results, _ = evaluate_folder(
            folder, folder / "labels.json", args.out / name / "eval", args.config
        )
        evals[name] = tally(results)
    print(report(evals))


if __name__ == "__main__":
    main()
