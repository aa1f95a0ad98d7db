"""The camera's roll (video/level.py): read from the scene's straight lines, and leans read level
with it, so a phone propped at an angle does not turn a tall lockout into a lean back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from video_support import write_video

from hingecheck import analyze
from hingecheck.synth import render_frames
from hingecheck.synth.motion import RepSpec, hinge_motion
from hingecheck.video.level import level_points, line_votes, roll_from_votes, take_roll

W, H = 480, 270


def _door(img: np.ndarray) -> np.ndarray:
    """The frame with a door frame behind the lifter: the plumb edges a room has (the figure's
    own backdrop has none), well clear of the figure."""
    out = img.copy()
    for x in (int(0.08 * W), int(0.86 * W)):
        cv2.rectangle(out, (x, int(0.05 * H)), (x + 6, int(0.8 * H)), (60, 50, 45), -1)
    return out


def _rolled(img: np.ndarray, deg: float) -> np.ndarray:
    """The frame (with its door) as a camera rolled by `deg` (+: clockwise as seen) films it."""
    m = cv2.getRotationMatrix2D((W / 2, H / 2), -deg, 1.0)  # OpenCV: + is counter-clockwise
    return cv2.warpAffine(_door(img), m, (W, H), borderMode=cv2.BORDER_REPLICATE)


def _set():
    return hinge_motion([RepSpec("clean", depth=0.7, duration_s=2.0, pause_s=0.8)] * 2, 30.0)


def _grey(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


@pytest.mark.parametrize("roll", [-7.0, 7.0, 3.0])
def test_the_roll_is_read_from_the_scene(roll):
    frames = list(render_frames(_set(), width=W, height=H, seed=3))[::10]
    readings = np.array([roll_from_votes(*line_votes(_grey(_rolled(f, roll)))) for f in frames])
    assert np.isfinite(readings).all()
    assert take_roll(readings) == pytest.approx(roll, abs=0.5)


def test_a_frame_without_straight_lines_names_no_roll():
    noise = np.random.default_rng(0).integers(0, 255, (H, W), dtype=np.uint8)
    assert np.isnan(roll_from_votes(*line_votes(cv2.GaussianBlur(noise, (0, 0), 3))))
    assert np.isnan(take_roll(np.array([np.nan, np.nan])))
    # +inf: looked and named none. A roll named on too few of the frames looked at is not one.
    assert np.isnan(take_roll(np.array([2.0, np.inf, np.inf, np.nan])))
    assert take_roll(np.array([2.0, 2.2, np.inf, np.nan])) == pytest.approx(2.1)


def test_points_are_turned_back_by_the_roll():
    pts = np.array([[[100.0, 50.0], [300.0, 200.0]]])  # (1 frame, 2 points, xy)
    m = cv2.getRotationMatrix2D((W / 2, H / 2), -7.0, 1.0)  # a 7-degree clockwise roll
    rolled = np.einsum("ij,nkj->nki", m[:, :2], pts) + m[:, 2]
    np.testing.assert_allclose(level_points(rolled, np.array([7.0]), (W, H)), pts, atol=1e-9)
    # Unread (NaN) roll: left as it is.
    np.testing.assert_array_equal(level_points(pts, np.array([np.nan]), (W, H)), pts)


@pytest.mark.slow
def test_a_set_filmed_rolled_7_degrees_reads_like_the_level_one(tmp_path):
    motion = _set()
    frames = list(render_frames(motion, width=W, height=H, seed=3))
    level = analyze(write_video(tmp_path / "level.mp4", [_rolled(f, 0.0) for f in frames], fps=30))
    rolled = analyze(
        write_video(tmp_path / "rolled.mp4", [_rolled(f, 7.0) for f in frames], fps=30)
    )
    assert float(np.nanmedian(rolled.track.roll)) == pytest.approx(7.0, abs=0.7)
    assert [r.complete for r in rolled.report.reps] == [r.complete for r in level.report.reps]
    assert [f.type for f in rolled.report.faults] == [f.type for f in level.report.faults] == []
    # The lean at each top (where lean back is judged) reads as from the level camera.
    for a, b in zip(level.report.reps, rolled.report.reps, strict=True):
        top_a = level.signals.trunk_lean[a.top : a.end + 1]
        top_b = rolled.signals.trunk_lean[b.top : b.end + 1]
        assert np.nanmedian(top_b) == pytest.approx(np.nanmedian(top_a), abs=2.0)
        line_a = level.signals.back_line_lean[a.top : a.end + 1]
        line_b = rolled.signals.back_line_lean[b.top : b.end + 1]
        if np.isfinite(line_a).any() and np.isfinite(line_b).any():
            assert np.nanmedian(line_b) == pytest.approx(np.nanmedian(line_a), abs=2.0)
    assert rolled.report.to_dict()["view"]["roll_deg"] == pytest.approx(7.0, abs=0.7)
