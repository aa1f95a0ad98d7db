"""Fast tests of hingecheck.synth.motion: fault semantics at the truth times, FK geometry."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

try:
    from hingecheck.synth import motion as sm
except ImportError:  # running from a plain checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from hingecheck.synth import motion as sm

FPS = 30.0
SPECS = [
    sm.RepSpec("clean", depth=0.9, duration_s=3.0, severity=0.0, pause_s=0.6),
    sm.RepSpec("clean", depth=0.2, duration_s=1.6, severity=0.0, pause_s=0.5),
    sm.RepSpec("rounded", depth=0.6, duration_s=2.4, severity=0.2, pause_s=0.5),
    sm.RepSpec("rounded", depth=1.0, duration_s=2.8, severity=1.0, pause_s=0.5),
    sm.RepSpec("squat", depth=0.0, duration_s=2.4, severity=0.0, pause_s=0.5),
    sm.RepSpec("squat", depth=1.0, duration_s=2.4, severity=1.0, pause_s=0.5),
    sm.RepSpec("short_lockout", depth=0.5, duration_s=2.0, severity=0.0, pause_s=0.5),
    sm.RepSpec("short_lockout", depth=0.5, duration_s=1.8, severity=1.0, pause_s=0.5),
    sm.RepSpec("hyperextension", depth=0.6, duration_s=2.4, severity=0.0, pause_s=0.2),
    sm.RepSpec("hyperextension", depth=0.6, duration_s=2.4, severity=1.0, pause_s=0.9),
]
U, FOOT = 400.0, (300.0, 500.0)


@pytest.fixture(scope="module")
def motion() -> sm.Motion:
    return sm.hinge_motion(SPECS, FPS)


@pytest.fixture(scope="module")
def lms(motion: sm.Motion) -> np.ndarray:
    return sm.skeleton_2d(motion, height_px=U, foot_xy=FOOT)


def idx(s: float) -> int:
    return int(round(s * FPS))


def test_unknown_kind_rejected() -> None:
    with pytest.raises(ValueError):
        sm.RepSpec("sumo")


def test_arrays_and_baseline(motion: sm.Motion) -> None:
    n = motion.n_frames
    for a in (motion.hip_flexion_deg, motion.knee_flexion_deg, motion.trunk_incl_deg):
        assert a.shape == (n,) and np.isfinite(a).all()
    np.testing.assert_allclose(np.diff(motion.t), 1 / FPS)
    lead = motion.t <= 1.5
    for a in (motion.hip_flexion_deg, motion.trunk_incl_deg, motion.lumbar_bow):
        assert np.abs(a[lead]).max() < 1e-9 and np.abs(a[-10:]).max() < 1e-9


def test_rep_windows_ordered(motion: sm.Motion) -> None:
    assert [r["index"] for r in motion.reps] == list(range(1, len(SPECS) + 1))
    prev_end = 0.0
    for r in motion.reps:
        assert prev_end <= r["start_s"] < r["bottom_s"] < r["top_s"] <= r["end_s"]
        prev_end = r["end_s"]
    assert prev_end < motion.t[-1]
    for f in motion.faults:
        rep = motion.reps[f["rep"] - 1]
        assert f["type"] in rep["faults"]
        assert rep["start_s"] <= f["start_s"] < f["end_s"] <= rep["end_s"]
    kinds = {
        "rounded": "lumbar_rounding",
        "squat": "squat_like_knee_bend",
        "short_lockout": "missing_lockout",
        "hyperextension": "lockout_hyperextension",
    }
    for spec, rep in zip(SPECS, motion.reps, strict=True):
        assert rep["faults"] == ([kinds[spec.kind]] if spec.kind in kinds else [])


def test_bottoms(motion: sm.Motion, lms: np.ndarray) -> None:
    for spec, rep in zip(SPECS, motion.reps, strict=True):
        i = idx(rep["bottom_s"])
        trunk, knee = motion.trunk_incl_deg[i], motion.knee_flexion_deg[i]
        hip_y, knee_y = lms[i, 23, 1], lms[i, 25, 1]  # pixel y grows downwards
        if spec.kind == "squat":
            assert 15 <= trunk <= 30 and 90 <= knee <= 110
            assert knee_y - hip_y < 0.3 * sm.THIGH * U  # hips sink to about knee height
            assert lms[i, 25, 0] >= lms[i, 31, 0] - 0.03 * U  # knees over the toes
        else:
            assert 45 <= trunk <= 80 and 20 <= knee <= 60
            assert knee_y - hip_y > 0.75 * sm.THIGH * U  # hips well above knees
        if spec.kind == "rounded":
            assert motion.lumbar_bow[i] >= 0.07
        else:
            assert motion.lumbar_bow[i] == 0.0


def test_tops(motion: sm.Motion) -> None:
    for spec, rep in zip(SPECS, motion.reps, strict=True):
        i, hold = idx(rep["top_s"]), (motion.t >= rep["top_s"]) & (motion.t <= rep["end_s"])
        hip, trunk = motion.hip_flexion_deg, motion.trunk_incl_deg
        if spec.kind == "short_lockout":
            assert (hip[hold] >= 25).all() and (hip[hold] <= 45).all()
            assert (trunk[hold] >= 20).all() and (trunk[hold] <= 35).all()
        elif spec.kind == "hyperextension":
            lean = (trunk >= -25) & (trunk <= -12) & hold
            assert lean.sum() / FPS >= 0.5
            f = next(f for f in motion.faults if f["rep"] == rep["index"])
            assert f["end_s"] - f["start_s"] >= 0.5
        else:
            assert abs(hip[i]) < 1 and abs(trunk[i]) <= 5


def test_rounding_span_is_bent_over(motion: sm.Motion) -> None:
    for f in motion.faults:
        if f["type"] == "lumbar_rounding":
            span = (motion.t >= f["start_s"]) & (motion.t <= f["end_s"])
            assert motion.trunk_incl_deg[span].min() > 30
            assert motion.lumbar_bow[span].min() > 0


def test_skeleton_shape_and_order(motion: sm.Motion, lms: np.ndarray) -> None:
    assert lms.shape == (motion.n_frames, 33, 2) and np.isfinite(lms).all()
    p = lms[0]  # standing: nose > shoulders > hips > knees > ankles (pixel y increases)
    ys = [p[0, 1], p[11, 1], p[23, 1], p[25, 1], p[27, 1]]
    assert ys == sorted(ys)
    assert abs(p[27, 1] - (FOOT[1] - sm.ANKLE_H * U)) < 0.02 * U
    assert p[31, 0] > p[29, 0] and p[0, 0] > p[7, 0]  # toes and nose point +x
    assert np.hypot(*(p[11] - p[23])) == pytest.approx(sm.TRUNK * U, rel=0.02)
    for a, b in zip(sm.LEFT, sm.RIGHT, strict=True):  # both sides present, slightly apart
        assert 0 < np.hypot(*(p[a] - p[b])) < 0.03 * U


def test_facing_mirrors(motion: sm.Motion, lms: np.ndarray) -> None:
    left = sm.skeleton_2d(motion, height_px=U, foot_xy=FOOT, facing=-1)
    assert (left[:, 31, 0] < left[:, 29, 0]).all()
    mirrored = left.copy()
    mirrored[..., 0] = 2 * FOOT[0] - mirrored[..., 0]
    np.testing.assert_allclose(mirrored[:, sm.LEFT], lms[:, sm.RIGHT], atol=1e-6)
    np.testing.assert_allclose(mirrored[:, 0], lms[:, 0], atol=1e-6)


def test_spine_bows_backwards(motion: sm.Motion) -> None:
    body = sm.body_2d(motion, height_px=U, foot_xy=FOOT)
    k0, k1 = np.argmin(abs(sm.SPINE_T)), np.argmin(abs(sm.SPINE_T - 1))
    mid_hip = body.landmarks[:, [23, 24]].mean(1)
    np.testing.assert_allclose(body.spine[:, k0], mid_hip, atol=1e-6)
    np.testing.assert_allclose(body.spine[:, k1], body.landmarks[:, [11, 12]].mean(1), atol=1e-6)
    rounded = next(r for r, s in zip(motion.reps, SPECS, strict=True) if s.kind == "rounded")
    i = idx(rounded["bottom_s"])
    k = np.argmin(abs(sm.SPINE_T - 0.4))
    chord = body.spine[i, k0] + 0.4 * (body.spine[i, k1] - body.spine[i, k0])
    off = (body.spine[i, k] - chord) @ body.back_normal[i]
    assert off == pytest.approx(motion.lumbar_bow[i] * sm.TRUNK * U, rel=1e-6)
