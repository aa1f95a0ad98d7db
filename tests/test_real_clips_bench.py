"""bench/real_clips.py: on a short synthetic set it prints and records every figure issue 13's
targets are stated in (the figures' values are the benchmark's business, not the test's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from video_support import write_video

from hingecheck.synth import RepSpec, hinge_motion, render_frames

BENCH = Path(__file__).parents[1] / "bench" / "real_clips.py"


@pytest.mark.slow
def test_the_benchmark_reports_every_target_figure(tmp_path):
    motion = hinge_motion([RepSpec("clean", duration_s=1.5)], 15, lead_in_s=0.3, lead_out_s=0.3)
    video = write_video(tmp_path / "set.mp4", render_frames(motion, width=160, height=120), 15)
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(BENCH), str(video), "--live", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-800:]
    data = json.loads(out.read_text())
    assert data["version_s"] > 0
    (row,) = data["rows"]
    for key in ("naive_s", "command_s", "x_naive", "x_realtime", "first_frame_s"):
        assert row[key] > 0, key
    assert row["first_frame_s"] < row["command_s"]  # from the process's start, inside the run
    for key in ("live_idle", "live_busy"):
        live = row[key]
        assert {"p50", "p95", "drop_rate", "reps", "agreement"} <= set(live)
        assert 0 <= live["drop_rate"] < 1 and live["p50"] <= live["p95"]
    for line in ("--version", "x naive", "first frame into the model", "live_idle", "live_busy"):
        assert line in r.stdout
