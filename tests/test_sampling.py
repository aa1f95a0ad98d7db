"""The pose model at a fixed rate: which frames it runs on, and how the others are filled."""

from __future__ import annotations

import numpy as np

from hingecheck.pose.landmarker import _empty
from hingecheck.pose.sampling import TurnSampler, TurnSettings, fill_frames, takes_sample
from hingecheck.pose.track import stack_track
from hingecheck.records import L_HIP, VideoInfo


def picks(t: np.ndarray, rate: float) -> list[int]:
    out, prev = [], None
    for i, ti in enumerate(t):
        if takes_sample(float(ti), prev, rate):
            out.append(i)
        prev = float(ti)
    return out


def test_rates_pick_frames_by_the_clock():
    t30 = np.arange(90) / 30.0
    assert picks(t30, 30.0) == list(range(90))  # at the frame rate: every frame
    assert picks(t30, 15.0) == list(range(0, 90, 2))
    assert picks(np.arange(240) / 60.0, 30.0) == list(range(0, 240, 2))
    assert picks(t30, 0.0) == list(range(90))  # 0: no sampling
    # Starting mid-video (a parallel chunk) picks the same frames after its first one.
    assert picks(t30[31:], 15.0)[1:] == [i - 31 for i in picks(t30, 15.0) if i > 31]


def test_variable_frame_rate_never_goes_longer_than_a_bin_without_a_sample():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(1 / 60, 1 / 20, 400))
    chosen = t[picks(t, 15.0)]
    assert np.diff(chosen).max() < 2 / 15.0
    assert len(chosen) <= t[-1] * 15.0 + 2


def _track(t: np.ndarray, present: np.ndarray):
    info = VideoInfo("v.mp4", 100, 100, 30.0, len(t), float(t[-1]))
    poses = []
    for ti, here in zip(t, present, strict=True):
        p = _empty()
        if here:
            p.landmarks[:] = ti  # every coordinate moves linearly with time
            p.visibility[:] = 1.0
            p.profile[:] = 0.5 * ti
            p.present, p.people = True, 1
        poses.append(p)
    return stack_track(list(t), poses, info)


def test_fill_interpolates_between_samples_and_keeps_gaps():
    t = np.arange(12) / 30.0
    present = np.ones(12, bool)
    present[6] = False  # the model lost the lifter on one sample
    samples = _track(t[::2], present[::2])
    full = fill_frames(samples, t)
    assert len(full) == 12 and np.array_equal(full.t, t)
    ok = full.present & (t <= samples.t[-1])
    # Linear motion is recovered exactly where both samples around a frame hold a person.
    assert np.allclose(full.landmarks[ok, L_HIP, 0], t[ok], atol=1e-6)
    assert np.allclose(full.back_profile[ok, 0], 0.5 * t[ok], atol=1e-6)
    # Frames 5, 6, 7 touch the lost sample: a gap, not a made-up pose.
    assert list(np.flatnonzero(~full.present)) == [5, 6, 7]
    # The last frame is past the last sample: it holds it.
    assert full.present[-1] and np.isclose(full.landmarks[-1, L_HIP, 0], t[-2])


def test_fill_is_the_identity_when_every_frame_was_sampled():
    t = np.arange(5) / 30.0
    track = _track(t, np.ones(5, bool))
    assert fill_frames(track, t) is track


def _hinge_pose(t: float, present: bool = True):
    """A body that bends over for a second and stands up for a second, turning sharply at the
    bottom (t odd) and at the lockout (t even), as a pull off the floor does."""
    p = _empty()
    if not present:
        return p
    depth = 1.0 - abs(t % 2.0 - 1.0)  # 0 standing .. 1 at the bottom
    for idx, (x, y) in {
        11: (0.5 + 0.2 * depth, 0.3 + 0.15 * depth),  # shoulders pitch forward and down
        12: (0.5 + 0.2 * depth, 0.3 + 0.15 * depth),
        23: (0.5, 0.5 + 0.05 * depth),
        24: (0.5, 0.5 + 0.05 * depth),
        25: (0.52, 0.7),
        26: (0.52, 0.7),
        15: (0.55 + 0.1 * depth, 0.5 + 0.2 * depth),
        16: (0.55 + 0.1 * depth, 0.5 + 0.2 * depth),
    }.items():
        p.landmarks[idx, :2] = (x, y)
    p.visibility[:] = 1.0
    p.present, p.people = True, 1
    return p


def _sample(t: np.ndarray, settings: TurnSettings, share=None, pose=_hinge_pose):
    runs: list[int] = []

    def run(i: int):
        runs.append(i)
        return pose(float(t[i]))

    sampler = TurnSampler(run, settings, (100, 100))
    for i, ti in enumerate(t):
        sampler.push(i, float(ti), True, 0.0 if share is None else float(share[i]))
    sampler.finish()
    return runs, sampler


def test_turn_sampler_runs_each_frame_at_most_once_and_densely_only_at_turns():
    t = np.arange(180) / 30.0  # six seconds, three reps
    runs, sampler = _sample(t, TurnSettings(30.0, 10.0, 0.08, 0.15))
    assert len(runs) == len(set(runs))  # no frame run twice
    assert set(picks(t, 10.0)) <= set(runs)  # the coarse grid is always run
    assert len(runs) < 0.8 * len(t)  # the steady stretches are left coarse
    # Every turn (a bottom at odd seconds, a lockout at even) is run on every frame around it.
    for turn_t in np.arange(1.0, 5.1, 1.0):
        near = np.flatnonzero(np.abs(t - turn_t) < 0.05)
        assert set(near) <= set(runs), turn_t
    # What the filled track says at every frame is within the tolerance's promise of the truth.
    samples = sorted(sampler.samples, key=lambda s: s[0])
    track = stack_track([s[0] for s in samples], [s[1] for s in samples], _info(len(t)))
    full = fill_frames(track, t)
    truth = np.stack([_hinge_pose(ti).landmarks for ti in t])
    trunk = 0.2  # the body's trunk length here, in normalised units
    body = [11, 12, 23, 24, 25, 26, 15, 16]
    miss = np.abs(full.landmarks[:, body, :2] - truth[:, body, :2]).max() / trunk
    assert miss < 0.08 / 8


def test_turn_sampler_still_body_costs_only_the_coarse_grid():
    t = np.arange(300) / 30.0
    runs, _ = _sample(t, TurnSettings(30.0, 10.0, 0.08, 0.15), pose=lambda ti: _hinge_pose(0.0))
    coarse = picks(t, 10.0)
    # The first and last intervals have no samples beyond them: dense there, coarse between.
    assert set(coarse) <= set(runs) and len(runs) <= len(coarse) + 8


def test_turn_sampler_without_a_coarse_rate_is_the_plain_grid():
    t = np.arange(120) / 60.0
    runs, _ = _sample(t, TurnSettings(30.0, 0.0, 0.08, 0.15))
    assert runs == picks(t, 30.0)


def test_turn_sampler_fills_around_a_possible_cut_and_skips_empty_stretches():
    t = np.arange(150) / 30.0
    still = lambda ti: _hinge_pose(0.0)  # noqa: E731
    share = np.zeros(len(t))
    share[75] = 0.9  # the picture changes at 2.5 s
    runs, _ = _sample(t, TurnSettings(30.0, 10.0, 0.08, 0.15), share, pose=still)
    assert set(range(72, 76)) <= set(runs)  # the gap the change fell in (72-75), every frame
    nobody = lambda ti: _hinge_pose(ti, present=False)  # noqa: E731
    runs, _ = _sample(t, TurnSettings(30.0, 10.0, 0.08, 0.15), pose=nobody)
    assert runs == picks(t, 10.0)  # no one in view: nothing to refine


def _info(n: int) -> VideoInfo:
    return VideoInfo("v.mp4", 100, 100, 30.0, n, n / 30.0)
