"""A fifth fault is a row in the fault table, a reading, a rule and a config section: a dummy
fault added in exactly those four places (in a fresh interpreter, before anything else of the
package is imported) shows in every output with no other edit."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

# The four places, as a plugin would fill them; then one set judged and every output written.
SCRIPT = r"""
import dataclasses, json, sys
from typing import Annotated
from pathlib import Path

import numpy as np

from hingecheck import config, faults

# 1. Its row in the fault table.
ROW = dataclasses.replace(
    faults.FAULTS[1], key="dummy_fault", label="Dummy knees", short="dummy",
    cues={"pull": "Keep the knees softer.", "hinge": "Keep the knees softer.",
          "swing": "Keep the knees softer."},
    message="knees bent {where}", detail="{value:.0f}° of flexion",
    colour="#1030f0", severe_share=0.4, rising=True, repeat_sd=3.0, charts=("knee_angle",),
    decided="pull", oblique="", marks_outline=False, synth="", tuned=(),
)
faults.FAULTS = (*faults.FAULTS, ROW)
faults.FAULT_TYPES = tuple(k.key for k in faults.FAULTS)
faults._BY_KEY[ROW.key] = ROW

# 2. Its config section: declared with its range, and its default with the reason.
@dataclasses.dataclass(frozen=True)
class DummyConfig:
    max_knee_flexion: Annotated[float, config.Range(0, 180)]

config.RulesConfig = dataclasses.make_dataclass(
    "RulesConfig", [("dummy_fault", DummyConfig)], bases=(config.RulesConfig,), frozen=True
)
_text = config.default_text
config.default_text = lambda: _text() + (
    "\n[rules.dummy_fault]\n# A test fault: knees bent past this (the squat reps).\n"
    "max_knee_flexion = 50.0\n"
)

# 3. Its reading (here one the signals already carry: knee flexion) and 4. its rule.
from hingecheck.judge import rules

def dummy_fault(signals, reps, view, cfg):
    c = cfg.dummy_fault
    on = signals.knee_flexion > c.max_knee_flexion
    return rules._faults_from_mask(
        "dummy_fault", on, signals.knee_flexion, c.max_knee_flexion, signals, reps, cfg
    )

rules.RULES = (*rules.RULES, dummy_fault)

# One set, judged and written as `hingecheck analyze` writes it.
from synth_support import make_track
from video_support import write_video

from hingecheck import judge_track, load_config
from hingecheck.analysis import Analysis
from hingecheck.batch.jobs import ROW_FIELDS
from hingecheck.judge.causal import PULL_FAULTS
from hingecheck.judge.evaluate import table, tally
from hingecheck.outputs.index import write_index
from hingecheck.outputs.registry import write_outputs
from hingecheck.serve.app import template_env

out = Path(sys.argv[1])
cfg = load_config()
_, track = make_track(["clean", "squat"], width=320, height=180)
video = write_video(out / "set.mp4", [np.full((180, 320, 3), 128, np.uint8)] * len(track), 30)
signals, report = judge_track(track, cfg)
write_outputs(Analysis(report, track, signals, cfg), video, out, with_video=True, progress=False)
write_index(out, None)
print(json.dumps({
    "batch_columns": list(ROW_FIELDS),
    "live_pull_faults": list(PULL_FAULTS),
    "serve_labels": template_env().globals["LABELS"],
    "evaluation_table": table(tally([])),
    "config_value": cfg.rules.dummy_fault.max_knee_flexion,
}))
"""


@pytest.fixture(scope="module")
def fifth(tmp_path_factory) -> tuple[Path, dict]:
    """The outputs of a set judged with a dummy fifth fault, and what the rest of the package
    made of it."""
    pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
    out = tmp_path_factory.mktemp("fifth")
    path = os.pathsep.join(
        p for p in (str(Path(__file__).parent), os.environ.get("PYTHONPATH")) if p
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},  # the test helpers, and this checkout's package
    )
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout.strip().splitlines()[-1])


def test_the_report_and_its_files_carry_it(fifth):
    out, _ = fifth
    report = json.loads((out / "set.json").read_text())
    dummy = [f for f in report["faults"] if f["type"] == "dummy_fault"]
    assert dummy and all(f["cue"] == "Keep the knees softer." for f in dummy)
    assert any("dummy_fault" in r["faults"] for r in report["reps"])
    with open(out / "set.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(int(r["dummy_fault"]) for r in rows) > 0
    assert "Dummy knees" in (out / "set.srt").read_text()


def test_the_pages_carry_it(fifth):
    out, _ = fifth
    page = (out / "set.html").read_text()
    assert "Dummy knees" in page and "#1030f0" in page
    index = (out / "index.html").read_text()
    assert "Dummy knees" in index and 'data-count-type="dummy_fault"' in index


def test_the_annotated_video_shows_its_banner(fifth):
    out, _ = fifth
    report = json.loads((out / "set.json").read_text())
    f = next(f for f in report["faults"] if f["type"] == "dummy_fault")
    with av.open(str(out / "set.annotated.mp4")) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= (f["start_s"] + f["end_s"]) / 2:
                img = frame.to_ndarray(format="rgb24").astype(int)
                break
    top = img[: img.shape[0] // 2]
    blue = (top[..., 2] > 180) & (top[..., 0] < 60) & (top[..., 1] < 90)  # the row's colour
    assert blue.mean() > 0.02


def test_batch_live_serve_evaluation_and_config_know_it(fifth):
    _, seen = fifth
    assert "dummy_fault" in seen["batch_columns"]
    assert "dummy_fault" in seen["live_pull_faults"]
    assert seen["serve_labels"]["dummy_fault"] == "Dummy knees"
    assert "dummy" in seen["evaluation_table"]
    assert seen["config_value"] == 50.0
