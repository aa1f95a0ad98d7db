"""The jump-cut detector's cost per decoded frame (video/cuts.py), apart from decoding.

    .venv/bin/python bench/cut_cost.py VIDEO [--frames 300]

Decodes up to --frames frames (kept in memory), then times the grey thumbnail (`Frame.grey`
+ `thumbnail`) and the comparison with the previous frame (`PictureChange.update`) on each,
as the pose pass runs them. Prints milliseconds per frame (median of 3 rounds).
"""

from __future__ import annotations

import argparse
import statistics
import time

from hingecheck.config import load_config
from hingecheck.video.cuts import PictureChange, thumbnail
from hingecheck.video.source import iter_frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video")
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    frames = []
    for frame in iter_frames(args.video):
        frames.append(frame)
        if len(frames) >= args.frames:
            break
    size = frames[0].grey().shape
    thumb_ms, compare_ms = [], []
    for _ in range(3):
        change = PictureChange.from_config(load_config().pose)
        t0 = time.perf_counter()
        thumbs = [thumbnail(f.grey()) for f in frames]
        t1 = time.perf_counter()
        for th in thumbs:
            change.update(th)
        t2 = time.perf_counter()
        thumb_ms.append((t1 - t0) / len(frames) * 1e3)
        compare_ms.append((t2 - t1) / len(frames) * 1e3)
    thumb, compare = statistics.median(thumb_ms), statistics.median(compare_ms)
    print(f"{args.video}: {len(frames)} frames of {size[1]}x{size[0]} (luma)")
    print(f"thumbnail {thumb:.3f} ms/frame, comparison {compare:.3f} ms/frame, ")
    print(f"total {thumb + compare:.3f} ms/frame")


if __name__ == "__main__":
    main()
