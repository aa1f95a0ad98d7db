"""The causal pipeline (One-Euro filter, live rep counting and fault decisions) on synthetic
tracks with known reps and faults, fed frame by frame as the live loop would."""

from __future__ import annotations

import numpy as np
import pytest
from synth_support import make_track, track_from_motion

from hingecheck.config import load_config
from hingecheck.judge.causal import CausalJudge
from hingecheck.pipeline import judge_track
from hingecheck.pose.landmarker import FramePose
from hingecheck.records import Track
from hingecheck.signals.causal import EuroParams, OneEuro, one_euro
from hingecheck.synth import RepSpec, hinge_motion

P = EuroParams(min_cutoff=1.5, beta=10.0)


def _pose(track: Track, i: int) -> FramePose:
    return FramePose(
        track.landmarks[i],
        track.visibility[i],
        track.world[i],
        track.back_profile[i],
        int(track.people[i]),
        bool(track.present[i]),
    )


def _feed(track: Track, keep: np.ndarray | None = None) -> CausalJudge:
    """Run the judge over the track's frames (only those in `keep`: frames the loop took)."""
    judge = CausalJudge(load_config(), track.info)
    for i in range(len(track)) if keep is None else np.flatnonzero(keep):
        judge.update(float(track.t[i]), _pose(track, i))
    judge.finish()
    return judge


# --- One-Euro -----------------------------------------------------------------------------


def test_constant_passes_unchanged():
    t = np.arange(30) / 30.0
    x = np.full((30, 4, 2), 0.37)
    np.testing.assert_allclose(one_euro(t, x, P), x)


def test_is_causal():
    """The output at frame i is the same whether or not later frames exist."""
    rng = np.random.default_rng(1)
    t = np.arange(90) / 30.0
    x = np.sin(t)[:, None] + rng.normal(0, 0.01, (90, 3))
    full = one_euro(t, x, P)
    np.testing.assert_allclose(one_euro(t[:40], x[:40], P), full[:40])


def test_vectorised_equals_elementwise():
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.02, 0.05, 60))  # irregular, as with dropped frames
    x = rng.normal(0, 1, (60, 33, 2)).cumsum(axis=0) * 0.01
    whole = one_euro(t, x, P)
    one = one_euro(t, x[:, 5, 1], P)
    np.testing.assert_allclose(whole[:, 5, 1], one)


def test_smooths_jitter_and_follows_motion():
    """Still: jitter is cut by more than half. Moving at rep speed: little lag."""
    rng = np.random.default_rng(3)
    t = np.arange(300) / 30.0
    noise = rng.normal(0, 0.004, 300)
    still = one_euro(t, 0.5 + noise, P)
    assert np.std(still[30:] - 0.5) < 0.5 * np.std(noise)
    ramp = 0.5 * t  # 0.5 frame/s: a hip in mid-rep
    lag = ramp[60:] - one_euro(t, ramp, P)[60:]
    assert np.all(np.abs(lag) < 0.5 * 0.05)  # under 50 ms behind


def test_nan_is_missing_and_short_gaps_keep_state():
    f = OneEuro(P, max_gap_s=0.4)
    assert f(0.0, np.array([1.0, 2.0]))[0] == 1.0
    out = f(0.033, np.array([np.nan, 2.0]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(2.0)
    # Back after 0.1 s: smoothed from the old state, not restarted at the new value.
    assert 1.0 < f(0.1, np.array([3.0, 2.0]))[0] < 3.0
    # Back after a long gap: restarts at the new value.
    f(0.2, np.array([np.nan, 2.0]))
    assert f(1.0, np.array([7.0, 2.0]))[0] == pytest.approx(7.0)


# --- the causal judge ---------------------------------------------------------------------


def test_counts_reps_and_decides_faults_like_offline():
    _, track = make_track(
        ["clean", "rounded", "short_lockout", "clean", "hyperextension"], noise_px=1.0
    )
    _, offline = judge_track(track, load_config())
    judge = _feed(track)
    assert judge.reps == len(offline.reps) == 5
    live = {(lf.fault.rep, lf.fault.type) for lf in judge.faults}
    assert live == {(f.rep, f.type) for f in offline.faults}
    assert (2, "lumbar_rounding") in live and (3, "missing_lockout") in live


def test_a_lifter_who_rounded_clearly_is_held_to_the_release_level_live_too():
    """The rounding rule looks across the set: after a clear call, a later rep that bows past
    the release level (not the onset) is called too. Live judges each rep with the reps
    before it, so it calls what the offline analysis calls."""
    motion = hinge_motion(
        [RepSpec("rounded", severity=1.0), RepSpec("rounded", severity=0.0), RepSpec("clean")],
        30.0,
    )
    second = motion.reps[1]
    during = (motion.t >= second["start_s"]) & (motion.t <= second["end_s"])
    motion.lumbar_bow[during] *= 0.75  # peaks at ~0.018: between release 0.015 and onset 0.022
    track = track_from_motion(motion, noise_px=1.0)
    _, offline = judge_track(track, load_config())
    called = {(f.rep, f.type) for f in offline.faults}
    assert called == {(1, "lumbar_rounding"), (2, "lumbar_rounding")}
    assert {(lf.fault.rep, lf.fault.type) for lf in _feed(track).faults} == called


def test_decisions_come_at_the_end_of_each_phase():
    """Rounding is cued during the pull (before the top), the lockout fault once the next
    descent starts; never before the fault itself happened."""
    motion, track = make_track(["rounded", "short_lockout", "clean"])
    judge = _feed(track)
    by_type = {lf.fault.type: lf for lf in judge.faults}
    top = {r["index"]: float(r["top_s"]) for r in motion.reps}
    rounding = by_type["lumbar_rounding"]
    assert rounding.fault.rep == 1
    assert rounding.fault.start_s <= rounding.decided_s
    assert rounding.decided_s < top[1]
    lockout = by_type["missing_lockout"]
    assert lockout.fault.rep == 2
    assert top[2] < lockout.decided_s < top[3]


def test_dropped_frames_change_nothing_essential():
    """A third of the frames dropped at random (a slow machine): same reps, same faults."""
    _, track = make_track(["clean", "rounded", "squat", "clean"], noise_px=1.0)
    keep = np.random.default_rng(4).uniform(size=len(track)) > 0.33
    keep[0] = True
    full, thinned = _feed(track), _feed(track, keep)
    assert thinned.reps == full.reps == 4
    assert {(lf.fault.rep, lf.fault.type) for lf in thinned.faults} == {
        (lf.fault.rep, lf.fault.type) for lf in full.faults
    }


def test_long_session_window_slides_without_recounting():
    """More reps than fit in the sliding window: each counted once, in order."""
    _, track = make_track(["clean"] * 9)
    judge = _feed(track)
    assert judge.reps == 9
    assert np.all(np.diff(judge.rep_times()) > 0.7)


def test_nobody_in_view_decides_nothing():
    _, track = make_track(["rounded", "clean"])
    track.present[:] = False
    track.landmarks[:] = np.nan
    judge = _feed(track)
    assert judge.reps == 0 and judge.faults == []
