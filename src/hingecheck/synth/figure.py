"""Render a shaded side-view figure doing the motion of :mod:`hingecheck.synth.motion`.

Only cv2 drawing and numpy. Each body part is filled as a mask, then "pillow" shaded (a dome
built from the distance to the part's edge, lit from the upper front) so limbs read as round
volumes: flat cartoon shapes are found far less reliably by BlazePose. The shirt is fitted, so the
back outline follows the spine curve that carries the lumbar bow; the kettlebell hangs between
the legs, in front of the body, and never covers the lower back.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from .motion import HALF_WIDTH, LEFT, RIGHT, SPINE_T, Motion, body_2d

SKIN = (222, 170, 138)
SHIRT = (28, 128, 176)
SHORTS = (38, 40, 52)
HAIR = (52, 36, 26)
SHOE = (58, 58, 64)
SOLE = (230, 230, 226)
IRON = (48, 48, 52)
LIGHT = np.array([-0.45, -0.6, 0.66]) / np.linalg.norm([-0.45, -0.6, 0.66])
SHIFT = 4  # sub-pixel bits for cv2 drawing
# Torso half-depth (fraction of body height) behind ("back") and in front of the spine midline,
# as a function of t along the hip->shoulder chord: buttocks, a near-flat lower back, chest.
BACK_W = np.array(
    [[-0.2, -0.12, -0.04, 0.08, 0.25, 0.45, 0.7, 0.9, 1.02, 1.1],
     [0.030, 0.060, 0.070, 0.062, 0.057, 0.057, 0.060, 0.057, 0.042, 0.012]]
)  # fmt: skip
FRONT_W = np.array(
    [[-0.2, -0.1, 0.05, 0.3, 0.5, 0.7, 0.9, 1.02, 1.1],
     [0.036, 0.052, 0.058, 0.064, 0.062, 0.068, 0.060, 0.045, 0.015]]
)  # fmt: skip
# Shoe outline around the heel landmark: (forward, up) in body heights.
SHOE_SHAPE = np.array(
    [[-0.012, 0.168, 0.178, 0.16, 0.10, 0.05, 0.0, -0.016],
     [-0.012, -0.010, 0.006, 0.022, 0.036, 0.058, 0.056, 0.03]]
).T  # fmt: skip
# Hairline: the hair ellipse is clipped to this polygon in the head frame (forward, up).
HAIR_CUT = np.array(
    [[0.1, 0.05, 0.0, -0.01, -0.1, -0.1, 0.1], [0.045, 0.03, 0.012, -0.03, -0.03, 0.2, 0.2]]
).T

# A shape to fill: ("capsule", a, b, ra, rb) | ("ellipse", centre, (a1, a2), axis1_direction)
# | ("poly", points) | ("ring", centre, (a1, a2), thickness); lengths in pixels.
Shape = tuple


def _fx(p: np.ndarray) -> np.ndarray:
    """Float pixel coordinates -> cv2 fixed-point int32 (SHIFT bits)."""
    return np.round(np.asarray(p, dtype=float) * (1 << SHIFT)).astype(np.int32)


def _extent(shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """Bounding box (lo, hi) of a shape."""
    if shape[0] == "poly":
        return shape[1].min(axis=0), shape[1].max(axis=0)
    pts = np.array([shape[1], shape[2]]) if shape[0] == "capsule" else np.array([shape[1]])
    r = max(shape[3:5]) if shape[0] == "capsule" else max(shape[2])
    return pts.min(axis=0) - r, pts.max(axis=0) + r


def raster(mask: np.ndarray, shape: Shape, origin: np.ndarray) -> None:
    """Fill one anti-aliased shape into a uint8 mask whose pixel (0, 0) sits at ``origin``."""
    kind, one = shape[0], 1 << SHIFT
    if kind == "poly":
        cv2.fillPoly(mask, [_fx(shape[1] - origin)], 255, cv2.LINE_AA, SHIFT)
    elif kind == "capsule":
        a, b, ra, rb = np.asarray(shape[1]) - origin, np.asarray(shape[2]) - origin, *shape[3:]
        d = b - a
        n = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-6)
        quad = np.array([a + ra * n, b + rb * n, b - rb * n, a - ra * n])
        cv2.fillPoly(mask, [_fx(quad)], 255, cv2.LINE_AA, SHIFT)
        for c, r in ((a, ra), (b, rb)):
            cv2.circle(mask, tuple(_fx(c)), int(r * one), 255, -1, cv2.LINE_AA, SHIFT)
    else:  # ellipse or ring
        c, ax = tuple(_fx(np.asarray(shape[1]) - origin)), shape[2]
        ang = 0.0 if kind == "ring" else float(np.degrees(np.arctan2(shape[3][1], shape[3][0])))
        thick = -1 if kind == "ellipse" else max(int(shape[3]), 1)
        axes = (int(ax[0] * one), int(ax[1] * one))
        cv2.ellipse(mask, c, axes, ang, 0, 360, 255, thick, cv2.LINE_AA, SHIFT)


def shade(alpha: np.ndarray, color: tuple[float, ...], gloss: float = 0.15) -> np.ndarray:
    """Pillow-shade a part: its edge distance becomes a dome whose normals are lit by LIGHT."""
    d = cv2.distanceTransform((alpha > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    r = max(float(d.max()), 1.0)
    h = np.sqrt(1.0 - (1.0 - np.clip(d / r, 0, 1)) ** 2) * r
    h = cv2.GaussianBlur(h, (0, 0), max(1.0, 0.2 * r))
    gx, gy = cv2.Sobel(h, cv2.CV_32F, 1, 0) / 8, cv2.Sobel(h, cv2.CV_32F, 0, 1) / 8
    norm = np.sqrt(gx**2 + gy**2 + 1.0)
    lam = np.clip((-gx * LIGHT[0] - gy * LIGHT[1] + LIGHT[2]) / norm, 0.0, 1.0)
    light = 0.42 + 0.7 * lam + gloss * lam**12
    return np.clip(np.asarray(color, np.float32) * light[..., None], 0, 255)


def paint(
    img: np.ndarray,
    color: tuple[int, int, int],
    shapes: list[Shape],
    dim: float = 1.0,
    clip: Shape | None = None,
) -> None:
    """Rasterise the union of ``shapes`` (intersected with ``clip``) as one part, shade it as
    one volume and alpha-composite it onto ``img`` (float32 RGB), working in its bounding box."""
    h, w = img.shape[:2]
    ext = [_extent(s) for s in shapes]
    lo = np.floor(np.min([e[0] for e in ext], axis=0)) - 3
    hi = np.ceil(np.max([e[1] for e in ext], axis=0)) + 3
    x0, y0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
    x1, y1 = min(int(hi[0]), w), min(int(hi[1]), h)
    if x1 <= x0 or y1 <= y0:
        return
    origin = np.array([x0, y0], float)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for s in shapes:
        raster(mask, s, origin)
    if clip is not None:
        keep = np.zeros_like(mask)
        raster(keep, clip, origin)
        mask = np.minimum(mask, keep)
    a = mask.astype(np.float32)[..., None] / 255.0
    col = shade(a[..., 0], tuple(dim * c for c in color))
    roi = img[y0:y1, x0:x1]
    roi[:] = roi * (1 - a) + col * a


def background(width: int, height: int, floor_y: float, seed: int = 0) -> np.ndarray:
    """A plain wall over a floor, with a gradient, mild mottling and a skirting board."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    wall = np.array([196, 190, 178], np.float32) * (1.04 - 0.12 * yy)
    floor = np.array([128, 112, 96], np.float32) * (0.8 + 0.25 * yy)
    img = np.where(np.arange(height)[:, None, None] < floor_y, wall, floor)
    img = np.broadcast_to(img, (height, width, 3)).copy()
    blotch = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 25)
    img += (blotch / (blotch.std() + 1e-6) * 5.0)[..., None]
    grain = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 1.0)
    streak = cv2.GaussianBlur(
        rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 12, sigmaY=1
    )
    img += (grain * 4.0)[..., None]
    img[int(floor_y) :] += (streak[int(floor_y) :] * 14.0)[..., None]
    img[int(floor_y) - int(0.02 * height) : int(floor_y)] = (150, 144, 136)
    xx = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    img *= (1.0 - 0.12 * (xx**2 + (2 * yy[..., 0] - 1) ** 2))[..., None]
    return np.clip(img, 0, 255)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.hypot(*v)), 1e-6)


def _perp_towards(d: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Unit perpendicular of d on the side of ``target``."""
    n = _unit(np.array([-d[1], d[0]]))
    return n if n @ target >= 0 else -n


def draw_leg(
    img: np.ndarray, joints: np.ndarray, u: float, back: np.ndarray, dim: float = 1.0
) -> None:
    """Thigh under a shorts leg, calf and shin, and a shoe. ``joints`` = hip, knee, ankle, heel,
    toe (pixels); ``u`` is the figure's height in pixels; ``back`` points behind the lifter."""
    hip, knee, ankle, heel, toe = joints
    shin = ankle - knee
    calf = knee + 0.32 * shin + 0.012 * u * _perp_towards(shin, back)
    paint(img, SKIN, [("capsule", hip, knee, 0.05 * u, 0.033 * u)], dim)
    lower = [
        ("capsule", knee, ankle, 0.032 * u, 0.02 * u),
        ("ellipse", calf, (0.075 * u, 0.03 * u), shin),
    ]
    paint(img, SKIN, lower, dim)
    paint(img, SHORTS, [("capsule", hip, hip + 0.55 * (knee - hip), 0.058 * u, 0.047 * u)], dim)
    e, up = _unit(toe - heel), _perp_towards(toe - heel, np.array([0.0, -1.0]))
    shoe = heel + u * (SHOE_SHAPE[:, :1] * e + SHOE_SHAPE[:, 1:] * up)
    paint(img, SHOE, [("poly", shoe)], dim)
    sole = np.array([shoe[0], shoe[1], shoe[1] + 0.012 * u * up, shoe[0] + 0.012 * u * up])
    paint(img, SOLE, [("poly", sole)], dim)


def draw_arm(
    img: np.ndarray,
    shoulder: np.ndarray,
    elbow: np.ndarray,
    wrist: np.ndarray,
    u: float,
    dim: float = 1.0,
) -> None:
    """Upper arm in a short sleeve, forearm and a fist."""
    fist = wrist + 0.035 * u * _unit(wrist - elbow)
    paint(img, SKIN, [("capsule", shoulder, elbow, 0.03 * u, 0.022 * u)], dim)
    paint(img, SKIN, [("capsule", elbow, wrist, 0.021 * u, 0.016 * u)], dim)
    paint(img, SKIN, [("ellipse", fist, (0.04 * u, 0.022 * u), wrist - elbow)], dim)
    end = shoulder + 0.45 * (elbow - shoulder)
    paint(img, SHIRT, [("capsule", shoulder, end, 0.037 * u, 0.032 * u)], dim)


def torso_outline(
    spine: np.ndarray, back: np.ndarray, u: float, bow: float, widen: float = 0.0
) -> np.ndarray:
    """Closed torso polygon around the spine midline (back side first, t ascending); a rounded
    lifter's pelvis tucks (flatter buttocks) as the bow grows. ``widen`` (body heights) adds to
    both sides: the trunk's width seen from a camera turned toward the lifter's front."""
    tuck = np.where(SPINE_T < 0.1, 1.0 - 2.0 * bow, 1.0)
    wb = (np.interp(SPINE_T, *BACK_W) * tuck + widen) * u
    wf = (np.interp(SPINE_T, *FRONT_W) + widen) * u
    return np.concatenate([spine + wb[:, None] * back, (spine - wf[:, None] * back)[::-1]])


def draw_head(
    img: np.ndarray, ear: np.ndarray, eye: np.ndarray, nose: np.ndarray, u: float, facing: int
) -> None:
    """Profile head: skull, jaw, nose, ear, hair, eye, brow and mouth, in the face's frame."""
    f = _unit((nose + eye) / 2 - ear)
    up = facing * np.array([f[1], -f[0]])

    def at(a: float, b: float) -> np.ndarray:  # head frame: a forward, b up (body heights)
        return ear + u * (a * f + b * up)

    nose_poly = np.array([at(0.082, 0.012), at(0.104, -0.012), at(0.082, -0.018)])
    skull = [
        ("ellipse", at(0.028, 0.02), (0.06 * u, 0.068 * u), f),
        ("ellipse", at(0.055, -0.036), (0.036 * u, 0.026 * u), f),
        ("poly", nose_poly),
    ]
    paint(img, SKIN, skull)
    cut = np.array([at(a, b) for a, b in HAIR_CUT])
    paint(img, HAIR, [("ellipse", at(0.018, 0.03), (0.064 * u, 0.066 * u), f)], clip=("poly", cut))
    paint(img, SKIN, [("ellipse", ear, (0.012 * u, 0.019 * u), up)], 0.9)
    ang = float(np.degrees(np.arctan2(f[1], f[0])))
    details = (
        (eye, (0.006, 0.004), (40, 30, 28)),
        (at(0.066, 0.028), (0.014, 0.003), HAIR),
        (at(0.074, -0.04), (0.01, 0.002), (150, 80, 80)),
    )
    for p, ax, col in details:
        axes = (int(ax[0] * u * (1 << SHIFT)), int(ax[1] * u * (1 << SHIFT)))
        cv2.ellipse(img, tuple(_fx(p)), axes, ang, 0, 360, col, -1, cv2.LINE_AA, SHIFT)


def draw_kettlebell(img: np.ndarray, wrist: np.ndarray, elbow: np.ndarray, u: float) -> None:
    """A kettlebell hanging from the hands: handle ring and bell."""
    grip = wrist + 0.035 * u * _unit(wrist - elbow)
    ring = ("ring", grip + [0, 0.03 * u], (0.03 * u, 0.035 * u), 0.012 * u)
    paint(img, IRON, [ring, ("ellipse", grip + [0, 0.09 * u], (0.055 * u, 0.055 * u), (1, 0))])


def render_frames(
    motion: Motion, *, width: int, height: int, facing: int = +1, seed: int = 0
) -> Iterator[np.ndarray]:
    """Yield RGB uint8 frames (height, width, 3) of the figure performing ``motion``.

    The figure stands 78 % of the frame height tall, feet at 93 %; ``seed`` sets the background
    texture. Far-side limbs are drawn darker, behind the torso.
    """
    u = 0.78 * height
    foot = (width * (0.44 if facing == 1 else 0.56), 0.93 * height)
    body = body_2d(motion, height_px=u, foot_xy=foot, facing=facing)
    bg = background(width, height, foot[1] - 0.1 * u, seed)
    near, far = (LEFT, RIGHT) if facing == 1 else (RIGHT, LEFT)
    arm_i, leg_i = [5, 6, 7], [11, 12, 13, 14, 15]  # positions in LEFT/RIGHT
    k = len(SPINE_T)
    n = motion.n_frames
    holding = np.ones(n, bool) if motion.holding is None else np.asarray(motion.holding, bool)
    yaw = np.radians(motion.camera_yaw_deg)
    widen = float(np.sin(yaw) * HALF_WIDTH[5:12].mean()) * 0.8  # shoulders to hips
    # The resting bell's handle (pixels): where the hands let go of it, on the floor.
    rest = np.tile(
        [foot[0] + facing * motion.bell_x * np.cos(yaw) * u, foot[1] - motion.bell_grip_h * u],
        (n, 1),
    )
    for i in range(motion.n_frames):
        img = bg.copy()
        p, spine, back = body.landmarks[i], body.spine[i], body.back_normal[i]
        shadow = np.zeros(img.shape[:2], np.float32)
        cx = int(np.mean(p[[near[14], near[15], near[11]], 0]))
        cv2.ellipse(shadow, (cx, int(foot[1])), (int(0.2 * u), int(0.025 * u)), 0, 0, 360, 1.0, -1)
        img *= 1.0 - 0.35 * cv2.GaussianBlur(shadow, (0, 0), 0.02 * u)[..., None]
        shoulder, elbow, wrist = p[far[arm_i]]
        draw_arm(img, shoulder, elbow, wrist, u, dim=0.72)
        draw_leg(img, p[far[leg_i]], u, back, dim=0.72)
        if holding[i]:
            draw_kettlebell(img, p[[15, 16]].mean(0), p[[13, 14]].mean(0), u)
        else:  # resting on the floor where it was set down
            draw_kettlebell(img, rest[i], rest[i] - [0.0, 0.1 * u], u)
        ear = p[[7, 8]].mean(0)
        paint(img, SKIN, [("capsule", spine[-2] + 0.01 * u * back, ear, 0.03 * u, 0.028 * u)])
        torso = torso_outline(spine, back, u, float(motion.lumbar_bow[i]), widen)
        paint(img, SHORTS, [("poly", torso)])
        top = SPINE_T >= 0.24  # the shirt hem sits a quarter of the way up from the hips
        shirt = np.concatenate([torso[:k][top], torso[k:][::-1][top][::-1]])
        paint(img, SHIRT, [("poly", shirt)])
        draw_head(img, ear, p[[2, 5]].mean(0), p[0], u, facing)
        draw_leg(img, p[near[leg_i]], u, back)
        shoulder, elbow, wrist = p[near[arm_i]]
        draw_arm(img, shoulder, elbow, wrist, u)
        img = cv2.GaussianBlur(img, (0, 0), 0.6)
        yield np.clip(img, 0, 255).astype(np.uint8)
