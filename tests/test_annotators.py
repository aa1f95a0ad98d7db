"""The overlay's annotators: each draws its one part in place and hands the scene back, and the
live window draws its skeleton and rep counter with the very annotators the video uses."""

from __future__ import annotations

import numpy as np

from hingecheck.outputs import annotators, draw
from hingecheck.outputs.placement import Banner

W, H = 640, 360


def _points() -> tuple[np.ndarray, np.ndarray]:
    xy = np.array([[300, 60], [300, 100], [330, 150], [340, 190], [300, 190], [320, 260],
                   [300, 330], [290, 335], [330, 335]], float)  # fmt: skip
    return np.round(xy * draw.ONE).astype(np.int32), np.ones(9, bool)


def _grey() -> np.ndarray:
    return np.full((H, W, 3), 90, np.uint8)


def test_each_annotator_draws_in_place_and_returns_the_scene():
    st = draw.make_style(W, H)
    pts, ok = _points()
    outline = np.round(np.array([[280.0, 190 - 8 * k] for k in range(11)]) * draw.ONE)
    parts = [
        (annotators.SkeletonAnnotator(st), (pts, ok)),
        (annotators.OutlineAnnotator(st), (outline.astype(np.int32), np.ones(11, bool),
                                            draw.OUTLINE, (pts[draw.HIP], 90.0 * draw.ONE))),
        (annotators.LabelAnnotator(st), ([("hip 97°", (20.0, 20.0, 140.0, 50.0))],)),
        (annotators.CounterAnnotator(st), ("Rep 1/3", "lowering", (10.0, 10.0, 200.0, 80.0))),
        (annotators.BannerAnnotator(st),
         ([Banner((350.0, 20.0, 630.0, 70.0), ["Rounded back"], st.big_px, (230, 60, 60))],)),
        (annotators.TimelineAnnotator(st, np.full((st.strip, W, 3), 200, np.uint8)), (320,)),
    ]  # fmt: skip
    for part, args in parts:
        scene = _grey()
        out = part.annotate(scene, *args)
        assert out is scene, type(part).__name__
        assert (scene != 90).any(axis=2).sum() > 50, type(part).__name__


def test_live_window_draws_with_the_video_annotators():
    from hingecheck.judge.causal import LiveState
    from hingecheck.live.overlay import draw_live

    st = draw.make_style(W, H)
    pts, ok = _points()
    # The live state's points are normalised: place the same skeleton on the left side's chain.
    points = np.full((33, 2), np.nan)
    points[draw.JOINTS["left"]] = (pts / draw.ONE) / (W, H)
    state = LiveState(t=1.0, points=points, present=True, hip_angle=np.nan, knee_angle=np.nan,
                      side="left", reps=2)  # fmt: skip
    live = draw_live(_grey(), state, None, drop_rate=0.0, fps=30.0)
    want = annotators.SkeletonAnnotator(st).annotate(_grey(), pts, ok)
    sub = "30 fps, 0.0 % dropped"
    box = draw.rep_counter_box("Reps 2", sub, st)
    want = annotators.CounterAnnotator(st).annotate(want, "Reps 2", sub, box)
    assert np.array_equal(live, want)
