"""The back outline read from a mask, and its bow."""

import numpy as np

from hingecheck.outline import back_normal, back_profile, bow
from hingecheck.records import PROFILE_POINTS


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
