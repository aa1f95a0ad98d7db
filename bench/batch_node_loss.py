"""What losing a Ray node costs a running batch: sets/min before the loss, after it, and after
the node is back.

    python bench/batch_node_loss.py [--sets 36] [--lose-after 10] [--back-after 10]

A real two-node cluster on this machine (tests/ray_cluster.py: a head and a worker node of one
CPU each, so the two actors land one per node) runs `hingecheck batch --ray --workers 2
--no-video` over short synthetic sets (1 rep, 10 fps, 160x120: the tests' sets). After
`--lose-after` sets are finished, the worker node's processes are SIGKILLed (a machine that
drops off); after `--back-after` more, the node is started again. The rates come from the
sets' stamps' times, so the driver's start-up is not counted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def _stamps(out: Path) -> list[float]:
    return sorted(p.stat().st_mtime for p in out.rglob(".s*.done.json"))


def _wait_for(out: Path, n: int, proc: subprocess.Popen, limit_s: float = 600) -> None:
    deadline = time.monotonic() + limit_s
    while len(_stamps(out)) < n:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the batch stopped short of {n} sets")
        time.sleep(0.2)


def _rate(times: list[float], start: float, end: float) -> str:
    inside = [t for t in times if start < t <= end]
    if end <= start or not inside:
        return "n/a"
    return f"{60.0 * len(inside) / (end - start):.1f} sets/min ({len(inside)} sets)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=36)
    ap.add_argument("--lose-after", type=int, default=10)
    ap.add_argument("--back-after", type=int, default=10)
    args = ap.parse_args()

    from batch_support import hinge_video, start_batch
    from ray_cluster import Cluster

    work = Path(tempfile.mkdtemp(prefix="hc-nodeloss-"))
    cluster = Cluster()
    try:
        first = hinge_video(work / "clips" / "s00.mp4")
        for k in range(1, args.sets):
            shutil.copyfile(first, work / "clips" / f"s{k:02d}.mp4")
        out = work / "out"
        with open(work / "stderr.txt", "w") as err:
            proc = start_batch(
                str(work / "clips"), "-o", str(out), "--ray", cluster.address,
                "--workers", "2", "--no-video", stderr=err,
            )  # fmt: skip
            _wait_for(out, args.lose_after, proc)
            cluster.lose_worker_node()
            lost = time.time()
            _wait_for(out, args.lose_after + args.back_after, proc)
            restart = time.time()
            cluster.start_worker_node()
            code = proc.wait()
        times = _stamps(out)
        end = times[-1]
        print(f"exit {code}; {len(times)} of {args.sets} sets finished (one lost with its node)")
        print(f"two nodes:            {_rate(times, times[0], lost)} after the first set")
        print(f"one node (lost):      {_rate(times, lost, restart)}")
        print(f"node restarted, back: {_rate(times, restart, end)} (includes its start-up)")
        gaps = [b - a for a, b in zip(times, times[1:], strict=False) if a > lost]
        print(f"longest gap between two finished sets after the loss: {max(gaps):.1f} s")
        print((work / "stderr.txt").read_text().strip())
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
