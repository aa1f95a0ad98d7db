"""The hard cases around a set (hingecheck.synth.scenes), rendered and run through the whole
analysis with the pose model: each is counted as a coach counts it (exact truth)."""

from __future__ import annotations

import pytest
from video_support import write_video

from hingecheck import analyze
from hingecheck.synth import render_frames
from hingecheck.synth.scenes import SCENES

pytestmark = pytest.mark.slow

# Small frames: the model's own input is 256x256, and these run on every test pass.
WIDTH, HEIGHT = 480, 270


@pytest.mark.parametrize("make", SCENES, ids=lambda f: f.__name__)
def test_each_hard_case_is_counted_as_a_coach_counts_it(make, tmp_path):
    scene = make()
    frames = render_frames(scene.motion, width=WIDTH, height=HEIGHT, seed=3)
    framed = (scene.frame(f) for f in frames)
    video = write_video(tmp_path / f"{scene.name}.mp4", framed, fps=scene.motion.fps)
    report = analyze(video).report
    counted = [r for r in report.reps if r.complete]
    assert len(counted) == scene.reps, (scene.name, report.reps)
    if scene.name not in ("camera_45", "set_down_oblique"):
        assert report.view.camera == "side"
    # The 45-degree scene is a profile figure drawn with its sides spread and its depth
    # foreshortened, not a 3D render: standing, the model reads it as a side view (apparent
    # width 0.20; 0.54 bent over), so only its count is checked here. How an oblique view is
    # judged is checked on landmark tracks (test_reps_pull).
