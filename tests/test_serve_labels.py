"""A trainer's verdicts become labels with only what the trainer said, and the agreement is
split into the faults both called present and those both found absent."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")

from hingecheck.judge.evaluate import score_clip
from hingecheck.serve.agreement import agreement, label_for  # noqa: E402
from hingecheck.serve.store import Missed, Review, SetRow  # noqa: E402

REPORT = {
    "source": {"path": "s1.mp4", "duration_s": 6.0},
    "reps": [
        {"index": 1, "start_s": 0.0, "end_s": 3.0},
        {"index": 2, "start_s": 3.0, "end_s": 6.0},
    ],
    "faults": [
        {"type": "lumbar_rounding", "rep": 1, "peak_s": 1.0, "confidence": 1.0},
        {"type": "lumbar_rounding", "rep": 2, "peak_s": 4.0, "confidence": 1.0},
        {"type": "missing_lockout", "rep": 2, "peak_s": 5.5, "confidence": 1.0},
    ],
    "view": {"camera": "side"},
    "exercise": {"name": "deadlift"},
}
ROW = SetRow(1, "s1", 1, "s1.mp4", "my set.mp4", 10, 6.0, None, "", "done", 0.0, None, None,
             1, "analysed", "", 2, None, None, None, None, "", None)  # fmt: skip


def test_a_verdict_on_one_fault_labels_that_fault_alone():
    label = label_for(ROW, REPORT, Review(verdicts={2: "disagree"}))
    assert label["faults"] == {"missing_lockout": "absent"}
    label = label_for(ROW, REPORT, Review(verdicts={0: "agree"}))
    assert label["faults"] == {"lumbar_rounding": "present"}


def test_agreement_is_split_into_present_and_absent():
    said = Review(
        verdicts={0: "agree", 2: "disagree"}, missed=[Missed(1, 1, "squat_like_knee_bend", 1.5)]
    )
    a = agreement([score_clip(label_for(ROW, REPORT, said), REPORT)])
    # Rounding: both say present. Lockout: the trainer refused it (the checker called it).
    # Squat: the trainer marked it missed. Leaning back: no one said anything, not scored.
    assert (a.agreed_present, a.agreed_absent, a.scored) == (1, 0, 3)
    refused = Review(verdicts={0: "agree", 1: "agree", 2: "disagree"})
    quiet = {**REPORT, "faults": REPORT["faults"][:2]}  # the checker did not call the lockout
    a = agreement([score_clip(label_for(ROW, REPORT, refused), quiet)])
    assert (a.agreed_present, a.agreed_absent, a.scored) == (1, 1, 2)


def test_the_lifter_s_page_says_each_cue_once():
    from hingecheck.serve.views import set_view

    extra = {"start_s": 0.0, "end_s": 1.0, "message": "m", "detail": "d"}
    said = [{**f, **extra, "cue": f"cue of {f['type']}"} for f in REPORT["faults"]]
    cued = {**REPORT, "faults": said}
    faults = set_view(ROW, cued)["faults"]
    assert [f["cue"] for f in faults] == ["cue of lumbar_rounding", "", "cue of missing_lockout"]
    assert [f["cue_on"] for f in faults] == [None, 1, None]
    assert faults[0]["detail"] == "d"
