"""Run the pose model over a video into a Track, and the key that ties a saved Track to its
video, model and settings (Track.save and Track.load write and read it).

The model pass is the one expensive step; everything after it reads the cached Track, so
changing a threshold and re-running takes milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hingecheck.pose.landmarker import FramePose, PoseEstimator
from hingecheck.pose.sampling import fill_frames, takes_sample
from hingecheck.records import Track, VideoInfo
from hingecheck.video.source import Frame

CACHE_VERSION = 3  # 3: the model runs at pose.sample_hz, frames between interpolated


def stack_track(t: list[float], poses: list[FramePose], info: VideoInfo) -> Track:
    """Stack per-frame poses into the Track's arrays."""
    n = len(poses)
    if n == 0:
        return Track.empty(info)
    return Track(
        t=np.asarray(t, dtype=np.float64),
        landmarks=np.stack([p.landmarks for p in poses]).astype(np.float32),
        visibility=np.stack([p.visibility for p in poses]).astype(np.float32),
        world=np.stack([p.world for p in poses]).astype(np.float32),
        present=np.array([p.present for p in poses], dtype=bool),
        back_profile=np.stack([p.profile for p in poses]).astype(np.float32),
        people=np.array([p.people for p in poses], dtype=np.int16),
        info=info,
    )


@dataclass
class PosePass:
    """The model's samples and every frame's time: a pass (or a chunk of one) before filling."""

    samples: Track  # poses at the frames the model ran on
    frame_t: np.ndarray  # (N,) every decoded frame's time, sampled or not


def sample_poses(
    frames: Iterable[Frame],
    info: VideoInfo,
    estimator: PoseEstimator,
    rate_hz: float = 0.0,
    keep: Callable[[float], bool] | None = None,
    on_frame: Callable[[float], None] | None = None,
) -> PosePass:
    """Run the estimator on the frames due at `rate_hz` (0: every frame); streamed, so only
    the poses are kept, never the pixels. Frames with keep(t) False only feed the tracker
    (a parallel chunk's lead-in): neither their poses nor their times are kept."""
    times: list[float] = []
    poses: list[FramePose] = []
    frame_t: list[float] = []
    prev: float | None = None
    for frame in frames:
        kept = keep is None or keep(frame.t)
        if takes_sample(frame.t, prev, rate_hz):
            pose = estimator.process(frame.rgb, frame.t)
            if kept:
                times.append(frame.t)
                poses.append(pose)
        prev = frame.t
        if kept:
            frame_t.append(frame.t)
            if on_frame is not None:
                on_frame(frame.t)
    return PosePass(stack_track(times, poses, info), np.asarray(frame_t, dtype=np.float64))


def estimate_track(
    frames: Iterable[Frame],
    info: VideoInfo,
    estimator: PoseEstimator,
    rate_hz: float = 0.0,
    on_frame: Callable[[float], None] | None = None,
) -> Track:
    """The pose of every frame: the model's samples at `rate_hz`, the frames between filled."""
    result = sample_poses(frames, info, estimator, rate_hz, on_frame=on_frame)
    return finish_pass(result)


def finish_pass(result: PosePass) -> Track:
    """Every frame's pose from a pass's samples (an empty pass stays empty)."""
    if len(result.samples) == 0:
        return result.samples
    return fill_frames(result.samples, result.frame_t)


def cache_key(video: Path, model: Path, pose_settings: dict[str, object]) -> str:
    """Changes when the video, the model or the model's settings change."""
    st = video.stat()
    mst = model.stat()
    text = json.dumps(
        [
            CACHE_VERSION,
            str(video.resolve()),
            st.st_size,
            st.st_mtime_ns,
            str(model.resolve()),
            mst.st_size,
            mst.st_mtime_ns,
            pose_settings,
        ],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
