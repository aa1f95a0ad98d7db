"""The real clips in $HINGECHECK_CLIPS (never copied into the repo): every clip is analysed,
and the evaluation figures are printed and held to the level the project has reached.

Skipped when HINGECHECK_CLIPS is unset. Set HINGECHECK_CLIP_CACHE to a folder to keep the
landmark tracks between runs (the pose model pass is most of the time).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hingecheck.judge.evaluate import Evaluation, table, tally
from hingecheck.pipeline import evaluate_folder

CLIPS = os.environ.get("HINGECHECK_CLIPS")
BASELINE = Path(__file__).with_name("clip_baseline.json")

pytestmark = [
    pytest.mark.clips,
    pytest.mark.skipif(not CLIPS, reason="HINGECHECK_CLIPS is not set"),
]


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory) -> Evaluation:
    clips = Path(CLIPS or ".")
    if not (clips / "labels.json").is_file():
        pytest.skip(f"no labels.json in {clips}")
    cache = os.environ.get("HINGECHECK_CLIP_CACHE")
    out = Path(cache) if cache else tmp_path_factory.mktemp("clip-eval")
    results, _ = evaluate_folder(clips, clips / "labels.json", out, None)
    return tally(results)


def test_every_clip_is_processed(evaluation: Evaluation, capsys):
    with capsys.disabled():
        print("\n" + table(evaluation))
        print("figures:", json.dumps(evaluation.figures(), sort_keys=True))
    failed = [f"{c.file}: {c.error}" for c in evaluation.clips if c.error]
    assert not failed, failed
    assert len(evaluation.clips) > 0


def test_figures_hold_the_recorded_level(evaluation: Evaluation):
    """Precision/recall/F1/rep counts may not fall, false-alarm rates may not rise."""
    baseline = json.loads(BASELINE.read_text())["figures"]
    got = evaluation.figures()
    worse = []
    for key, level in baseline.items():
        value = got.get(key)
        if value is None:
            worse.append(f"{key}: missing (was {level})")
        elif key.endswith("false_alarm_rate") and value > level + 1e-9:
            worse.append(f"{key}: {value} > {level}")
        elif not key.endswith("false_alarm_rate") and value < level - 1e-9:
            worse.append(f"{key}: {value} < {level}")
    assert not worse, "figures below the recorded level: " + "; ".join(worse)
