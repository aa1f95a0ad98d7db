"""How long `hingecheck calibrate` takes on labelled clips whose tracks are cached (no model run):

    .venv/bin/python bench/calibrate_bench.py "$HINGECHECK_CLIPS" --tracks hingecheck-eval

Prints the wall and CPU time of reading the tracks (signals, view, reps: once per clip) and of
fitting every fault (the rules once per candidate threshold per clip, then the left-one-source-
out folds), then the table. Reads the tracks only: a clip without a current one is refused, not
analysed, so the tracks folder is never written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hingecheck.calibration import load_sets
from hingecheck.config import load_config
from hingecheck.faults import FAULT_TYPES
from hingecheck.judge.calibrate import calibrate
from hingecheck.outputs.calibration import table


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", type=Path, help="folder with the clips and labels.json")
    ap.add_argument("--tracks", type=Path, required=True, help="the clips' cached tracks")
    ap.add_argument("--labels", type=Path, default=None)
    ap.add_argument("--config", type=Path, default=None)
    args = ap.parse_args()
    config = load_config(args.config)
    w0, c0 = _clock()
    sets = load_sets(
        args.clips,
        args.labels or args.clips / "labels.json",
        args.tracks,
        config,
        FAULT_TYPES,
        run_model=False,
    )
    w1, c1 = _clock()
    fits = calibrate(sets, config)
    w2, c2 = _clock()
    print(table(fits))
    sources = len({s.source for s in sets})
    print(f"\n{len(sets)} clips from {sources} sources, {len(FAULT_TYPES)} faults")
    print(f"read tracks: {w1 - w0:6.1f} s wall, {c1 - c0:6.1f} s CPU")
    print(f"fit + LOSO:  {w2 - w1:6.1f} s wall, {c2 - c1:6.1f} s CPU")
    print(f"total:       {w2 - w0:6.1f} s wall, {c2 - c0:6.1f} s CPU (target: under 60 s)")


if __name__ == "__main__":
    main()
