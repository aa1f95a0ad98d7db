"""Rounding across a set: once a lifter has rounded clearly, the set's milder rounded reps are
called too (hysteresis over the set), and a set of mild reps alone is not."""

from __future__ import annotations

from synth_support import track_from_motion

from hingecheck import judge_track, load_config
from hingecheck.judge.rules import rounding_reading
from hingecheck.records import is_borderline
from hingecheck.synth import RepSpec, hinge_motion

CFG = load_config()


def _set(first_severity: float):
    """Three rounded reps, the first of the given severity; the others' bow scaled so that
    they read between the release level and the threshold."""
    specs = [RepSpec("rounded", severity=s) for s in (first_severity, 0.0, 0.0)]
    motion = hinge_motion(specs, 30.0)
    rest = motion.t > motion.reps[0]["end_s"]
    motion.lumbar_bow[rest] *= 0.75
    signals, report = judge_track(track_from_motion(motion), CFG)
    c = CFG.rules.lumbar_rounding
    _, _, p75 = rounding_reading(signals, report.reps, c)
    assert all(c.release < p < c.threshold for p in p75[1:]), p75
    return report


def test_a_clear_rounded_rep_carries_the_milder_ones_of_its_set():
    report = _set(1.0)  # reads ~0.04 against a threshold of 0.022
    by_rep = {f.rep: f for f in report.faults}
    assert sorted(by_rep) == [1, 2, 3]
    assert not is_borderline(by_rep[1].confidence)
    # Called on the set's evidence, not their own: marked borderline.
    assert is_borderline(by_rep[2].confidence) and is_borderline(by_rep[3].confidence)


def test_mild_reps_alone_are_not_called():
    report = _set(0.0)
    first = report.reps[0]  # at severity 0 the first reads 0.024: a call, but borderline
    calls = [f for f in report.faults if f.type == "lumbar_rounding"]
    assert {f.rep for f in calls} <= {first.index}
    assert all(is_borderline(f.confidence) for f in calls)
