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


def pixel_points(landmarks: np.ndarray, ids: list[int], size: tuple[int, int]) -> np.ndarray:
    """Landmarks `ids` of every frame in pixels, (N, len(ids), 2). x and y are gathered apart:
    scaling an (N, k, 2) gather is ~10x slower on a long track (a re-judge's time)."""
    return np.stack([landmarks[:, ids, k] * np.float64(size[k]) for k in (0, 1)], axis=-1)


def trunk_pixels(landmarks: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Mid-hip and mid-shoulder of every frame in pixels, (N, 2) each, from landmarks
    (N, 33, >=2) normalised to a picture `size` (width, height). Only those four landmarks
    are scaled: all 33 would be most of the cost on a long track."""
    px = pixel_points(landmarks, [L_HIP, R_HIP, L_SHOULDER, R_SHOULDER], size)
    return 0.5 * (px[:, 0] + px[:, 1]), 0.5 * (px[:, 2] + px[:, 3])
