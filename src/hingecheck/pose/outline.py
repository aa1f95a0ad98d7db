"""The back's outline from the segmentation mask, and its bow over the lower back.

MediaPipe has no spine landmarks, so the hip-shoulder line only measures lean. The mask's edge
on the back side of that line does show the spine's curve: along the line from mid-hip (t=0) to
mid-shoulder (t=1) we step away from the lifter's front until the mask ends; that distance,
divided by the line's length, is the profile d(t).
"""

from __future__ import annotations

import numpy as np

from hingecheck.records import (
    L_HEEL,
    L_SHOULDER,
    L_TOE,
    NOSE,
    PROFILE_POINTS,
    R_HEEL,
    R_SHOULDER,
    R_TOE,
)

# How far from the line to search, as a share of trunk length: a thick trunk seen from the
# side is about 0.35-0.45 of its length deep; 0.6 leaves room for a rounded back and clothing.
_SEARCH = 0.6
_STEPS = 64
_T = np.linspace(0.0, 1.0, PROFILE_POINTS)


def foot_direction(lm: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Per frame, how far the toes sit ahead of the heels along +x, both feet summed and
    weighted by visibility (0 where nothing was seen). lm: (N, 33, >=2), vis: (N, 33)."""
    toes = lm[:, [L_TOE, R_TOE], 0] - lm[:, [L_HEEL, R_HEEL], 0]
    weights = vis[:, [L_TOE, R_TOE]] + vis[:, [L_HEEL, R_HEEL]]
    return np.nansum(toes * weights, axis=1)


def frame_facing(lm: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Per frame, +1 if the lifter faces +x: toes ahead of heels, else the nose ahead of the
    shoulders. lm: (N, 33, >=2) normalised landmarks, vis: (N, 33). The outline is traced on
    the side opposite this direction."""
    foot = foot_direction(lm, vis)
    nose = lm[:, NOSE, 0] - 0.5 * (lm[:, L_SHOULDER, 0] + lm[:, R_SHOULDER, 0])
    by_nose = np.where(nose >= 0, 1, -1)
    return np.where(np.abs(foot) > 1e-4, np.where(foot > 0, 1, -1), by_nose).astype(np.int8)


def back_normal(hip: np.ndarray, shoulder: np.ndarray, facing: int | np.ndarray) -> np.ndarray:
    """Unit vector(s) perpendicular to hip->shoulder pointing to the lifter's back (pixels, y down).

    Standing and facing +x, the back is at -x; bent over facing +x, it is up (-y).
    """
    u = shoulder - hip
    u = u / np.maximum(np.linalg.norm(u, axis=-1, keepdims=True), 1e-9)
    return facing * np.stack([u[..., 1], -u[..., 0]], axis=-1)


def back_profile(
    mask: np.ndarray, hip_px: np.ndarray, shoulder_px: np.ndarray, facing: int
) -> np.ndarray:
    """Profile d(t) at PROFILE_POINTS points for one frame; NaN where no edge is found.

    mask: (H, W) float in [0, 1]; hip_px, shoulder_px: (2,) pixel coordinates.
    """
    out = np.full(PROFILE_POINTS, np.nan, dtype=np.float32)
    length = float(np.linalg.norm(shoulder_px - hip_px))
    if not np.isfinite(length) or length < 8:
        return out
    h, w = mask.shape[:2]
    normal = back_normal(hip_px, shoulder_px, facing)
    base = hip_px[None, :] + _T[:, None] * (shoulder_px - hip_px)[None, :]  # (K, 2)
    steps = np.linspace(0.0, _SEARCH * length, _STEPS)  # (S,)
    pts = base[:, None, :] + steps[None, :, None] * normal[None, None, :]  # (K, S, 2)
    xi = np.clip(np.rint(pts[..., 0]).astype(int), 0, w - 1)
    yi = np.clip(np.rint(pts[..., 1]).astype(int), 0, h - 1)
    inside = mask[yi, xi] > 0.5
    # Off-frame samples count as outside, so a body cut by the frame edge gives no false edge.
    in_frame = (pts[..., 0] >= 0) & (pts[..., 0] < w) & (pts[..., 1] >= 0) & (pts[..., 1] < h)
    inside &= in_frame
    # The edge is the first step that leaves the mask; the line itself must lie in the body.
    leaves = ~inside
    first_out = np.where(leaves.any(axis=1), leaves.argmax(axis=1), -1)
    ok = inside[:, 0] & (first_out > 0)
    out[ok] = steps[first_out[ok]] / length
    return out


def bow(profile: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Bow of the profile between t0 and t1, per frame: positive = convex (rounded back).

    A quadratic is fitted (least squares, ignoring NaN) to d(t) over [t0, t1]; the bow is the
    fit's height at the middle above the chord joining its ends, which for a quadratic a*t^2 is
    -a * (width/2)^2. profile: (N, PROFILE_POINTS). Returns (N,), NaN with too few points.
    """
    profile = np.atleast_2d(profile).astype(np.float64)
    sel = (t0 - 1e-9 <= _T) & (t1 + 1e-9 >= _T)
    t = _T[sel]
    y = profile[:, sel]
    ok = np.isfinite(y)
    tc = t - t.mean()
    design = np.stack([tc**2, tc, np.ones_like(tc)], axis=-1)  # (K, 3)
    wy = np.where(ok, y, 0.0)
    # Batched normal equations with the NaN samples weighted out, as two matrix products
    # (einsum's loop over three operands took most of a re-judge's time here).
    outer = (design[:, :, None] * design[:, None, :]).reshape(len(t), 9)
    ata = (ok.astype(np.float64) @ outer).reshape(-1, 3, 3)
    atb = wy @ design
    enough = ok.sum(axis=1) >= max(4, int(0.6 * len(t)))
    result = np.full(profile.shape[0], np.nan)
    if enough.any():
        coef = np.linalg.solve(ata[enough] + 1e-12 * np.eye(3), atb[enough][..., None])[..., 0]
        result[enough] = -coef[:, 0] * ((t1 - t0) / 2.0) ** 2
    return result


def back_line_slope(profile: np.ndarray, pelvis_t1: float, upper_t0: float) -> np.ndarray:
    """Per frame, the slope dd/dt of the line touching the outline at its farthest-back point
    over the pelvis (t <= pelvis_t1) and over the upper back (t >= upper_t0): where a wall
    behind a lifter standing tall touches the buttocks and the shoulder blades, spanning the
    lumbar hollow between. Positive: the outline runs further behind the hip-shoulder line
    toward the shoulders. profile: (N, PROFILE_POINTS). NaN where either part has no edge."""
    p = np.where(np.isfinite(profile), profile, -np.inf)
    k_low = int(np.searchsorted(_T, pelvis_t1 + 1e-9))  # the pelvis: points [0, k_low)
    k_high = int(np.searchsorted(_T, upper_t0 - 1e-9))  # the upper back: [k_high, K)
    i_low = p[:, :k_low].argmax(axis=1)
    i_high = k_high + p[:, k_high:].argmax(axis=1)
    rows = np.arange(len(p))
    with np.errstate(invalid="ignore"):  # -inf - -inf: no edge in either part
        slope = (p[rows, i_high] - p[rows, i_low]) / (_T[i_high] - _T[i_low])
    return np.where(np.isfinite(slope), slope, np.nan)


def outline_points(
    profile: np.ndarray, hip_px: np.ndarray, shoulder_px: np.ndarray, facing: int
) -> np.ndarray:
    """Pixel points (K, 2) of the traced back outline for drawing (NaN rows where missing)."""
    length = float(np.linalg.norm(shoulder_px - hip_px))
    normal = back_normal(hip_px, shoulder_px, facing)
    base = hip_px[None, :] + _T[:, None] * (shoulder_px - hip_px)[None, :]
    return base + (profile[:, None] * length) * normal[None, :]
