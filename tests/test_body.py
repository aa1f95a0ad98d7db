"""body.py's shared measures give the very numbers each stage used to compute by hand (the
re-judged reports stay identical): landmarks scaled to pixels, then mid-points and length."""

from __future__ import annotations

import numpy as np

from hingecheck.body import mid_hip, mid_shoulder, pixel_points, trunk_length, trunk_pixels
from hingecheck.records import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER


def _landmarks(n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(7)
    lm = rng.uniform(-0.1, 1.1, (n, 33, 3)).astype(np.float32)
    lm[::9] = np.nan  # frames with no one
    lm[5, L_HIP] = np.nan  # one landmark missing
    return lm


def test_trunk_pixels_match_scaling_all_landmarks_first():
    lm, size = _landmarks(), (1080, 1920)
    px = lm[..., :2].astype(np.float64) * np.asarray(size, dtype=np.float64)
    hip, shoulder = trunk_pixels(lm, size)
    np.testing.assert_array_equal(hip, mid_hip(px))
    np.testing.assert_array_equal(shoulder, mid_shoulder(px))
    np.testing.assert_array_equal(
        trunk_length(hip, shoulder), np.linalg.norm(mid_shoulder(px) - mid_hip(px), axis=1)
    )
    assert np.isnan(hip[5]).all() and np.isfinite(shoulder[5]).all()


def test_pixel_points_is_the_gather_of_the_scaled_landmarks():
    lm, size = _landmarks(), (640, 360)
    ids = [L_SHOULDER, R_SHOULDER, L_HIP, R_HIP]
    want = lm[:, ids, :2].astype(np.float64) * np.asarray(size, dtype=np.float64)
    np.testing.assert_array_equal(pixel_points(lm, ids, size), want)
