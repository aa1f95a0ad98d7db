"""The pose model at a fixed rate: which frames it runs on, and how the others are filled."""

from __future__ import annotations

import numpy as np

from hingecheck.pose.landmarker import _empty
from hingecheck.pose.sampling import fill_frames, takes_sample
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
