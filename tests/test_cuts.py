"""Jump cuts in edited clips: told from the picture, kept in the Track, and never joined across
by the signals or the rep counter."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from synth_support import make_signals, track_from_motion
from video_support import write_video

from hingecheck import analyze
from hingecheck.config import load_config
from hingecheck.judge.reps import find_reps, rising_at_end
from hingecheck.pipeline import judge_track
from hingecheck.pose.sampling import fill_frames
from hingecheck.records import Signals, Track
from hingecheck.signals.filters import clean, takes
from hingecheck.signals.kinematics import compute_signals
from hingecheck.synth import RepSpec, hinge_motion, render_frames
from hingecheck.video.cuts import (
    THUMB_SIZE,
    PictureChange,
    changed_share,
    find_cuts,
    thumbnail,
)
from hingecheck.video.source import iter_frames

CFG = load_config()
FPS = 15
W, H = 160, 120


def _texture(seed: int, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, size).astype(np.float32)
    img = cv2.GaussianBlur(noise, (0, 0), 4)
    return np.clip(128 + 60 * img / img.std(), 0, 255).astype(np.uint8)


# --- the detector on arrays -------------------------------------------------------------------


def test_a_moved_picture_is_no_change_and_another_picture_is():
    scene = _texture(1)
    a = thumbnail(scene)
    assert a.shape == (THUMB_SIZE[1], THUMB_SIZE[0])
    assert changed_share(a, a, 12.0) == 0.0
    # Shake or a pan: the whole picture moved 4 px (1 thumbnail px): each cell finds itself.
    moved = thumbnail(np.roll(scene, (4, -4), axis=(0, 1)))
    assert changed_share(a, moved, 12.0) < 0.05
    # A cut to another scene: nearly every cell changed.
    assert changed_share(a, thumbnail(_texture(2)), 12.0) > 0.9
    # The same scene, darker (another camera's exposure): every cell changed too.
    darker = thumbnail((scene * 0.7).astype(np.uint8))
    assert changed_share(a, darker, 12.0) > 0.9


def test_a_cut_is_one_frame_of_change_and_a_run_is_not():
    share = np.array([0.0, 0.02, 0.0, 0.3, 0.01, 0.0, 0.4, 0.45, 0.5, 0.02, 0.9, 0.0])
    cuts = find_cuts(share, 0.15)
    # Frame 3 stands out; 6-8 are a run (a whip pan); 10 is a change of picture.
    assert np.flatnonzero(cuts).tolist() == [3, 10]
    assert not find_cuts(np.array([0.9, 0.0]), 0.15).any()  # the first frame never is
    assert find_cuts(np.array([0.0, 0.0, 0.9]), 0.15).tolist() == [False, False, True]
    assert find_cuts(np.zeros(0), 0.15).size == 0


def test_a_blank_frame_starts_no_take_and_the_same_scene_after_it_is_no_cut():
    scene, other = thumbnail(_texture(1)), thumbnail(_texture(2))
    black = np.full_like(scene, 3)
    change = PictureChange(12.0, 4.0)
    shares = [change.update(x) for x in (scene, scene, black, black, scene, black, other)]
    # Into black: 0; back to the same scene: 0 (compared with the last picture); a new scene
    # after black: a change.
    assert shares[:6] == [0.0] * 6
    assert shares[6] > 0.9


# --- the Track, filling and signals -----------------------------------------------------------


def _motion():
    """Two clean reps; the joined clip below cuts in the middle of the second's rise."""
    return hinge_motion(
        [RepSpec("clean", duration_s=2.0, pause_s=0.4)] * 2, FPS, lead_in_s=0.8, lead_out_s=0.8
    )


def _cut_points(motion) -> tuple[int, int]:
    """Frame of motion A where the joined clip leaves it (mid-rise of its rep 2) and frame of
    motion B where it resumes (mid-rise of B's rep 1)."""
    r2, r1 = motion.reps[1], motion.reps[0]
    a = int(round(0.5 * (r2["bottom_s"] + r2["top_s"]) * FPS))
    b = int(round(0.5 * (r1["bottom_s"] + r1["top_s"]) * FPS))
    return a, b


def test_fill_frames_never_blends_across_a_cut():
    track = track_from_motion(_motion())
    n = 12
    part = track[np.arange(n)]
    part.landmarks[6:] += 0.3  # another take: the lifter elsewhere in the picture
    samples = part[np.arange(0, n, 3)]  # samples at 0, 3, 6, 9; a cut at frame 5, unsampled
    cut = np.zeros(n, bool)
    cut[5] = True
    full = fill_frames(samples, part.t, cut)
    assert np.array_equal(full.cut, cut)
    lm = full.landmarks[:, 0, 0]
    assert lm[4] == part.landmarks[3, 0, 0]  # before the cut: the sample before, held
    assert lm[5] == part.landmarks[6, 0, 0]  # from the cut on: the take's first sample
    assert full.present.all()
    # Without frame times of the cut, the samples' own flag marks the next sampled frame.
    flagged = replace(samples, cut=np.array([False, False, True, False]))
    assert np.flatnonzero(fill_frames(flagged, part.t).cut).tolist() == [6]


def test_a_track_saved_without_cuts_is_stale(tmp_path):
    track = track_from_motion(_motion())[np.arange(20)]
    path = tmp_path / "t.npz"
    track.save(path, "k")
    assert Track.load(path, "k") is not None
    arrays = {k: v for k, v in np.load(path).items() if k != "cut"}
    np.savez_compressed(path, **arrays)  # as an older version wrote it
    assert Track.load(path, "k") is None


def test_smoothing_and_gap_filling_stop_at_a_cut():
    t = np.arange(60) / 30.0
    x = np.where(np.arange(60) < 30, 0.0, 10.0)
    x[28:33] = np.nan  # a gap around the cut: not bridged across it
    cut = np.zeros(60, bool)
    cut[30] = True
    assert [(s.start, s.stop) for s in takes(cut, 60)] == [(0, 30), (30, 60)]
    out = clean(t, x, window_s=0.3, n_mads=3, max_gap_s=0.5, cutoff_hz=6.0, cut=cut)
    assert np.allclose(out[:28], 0.0) and np.allclose(out[33:], 10.0)
    assert np.isnan(out[28:33]).all()
    blended = clean(t, x, window_s=0.3, n_mads=3, max_gap_s=0.5, cutoff_hz=6.0)
    assert np.isfinite(blended[28:33]).all()  # without the cut: filled from both takes


def _joined_track() -> tuple[Track, int]:
    """Take A up to mid-rise of its rep 2, then take B from mid-rise of its rep 1 with the
    camera further away (the lifter smaller and elsewhere)."""
    motion = _motion()
    a, b = _cut_points(motion)
    one = track_from_motion(motion)
    two = track_from_motion(motion, height=400, width=720)  # another framing, same picture size
    two = replace(two, info=one.info)
    n = a + (len(two) - b)
    arrays = {k: np.concatenate([v[:a], two.arrays()[k][b:]]) for k, v in one.arrays().items()}
    arrays["t"] = np.arange(n) / FPS
    arrays["cut"] = np.zeros(n, bool)
    arrays["cut"][a] = True
    return Track(info=one.info, **arrays), a


def test_a_rise_across_a_cut_is_not_a_rep_and_the_reps_around_it_are():
    track, a = _joined_track()
    _, report = judge_track(track, CFG)
    counted = [r for r in report.reps if r.complete]
    assert len(counted) == 2
    assert counted[0].end_s < track.t[a] < counted[1].start_s
    assert not any(r.start < a <= r.end for r in counted)
    # The take after the cut opens mid-pull: that rise is listed as partial, like a clip's.
    assert [r.complete for r in report.reps if r.bottom == a] == [False]
    assert f"jump cut at {track.t[a]:.1f} s" in " ".join(report.warnings)
    # Read as one take, the rise across the cut is counted as a third rep.
    signals = compute_signals(replace(track, cut=np.zeros(len(track), bool)), CFG.signals)
    assert sum(r.complete for r in find_reps(signals, CFG.reps)) == 3


# --- videos -------------------------------------------------------------------------------------


def _reframe(rgb: np.ndarray, zoom: float, dx: int, gain: float) -> np.ndarray:
    """Another camera: closer in (zoom), moved sideways by dx px, another exposure."""
    h, w = rgb.shape[:2]
    m = np.float32([[zoom, 0, (1 - zoom) * w / 2 + dx], [0, zoom, (1 - zoom) * h / 2]])
    out = cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    return np.clip(out * gain, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    motion = _motion()
    a, b = _cut_points(motion)
    first = list(render_frames(motion, width=W, height=H, seed=1))
    second = [_reframe(f, 1.2, 12, 0.8) for f in render_frames(motion, width=W, height=H, seed=5)]
    frames = first[:a] + second[b:]
    return write_video(tmp_path_factory.mktemp("cut") / "edited.mp4", frames, FPS), a


def _cuts_in(video) -> np.ndarray:
    change = PictureChange.from_config(CFG.pose)
    share = [change.update(thumbnail(f.grey())) for f in iter_frames(video)]
    return np.flatnonzero(find_cuts(np.array(share), CFG.pose.cut_min_share))


def test_the_cut_in_an_edited_video_is_found_at_its_frame(edited):
    video, a = edited
    found = _cuts_in(video)
    assert len(found) == 1 and abs(int(found[0]) - a) <= 1


def test_a_handheld_pan_and_shake_is_no_cut(tmp_path):
    """The camera pans slowly across a wider scene and shakes by a few pixels each frame."""
    motion = hinge_motion([RepSpec("clean", duration_s=1.6, pause_s=0.2)], FPS, 0.4, 0.4)
    rng = np.random.default_rng(3)
    frames = []
    for i, big in enumerate(render_frames(motion, width=W + 60, height=H + 20, seed=2)):
        x = int(round(i * 60 / motion.n_frames + rng.integers(-3, 4)))  # pan plus shake
        y = int(np.clip(10 + rng.integers(-3, 4), 0, 20))
        frames.append(np.ascontiguousarray(big[y : y + H, min(max(x, 0), 60) :][:, :W]))
    video = write_video(tmp_path / "handheld.mp4", frames, FPS)
    assert len(_cuts_in(video)) == 0


@pytest.mark.slow
def test_an_edited_video_counts_the_reps_on_either_side_of_its_cut(edited):
    video, a = edited
    cfg = replace(CFG, pose=replace(CFG.pose, sample_hz=10.0))  # a cut between two samples
    result = analyze(video, cfg)
    cut = np.flatnonzero(result.track.cut)
    assert len(cut) == 1 and abs(int(cut[0]) - a) <= 1
    counted = [r for r in result.report.reps if r.complete]
    assert len(counted) == 2
    assert not any(r.start < cut[0] <= r.end for r in counted)
    assert any(w.startswith("jump cut at ") for w in result.report.warnings)


@pytest.mark.slow
def test_threaded_chunks_find_the_same_cut_and_invent_none_at_their_seams(edited, monkeypatch):
    from hingecheck.pose import parallel
    from hingecheck.video.source import probe

    video, a = edited
    monkeypatch.setattr(parallel, "MIN_PARALLEL_S", 0.0)
    duration = probe(video).duration_s
    monkeypatch.setattr(parallel, "CHUNK_MAX_S", duration / 3.5)  # four chunks, three seams
    seams = [c.start_s for c in parallel.plan_chunks(duration, 2)[1:]]
    assert len(seams) == 3
    calls = []
    real = parallel.estimate_track_parallel

    def spy(*args, **kw):
        calls.append(real(*args, **kw))
        return calls[-1]

    monkeypatch.setattr(parallel, "estimate_track_parallel", spy)
    two = analyze(video, CFG, workers=2)
    assert len(calls) == 1 and calls[0] is not None  # the chunks ran and their seams met
    assert np.flatnonzero(two.track.cut).tolist() == _cuts_in(video).tolist()
    assert sum(r.complete for r in two.report.reps) == 2


def _hinge_signals(flex: np.ndarray) -> Signals:
    z = np.zeros(len(flex))
    return make_signals(
        hip_angle=180 - flex, knee_angle=180 - 0.2 * flex, trunk_lean=0.5 * flex,
        hip_knee_height=z,
    )  # fmt: skip


def test_a_lockout_held_until_a_cut_is_a_rep_and_a_rise_cut_short_is_partial():
    u = np.linspace(0, np.pi, 30)
    rep = np.concatenate([np.zeros(15), 50 * (1 - np.cos(u)), 50 * (1 + np.cos(u))])  # 0-100-0
    # Standing still after the lockout, the lowest reading (jitter) falls in the last frame.
    held = np.concatenate([rep, np.linspace(0.0, -1.0, 20)])
    assert not rising_at_end(np.arange(len(held)) / 30.0, held, CFG.reps)
    cut = np.zeros(2 * len(held), bool)
    cut[len(held)] = True
    two_takes = np.concatenate([held, held])
    reps = find_reps(_hinge_signals(two_takes), CFG.reps, None, cut)
    assert [r.complete for r in reps] == [True, True]
    # The same take, cut mid-rise: partial.
    short = rep[: 15 + 30 + 20]
    assert rising_at_end(np.arange(len(short)) / 30.0, short, CFG.reps)
    assert [r.complete for r in find_reps(_hinge_signals(short), CFG.reps)] == [False]
