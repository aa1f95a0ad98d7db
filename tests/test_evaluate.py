"""Scoring reports against labels."""

from hingecheck.judge.evaluate import score_clip, table, tally

LABEL = {
    "file": "a.mp4",
    "view": "side",
    "reps": 2,
    "rep_windows": [[1.0, 3.0], [4.0, 6.0]],
    "faults": {
        "lumbar_rounding": "present",
        "squat_like_knee_bend": "absent",
        "missing_lockout": "unclear",
        "lockout_hyperextension": "absent",
    },
    "fault_reps": {"lumbar_rounding": [2]},
}


def _report(faults, reps=2):
    return {
        "reps": [{"index": i + 1, "complete": True} for i in range(reps)],
        "faults": faults,
        "view": {"camera": "side"},
    }


def test_true_positive_in_the_labelled_rep():
    c = score_clip(LABEL, _report([{"type": "lumbar_rounding", "peak_s": 5.0}]))
    ev = tally([c])
    s = ev.faults["lumbar_rounding"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    assert c.misplaced == []
    assert ev.reps_exact == 1
    assert ev.faults["squat_like_knee_bend"].tn == 1
    # "unclear" is not scored at all.
    m = ev.faults["missing_lockout"]
    assert (m.tp, m.fp, m.fn, m.tn) == (0, 0, 0, 0)


def test_fault_in_the_wrong_rep_and_false_alarm_are_counted():
    c = score_clip(
        LABEL,
        _report(
            [
                {"type": "lumbar_rounding", "peak_s": 2.0},
                {"type": "lockout_hyperextension", "peak_s": 3.0},
            ],
            reps=3,
        ),
    )
    ev = tally([c])
    assert c.misplaced == ["lumbar_rounding@2.0s"]
    assert ev.faults["lockout_hyperextension"].fp == 1
    assert ev.faults["lockout_hyperextension"].false_alarm_rate == 1.0
    assert ev.reps_exact == 0
    text = table(ev)
    assert "a.mp4" in text and "3/2!" in text


def test_missed_fault():
    ev = tally([score_clip(LABEL, _report([]))])
    s = ev.faults["lumbar_rounding"]
    assert (s.fn, s.recall, s.precision) == (1, 0.0, None)


def test_exercise_is_scored_by_the_profile_it_selects():
    def clip(labelled, found):
        label = {**LABEL, "exercise": labelled} if labelled else LABEL
        return score_clip(label, {**_report([]), "exercise": {"name": found}})

    same_profile = clip("kettlebell_deadlift", "deadlift")
    wrong = clip("stiff_leg_deadlift", "deadlift")
    right = clip("stiff_leg_deadlift", "romanian_deadlift")
    unlabelled = clip(None, "deadlift")
    assert (same_profile.exercise_right, wrong.exercise_right) == (True, False)
    assert (right.exercise_right, unlabelled.exercise_right) == (True, None)
    ev = tally([same_profile, wrong, right, unlabelled])
    assert (ev.exercises_right, ev.exercises_scored) == (2, 3)
    assert ev.figures()["exercise_right"] == 0.667
    text = table(ev)
    assert "exercise told right: 2/3" in text
    assert "exercise: stiff_leg_deadlift labelled, deadlift found" in text


def test_confident_calls_are_scored_apart_from_borderline_ones():
    borderline_alarm = {"type": "lockout_hyperextension", "peak_s": 3.0, "confidence": 0.6}
    sure_hit = {"type": "lumbar_rounding", "peak_s": 5.0, "confidence": 0.97}
    ev = tally([score_clip(LABEL, _report([borderline_alarm, sure_hit]))])
    assert ev.faults["lockout_hyperextension"].fp == 1
    assert ev.confident["lockout_hyperextension"].fp == 0  # dropped as borderline
    assert ev.confident["lumbar_rounding"].tp == 1
    assert ev.figures()["lumbar_rounding.confident_precision"] == 1.0
    assert "confident calls only" in table(ev)


def test_per_rep_recall_counts_each_listed_rep():
    label = {**LABEL, "rep_windows": [[1.0, 3.0], [3.2, 5.0], [5.2, 7.0]], "reps": 3,
             "fault_reps": {"lumbar_rounding": [1, 2, 3]}}  # fmt: skip
    # Two events in rep 1 count once; rep 3 is missed.
    faults = [{"type": "lumbar_rounding", "peak_s": s} for s in (1.5, 2.5, 4.0)]
    c = score_clip(label, _report(faults, reps=3))
    assert c.rep_hits == {"lumbar_rounding": (3, 2)}
    ev = tally([c, score_clip(label, _report([], reps=3))])
    assert ev.rep_recall("lumbar_rounding") == (6, 2)
    assert ev.figures()["lumbar_rounding.rep_recall"] == 0.333
    assert "per-rep recall, lumbar_rounding: 2/6" in table(ev)


def test_a_time_near_two_windows_goes_to_the_nearer():
    label = {**LABEL, "rep_windows": [[1.0, 2.0], [2.3, 4.0]]}
    c = score_clip(label, _report([{"type": "lumbar_rounding", "peak_s": 2.25}]))
    assert c.misplaced == [] and c.rep_hits == {"lumbar_rounding": (1, 1)}


def test_rep_count_errors_are_split_into_over_and_under():
    over = score_clip(LABEL, _report([], reps=3))
    under = score_clip(LABEL, _report([], reps=1))
    exact = score_clip(LABEL, _report([], reps=2))
    unlabelled = score_clip({**LABEL, "reps": None}, _report([], reps=5))
    assert (over.rep_error, under.rep_error, exact.rep_error, unlabelled.rep_error) == (
        1, -1, 0, None,
    )  # fmt: skip
    ev = tally([over, under, exact, unlabelled])
    assert (ev.reps_over, ev.reps_under, ev.reps_exact, ev.reps_scored) == (1, 1, 1, 3)
    figures = ev.figures()
    assert (figures["rep_count_over"], figures["rep_count_under"]) == (1, 1)
    assert "over-counted on 1 clips, under-counted on 1" in table(ev)
