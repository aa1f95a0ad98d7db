"""MediaPipe PoseLandmarker (Tasks API, VIDEO mode): landmarks and the back outline per frame."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from hingecheck.errors import InputError
from hingecheck.pose.outline import back_profile, frame_facing
from hingecheck.records import (
    L_HIP,
    L_SHOULDER,
    N_LANDMARKS,
    PROFILE_POINTS,
    R_HIP,
    R_SHOULDER,
)

MODEL_NAME = "pose_landmarker_full.task"
# A PoseLandmarker .task bundle is an uncompressed zip of these two TFLite models.
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


def default_model_path() -> Path:
    """The bundle shipped with the package (wheel) or in the source tree's models/ folder."""
    packaged = resources.files("hingecheck").joinpath("models", MODEL_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "models" / MODEL_NAME


def check_model(path: str | Path) -> Path:
    """Refuse, before any work, a model file that is missing or not a pose bundle (MediaPipe
    itself would print a native traceback, or abort): InputError on one line."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"pose model not found: {path}")
    if not path.is_file():
        raise InputError(f"pose model {path} is a folder, not a .task file")
    try:
        with zipfile.ZipFile(path) as bundle:
            members = {i.filename: i for i in bundle.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a zip bundle"
        raise InputError(f"{path} is not a PoseLandmarker .task bundle ({why})") from None
    missing = [m for m in BUNDLE_MEMBERS if m not in members]
    if missing:
        raise InputError(f"{path} is not a PoseLandmarker .task bundle (no {missing[0]} in it)")
    if any(members[m].compress_type != zipfile.ZIP_STORED for m in BUNDLE_MEMBERS):
        raise InputError(
            f"{path}: the bundle's models are compressed (MediaPipe reads them "
            "only stored; re-zip with zip -0)"
        )
    return path


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence the C++ runtime's log lines (fd 2) while keeping Python's sys.stderr working."""
    try:
        saved = os.dup(2)
        sys.stderr.flush()
    except (OSError, ValueError, io.UnsupportedOperation):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    old_stderr = sys.stderr
    os.dup2(devnull, 2)
    sys.stderr = open(saved, "w", closefd=False, buffering=1, encoding="utf-8")  # noqa: SIM115
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclass
class FramePose:
    """The chosen person's pose in one frame (NaN arrays when nobody was found)."""

    landmarks: np.ndarray  # (33, 3) normalised x, y, z
    visibility: np.ndarray  # (33,)
    world: np.ndarray  # (33, 3)
    profile: np.ndarray  # (PROFILE_POINTS,)
    people: int
    present: bool


def _empty(people: int = 0) -> FramePose:
    nan3 = np.full((N_LANDMARKS, 3), np.nan, dtype=np.float32)
    return FramePose(
        nan3,
        np.zeros(N_LANDMARKS, np.float32),
        nan3.copy(),
        np.full(PROFILE_POINTS, np.nan, np.float32),
        people,
        False,
    )


def _landmarker(path: Path, video: bool, num_poses: int, min_presence: float, masks: bool):
    """A PoseLandmarker in VIDEO mode (tracking across frames) or IMAGE mode (one look)."""
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_poses=num_poses,
        min_pose_presence_confidence=min_presence,
        output_segmentation_masks=masks,
    )
    try:
        with quiet_native_stderr():
            return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"cannot load pose model {path}: {exc}") from None


class PoseEstimator:
    """Wraps the PoseLandmarker; follows one lifter across frames. Use as a context manager.

    Following `num_poses` > 1 people makes the model run its person detector on every frame.
    With `people_check_s` > 0 it instead tracks one person from its own last landmarks (~40 %
    less time a frame, but the tracking drifts more in fast pulls) and takes one look for
    others that often; once a second person shows up it follows up to `num_poses` from then
    on, keeping the lifter it had (the largest, most central one at first sight).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        num_poses: int = 2,
        min_presence: float = 0.5,
        people_check_s: float = 0.0,
    ) -> None:
        path = check_model(model_path if model_path else default_model_path())
        self._path, self._num_poses, self._min_presence = path, num_poses, min_presence
        single = num_poses > 1 and people_check_s > 0
        self._landmarker = _landmarker(path, True, 1 if single else num_poses, min_presence, True)
        self._census = (
            _landmarker(path, False, num_poses + 1, min_presence, False) if single else None
        )
        self._check_s = people_check_s
        self._single = single
        self._next_check = -np.inf
        self._last_ms = -1
        self._offset_ms = 0
        self._last_center: np.ndarray | None = None

    def matches(
        self, model_path: Path, num_poses: int, min_presence: float, check_s: float
    ) -> bool:
        """Whether this estimator was built with these settings (so it can be reused)."""
        return (self._path, self._num_poses, self._min_presence, self._check_s) == (
            Path(model_path),
            num_poses,
            min_presence,
            check_s,
        )

    def restart(self) -> None:
        """Start a new video with the model already loaded (a batch worker reuses it).

        The landmarker needs increasing timestamps, so the next video's times are shifted past
        the last one by a second: a gap that long makes its tracker look afresh (measured: the
        landmarks then equal a new estimator's). Who was followed is forgotten.
        """
        self._offset_ms = self._last_ms + 1000
        self._next_check = -np.inf
        self._last_center = None
        if self._single and self._census is None:  # it had switched to following several
            with quiet_native_stderr():
                self._landmarker.close()
            self._landmarker = _landmarker(self._path, True, 1, self._min_presence, True)
            self._census = _landmarker(
                self._path, False, self._num_poses + 1, self._min_presence, False
            )

    def _look_for_others(self, image, t: float) -> None:
        """One look at the whole frame; on a second person, follow several from now on."""
        if self._census is None or t < self._next_check:
            return
        self._next_check = t + self._check_s
        if len(self._census.detect(image).pose_landmarks) < 2:
            return
        with quiet_native_stderr():
            self._landmarker.close()
            self._census.close()
        self._census = None
        self._landmarker = _landmarker(self._path, True, self._num_poses, self._min_presence, True)

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the model (left to the garbage collector it prints a traceback at exit)."""
        with quiet_native_stderr():
            for model in (self._landmarker, self._census):
                if model is not None:
                    model.close()
        self._landmarker = self._census = None

    def process(self, rgb: np.ndarray, t: float) -> FramePose:
        """Run the model on one RGB frame at time t (s); returns the followed lifter's pose."""
        import mediapipe as mp

        ms = max(self._offset_ms + int(round(t * 1000.0)), self._last_ms + 1)  # increasing
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        self._look_for_others(image, t)
        result = self._landmarker.detect_for_video(image, ms)
        people = len(result.pose_landmarks)
        if people == 0:
            return _empty()
        arrays = [
            np.array([(p.x, p.y, p.z) for p in pose], dtype=np.float32)
            for pose in result.pose_landmarks
        ]
        vis = [
            np.array([p.visibility or 0.0 for p in pose], np.float32)
            for pose in result.pose_landmarks
        ]
        pick = self._choose(arrays, vis)
        lm, v = arrays[pick], vis[pick]
        world = np.array(
            [(p.x, p.y, p.z) for p in result.pose_world_landmarks[pick]], dtype=np.float32
        )
        h, w = rgb.shape[:2]
        profile = np.full(PROFILE_POINTS, np.nan, np.float32)
        if result.segmentation_masks:
            mask = result.segmentation_masks[min(pick, len(result.segmentation_masks) - 1)]
            mask_arr = mask.numpy_view()
            mask_arr = mask_arr[..., 0] if mask_arr.ndim == 3 else mask_arr
            scale = np.array([w, h], np.float32)
            hip = 0.5 * (lm[L_HIP, :2] + lm[R_HIP, :2]) * scale
            shoulder = 0.5 * (lm[L_SHOULDER, :2] + lm[R_SHOULDER, :2]) * scale
            profile = back_profile(mask_arr, hip, shoulder, int(frame_facing(lm[None], v[None])[0]))
        return FramePose(lm, v, world, profile, people, True)

    def _choose(self, poses: list[np.ndarray], vis: list[np.ndarray]) -> int:
        """Keep following the same person; at first sight take the largest, most central one."""
        centers = np.array(
            [np.nanmean(p[[L_HIP, R_HIP, L_SHOULDER, R_SHOULDER], :2], axis=0) for p in poses]
        )
        if self._last_center is not None and len(poses) > 1:
            pick = int(np.argmin(np.linalg.norm(centers - self._last_center, axis=1)))
        else:
            sizes = np.array(
                [
                    np.ptp(p[:, 1][v > 0.3]) if (v > 0.3).sum() > 1 else 0.0
                    for p, v in zip(poses, vis, strict=False)
                ]
            )
            central = 1.0 - np.abs(centers[:, 0] - 0.5)
            pick = int(np.argmax(sizes * central))
        self._last_center = centers[pick]
        return pick
