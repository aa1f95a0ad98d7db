"""Following the lifter: the crop around them, the tests for a tracked pose gone wrong, and
the pose model on a crop (real model, synthetic figure); live pacing (stride and ordering)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from hingecheck.live.pacing import MAX_STRIDE, OrderedPool, Stride
from hingecheck.pose.region import (
    Crop,
    body_box,
    crop_around,
    jumped,
    near_edge,
    too_loose,
    whole,
)
from hingecheck.records import L_HIP, L_SHOULDER, N_LANDMARKS, R_HIP, R_SHOULDER


def _pose(cx: float, cy: float, trunk: float) -> np.ndarray:
    """Normalised landmarks: every point at (cx, cy) but the shoulders `trunk` above the hips."""
    lm = np.zeros((N_LANDMARKS, 3), np.float32)
    lm[:, 0], lm[:, 1] = cx, cy
    lm[[L_HIP, R_HIP], 1] = cy
    lm[[L_SHOULDER, R_SHOULDER], 1] = cy - trunk
    lm[0, :2] = (cx - 0.05, cy - 1.3 * trunk)  # a head, so the box has a size
    lm[27, :2] = (cx + 0.02, cy + 1.2 * trunk)  # a foot
    return lm


def test_crop_grows_by_the_margin_within_the_frame_and_maps_back():
    box = np.array([400.0, 100.0, 500.0, 500.0])  # 100 x 400 px body
    crop = crop_around(box, 1280, 720, 0.5)
    assert (crop.x0, crop.y0, crop.x1, crop.y1) == (200, 0, 700, 700)  # 200 px each side, clipped
    lm = np.array([[0.5, 0.5, 0.1]], np.float32)  # the crop's centre
    x, y, z = crop.to_frame(lm, 1280, 720)[0]
    assert x * 1280 == pytest.approx(450) and y * 720 == pytest.approx(350)
    assert z == pytest.approx(0.1 * 500 / 1280)
    assert crop.take(np.zeros((720, 1280, 3), np.uint8)).shape == (700, 500, 3)
    assert crop_around(np.array([5.0, 5.0, 6.0, 6.0]), 8, 8, 0.5) == whole(8, 8)  # too small


def test_crop_follows_a_lifter_leaving_it_and_tightens_when_loose():
    crop = Crop(200, 0, 700, 700)
    assert not near_edge(np.array([400.0, 100.0, 500.0, 500.0]), crop, 1280, 720, 0.05)
    assert near_edge(np.array([600.0, 100.0, 690.0, 500.0]), crop, 1280, 720, 0.05)
    # The frame's own edge is no reason to move (the body can't leave the picture further).
    assert not near_edge(np.array([400.0, 2.0, 500.0, 500.0]), crop, 1280, 720, 0.05)
    assert too_loose(np.array([400.0, 100.0, 500.0, 500.0]), whole(1280, 720), 0.5)
    assert not too_loose(np.array([400.0, 100.0, 500.0, 500.0]), crop, 0.5)


def test_jump_is_a_move_or_resize_no_body_makes_between_two_samples():
    a = _pose(0.5, 0.6, 0.2)
    assert not jumped(a, _pose(0.52, 0.6, 0.2), 640, 480, 0.25, 1 / 30)  # a fast swing's step
    assert jumped(a, _pose(0.7, 0.6, 0.2), 640, 480, 0.25, 1 / 30)  # a trunk length sideways
    assert not jumped(a, _pose(0.7, 0.6, 0.2), 640, 480, 0.25, 1.0)  # ... in a second: fine
    assert jumped(a, _pose(0.5, 0.6, 0.1), 640, 480, 0.25, 1 / 30)  # the body halved
    box = body_box(a, 640, 480)
    assert box[3] > box[1] and box[2] > box[0]


def test_stride_rises_when_calls_take_longer_than_the_frames_and_falls_back():
    s = Stride(fps=30.0, workers=1)
    for _ in range(30):
        s.update(0.020)
    assert s.every == 1 and all(s.takes(i) for i in range(5))
    for _ in range(60):
        s.update(0.050)  # 1.5 frames a call
    assert s.every == 2 and [s.takes(i) for i in range(4)] == [True, False, True, False]
    for _ in range(60):
        s.update(0.500)
    assert s.every == MAX_STRIDE
    for _ in range(80):
        s.update(0.020)
    assert s.every == 1
    two = Stride(fps=30.0, workers=2)
    for _ in range(60):
        two.update(0.045)  # 50 ms calls, two side by side on two free cores, keep up
        two.update(0.050, paired=True)
    assert two.in_flight == 2 and two.every == 1


def test_a_second_model_is_dropped_while_pairs_cost_twice_and_tried_again_later():
    s = Stride(fps=30.0, workers=2)
    for _ in range(40):  # another process holds a core: paired calls share the other one
        s.update(0.030)
        s.update(0.065, paired=True)
    assert s.in_flight == 1  # latency stays near one call's time
    assert s.every == 2  # ... and frames are skipped evenly to keep up
    for _ in range(120):
        s.update(0.030)  # alone, and the paired estimate drifts back
    assert s.in_flight == 2


def test_ordered_pool_hands_results_back_in_order_and_never_shares_a_state():
    busy: set[int] = set()
    clash = threading.Event()
    seen: dict[int, list[int]] = {0: [], 1: []}
    states = iter(seen)

    def make() -> int:
        return next(states)

    def work(state: int, item: int) -> int:
        if state in busy:
            clash.set()
        busy.add(state)
        time.sleep(0.02 if item % 2 == 0 else 0.001)  # even items finish last
        seen[state].append(item)
        busy.discard(state)
        return item * 10

    pool: OrderedPool[int, int] = OrderedPool(2, make, work)
    out: list[tuple[int, int]] = []
    for item in range(12):
        while pool.full():
            out += [(i, r) for i, r, _ in pool.ready(block=True)]
        pool.submit(item)
        out += [(i, r) for i, r, _ in pool.ready(block=False)]
    out += [(i, r) for i, r, _ in pool.drain()]
    pool.close()
    assert out == [(i, 10 * i) for i in range(12)]
    assert not clash.is_set()
    assert all(items == sorted(items) for items in seen.values())  # each state in time order


# --- the model on a crop ------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide_set():
    """A synthetic lifter in a wide frame (lots of room around them), 15 fps, 2 reps."""
    from hingecheck.synth import RepSpec, hinge_motion, render_frames

    motion = hinge_motion([RepSpec("clean", duration_s=1.6), RepSpec("clean")], 15, lead_in_s=0.5)
    return list(render_frames(motion, width=480, height=180)), 15.0


@pytest.mark.slow
def test_tracking_on_a_crop_follows_the_lifter_like_detection_on_every_frame(wide_set):
    from hingecheck.pose.bundle import quiet_native_stderr
    from hingecheck.pose.landmarker import FollowSettings, PoseEstimator

    frames, fps = wide_set
    with quiet_native_stderr():
        with PoseEstimator(None, FollowSettings(follow="track", redetect_s=0.5)) as est:
            tracked = [est.process(f, i / fps) for i, f in enumerate(frames)]
            stats, crop = est.stats, est._crop
        with PoseEstimator(None, FollowSettings(follow="detect")) as est:
            detected = [est.process(f, i / fps) for i, f in enumerate(frames)]
    assert all(p.present for p in tracked) and all(p.present for p in detected)
    assert crop is not None and crop.width * crop.height < 0.8 * 480 * 180  # not the frame
    duration = len(frames) / fps
    assert stats.resets >= duration / 0.5 - 1  # the detector looked again every 0.5 s
    assert stats.census >= 1
    joints = [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, 25, 26, 27, 28]
    a = np.stack([p.landmarks[joints, :2] for p in tracked])
    b = np.stack([p.landmarks[joints, :2] for p in detected])
    assert np.median(np.abs(a - b) * [480, 180]) < 3.0  # pixels
    profiles = np.stack([p.profile for p in tracked])
    assert np.isfinite(profiles).mean() > 0.5  # the back's outline is traced on the crop's mask


@pytest.mark.slow
def test_a_lifter_who_jumps_across_the_frame_is_found_again(wide_set):
    """The picture jumps (a camera knocked): the tracked pose is tested, and within a few
    frames the lifter is followed at the new place."""
    from hingecheck.pose.bundle import quiet_native_stderr
    from hingecheck.pose.landmarker import FollowSettings, PoseEstimator

    frames, fps = wide_set
    shift = 160
    moved = [np.ascontiguousarray(np.roll(f, shift, axis=1)) for f in frames[10:30]]
    with (
        quiet_native_stderr(),
        PoseEstimator(None, FollowSettings(follow="track", redetect_s=10.0)) as est,
    ):
        before = [est.process(f, i / fps) for i, f in enumerate(frames[:10])]
        after = [est.process(f, (10 + i) / fps) for i, f in enumerate(moved)]
    hip_x = [float(np.mean(p.landmarks[[L_HIP, R_HIP], 0])) * 480 for p in before + after]
    assert all(p.present for p in after[3:])
    assert abs(hip_x[-1] - hip_x[9] - shift) < 20


def test_the_pose_api_loads_without_the_rest_of_mediapipe_and_leaves_it_importable():
    """The lean import skips matplotlib and the other tasks, and a later `import mediapipe`
    in the same process still gets the whole package."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hingecheck.pose.mediapipe_api import pose_api\n"
        "api = pose_api()\n"
        "assert 'matplotlib' not in sys.modules\n"
        "assert not any(m.startswith('mediapipe') for m in sys.modules)\n"
        "import mediapipe\n"
        "from mediapipe.tasks.python import vision\n"
        "assert hasattr(vision, 'PoseLandmarker') and hasattr(mediapipe, 'Image')\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-500:]


def test_follow_settings_out_of_range_are_refused(tmp_path):
    from hingecheck.config import load_config
    from hingecheck.errors import InputError

    for line in ('follow = "guess"', "redetect_s = -1", "crop_margin = 0"):
        path = tmp_path / "c.toml"
        path.write_text(f"[pose]\n{line}\n")
        with pytest.raises(InputError, match="pose\\."):
            load_config(path)
    path.write_text('[pose]\nfollow = "detect"\nredetect_s = 0\n')
    assert load_config(path).pose.follow == "detect"


def test_detect_keeps_the_lifter_nearest_their_place_at_the_closest_time_seen():
    """The pose pass fills a gap after the samples beyond it (pose/sampling.py), so the frame
    just run may lie before the last: the lifter is whoever is nearest where they were then."""
    from hingecheck.pose.landmarker import PoseEstimator

    left, right = _pose(0.3, 0.6, 0.2), _pose(0.7, 0.6, 0.2)
    vis = [np.ones(N_LANDMARKS, np.float32)] * 2
    with PoseEstimator() as est:
        assert est._choose([left], vis[:1], 1.0) == 0  # at 1 s the lifter is on the left
        assert est._choose([right], vis[:1], 3.0) == 0  # by 3 s they have walked right
        # A frame at 1.1 s, run after the one at 3 s, with someone on either side.
        assert est._choose([right, left], vis, 1.1) == 1
        assert est._choose([left, right], vis, 2.9) == 1
