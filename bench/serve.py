"""Figures for `hingecheck serve`: upload-to-report time, the server's memory, page weight.

    python bench/serve.py [--video SET.mp4] [--workers N] [--json FILE]

Starts a real server (a subprocess on a free 127.0.0.1 port, a fresh data folder, the default
config) and measures:
- upload-to-report: one ~30 s 720p set (bench.py --make-video 1280x720:30, whole cycles of
  two reps: 28.1 s; or --video) from the start of its upload until its status says done
  (the first set also starts the engine's workers and loads their model), with the upload
  alone;
- memory: the RSS of the server process, and of it with its analysis workers, once idle and
  again with five sets queued (sampled for a few seconds while they are being analysed);
- the weight of the lifter's pages: the upload page and a finished set's page, with their
  CSS, scripts and icon (the video itself is not counted).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' server harness: the same start-up path

from serve_support import Server, add_client, csrf_of, trainer_client, wait_done  # noqa: E402


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return out


def memory(pid: int) -> dict[str, float]:
    procs = tree(pid)
    return {
        "server_mb": round(rss_mb(pid), 1),
        "with_workers_mb": round(sum(rss_mb(p) for p in procs), 1),
        "processes": len(procs),
    }


def upload(c, link: str, video: Path, name: str) -> str:
    token = csrf_of(c.get(link).text)
    with video.open("rb") as fh:
        r = c.post(
            f"{link}/sets",
            files={"video": (name, fh, "video/mp4")},
            data={"csrf": token},
            headers={"accept": "application/json", "x-csrf-token": token},
        )
    r.raise_for_status()
    return str(r.json()["url"])


def page_weight(c, path: str) -> dict[str, int]:
    """Bytes of a page and the local assets it links (scripts, styles, icon)."""
    import re

    html = c.get(path).content
    assets = set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', html))
    sizes = {a.decode(): len(c.get(a.decode()).content) for a in sorted(assets)}
    return {"html": len(html), **sizes, "total": len(html) + sum(sizes.values())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=None, help="a 30 s 720p set (default: made)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    import httpx2 as httpx

    with tempfile.TemporaryDirectory(prefix="hingecheck-serve-bench-") as tmp:
        root = Path(tmp)
        video = args.video
        if video is None:
            video = root / "set720.mp4"
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "bench.py"), "--make-video",
                 "1280x720:30", "--out", str(video), "--make-only"],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        srv = Server(root / "data", None, workers=args.workers).start()
        figures: dict[str, object] = {"video_mb": round(video.stat().st_size / 1e6, 2)}
        # A shared machine's load scales every time below: keep it with the figures.
        figures["loadavg_start"] = [round(v, 1) for v in os.getloadavg()]
        try:
            trainer = trainer_client(srv.url, srv.setup_code())
            _, link = add_client(trainer, "Bench")
            time.sleep(20)  # the workers load the pose model at start-up
            assert srv.proc is not None
            figures["idle"] = memory(srv.proc.pid)
            with httpx.Client(base_url=srv.url, timeout=600) as c:
                t0 = time.perf_counter()
                url = upload(c, link, video, "set.mp4")
                t_up = time.perf_counter() - t0
                state = wait_done(c, url + "/status.json", timeout=1800)["state"]
                figures["upload_to_report_s"] = round(time.perf_counter() - t0, 1)
                figures["upload_s"] = round(t_up, 2)
                figures["state"] = state
                figures["lifter_upload_page_bytes"] = page_weight(c, link)
                figures["lifter_set_page_bytes"] = page_weight(c, url)
                urls = [upload(c, link, video, f"set{i}.mp4") for i in range(5)]
                peak = {"server_mb": 0.0, "with_workers_mb": 0.0, "processes": 0}
                for _ in range(20):
                    m = memory(srv.proc.pid)
                    peak = {k: max(peak[k], m[k]) for k in peak}
                    time.sleep(0.5)
                figures["five_queued_peak"] = peak
                figures["five_queued_states"] = [
                    c.get(u + "/status.json").json()["state"] for u in urls
                ]
        finally:
            srv.stop()
    figures["loadavg_end"] = [round(v, 1) for v in os.getloadavg()]
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
