"""Rounding across a set: once a lifter has rounded clearly, the set's milder rounded reps are
called too (hysteresis over the set), and a set of mild reps alone is not."""

from __future__ import annotations

from synth_support import track_from_motion

from hingecheck import judge_track, load_config
from hingecheck.judge.rules import rounding_reading, threshold_lines
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
    return signals, report


def test_a_clear_rounded_rep_carries_the_milder_ones_of_its_set():
    signals, report = _set(1.0)  # reads ~0.04 against a threshold of 0.022
    by_rep = {f.rep: f for f in report.faults}
    assert sorted(by_rep) == [1, 2, 3]
    assert not is_borderline(by_rep[1].confidence)
    # Called on the set's evidence, not their own: marked borderline.
    assert is_borderline(by_rep[2].confidence) and is_borderline(by_rep[3].confidence)
    # ... and against the release level, which they carry and the chart then draws beside the
    # onset threshold (their bow reads below the onset line: "bow 1.6 %" under a drawn 2.2 %).
    c = CFG.rules.lumbar_rounding
    assert by_rep[1].threshold == c.threshold
    assert by_rep[2].threshold == by_rep[3].threshold == c.release
    drawn = {ln.value for ln in threshold_lines(signals, report.view, CFG.rules, report.faults)}
    assert {c.threshold, c.release} <= drawn
    # ... and say why they were made, wherever the call is read (terminal, page, captions).
    why = "called: the set already showed clear rounding (rep 1)"
    assert why in by_rep[2].message and why in by_rep[3].message and why not in by_rep[1].message
    alone = threshold_lines(signals, report.view, CFG.rules)
    assert c.release not in {ln.value for ln in alone if ln.chart == "back_bow"}


def test_mild_reps_alone_are_not_called():
    _, report = _set(0.0)
    first = report.reps[0]  # at severity 0 the first reads 0.024: a call, but borderline
    calls = [f for f in report.faults if f.type == "lumbar_rounding"]
    assert {f.rep for f in calls} <= {first.index}
    assert all(is_borderline(f.confidence) for f in calls)


def test_a_rounded_rep_with_a_flat_moment_is_called_once():
    """A rep whose back flattens for a moment between two rounded stretches (longer than the
    gap events merge over) is one call, over both stretches, at its worst frame: a coach calls
    a fault once per rep, and the split would depend on the frame rate (a live session taking
    every 2nd or 3rd frame split a call the offline pass made once)."""
    motion = hinge_motion([RepSpec("rounded", severity=1.0)], 30.0)
    rep = motion.reps[0]
    bent = (motion.t > rep["start_s"]) & (motion.t < rep["end_s"]) & (motion.lumbar_bow > 0)
    t0, t1 = motion.t[bent][[0, -1]]
    mid = 0.5 * (t0 + t1)
    flat = bent & (abs(motion.t - mid) < 0.3)  # 0.6 s flat, well over merge_gap_s
    motion.lumbar_bow[flat] = 0.0
    signals, report = judge_track(track_from_motion(motion), CFG)
    c = CFG.rules.lumbar_rounding
    bow = signals.back_bow
    assert (bow[(signals.t > mid - 0.1) & (signals.t < mid + 0.1)] < c.release).all()
    (call,) = [f for f in report.faults if f.type == "lumbar_rounding"]
    assert call.rep == 1 and call.start_s < mid - 0.3 < mid + 0.3 < call.end_s
    assert call.value == bow[(signals.t >= call.start_s) & (signals.t <= call.end_s)].max()
