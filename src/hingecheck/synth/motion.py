"""Joint-angle trajectories of hip-hinge reps with known faults, and 2D forward kinematics.

Pure numpy so that the analysis tests can build synthetic landmark tracks without any rendering.
World frame used internally: x points the way the lifter faces, y points up, lengths are in units
of body height (the anthropometric fractions are Winter's). Pixel output flips y and scales.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hingecheck.faults import FAULTS

# A clean rep, and one kind per fault the fault table gives a synthetic rep (its `synth`).
KINDS = ("clean", *(k.synth for k in FAULTS if k.synth))
_FAULT_OF = {k.synth: k.key for k in FAULTS if k.synth}

# Segment lengths as fractions of standing height (Winter, "Biomechanics of human movement").
ANKLE_H, SHANK, THIGH, TRUNK = 0.039, 0.246, 0.245, 0.288
UPPER_ARM, FOREARM = 0.186, 0.146
# Lowest the wrists may go (fraction of height above the floor) so the weight never sinks into it.
MIN_WRIST_H = 0.17
# Spine samples, as fractions t of the hip->shoulder chord; beyond [0, 1] extends the chord (pelvis
# below, neck above) so the renderer can close the torso outline.
SPINE_T = np.linspace(-0.2, 1.1, 27)
# The lumbar bow is a bump confined to the lower 80 % of the trunk and peaking at t = 0.4: that is
# where a rounded lower back shows, and where the analysis looks (t = 0.10-0.60).
BOW_END = 0.8
# MediaPipe Pose indices of the paired left/right landmarks (nose, index 0, is unpaired).
LEFT = np.array([1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31])
RIGHT = np.array([4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32])


@dataclass(frozen=True)
class RepSpec:
    """One rep to generate: its kind, depth (0..1), duration, fault size (0..1) and top pause."""

    kind: str = "clean"
    depth: float = 0.7
    duration_s: float = 2.4
    severity: float = 0.5
    pause_s: float = 0.6

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown rep kind {self.kind!r}; expected one of {KINDS}")


@dataclass
class Motion:
    """Per-frame joint angles (degrees) plus the ground truth of reps and faults (seconds)."""

    fps: float
    t: np.ndarray
    hip_flexion_deg: np.ndarray
    knee_flexion_deg: np.ndarray
    trunk_incl_deg: np.ndarray
    lumbar_bow: np.ndarray
    reps: list[dict] = field(default_factory=list)
    faults: list[dict] = field(default_factory=list)
    # Scenes beyond a set in place (synth.scenes); None keeps the plain set.
    shift_x: np.ndarray | None = None  # the whole figure moved forward, body heights (walking)
    holding: np.ndarray | None = None  # bool: the bell is in the hands (else it rests)
    gripping: np.ndarray | None = None  # bool: the hands are on the resting bell (set-up)
    bell_x: float = 0.0  # where the bell rests on the floor, body heights forward of the feet
    bell_grip_h: float = MIN_WRIST_H  # the resting bell's handle (wrists), body heights up
    camera_yaw_deg: float = 0.0  # 0: camera at the lifter's side; 45: half way to the front

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.t.size)


def fault_truth(
    kind: str, motion: Motion, in_rep: np.ndarray, top_s: float, end: float
) -> np.ndarray | None:
    """The frames a rep of this kind shows its fault in (None for a clean rep)."""
    t = motion.t
    if kind == "rounded":  # the bent-over part: at least half the rep's peak bow
        return in_rep & (motion.lumbar_bow >= 0.5 * motion.lumbar_bow[in_rep].max())
    if kind == "squat":  # knees past 60 deg: far beyond any hinge in this set
        return in_rep & (motion.knee_flexion_deg >= 60.0)
    if kind == "short_lockout":  # the partial top, held until the next descent
        return (t >= top_s) & (t <= end)
    if kind == "hyperextension":  # trunk more than 10 deg behind vertical
        return in_rep & (motion.trunk_incl_deg <= -10.0)
    if kind in _FAULT_OF:
        raise ValueError(f"no ground truth for the synthetic rep kind {kind!r}")
    return None


# A pose is (hip flexion, knee flexion, trunk inclination, lumbar bow).
Pose = tuple[float, float, float, float]
STAND: Pose = (0.0, 0.0, 0.0, 0.0)


def _pose(trunk: float, knee: float, shank: float, bow: float = 0.0) -> Pose:
    """Build a pose from trunk lean, knee bend and shank lean: hip flexion = trunk + thigh angle."""
    thigh = knee - shank  # thigh inclination from vertical (knee ahead of hip)
    return (trunk + thigh, knee, trunk, bow)


def _bottom(spec: RepSpec) -> Pose:
    """Deepest pose of a rep: a hinge (trunk 48-76 deg, knees 22-40 deg) or, for kind="squat",
    trunk 16-28 deg, knees 100-110 deg over the toes, thighs 75-83 deg (hips near knee height)."""
    d, s = float(np.clip(spec.depth, 0, 1)), float(np.clip(spec.severity, 0, 1))
    if spec.kind == "squat":
        # Upright trunk, deep knees travelling over the toes, hips sinking to knee height.
        return _pose(28.0 - 12.0 * s, 100.0 + 5.0 * d + 5.0 * s, 25.0 + 2.0 * s)
    bow = 0.075 + 0.055 * s if spec.kind == "rounded" else 0.0
    return _pose(48.0 + 28.0 * d, 22.0 + 18.0 * d, 6.0 + 6.0 * d, bow)


def _top(spec: RepSpec) -> Pose:
    """Pose the ascent ends in: lockout; for short_lockout a partial top (trunk 21-33 deg, hip
    flexion 27-43 deg); for hyperextension a lean back (trunk 12.5-23.5 deg behind vertical)."""
    s = float(np.clip(spec.severity, 0, 1))
    if spec.kind == "short_lockout":
        knee, thigh = 14.0 + 6.0 * s, 6.0 + 4.0 * s
        return _pose(21.0 + 12.0 * s, knee, knee - thigh)
    if spec.kind == "hyperextension":
        # Hips pushed forward (thigh behind vertical, i.e. negative) while the trunk leans back.
        knee, thigh = 4.0, -(4.0 + 4.0 * s)
        return _pose(-(12.5 + 11.0 * s), knee, knee - thigh)
    return STAND


def _min_jerk(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk blend 0->1 with zero velocity and acceleration at both ends."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)


def _span(t: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """First and last time where mask holds (the fault windows are single contiguous runs)."""
    idx = np.flatnonzero(mask)
    return float(t[idx[0]]), float(t[idx[-1]])


def blend_keys(keys: list[tuple[float, Pose]], fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame times and joint angles (N, 4) blended with minimum jerk between key poses
    (time, pose), sampled at `fps` from 0 to the last key."""
    n = int(round(keys[-1][0] * fps)) + 1
    t = np.arange(n) / fps
    times = np.array([k[0] for k in keys])
    poses = np.array([k[1] for k in keys])
    seg = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(keys) - 2)
    dt = np.maximum(times[seg + 1] - times[seg], 1e-9)
    w = _min_jerk((t - times[seg]) / dt)[:, None]
    return t, poses[seg] * (1.0 - w) + poses[seg + 1] * w


def hinge_motion(
    reps: list[RepSpec], fps: float, lead_in_s: float = 1.5, lead_out_s: float = 1.5
) -> Motion:
    """Generate a set of reps with smooth (minimum-jerk) descents and ascents.

    The set starts and ends standing still (the first frames are a standing baseline). Each rep
    descends from the previous rep's top, ascends to its own top, holds it for ``pause_s`` (the
    lean of a hyperextension rep is held at least 0.6 s, then the lifter returns to standing).
    """
    keys: list[tuple[float, Pose]] = [(0.0, STAND), (lead_in_s, STAND)]
    now, cur = lead_in_s, STAND
    windows = []
    for i, spec in enumerate(reps):
        bottom, top = _bottom(spec), _top(spec)
        start = now
        down, hold, up = 0.46 * spec.duration_s, 0.06 * spec.duration_s, 0.48 * spec.duration_s
        keys += [
            (start + down, bottom),
            (start + down + hold, bottom),
            (start + down + hold + up, top),
        ]
        bottom_s, top_s = start + down + hold / 2, start + down + hold + up
        now, cur = top_s, top
        if spec.kind == "hyperextension":
            lean = max(0.6, spec.pause_s)  # the lean itself is held
            keys += [(now + lean, top), (now + lean + 0.45, STAND)]
            now, cur = now + lean + 0.45, STAND
            pause = max(0.0, spec.pause_s - lean)
        else:
            pause = spec.pause_s
        keys.append((now + pause, cur))
        now += pause
        windows.append((i, spec, start, bottom_s, top_s, now))
    if cur != STAND:  # the set always ends standing tall
        keys.append((now + 0.8, STAND))
        now += 0.8
    keys.append((now + lead_out_s, STAND))

    t, ang = blend_keys(keys, fps)
    motion = Motion(fps, t, ang[:, 0], ang[:, 1], ang[:, 2], ang[:, 3])
    for i, spec, start, bottom_s, top_s, end in windows:
        in_rep = (t >= start) & (t <= end)
        mask = fault_truth(spec.kind, motion, in_rep, top_s, end)
        faults = [] if mask is None else [(_FAULT_OF[spec.kind], mask)]
        names = []
        for name, mask in faults:
            if not mask.any():  # a top held for no time falls between two frames: no fault
                continue
            s0, s1 = _span(t, mask)
            motion.faults.append({"type": name, "rep": i + 1, "start_s": s0, "end_s": s1})
            names.append(name)
        motion.reps.append(
            {
                "index": i + 1,
                "start_s": start,
                "bottom_s": bottom_s,
                "top_s": top_s,
                "end_s": end,
                "faults": names,
            }
        )
    return motion


# Half the body's width at each paired landmark (LEFT/RIGHT order: eyes and ears ~0.04,
# mouth 0.03, shoulders to hands 0.13, hips 0.09, knees to feet 0.07, of height): how far the
# two sides spread apart seen from a camera turned toward the lifter's front.
HALF_WIDTH = np.array(
    [0.03, 0.04, 0.04, 0.05, 0.03, 0.13, 0.14, 0.14, 0.14, 0.14, 0.14, 0.09, 0.07, 0.07, 0.07,
     0.07]
)  # fmt: skip


def _shift(motion: Motion) -> np.ndarray:
    """The figure's forward travel per frame (body heights), zeros for a set in place."""
    if motion.shift_x is None:
        return np.zeros(motion.n_frames)
    return np.asarray(motion.shift_x, dtype=np.float64)


@dataclass
class Body2D:
    """Pixel geometry of the figure: landmarks (N, 33, 2), spine midline (N, K, 2) sampled at
    ``SPINE_T`` along the hip->shoulder chord, and the unit "back" normal (N, 2) pointing away from
    the lifter's front (the side a rounded back bows towards)."""

    landmarks: np.ndarray
    spine: np.ndarray
    back_normal: np.ndarray


def bow_profile(t: np.ndarray) -> np.ndarray:
    """Shape of the lumbar bow along the trunk: 0 at the hip, 1 at t=0.4, 0 from t=0.8 up."""
    u = np.clip(np.asarray(t, dtype=float) / BOW_END, 0.0, 1.0)
    return np.sin(np.pi * u) ** 2


def _arm(
    shoulder: np.ndarray, back: float, grip: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Elbow and wrist of an arm hanging straight down under the load. Where straight arms would
    put the weight below MIN_WRIST_H, the elbows bend backwards instead of the weight sinking.
    Where ``grip`` (N, 2) is finite the hands hold it (a bell resting on the floor), as far as
    the arms reach."""
    reach = UPPER_ARM + FOREARM
    wrist = shoulder.copy()
    wrist[:, 1] = np.maximum(shoulder[:, 1] - reach, MIN_WRIST_H)
    if grip is not None:
        on = np.isfinite(grip).all(axis=1)
        d = grip - shoulder
        dist = np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
        held = shoulder + d * np.minimum(1.0, 0.999 * reach / dist)
        wrist[on] = held[on]
    if grip is None:
        dist = np.clip(shoulder[:, 1] - wrist[:, 1], 1e-6, reach)
        # Law of cosines: distance along the shoulder->wrist line to the elbow and its sideways
        # offset.
        along = (UPPER_ARM**2 - FOREARM**2 + dist**2) / (2 * dist)
        side = np.sqrt(np.maximum(UPPER_ARM**2 - along**2, 0.0))
        elbow = np.stack([shoulder[:, 0] + back * side, shoulder[:, 1] - along], axis=1)
        return elbow, wrist
    # The same in the shoulder->wrist line's own frame (the hands may be ahead of the shoulder).
    d = wrist - shoulder
    dist = np.clip(np.linalg.norm(d, axis=1), 1e-6, reach)
    u = d / dist[:, None]
    n = np.stack([-u[:, 1], u[:, 0]], axis=1)
    n *= np.where(n[:, :1] * back >= 0, 1.0, -1.0)  # the elbow bends toward the back
    along = (UPPER_ARM**2 - FOREARM**2 + dist**2) / (2 * dist)
    side = np.sqrt(np.maximum(UPPER_ARM**2 - along**2, 0.0))
    elbow = shoulder + along[:, None] * u + side[:, None] * n
    return elbow, wrist


def body_2d(
    motion: Motion, *, height_px: float, foot_xy: tuple[float, float], facing: int = +1
) -> Body2D:
    """Forward kinematics of the whole figure in pixels (see :class:`Body2D`).

    ``foot_xy`` is the floor point under the ankles; ``facing=+1`` means the toes point to +x.
    The near side is the lifter's left when facing +x (the camera then sees the left side); the
    far side is drawn offset by about 1 % of the height, forward and up (a slightly raised camera).
    """
    if facing not in (1, -1):
        raise ValueError("facing must be +1 or -1")
    rad = np.radians
    tau = rad(motion.trunk_incl_deg)
    thigh = rad(motion.hip_flexion_deg - motion.trunk_incl_deg)
    shank = rad(motion.knee_flexion_deg) - thigh
    n = motion.n_frames

    def vec(angle: np.ndarray, length: float) -> np.ndarray:  # unit (sin, cos) from vertical
        return length * np.stack([np.sin(angle), np.cos(angle)], axis=1)

    ankle = np.tile([0.0, ANKLE_H], (n, 1))
    knee = ankle + vec(shank, SHANK)
    hip = knee + vec(-thigh, THIGH)
    shoulder = hip + vec(tau, TRUNK)
    back = np.stack([-np.cos(tau), np.sin(tau)], axis=1)
    spine = (
        hip[:, None, :]
        + SPINE_T[None, :, None] * (shoulder - hip)[:, None, :]
        + (motion.lumbar_bow[:, None] * TRUNK * bow_profile(SPINE_T)[None, :])[..., None]
        * back[:, None, :]
    )
    # The head follows the trunk only partly: lifters keep their gaze ahead of the floor.
    phi = np.where(tau > 0, 0.7 * tau, 0.5 * tau)
    up = np.stack([np.sin(phi), np.cos(phi)], axis=1)
    fwd = np.stack([np.cos(phi), -np.sin(phi)], axis=1)
    ear = shoulder + 0.105 * up + 0.005 * fwd
    grip = None
    if motion.gripping is not None:
        grip = np.full((n, 2), np.nan)
        handle = np.stack([motion.bell_x - _shift(motion), np.full(n, motion.bell_grip_h)], axis=1)
        grip[motion.gripping] = handle[motion.gripping]
    elbow, wrist = _arm(shoulder, -1.0, grip)
    hand = (wrist - elbow) / np.linalg.norm(wrist - elbow, axis=1, keepdims=True)
    fwd_x = np.array([1.0, 0.0])

    pts = np.zeros((n, 33, 2))

    def put(idx: tuple[int, int], p: np.ndarray) -> None:  # same point for both sides
        pts[:, idx[0]] = pts[:, idx[1]] = p

    pts[:, 0] = ear + 0.095 * fwd - 0.01 * up
    put((1, 4), ear + 0.080 * fwd + 0.012 * up)
    put((2, 5), ear + 0.072 * fwd + 0.012 * up)
    put((3, 6), ear + 0.064 * fwd + 0.012 * up)
    put((7, 8), ear)
    put((9, 10), ear + 0.075 * fwd - 0.040 * up)
    put((11, 12), shoulder)
    put((13, 14), elbow)
    put((15, 16), wrist)
    put((17, 18), wrist + 0.065 * hand - 0.008 * fwd_x)
    put((19, 20), wrist + 0.075 * hand + 0.008 * fwd_x)
    put((21, 22), wrist + 0.045 * hand + 0.020 * fwd_x)
    put((23, 24), hip)
    put((25, 26), knee)
    put((27, 28), ankle)
    put((29, 30), np.tile([-0.040, 0.012], (n, 1)))
    put((31, 32), np.tile([0.120, 0.010], (n, 1)))

    # Near = the lifter's left side when facing +x; the two sides are offset a little apart.
    off = np.array([0.012, 0.008]) / 2  # half of the far-minus-near offset (forward, up)
    near, far = (LEFT, RIGHT) if facing == 1 else (RIGHT, LEFT)
    yaw = np.radians(motion.camera_yaw_deg)
    if yaw:
        # A camera turned toward the lifter's front: depth foreshortens, and the two sides
        # spread apart by the body's width (the far side toward the lifter's front).
        pts[..., 0] *= np.cos(yaw)
        spine = spine.copy()
        spine[..., 0] *= np.cos(yaw)
        spread = np.zeros((len(LEFT), 2))
        spread[:, 0] = np.sin(yaw) * HALF_WIDTH
        pts[:, near] -= off + spread
        pts[:, far] += off + spread
    else:
        pts[:, near] -= off
        pts[:, far] += off
    shift = _shift(motion)
    if motion.shift_x is not None:
        pts[..., 0] += shift[:, None]
        spine = spine + np.stack([shift, np.zeros(n)], axis=1)[:, None, :]

    def to_px(p: np.ndarray) -> np.ndarray:
        out = np.empty_like(p)
        out[..., 0] = foot_xy[0] + facing * p[..., 0] * height_px
        out[..., 1] = foot_xy[1] - p[..., 1] * height_px
        return out

    back_px = np.stack([facing * back[:, 0], -back[:, 1]], axis=1)
    return Body2D(to_px(pts), to_px(spine), back_px)


def skeleton_2d(
    motion: Motion, *, height_px: float, foot_xy: tuple[float, float], facing: int = +1
) -> np.ndarray:
    """(N, 33, 2) pixel landmarks in MediaPipe Pose indexing; see :func:`body_2d`."""
    return body_2d(motion, height_px=height_px, foot_xy=foot_xy, facing=facing).landmarks
