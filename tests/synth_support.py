"""Synthetic landmark tracks built from joint angles (the project's synth.motion), so the
stages after the pose model can be tested on exact ground truth without running the model."""

from __future__ import annotations

import numpy as np

from hingecheck.records import N_LANDMARKS, PROFILE_POINTS, Signals, Track, VideoInfo
from hingecheck.synth import Motion, RepSpec, hinge_motion
from hingecheck.synth.motion import LEFT, RIGHT, body_2d, bow_profile

WIDTH, HEIGHT = 960, 540
_T = np.linspace(0.0, 1.0, PROFILE_POINTS)


def track_from_motion(
    motion: Motion,
    *,
    facing: int = 1,
    noise_px: float = 0.0,
    seed: int = 0,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Track:
    """A Track as the pose stage would give it for a perfect side view of `motion`.

    The back profile is a flat back 0.2 of trunk length deep plus the motion's lumbar bow over
    the lower back, the shape the mask outline takes on a rounded lifter.
    """
    body = body_2d(
        motion, height_px=0.7 * height, foot_xy=(0.5 * width, 0.92 * height), facing=facing
    )
    px = body.landmarks.astype(np.float64)
    world = _world(px, 0.7 * height)
    if noise_px:
        px = px + np.random.default_rng(seed).normal(0.0, noise_px, px.shape)
    n = px.shape[0]
    landmarks = np.zeros((n, N_LANDMARKS, 3), np.float32)
    landmarks[..., 0] = px[..., 0] / width
    landmarks[..., 1] = px[..., 1] / height
    profile = 0.2 + 0.5 * motion.lumbar_bow[:, None] * bow_profile(_T)[None, :]
    info = VideoInfo("synthetic.mp4", width, height, motion.fps, n, n / motion.fps)
    return Track(
        t=motion.t.astype(np.float64),
        landmarks=landmarks,
        visibility=np.full((n, N_LANDMARKS), 0.95, np.float32),
        world=world,
        present=np.ones(n, bool),
        back_profile=profile.astype(np.float32),
        people=np.ones(n, np.int16),
        cut=np.zeros(n, bool),
        info=info,
    )


def _world(px: np.ndarray, height_px: float) -> np.ndarray:
    """The model's world landmarks for the same pose: metres (a 1.75 m lifter), centred on the
    hips, y down, the lifter's sagittal plane as x-y and the left side at +z (0.1 m out)."""
    n = px.shape[0]
    hip = px[:, [23, 24]].mean(axis=1, keepdims=True)
    world = np.zeros((n, N_LANDMARKS, 3), np.float32)
    world[..., :2] = (px - hip) / height_px * 1.75
    world[:, LEFT, 2], world[:, RIGHT, 2] = 0.1, -0.1
    return world


def make_track(kinds: list[str], fps: float = 30.0, **kw) -> tuple[Motion, Track]:
    """A set of reps of the given kinds (RepSpec defaults otherwise) and its Track."""
    motion = hinge_motion([RepSpec(kind=k) for k in kinds], fps)
    return motion, track_from_motion(motion, **kw)


def make_signals(n: int | None = None, fps: float = 30.0, **overrides) -> Signals:
    """Signals of a lifter standing tall, side on, facing +x, every frame measured, at `fps`;
    each field given replaces its default (an array given sets the length when `n` is not)."""
    if n is None:
        n = next(len(v) for v in overrides.values() if isinstance(v, np.ndarray))
    full = np.ones(n)
    fields = {
        "t": np.arange(n) / fps,
        "hip_angle": 180.0 * full,
        "knee_angle": 180.0 * full,
        "trunk_lean": 0.0 * full,
        "back_bow": 0.0 * full,
        "back_line_lean": 0.0 * full,
        "hip_knee_height": full,
        "valid": np.ones(n, bool),
        "side": "left",
        "facing": 1,
    }
    unknown = set(overrides) - set(fields)
    assert not unknown, f"Signals has no {unknown}"
    return Signals(**{**fields, **overrides})
