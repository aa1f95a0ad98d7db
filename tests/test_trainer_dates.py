"""The trainer's index dates each set by when it was done (a manifest's date, else the
recording's own time stamp, else the report's), and batch.csv names each set's lift."""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from pathlib import Path

import av
import numpy as np
from batch_support import hinge_video, set_dir

from hingecheck.cli import main
from hingecheck.outputs.index import load_entries
from hingecheck.video.source import recorded_at

FILMED = "2024-03-05T07:08:09+00:00"


def _stamped_video(path: Path, created: str | None) -> Path:
    """A short video whose container says when it was recorded (as a phone's does)."""
    with av.open(str(path), "w") as out:
        if created:
            out.metadata["creation_time"] = created
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _report(path: Path, source: str, recorded: dict | None = None) -> Path:
    data = {
        "schema": "hingecheck.report/1",
        "source": {"path": source, "duration_s": 1.0},
        "view": {"camera": "side", "judged": True},
        "reps": [],
        "faults": [],
        **({"recorded": recorded} if recorded else {}),
    }
    path.write_text(json.dumps(data))
    return path


def test_the_recording_s_own_time_not_the_copy_s(tmp_path):
    video = _stamped_video(tmp_path / "set.mp4", FILMED)
    assert recorded_at(video) == datetime.fromisoformat(FILMED)
    assert recorded_at(_stamped_video(tmp_path / "plain.mp4", None)) is None
    # A report of an older version, without "recorded": the video's time stamp, though the
    # file was copied (modified) just now.
    _report(tmp_path / "set.json", str(video))
    (entry,) = load_entries(tmp_path)
    assert entry.date == datetime.fromisoformat(FILMED).astimezone().replace(tzinfo=None)
    assert entry.date_source == "recording"


def test_a_relative_path_is_not_read_from_where_review_runs(tmp_path, monkeypatch):
    """A relative source path was relative to where the analysis ran: a file of that name in
    the current folder is some other video."""
    here = tmp_path / "elsewhere"
    here.mkdir()
    _stamped_video(here / "set.mp4", FILMED)
    monkeypatch.chdir(here)
    reports = tmp_path / "reports"
    reports.mkdir()
    json_path = _report(reports / "set.json", "set.mp4")
    os.utime(json_path, (1_700_000_000, 1_700_000_000))
    (entry,) = load_entries(reports)
    assert entry.date == datetime.fromtimestamp(1_700_000_000) and entry.date_source == "report"


def test_the_report_s_date_comes_first(tmp_path):
    video = _stamped_video(tmp_path / "set.mp4", FILMED)
    _report(tmp_path / "set.json", str(video), {"date": "2024-06-01", "source": "manifest"})
    (entry,) = load_entries(tmp_path)
    assert entry.date == datetime(2024, 6, 1) and entry.date_source == "manifest"


def test_batch_carries_the_manifest_date_and_the_lift(tmp_path, capsys):
    """One real batch: the manifest's date reaches the report and the index; batch.csv names
    the lift even when it was told from the movement."""
    hinge_video(tmp_path / "clips" / "a.mp4", reps=("clean",))
    hinge_video(tmp_path / "clips" / "b.mp4", reps=("clean",))
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,lifter,date,exercise\nclips/a.mp4,Anna,2024-06-01,\n"
        "clips/b.mp4,Anna,,kettlebell_deadlift\n"
    )
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "-o", str(out), "--no-video", "-q", "--workers", "1"]) == 0
    with open(out / "batch.csv", newline="") as fh:
        rows = {Path(r["path"]).name: r for r in csv.DictReader(fh)}
    assert rows["a.mp4"]["exercise"] == "deadlift"  # told from the movement
    assert rows["b.mp4"]["exercise"] == "kettlebell_deadlift"
    folder = set_dir(out, tmp_path / "clips" / "a.mp4", "Anna")  # Anna's, then the clips' folder
    report = json.loads((folder / "a.json").read_text())
    assert report["recorded"] == {"date": "2024-06-01", "source": "manifest"}
    assert "recorded" not in json.loads((folder / "b.json").read_text())
    html = (out / "index.html").read_text()
    assert ">2024-06-01</td>" in html
    # Resumed, the stamp still names the lift.
    assert main(["batch", str(manifest), "-o", str(out), "--no-video", "-q", "--workers", "1"]) == 0
    with open(out / "batch.csv", newline="") as fh:
        assert {r["exercise"] for r in csv.DictReader(fh)} == {"deadlift", "kettlebell_deadlift"}
