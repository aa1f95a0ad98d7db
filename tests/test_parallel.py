"""The pose pass in two processes equals the single pass: same frames, same times, same reps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from video_support import write_video

from hingecheck import analyze
from hingecheck.config import load_config
from hingecheck.pose import parallel
from hingecheck.pose.track import PosePass, stack_track
from hingecheck.records import VideoInfo
from hingecheck.synth import RepSpec, hinge_motion, render_frames
from hingecheck.video.source import iter_frames, probe

FPS = 15


@pytest.fixture(scope="module")
def straddling(tmp_path_factory):
    """Two reps; the chunk boundary (half the duration) falls in the middle of the second."""
    reps = [RepSpec("clean", duration_s=2.0, pause_s=0.4), RepSpec("squat", duration_s=3.0)]
    motion = hinge_motion(reps, FPS, lead_in_s=0.8, lead_out_s=1.6)
    frames = list(render_frames(motion, width=160, height=120))
    video = write_video(tmp_path_factory.mktemp("par") / "set.mp4", frames, FPS)
    return video, motion


def test_iter_frames_range_matches_a_full_pass(straddling):
    video, _ = straddling
    full = [(f.t, f.rgb) for f in iter_frames(video, 96)]
    for start, end in ((1.0, 2.5), (3.3, None), (0.0, 0.4)):
        part = [(f.t, f.rgb) for f in iter_frames(video, 96, start, end)]
        ref = [(t, rgb) for t, rgb in full if t >= start and (end is None or t < end)]
        assert [t for t, _ in part] == [t for t, _ in ref]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(part, ref, strict=True))


def test_plan_chunks_cover_the_video():
    chunks = parallel.plan_chunks(61.0, 3)
    assert len(chunks) == 3 and chunks[0].start_s == 0.0 and chunks[-1].end_s is None
    assert len(parallel.plan_chunks(1800.0, 2)) == 1800 / parallel.CHUNK_MAX_S  # bounded memory
    assert all(a.end_s == b.start_s for a, b in zip(chunks, chunks[1:], strict=False))
    assert parallel.auto_workers(parallel.MIN_PARALLEL_S) == 1
    assert 1 <= parallel.auto_workers(5.0) <= parallel.MAX_AUTO_WORKERS
    # Chunks come in a multiple of the workers, so the last round keeps every thread busy.
    assert len(parallel.plan_chunks(61.0, 2, max_s=25.0)) == 4
    assert 1 <= parallel.auto_workers(600.0) <= parallel.MAX_AUTO_WORKERS


def _fake(times: list[float]):
    from hingecheck.pose.landmarker import _empty

    info = VideoInfo("v.mp4", 16, 16, 10.0, 0, 1.0)
    samples = stack_track(times[::2], [_empty() for _ in times[::2]], info)
    n = len(times)
    return PosePass(samples, np.array(times), np.zeros(n, np.float32), np.full(n, np.nan)), info


def test_stitch_refuses_a_seam_that_does_not_meet():
    a, info = _fake([0.0, 0.1, 0.2])
    b, _ = _fake([0.3, 0.4])
    joined = parallel.stitch([(a, None), (b, 0.2)], info)
    assert len(joined.frame_t) == 5 and np.array_equal(joined.samples.t, [0.0, 0.2, 0.3])
    assert parallel.stitch([(a, None), (b, 0.1)], info) is None  # a frame (0.2) doubled
    assert parallel.stitch([(a, None), (b, None)], info) is None  # seek landed late


@pytest.mark.slow
def test_two_workers_equal_one_and_count_a_straddling_rep_once(straddling, monkeypatch):
    video, motion = straddling
    calls = []
    real = parallel.estimate_track_parallel

    def spy(*args, **kw):
        calls.append(real(*args, **kw))
        return calls[-1]

    # The model on 10 of the 15 frames a second (strides of 1 and 2): the chunks must pick the
    # same frames as the single pass, and fill the frames between the same way at the seams.
    cfg = load_config()
    cfg = replace(cfg, pose=replace(cfg.pose, sample_hz=10.0))
    one = analyze(video, cfg, workers=1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_S", 0.0)  # the clip is short: route it anyway
    # Four chunks for two threads: each thread's model runs two chunks, three seams.
    duration = probe(video).duration_s  # what the chunks are planned from
    monkeypatch.setattr(parallel, "CHUNK_MAX_S", duration / 3.5)
    monkeypatch.setattr(parallel, "estimate_track_parallel", spy)
    two = analyze(video, cfg, workers=2)
    assert len(calls) == 1 and calls[0] is not None  # the chunked pass ran and its seams met

    # Same frames at the same times: none missing or doubled at the seam.
    assert len(two.track) == len(one.track) == motion.n_frames
    assert np.array_equal(two.track.t, one.track.t)
    assert np.array_equal(two.track.present, one.track.present)
    # No jump cut in a continuous take, none at the chunks' seams either.
    assert not one.track.cut.any() and not two.track.cut.any()
    # Each chunk's model starts with a fresh detection: landmarks agree with the single pass.
    both = one.track.present & two.track.present
    diff = np.abs(two.track.landmarks[both, :, :2] - one.track.landmarks[both, :, :2])
    # Tracked poses carry their history (when the last fresh detection was), so frames differ
    # a little anywhere, most at the hands and feet of this 160x120 figure; the joints the
    # signals read (shoulders, hips, knees, ankles) agree to ~1 % of the width.
    joints = diff[:, 11:29:1][:, [0, 1, 12, 13, 14, 15, 16, 17]]
    assert np.nanmedian(diff) < 0.005
    assert np.nanpercentile(joints, 99) < 0.02

    chunks = parallel.plan_chunks(duration, 2)
    assert len(chunks) == 4
    boundary = chunks[2].start_s
    truth = motion.reps[1]
    assert truth["start_s"] + 0.5 < boundary < truth["end_s"] - 0.5  # the rep straddles it
    assert len(two.report.reps) == len(one.report.reps) == len(motion.reps)
    straddlers = [r for r in two.report.reps if r.start_s < boundary < r.end_s]
    assert len(straddlers) == 1
    # The same faults in the same reps, their edges within a frame (the tracked poses differ a
    # little, see above).
    assert [(f.type, f.rep) for f in two.report.faults] == [
        (f.type, f.rep) for f in one.report.faults
    ]
    for a, b in zip(one.report.faults, two.report.faults, strict=True):
        assert abs(a.start_s - b.start_s) <= 1.01 / FPS and abs(a.end_s - b.end_s) <= 1.01 / FPS
