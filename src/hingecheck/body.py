"""The body's shared measures from landmarks: mid-hip, mid-shoulder and trunk length (the
hip-to-shoulder line that outlines, crops, the view and the overlay are all scaled by)."""

from __future__ import annotations

import numpy as np

from hingecheck.records import L_HIP, L_SHOULDER, R_HIP, R_SHOULDER


def mid_hip(landmarks: np.ndarray) -> np.ndarray:
    """The point between the hips, of landmarks shaped (..., 33, d): (..., d)."""
    return 0.5 * (landmarks[..., L_HIP, :] + landmarks[..., R_HIP, :])


def mid_shoulder(landmarks: np.ndarray) -> np.ndarray:
    """The point between the shoulders, of landmarks shaped (..., 33, d): (..., d)."""
    return 0.5 * (landmarks[..., L_SHOULDER, :] + landmarks[..., R_SHOULDER, :])


def trunk_length(hip: np.ndarray, shoulder: np.ndarray) -> np.ndarray:
    """Mid-hip to mid-shoulder distance, per point pair (the last axis is the coordinates)."""
    return np.linalg.norm(shoulder - hip, axis=-1)
