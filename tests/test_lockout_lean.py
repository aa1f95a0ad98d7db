"""The hyperextension rule: what it reads (the back's outline from the side) and how long."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from synth_support import make_track

from hingecheck import judge_track, load_config
from hingecheck.judge.rules import lockout_hyperextension, lockout_lean

CFG = load_config()


def _judged(kinds: list[str]):
    _, track = make_track(kinds)
    return judge_track(track, CFG)


def test_side_view_reads_the_back_outline_oblique_the_hip_shoulder_line():
    signals, report = _judged(["clean", "hyperextension", "clean"])
    assert [f.type for f in report.faults] == ["lockout_hyperextension"]
    # The hip landmark pushed forward under the hands tilts the hip-shoulder line back while
    # the outline shows the back upright: no lean from the side...
    upright = replace(signals, back_line_lean=np.clip(signals.trunk_lean, 0.0, None))
    assert lockout_hyperextension(upright, report.reps, report.view, CFG.rules) == []
    # ... but from an oblique camera the traced edge is not the back: the line is read.
    oblique = replace(report.view, camera="oblique")
    np.testing.assert_array_equal(lockout_lean(upright, oblique), signals.trunk_lean)
    # Where no outline was read, the hip-shoulder line stands in.
    unread = replace(signals, back_line_lean=np.full_like(signals.trunk_lean, np.nan))
    found = lockout_hyperextension(unread, report.reps, report.view, CFG.rules)
    assert [(f.type, f.rep) for f in found] == [("lockout_hyperextension", 2)]


def test_a_lean_counts_only_when_held_past_the_limit():
    signals, report = _judged(["clean"] * 3)
    limit = CFG.rules.lockout_hyperextension.max_back_lean
    hold = CFG.rules.lockout_hyperextension.min_hold_s
    rep = report.reps[1]
    t = signals.t
    first = int(np.searchsorted(t, t[rep.top] + 0.1))

    def judge_with(back_lean: list[float]):
        lean = signals.back_line_lean.copy()
        lean[first : first + len(back_lean)] = -np.asarray(back_lean)
        moved = replace(signals, back_line_lean=lean)
        return lockout_hyperextension(moved, report.reps, report.view, CFG.rules)

    fps = 30
    # One frame past the limit, then 0.5 s just inside it (tall lockouts plus the line's
    # wobble): a touch, not a held lean.
    assert judge_with([limit + 0.5] + [limit - 2.0] * int(0.5 * fps)) == []
    # Past the limit for just under the hold: still not held.
    assert judge_with([limit + 3.0] * (int(hold * fps) - 2)) == []
    (fault,) = judge_with([limit + 3.0] * int((hold + 0.1) * fps))
    assert fault.rep == 2 and fault.value >= limit + 3.0 - 1e-6
    assert fault.start_s <= t[first] + 1e-9
