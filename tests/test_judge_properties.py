"""Property-based tests of the judge: whatever the signals, rep layout, gaps or NaNs, judging
returns a report whose faults sit inside the reps they name. (A span merged across the gap
between two reps once crashed `rules._faults_from_mask` on a real coaching video.)"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synth_support import make_signals, track_from_motion

from hingecheck import judge_track, load_config
from hingecheck.faults import FAULT_TYPES
from hingecheck.judge.reps import find_reps
from hingecheck.judge.rules import _faults_from_mask, judge
from hingecheck.records import Rep, View
from hingecheck.synth import RepSpec, hinge_motion
from hingecheck.synth.motion import KINDS

CFG = load_config()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_faults(faults, reps, t) -> None:
    by_index = {r.index: r for r in reps}
    for f in faults:
        assert f.type in FAULT_TYPES
        rep = by_index[f.rep]
        assert rep.start_s - 1e-9 <= f.start_s <= f.peak_s <= f.end_s <= rep.end_s + 1e-9
        assert np.isfinite(f.value) and 0.0 <= f.confidence <= 1.0


@st.composite
def rep_layouts(draw, n: int):
    """Reps as the rep finder makes them (start <= bottom <= top <= end), with gaps between
    them of any size, adjacent, or overlapping by a frame."""
    reps: list[Rep] = []
    pos = draw(st.integers(0, 10))
    t = np.arange(n) / 30.0
    while pos < n - 4 and len(reps) < 8:
        a = pos
        b, c, d = sorted(draw(st.lists(st.integers(a, min(a + 60, n - 1)), min_size=3, max_size=3)))
        reps.append(Rep(len(reps) + 1, a, b, c, d, t[a], t[b], t[c], t[d]))
        pos = d + draw(st.integers(-1, 12))
        if pos <= a:
            pos = a + 1
    return reps


@st.composite
def masked_values(draw):
    n = draw(st.integers(5, 200))
    reps = draw(rep_layouts(n))
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    value = np.array(
        draw(st.lists(st.one_of(st.floats(-5, 5), st.just(float("nan"))), min_size=n, max_size=n))
    )
    return n, reps, mask, value


@FAST
@given(masked_values(), st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_events_stay_inside_their_rep(data, min_duration, merge_gap):
    n, reps, mask, value = data
    sig = make_signals(n)
    t = sig.t
    cfg = CFG.rules
    cfg = type(cfg)(**{**cfg.__dict__, "min_duration_s": min_duration, "merge_gap_s": merge_gap})
    faults = _faults_from_mask("lumbar_rounding", mask, value, 0.0, sig, reps, cfg)
    _check_faults(faults, reps, t)
    for f in faults:  # the worst moment is a measured one
        assert np.isfinite(value[int(round(f.peak_s * 30))])


def test_an_event_merged_across_two_reps_is_split_between_them():
    # The crash on a real coaching video: the condition holds at the end of rep 1 and the start
    # of rep 2, the gap between them is shorter than merge_gap_s, and the highest reading falls
    # in the gap, where no rep is.
    n = 60
    sig = make_signals(n)
    t = sig.t
    reps = [Rep(1, 0, 14, 26, 28, t[0], t[14], t[26], t[28]),
            Rep(2, 32, 45, 57, 59, t[32], t[45], t[57], t[59])]  # fmt: skip
    mask = np.zeros(n, bool)
    mask[20:29] = mask[32:40] = True
    value = np.zeros(n)
    value[30] = 5.0
    faults = _faults_from_mask("lumbar_rounding", mask, value, 0.0, sig, reps, CFG.rules)
    assert [f.rep for f in faults] == [1, 2]
    _check_faults(faults, reps, t)


def _signal(draw, n: int) -> np.ndarray:
    """A smooth-ish random signal with NaN stretches."""
    knots = draw(st.lists(st.floats(-40, 200), min_size=2, max_size=12))
    x = np.interp(np.linspace(0, len(knots) - 1, n), np.arange(len(knots)), knots)
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, n - 1))
        x[a : a + draw(st.integers(1, n))] = np.nan
    return x


@st.composite
def random_signals(draw):
    n = draw(st.integers(3, 300))
    dt = np.array(draw(st.lists(st.floats(0.01, 0.1), min_size=n, max_size=n)))
    t = np.cumsum(dt)
    hip, knee, lean, bow, line, height = (_signal(draw, n) for _ in range(6))
    bow = bow / 1000.0
    valid = np.isfinite(hip)
    return make_signals(
        t=t, hip_angle=180 - hip, knee_angle=180 - knee, trunk_lean=lean, back_bow=bow,
        back_line_lean=line, hip_knee_height=height / 100.0, valid=valid,
    )  # fmt: skip


@FAST
@given(random_signals(), st.sampled_from(["side", "oblique"]))
def test_judging_random_signals_never_fails(sig, camera):
    reps = find_reps(sig, CFG.reps)
    for r in reps:
        assert 0 <= r.start <= r.bottom <= r.top <= r.end < len(sig)
    faults = judge(sig, reps, View(camera, "left", True, ""), CFG.rules)
    _check_faults(faults, reps, sig.t)


@st.composite
def damaged_tracks(draw):
    """A synthetic set of any kinds of rep, then cut, blanked and jittered as real clips are:
    lifter out of view, a clip opening or ending anywhere, jump cuts, a misplaced joint,
    jitter."""
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    specs = [
        RepSpec(k, depth=draw(st.floats(0, 1)), duration_s=draw(st.floats(0.8, 3.0)),
                severity=draw(st.floats(0, 1)), pause_s=draw(st.floats(0, 1)))
        for k in kinds
    ]  # fmt: skip
    motion = hinge_motion(specs, draw(st.sampled_from([15.0, 24.0, 30.0])), 0.5, 0.5)
    track = track_from_motion(
        motion, facing=draw(st.sampled_from([1, -1])), noise_px=draw(st.floats(0, 6)),
        seed=draw(st.integers(0, 100)),
    )  # fmt: skip
    n = len(track)
    a = draw(st.integers(0, n // 2))
    b = draw(st.integers(a + 2, n))
    for name in track.frame_fields():
        setattr(track, name, getattr(track, name)[a:b].copy())
    m = len(track)
    for _ in range(draw(st.integers(0, 2))):  # an edited clip: jump cuts anywhere
        track.cut[draw(st.integers(1, m - 1))] = True
    spread = draw(st.floats(0.0, 0.1))  # 0: side view; ~0.03: oblique; 0.06+: facing the camera
    for left, right in ((11, 12), (23, 24)):
        mid = 0.5 * (track.landmarks[:, left, 0] + track.landmarks[:, right, 0])
        track.landmarks[:, left, 0], track.landmarks[:, right, 0] = mid - spread, mid + spread
    if draw(st.booleans()):  # the model's 3D landmarks damaged too
        track.world[draw(st.integers(0, m - 1)) :] = np.nan
    for _ in range(draw(st.integers(0, 3))):  # lifter out of view
        g0 = draw(st.integers(0, m - 1))
        g1 = min(m, g0 + draw(st.integers(1, m)))
        track.present[g0:g1] = False
        track.landmarks[g0:g1] = np.nan
        track.back_profile[g0:g1] = np.nan
    for _ in range(draw(st.integers(0, 5))):  # one joint misplaced, or its outline lost
        i = draw(st.integers(0, m - 1))
        track.landmarks[i, draw(st.integers(0, 32)), :2] += draw(st.floats(-0.5, 0.5))
        track.back_profile[i, draw(st.integers(0, 20))] = draw(
            st.one_of(st.just(float("nan")), st.floats(-1, 1))
        )
    return track


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_tracks())
def test_any_track_gets_a_report(track):
    signals, report = judge_track(track, CFG)
    d = report.to_dict()
    assert d["schema"] == "hingecheck.report/1"
    _check_faults(report.faults, report.reps, signals.t)
    for r in report.reps:
        assert r.start_s <= r.bottom_s <= r.top_s <= r.end_s
        assert not track.cut[r.start + 1 : r.end + 1].any()  # no rep spans a jump cut
