"""What the lifter reads: severity on one scale, cues that fit the lift, each fault said once."""

from __future__ import annotations

import numpy as np
import pytest
from synth_support import make_track, track_from_motion
from video_support import write_video

from hingecheck import judge_track, load_config
from hingecheck.cli import main
from hingecheck.cli.analyze import summary_lines
from hingecheck.faults import FAULTS, SEVERITY, fault_kind, lift_name
from hingecheck.outputs.text import counted, length, view_words
from hingecheck.pipeline import Analysis
from hingecheck.summary import rep_list
from hingecheck.synth import RepSpec, hinge_motion

CFG = load_config()
RANK = {name: i for i, (name, _) in enumerate(SEVERITY)}
KINDS = {
    "rounded": "lumbar_rounding",
    "squat": "squat_like_knee_bend",
    "short_lockout": "missing_lockout",
    "hyperextension": "lockout_hyperextension",
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_mild_and_a_severe_fault_read_differently(kind):
    """The same fault, mild (0.3) then severe (0.9), in one set: the severe one grades higher."""
    specs = [RepSpec("clean"), RepSpec(kind, severity=0.3), RepSpec("clean")]
    specs += [RepSpec(kind, severity=0.9), RepSpec("clean")]
    _, report = judge_track(track_from_motion(hinge_motion(specs, 30.0)), CFG)
    by_rep = {f.rep: f.severity for f in report.faults if f.type == KINDS[kind]}
    assert set(by_rep) == {2, 4}, report.faults
    assert RANK[by_rep[4]] > RANK[by_rep[2]], by_rep


def test_severity_is_a_share_of_the_threshold():
    """Severity follows the config: the same reading past a doubled threshold grades lower, and
    scaling reading and threshold together keeps the grade."""
    for k in FAULTS:
        t = 10.0
        grades = [k.severity(k.severe_share * t * s, t) for s in (0.1, 0.5, 1.2)]
        assert grades == ["mild", "moderate", "severe"], (k.key, grades)
        assert k.severity(k.severe_share * t * 1.2, 2 * t) != "severe"
        assert k.severity(0.4 * k.severe_share, 1.0) == k.severity(4.0 * k.severe_share, 10.0)
        assert k.severity(-1.0, t) == "mild"  # a call held by hysteresis below the threshold


@pytest.mark.parametrize(
    "exercise", ["kettlebell_deadlift", "kettlebell_swing", "romanian_deadlift", "good_morning"]
)
def test_cues_fit_the_lift(exercise):
    _, track = make_track(["clean", "rounded", "squat", "short_lockout"])
    _, report = judge_track(track, CFG, exercise)
    assert report.faults
    for f in report.faults:
        assert f.cue == fault_kind(f.type).cue_for(exercise)
        assert "leaves the floor" not in f.cue
        if exercise.startswith("kettlebell"):
            assert "bar" not in f.cue.replace("barbell", ""), f.cue
    assert lift_name(exercise, "given") != "deadlift"
    assert "kettlebell" in lift_name("kettlebell_deadlift", "given")


def test_a_detected_pull_names_no_implement():
    """Told from the movement, a deadlift and a kettlebell deadlift look alike: neither "the
    bar" nor "the bell", and the name says it may be either."""
    _, track = make_track(["clean", "squat"])
    _, report = judge_track(track, CFG)
    assert report.exercise == "deadlift" and report.exercise_source == "detected"
    assert "kettlebell" in lift_name(report.exercise, report.exercise_source)
    (squat,) = report.faults
    assert "the weight" in squat.cue and "bar" not in squat.cue
    assert "leaves the floor" not in squat.cue


def test_each_fault_is_said_once_with_its_reps():
    _, track = make_track(["rounded", "clean", "rounded", "rounded", "squat"])
    signals, report = judge_track(track, CFG)
    rounded = [f for f in report.faults if f.type == "lumbar_rounding"]
    assert len(rounded) >= 2
    lines = summary_lines(Analysis(report, track, signals, CFG))
    cue = rounded[0].cue
    assert sum(cue in line for line in lines) == 1, lines
    said = next(line for line in lines if cue in line)
    assert said.startswith(f"Lower back rounded on {rep_list([f.rep for f in rounded])} (worst: ")
    # The coach's words lead; the measured value is a detail in brackets.
    assert "%" not in rounded[0].message and "% of trunk length" in rounded[0].detail
    assert "% of trunk length" in said
    summary = report.to_dict()["summary"]
    assert [s["type"] for s in summary] == list(dict.fromkeys(f.type for f in report.faults))
    assert summary[0]["text"] in said and summary[0]["cue"] == cue


def test_rep_lists_read_as_a_coach_says_them():
    assert rep_list([9]) == "rep 9"
    assert rep_list([1, 2, 4, 6, 7, 8, 9, 10]) == "reps 1, 2, 4, 6-10"
    assert rep_list([3, 4]) == "reps 3, 4"


def test_plurals_and_lengths():
    assert counted(1, "rep") == "1 rep" and counted(2, "rep") == "2 reps"
    assert length(31.0) == "31 seconds" and length(1.2) == "1 second"
    assert length(65.0) == "1 minute 5 seconds" and length(120.0) == "2 minutes"


def test_a_black_video_prints_no_side(tmp_path, capsys):
    """Nobody seen: no side to name."""
    video = write_video(tmp_path / "black.mp4", [np.zeros((96, 128, 3), np.uint8)] * 12, fps=10)
    assert main(["analyze", str(video), "-o", str(tmp_path / "o"), "--no-video"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert head.startswith("black.mp4: ") and ", 0 reps, unknown view, 0 faults" in head, head
    assert "side" not in head
    assert view_words("side", "right") == "side view (right side)"


def test_batch_lines_count_in_words(tmp_path):
    from hingecheck.batch.jobs import SetJob, SetResult
    from hingecheck.batch.summary import set_line, totals_line

    one = SetResult(SetJob(tmp_path / "a.mp4", tmp_path), "analysed", reps=1, seconds=2.0)
    assert totals_line([one], 10.0).startswith("1 set: 1 analysed"), totals_line([one], 10.0)
    assert ": 1 rep, no faults" in set_line(one)
