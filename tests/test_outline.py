"""The back outline read from a mask: its bow, and the back line read at lockout."""

import numpy as np

from hingecheck.config import load_config
from hingecheck.pose.outline import back_normal, back_profile, bow
from hingecheck.records import (
    L_ELBOW,
    L_HEEL,
    L_HIP,
    L_SHOULDER,
    L_TOE,
    PROFILE_POINTS,
    R_HEEL,
    R_HIP,
    R_SHOULDER,
    R_TOE,
)
from hingecheck.signals.kinematics import back_line_lean, segment_angle


def _trunk_mask(bulge: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A horizontal trunk (lifter bent over facing +x): hip left, shoulder right, back up."""
    h, w = 200, 300
    hip, shoulder = np.array([50.0, 120.0]), np.array([250.0, 120.0])
    xs = np.arange(w)
    s = np.clip((xs - 50) / 200, 0, 1)
    # Back edge: 40 px above the line, plus a bulge peaking over the lower back.
    top = 120 - 40 - bulge * 200 * np.sin(np.pi * np.clip(s / 0.7, 0, 1))
    yy = np.arange(h)[:, None]
    mask = (yy >= top[None, :]) & (yy <= 150) & (xs[None, :] >= 40) & (xs[None, :] <= 260)
    return mask.astype(np.float32), hip, shoulder


def test_back_normal_points_to_the_back():
    hip, shoulder = np.array([0.0, 0.0]), np.array([10.0, 0.0])  # bent over, facing +x
    np.testing.assert_allclose(back_normal(hip, shoulder, +1), [0, -1], atol=1e-9)
    standing = np.array([0.0, -10.0])
    np.testing.assert_allclose(back_normal(hip, standing, +1), [-1, 0], atol=1e-9)
    np.testing.assert_allclose(back_normal(hip, standing, -1), [1, 0], atol=1e-9)


def test_profile_finds_the_edge():
    mask, hip, shoulder = _trunk_mask(0.0)
    prof = back_profile(mask, hip, shoulder, +1)
    assert prof.shape == (PROFILE_POINTS,)
    np.testing.assert_allclose(prof[1:-1], 41 / 200, atol=0.02)


def test_bow_is_positive_for_a_rounded_back_and_near_zero_for_a_flat_one():
    flat = back_profile(*_trunk_mask(0.0), +1)
    rounded = back_profile(*_trunk_mask(0.05), +1)
    b = bow(np.stack([flat, rounded]), 0.1, 0.6)
    assert abs(b[0]) < 0.005
    assert b[1] > 0.02


def test_bow_of_an_arched_back_is_negative():
    t = np.linspace(0, 1, PROFILE_POINTS)
    arched = 0.2 - 0.3 * np.sin(np.pi * np.clip((t - 0.1) / 0.5, 0, 1)) * 0.2
    assert bow(arched[None, :], 0.1, 0.6)[0] < 0


def test_bow_ignores_missing_points_and_needs_enough_of_them():
    t = np.linspace(0, 1, PROFILE_POINTS)
    prof = 0.2 + 0.1 * np.sin(np.pi * t)
    holed = prof.copy()
    holed[4] = np.nan
    b = bow(np.stack([prof, holed]), 0.1, 0.6)
    assert abs(b[0] - b[1]) < 0.01
    empty = np.full(PROFILE_POINTS, np.nan)
    assert np.isnan(bow(empty[None, :], 0.1, 0.6)[0])


def _standing_back(lean_back_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lifter facing +x leaning back by lean_back_deg: a 300 px trunk whose back edge runs
    50 px behind the hip-shoulder line, with a 12 px lumbar hollow over its middle."""
    h, w = 420, 320
    a = np.radians(lean_back_deg)
    hip = np.array([200.0, 360.0])
    up = np.array([-np.sin(a), -np.cos(a)])  # hip -> shoulder
    back = np.array([-np.cos(a), np.sin(a)])  # toward the lifter's back
    yy, xx = np.mgrid[0:h, 0:w]
    rel = np.stack([xx - hip[0], yy - hip[1]], axis=-1)
    s, n = rel @ up / 300.0, rel @ back
    hollow = 12.0 * np.sin(np.pi * np.clip((s - 0.3) / 0.35, 0.0, 1.0))
    mask = (s > -0.2) & (s < 1.1) & (n > -70.0) & (n < 50.0 - hollow)
    return mask.astype(np.float32), hip, hip + 300.0 * up


def test_back_line_follows_the_outline_not_a_misplaced_hip():
    # The hands and bar cover the hip at lockout and the model puts the landmark on the front
    # of the pelvis: 25 px forward tilts the hip-shoulder line back by ~5 deg more.
    cfg = load_config().signals
    mask, hip, shoulder = _standing_back(10.0)
    hip_seen = hip + np.array([25.0, 0.0])
    size = (mask.shape[1], mask.shape[0])
    lm = np.zeros((1, 33, 3))
    for i, xy in ((L_HIP, hip_seen), (R_HIP, hip_seen), (L_SHOULDER, shoulder),
                  (R_SHOULDER, shoulder), (L_HEEL, (190, 400)), (R_HEEL, (190, 400)),
                  (L_TOE, (230, 405)), (R_TOE, (230, 405))):  # fmt: skip
        lm[0, i, :2] = np.asarray(xy) / size
    vis = (lm[..., 0] != 0).astype(float)  # the model saw the joints placed above
    profile = back_profile(mask, hip_seen, shoulder, +1)[None]
    seen_line = segment_angle(hip_seen[None], shoulder[None], 1)[0]
    read = back_line_lean(lm, vis, profile, size, cfg)[0]
    assert seen_line < -14.0  # the landmarks say 14+ deg back
    assert abs(read - -10.0) < 1.5, read
    # An arm hanging behind the trunk would be traced instead of the back: no reading there.
    lm[0, L_ELBOW, :2] = (shoulder + 0.5 * (hip - shoulder) + [-90.0, 0.0]) / size
    vis[0, L_ELBOW] = 1.0
    assert np.isnan(back_line_lean(lm, vis, profile, size, cfg)[0])
