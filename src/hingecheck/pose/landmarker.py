"""MediaPipe PoseLandmarker (Tasks API): landmarks and the back outline per frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hingecheck.body import mid_hip, mid_shoulder
from hingecheck.errors import InputError
from hingecheck.pose.bundle import check_model, default_model_path, quiet_native_stderr
from hingecheck.pose.mediapipe_api import pose_api
from hingecheck.pose.outline import back_profile, frame_facing
from hingecheck.pose.region import Crop, body_box, crop_around, jumped, near_edge, too_loose, whole
from hingecheck.records import (
    L_HIP,
    L_SHOULDER,
    N_LANDMARKS,
    PROFILE_POINTS,
    R_HIP,
    R_SHOULDER,
)

if TYPE_CHECKING:
    from hingecheck.config import PoseConfig


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
    api = pose_api()
    options = api.PoseLandmarkerOptions(
        base_options=api.BaseOptions(model_asset_path=str(path)),
        running_mode=api.RunningMode.VIDEO if video else api.RunningMode.IMAGE,
        num_poses=num_poses,
        min_pose_presence_confidence=min_presence,
        output_segmentation_masks=masks,
    )
    try:
        with quiet_native_stderr():
            return api.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise InputError(f"cannot load pose model {path}: {exc}") from None


@dataclass(frozen=True)
class FollowSettings:
    """How the lifter is followed from frame to frame (config [pose]; see default_config.toml).

    `follow` "track": one pose, tracked by the model from its own last landmarks, on a crop
    around the lifter; re-detected every `redetect_s`, and at once when the tracked pose jumps
    (`jump_tolerance`); the whole frame is searched for people every `people_check_s`.
    "detect": the model's person detector on every whole frame, `num_poses` candidates.
    """

    follow: str = "detect"
    num_poses: int = 2
    min_presence: float = 0.5
    people_check_s: float = 2.0
    redetect_s: float = 0.5
    crop_margin: float = 0.5
    jump_tolerance: float = 0.25

    @classmethod
    def from_config(cls, pose: PoseConfig) -> FollowSettings:
        """The [pose] section's following settings."""
        return cls(
            pose.follow,
            pose.num_poses,
            pose.min_presence,
            pose.people_check_s,
            pose.redetect_s,
            pose.crop_margin,
            pose.jump_tolerance,
        )


@dataclass
class FollowStats:
    """What following cost: model runs by kind (a tracked frame, a re-run after a jump, a
    census of the whole frame, a tracker reset)."""

    tracked: int = 0
    redone: int = 0
    census: int = 0
    resets: int = 0
    recrops: int = 0


_BLANK = np.zeros((32, 32, 3), np.uint8)


class PoseEstimator:
    """Wraps the PoseLandmarker; follows one lifter across frames. Use as a context manager.

    In "track" mode the model sees only a crop around the lifter (a margin of
    `crop_margin` of the body's size each side), follows one pose with its own tracking, and
    looks afresh with its person detector every `redetect_s` and whenever the tracked pose
    jumps further than a body moves between two frames (that frame is then run again after
    the fresh detection). The tracker is reset by showing the model an empty picture, after
    which it detects again: exactly what a newly built model would do. Every `people_check_s`
    one look at the whole frame counts the people and re-centres the crop on the lifter (the
    largest, most central one at first sight, then the one nearest the last position).
    In "detect" mode (the default) the person detector runs on every whole frame with
    `num_poses` candidates (IMAGE mode: each frame on its own, so frames may come in any order),
    and the one nearest the lifter's position at the closest time already seen is kept.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        settings: FollowSettings | None = None,
    ) -> None:
        path = check_model(model_path if model_path else default_model_path())
        self._path = path
        self.settings = s = settings or FollowSettings()
        if s.follow not in ("track", "detect"):
            raise InputError(f"pose.follow must be 'track' or 'detect' (got {s.follow!r})")
        track = s.follow == "track"
        # "detect" runs the person detector on every frame anyway, so it needs no tracking:
        # IMAGE mode gives the same landmarks (identical on 150-frame runs of two real clips;
        # they differ only where VIDEO mode's tracking carried a pose over a frame the detector
        # missed, at a lifter's edge of the picture) and lets frames come in any order
        # (pose/sampling.py fills a gap after the samples beyond it).
        # redetect_s 0: the person detector on every crop (IMAGE mode, no tracking at all).
        self._video = track and s.redetect_s > 0
        self._landmarker = _landmarker(
            path, self._video, 1 if track else s.num_poses, s.min_presence, True
        )
        self._census = (
            _landmarker(path, False, max(s.num_poses, 1) + 1, s.min_presence, False)
            if track
            else None
        )
        self.stats = FollowStats()
        self._crop: Crop | None = None
        self._next_check = -np.inf
        self._next_redetect = -np.inf
        self._people = 1
        self._last_ms = -1
        self._offset_ms = 0
        # Where the lifter was at the last few frames run ((t, centre), by time): the lifter at
        # a new frame is the candidate nearest their place at the closest of those times, as
        # frames may come out of time order (pose/sampling.py fills gaps after later frames).
        self._seen: list[tuple[float, np.ndarray]] = []
        self._last: tuple[float, np.ndarray] | None = None  # (t, frame landmarks) when tracked

    def matches(self, model_path: str | Path, settings: FollowSettings) -> bool:
        """Whether this estimator was built with these settings (so it can be reused)."""
        return (self._path, self.settings) == (Path(model_path), settings)

    def restart(self) -> None:
        """Start a new video with the model already loaded (a batch worker reuses it).

        The landmarker needs increasing timestamps, so the next video's times are shifted past
        the last one by a second: a gap that long makes its tracker look afresh (measured: the
        landmarks then equal a new estimator's), and in "track" mode the next frame is
        detected afresh anyway. Who was followed, and where, is forgotten.
        """
        self._offset_ms = self._last_ms + 1000
        self._crop = None
        self._next_check = self._next_redetect = -np.inf
        self._people = 1
        self._seen = []
        self._last = None

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

    def _stamp(self, t: float) -> int:
        # The API needs increasing ms; after a restart the clock is shifted past the last video.
        ms = max(self._offset_ms + int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        return ms

    def process(self, rgb: np.ndarray, t: float) -> FramePose:
        """Run the model on one RGB frame at time t (s); returns the followed lifter's pose."""
        if self._census is None:
            return self._detect(rgb, t)
        h, w = rgb.shape[:2]
        if t >= self._next_check or self._crop is None:
            self._look_around(rgb, t)
        if self._video and t >= self._next_redetect:
            self._reset(t)
        pose = self._track(rgb, t)
        last = self._last
        if (
            self._video
            and pose.present
            and last is not None
            and jumped(last[1], pose.landmarks, w, h, self.settings.jump_tolerance, t - last[0])
        ):
            # The tracker may have dragged its region along a misplaced joint: look again.
            self._reset(t)
            pose = self._track(rgb, t)
            self.stats.redone += 1
        if pose.present:
            self._last = (t, pose.landmarks)
            self._follow_crop(pose.landmarks, w, h, t)
        else:
            self._last = None
            self._next_check = t  # lost the lifter: search the whole frame on the next one
        return pose

    def _reset(self, t: float) -> None:
        """Drop the tracker's region: on the next frame the model runs its person detector."""
        if not self._video:
            return  # every frame is detected afresh anyway
        image = _image(_BLANK)
        self._landmarker.detect_for_video(image, self._stamp(t))
        self._next_redetect = t + self.settings.redetect_s
        self.stats.resets += 1

    def _set_crop(self, crop: Crop, t: float) -> None:
        if crop != self._crop:
            self._crop = crop
            self.stats.recrops += 1
            self._reset(t)  # the tracker's region is in the old crop's coordinates

    def _look_around(self, rgb: np.ndarray, t: float) -> None:
        """One look at the whole frame: count the people, re-centre the crop on the lifter."""
        h, w = rgb.shape[:2]
        self._next_check = t + self.settings.people_check_s
        self.stats.census += 1
        image = _image(np.ascontiguousarray(rgb))
        assert self._census is not None  # track mode, not closed
        result = self._census.detect(image)
        self._people = len(result.pose_landmarks)
        if not result.pose_landmarks:
            self._set_crop(whole(w, h), t)
            return
        arrays, vis = _arrays(result)
        lm = arrays[self._choose(arrays, vis, t)]
        box = body_box(lm, w, h)
        crop = self._crop
        if (
            crop is None
            or near_edge(box, crop, w, h, 0.05)
            or too_loose(box, crop, self.settings.crop_margin)
        ):
            self._set_crop(crop_around(box, w, h, self.settings.crop_margin), t)

    def _follow_crop(self, lm: np.ndarray, w: int, h: int, t: float) -> None:
        """Re-centre the crop when the tracked lifter nears its edge."""
        box = body_box(lm, w, h)
        if self._crop is not None and near_edge(box, self._crop, w, h, 0.05):
            self._set_crop(crop_around(box, w, h, self.settings.crop_margin), t)

    def _track(self, rgb: np.ndarray, t: float) -> FramePose:
        """The tracked pose on the crop, in whole-frame coordinates."""
        h, w = rgb.shape[:2]
        crop = self._crop or whole(w, h)
        image = _image(crop.take(rgb))
        if self._video:
            result = self._landmarker.detect_for_video(image, self._stamp(t))
        else:
            result = self._landmarker.detect(image)
        self.stats.tracked += 1
        if not result.pose_landmarks:
            return _empty(self._people)
        arrays, vis = _arrays(result)
        lm_crop, v = arrays[0], vis[0]
        lm = crop.to_frame(lm_crop, w, h)
        self._note_center(t, _centers([lm])[0])
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]], np.float32)
        profile = _profile(result, 0, lm_crop, v, crop.width, crop.height)
        return FramePose(lm, v, world, profile, max(self._people, 1), True)

    def _detect(self, rgb: np.ndarray, t: float) -> FramePose:
        """Detect mode: every candidate on the whole frame, keep the lifter."""
        image = _image(np.ascontiguousarray(rgb))
        result = self._landmarker.detect(image)
        self.stats.tracked += 1
        people = len(result.pose_landmarks)
        if people == 0:
            return _empty()
        arrays, vis = _arrays(result)
        pick = self._choose(arrays, vis, t)
        lm, v = arrays[pick], vis[pick]
        world = np.array(
            [(p.x, p.y, p.z) for p in result.pose_world_landmarks[pick]], dtype=np.float32
        )
        h, w = rgb.shape[:2]
        profile = _profile(result, pick, lm, v, w, h)
        return FramePose(lm, v, world, profile, people, True)

    def _note_center(self, t: float, center: np.ndarray) -> None:
        self._seen = [(ts, c) for ts, c in self._seen if ts != t][-7:] + [(t, center)]

    def _choose(self, poses: list[np.ndarray], vis: list[np.ndarray], t: float) -> int:
        """Keep following the same person (the candidate nearest where the lifter was at the
        closest time already seen); at first sight take the largest, most central one."""
        centers = _centers(poses)
        if self._seen and len(poses) > 1:
            _, near = min(self._seen, key=lambda seen: abs(seen[0] - t))
            pick = int(np.argmin(np.linalg.norm(centers - near, axis=1)))
        else:
            sizes = np.array(
                [
                    np.ptp(p[:, 1][v > 0.3]) if (v > 0.3).sum() > 1 else 0.0
                    for p, v in zip(poses, vis, strict=False)
                ]
            )
            central = 1.0 - np.abs(centers[:, 0] - 0.5)
            pick = int(np.argmax(sizes * central))
        self._note_center(t, centers[pick])
        return pick


def _image(rgb: np.ndarray):
    """A MediaPipe image of RGB pixels (C-contiguous: the model silently misreads strided rows)."""
    api = pose_api()
    return api.Image(image_format=api.ImageFormat.SRGB, data=rgb)


def _arrays(result) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each person's (33, 3) landmarks and (33,) visibilities."""
    arrays = [
        np.array([(p.x, p.y, p.z) for p in pose], dtype=np.float32)
        for pose in result.pose_landmarks
    ]
    vis = [
        np.array([p.visibility or 0.0 for p in pose], np.float32) for pose in result.pose_landmarks
    ]
    return arrays, vis


def _centers(poses: list[np.ndarray]) -> np.ndarray:
    return np.array(
        [np.nanmean(p[[L_HIP, R_HIP, L_SHOULDER, R_SHOULDER], :2], axis=0) for p in poses]
    )


def _profile(result, pick: int, lm: np.ndarray, v: np.ndarray, w: int, h: int) -> np.ndarray:
    """The back's outline from the mask (at the size of the picture the model was shown)."""
    profile = np.full(PROFILE_POINTS, np.nan, np.float32)
    if not result.segmentation_masks:
        return profile
    mask = result.segmentation_masks[min(pick, len(result.segmentation_masks) - 1)]
    mask_arr = mask.numpy_view()
    mask_arr = mask_arr[..., 0] if mask_arr.ndim == 3 else mask_arr
    scale = np.array([w, h], np.float32)
    hip, shoulder = mid_hip(lm[:, :2]) * scale, mid_shoulder(lm[:, :2]) * scale
    return back_profile(mask_arr, hip, shoulder, int(frame_facing(lm[None], v[None])[0]))
