"""Short scenes around a set, with exact truth: what a rep counter must not count.

A rep is a loaded pull (the bell leaves the floor in the hands, reaches lockout, comes back).
These scenes add what real clips hold around the reps: walking in, bending over the bell to
set up and rocking the hips, a pause with re-grips, setting the bell down and walking away, a
clip that opens mid-pull, and a camera at 45 degrees. Each is a :class:`Scene`: the motion and
how many complete reps it holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .motion import STAND, Motion, Pose, RepSpec, _bottom, blend_keys, hinge_motion

FPS = 30.0
# A kettlebell deadlift bottom: trunk 76 deg, knees 40 deg (motion._bottom at depth 1).
BOTTOM = _bottom(RepSpec("clean", depth=1.0))
# Where the bell's handle rests (body heights forward of the feet, and up): under the hands
# at BOTTOM.
BELL_X, BELL_GRIP_H = 0.21, 0.23


@dataclass(frozen=True)
class Scene:
    """A motion and the number of complete reps a coach counts in it, and how it is framed:
    `raise_frac` of the picture's height cut off its top (the content moved up, the bottom
    filled with the floor), as a tight portrait frame loses the head at lockout."""

    name: str
    motion: Motion
    reps: int
    raise_frac: float = 0.0

    def frame(self, img: np.ndarray) -> np.ndarray:
        """A rendered frame (H, W, 3) as this scene's camera frames it."""
        k = int(round(self.raise_frac * img.shape[0]))
        if k <= 0:
            return img
        return np.concatenate([img[k:], np.repeat(img[-1:], k, axis=0)], axis=0)


def _keyed(keys: list[tuple[float, Pose]], fps: float) -> Motion:
    """Minimum-jerk blends between key poses (time, pose), as hinge_motion makes them."""
    t, ang = blend_keys(keys, fps)
    return Motion(
        fps, t, ang[:, 0], ang[:, 1], ang[:, 2], ang[:, 3], bell_x=BELL_X, bell_grip_h=BELL_GRIP_H
    )


def _between(m: Motion, a: float, b: float) -> np.ndarray:
    return (m.t >= a) & (m.t < b)


def _with(pose: Pose, **change: float) -> Pose:
    """A pose with its hip flexion / knee flexion / trunk lean changed (degrees)."""
    hip, knee, trunk, bow = pose
    return (
        hip + change.get("hip", 0.0),
        knee + change.get("knee", 0.0),
        trunk + change.get("trunk", 0.0),
        bow,
    )


def walk_in(fps: float = FPS) -> Scene:
    """Walks in to the bell (the hips and knees swing 15-25 deg with each step), stops, pulls
    it once and holds the lockout."""
    step: Pose = (15.0, 25.0, 0.0, 0.0)
    keys: list[tuple[float, Pose]] = [(0.0, STAND)]
    for i in range(4):  # four steps of 0.4 s
        keys += [(0.2 + 0.4 * i, step), (0.4 + 0.4 * i, STAND)]
    keys += [(2.0, STAND), (3.1, BOTTOM), (3.3, BOTTOM), (4.4, STAND), (5.6, STAND)]
    m = _keyed(keys, fps)
    m.shift_x = -0.9 * (1.0 - np.clip(m.t / 1.6, 0.0, 1.0))
    m.holding = m.t >= 3.1
    m.gripping = _between(m, 2.9, 3.1)
    return Scene("walk_in", m, 1)


def setup_bend(fps: float = FPS) -> Scene:
    """Bends over the bell, grips it, lifts and drops the hips to set the back (hands on the
    bell, which does not move), then pulls once and holds the lockout."""
    high = _with(BOTTOM, hip=-35.0, knee=-15.0, trunk=-20.0)  # hips up, still bent over
    keys = [(0.0, STAND), (0.6, STAND), (1.8, BOTTOM), (2.6, high), (3.4, BOTTOM), (3.6, BOTTOM),
            (4.8, STAND), (6.0, STAND)]  # fmt: skip
    m = _keyed(keys, fps)
    m.holding = m.t >= 3.6
    m.gripping = _between(m, 1.6, 3.6)
    return Scene("setup_bend", m, 1)


def set_down_walk_away(fps: float = FPS) -> Scene:
    """One rep from standing with the bell, then sets it down, stands up without it and walks
    away out of the picture."""
    keys = [(0.0, STAND), (0.6, STAND), (1.8, BOTTOM), (1.9, BOTTOM), (3.0, STAND), (3.6, STAND),
            (4.8, BOTTOM), (5.1, BOTTOM), (6.2, STAND), (6.5, STAND)]  # fmt: skip
    step: Pose = (15.0, 25.0, 0.0, 0.0)
    for i in range(5):
        keys += [(6.7 + 0.4 * i, step), (6.9 + 0.4 * i, STAND)]
    keys.append((8.8, STAND))
    m = _keyed(keys, fps)
    m.holding = m.t < 4.9
    m.gripping = _between(m, 4.9, 5.1)
    m.shift_x = 1.6 * np.clip((m.t - 6.5) / 2.0, 0.0, 1.0)
    return Scene("set_down_walk_away", m, 1)


def opens_mid_pull(fps: float = FPS) -> Scene:
    """A set of two, filmed from partway up the first pull: that pull is not counted."""
    full = hinge_motion([RepSpec("clean", depth=0.7, duration_s=2.4)] * 2, fps, 0.8, 0.8)
    rep = full.reps[0]
    cut = int(np.searchsorted(full.t, rep["bottom_s"] + 0.35 * (rep["top_s"] - rep["bottom_s"])))
    m = Motion(
        fps,
        full.t[cut:] - full.t[cut],
        full.hip_flexion_deg[cut:],
        full.knee_flexion_deg[cut:],
        full.trunk_incl_deg[cut:],
        full.lumbar_bow[cut:],
    )
    return Scene("opens_mid_pull", m, 1)


def regrip_pause(fps: float = FPS) -> Scene:
    """Bends to the bell, pauses at the bottom letting go and re-gripping twice while the hips
    shift, then pulls two reps."""
    up = _with(BOTTOM, hip=-12.0, knee=-6.0, trunk=-8.0)
    keys = [(0.0, STAND), (0.5, STAND), (1.6, BOTTOM), (2.1, up), (2.6, BOTTOM), (3.1, up),
            (3.6, BOTTOM), (3.8, BOTTOM), (4.9, STAND), (5.4, STAND), (6.5, BOTTOM),
            (6.6, BOTTOM), (7.7, STAND), (8.6, STAND)]  # fmt: skip
    m = _keyed(keys, fps)
    m.holding = m.t >= 3.7
    # Hands on the bell except two short lets-go (a shake of the hands) during the pause.
    m.gripping = _between(m, 1.5, 3.7) & ~_between(m, 2.0, 2.3) & ~_between(m, 3.0, 3.3)
    return Scene("regrip_pause", m, 2)


def camera_45(fps: float = FPS) -> Scene:
    """Three clean reps filmed from 45 degrees toward the lifter's front."""
    m = hinge_motion([RepSpec("clean", depth=0.6, duration_s=2.0, pause_s=0.4)] * 3, fps, 0.8, 0.8)
    m.camera_yaw_deg = 45.0
    return Scene("camera_45", m, 3)


def head_cropped(fps: float = FPS) -> Scene:
    """Three clean reps in a tight frame: at each lockout the head and shoulders leave the top
    of the picture (the model often loses the whole person then); bent over they are in view.
    A coach counts all three: the hips, knees and hands carry them."""
    m = hinge_motion([RepSpec("clean", depth=0.9, duration_s=2.4, pause_s=0.8)] * 3, fps, 1.0, 1.0)
    return Scene("head_cropped", m, 3, raise_frac=0.2)


def slow_lowering(fps: float = FPS) -> Scene:
    """Three Romanian-deadlift-style reps lowered over 4 s and pulled up in 4 s."""
    m = hinge_motion([RepSpec("clean", depth=0.6, duration_s=8.7, pause_s=0.5)] * 3, fps, 1.0, 1.0)
    return Scene("slow_lowering", m, 3)


def touch_and_go(fps: float = FPS) -> Scene:
    """Ten fast reps with no pause at the floor or at the top (a touch-and-go set)."""
    m = hinge_motion([RepSpec("clean", depth=0.9, duration_s=1.5, pause_s=0.0)] * 10, fps)
    return Scene("touch_and_go", m, 10)


def set_down_oblique(fps: float = FPS) -> Scene:
    """From 45 degrees toward the lifter's front: two reps, a pause at the bottom with the bell
    set down and re-gripped, one more rep, then the bell set down at the end (the clip ends
    with the lifter over it). Three reps: neither the re-grip nor the set-down is one."""
    up = _with(BOTTOM, hip=-12.0, knee=-6.0, trunk=-8.0)
    keys = [(0.0, STAND), (0.6, STAND), (1.7, BOTTOM), (1.8, BOTTOM), (2.9, STAND), (3.4, STAND),
            (4.5, BOTTOM), (5.0, up), (5.5, BOTTOM), (5.7, BOTTOM), (6.8, STAND), (7.3, STAND),
            (8.4, BOTTOM), (8.5, BOTTOM), (9.6, STAND), (10.1, STAND), (11.2, BOTTOM),
            (12.2, BOTTOM)]  # fmt: skip
    m = _keyed(keys, fps)
    m.holding = (m.t < 11.3) & ~_between(m, 4.6, 5.4)
    m.gripping = _between(m, 4.6, 5.4) | (m.t >= 11.3)
    m.camera_yaw_deg = 45.0
    return Scene("set_down_oblique", m, 3)


SCENES = (walk_in, setup_bend, set_down_walk_away, opens_mid_pull, regrip_pause, camera_45,
          head_cropped, slow_lowering, touch_and_go, set_down_oblique)  # fmt: skip
