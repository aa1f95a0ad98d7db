"""Run the pose model over a video into a Track, and cache the Track beside the outputs.

The model pass is the one expensive step; everything after it reads the cached Track, so
changing a threshold and re-running takes milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .pose import FramePose, PoseEstimator
from .records import Track, VideoInfo
from .source import Frame

CACHE_VERSION = 2  # 2: the pose pass tracks one person until a second shows up


def stack_track(t: list[float], poses: list[FramePose], info: VideoInfo) -> Track:
    """Stack per-frame poses into the Track's arrays."""
    n = len(poses)
    if n == 0:
        from .records import N_LANDMARKS, PROFILE_POINTS

        return Track(
            t=np.zeros(0),
            landmarks=np.zeros((0, N_LANDMARKS, 3), np.float32),
            visibility=np.zeros((0, N_LANDMARKS), np.float32),
            world=np.zeros((0, N_LANDMARKS, 3), np.float32),
            present=np.zeros(0, bool),
            back_profile=np.zeros((0, PROFILE_POINTS), np.float32),
            people=np.zeros(0, np.int16),
            info=info,
        )
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


def estimate_track(
    frames: Iterable[Frame],
    info: VideoInfo,
    estimator: PoseEstimator,
    on_frame: Callable[[int], None] | None = None,
) -> Track:
    """Run the estimator on every frame (streamed: only the poses are kept, never the pixels)."""
    times: list[float] = []
    poses: list[FramePose] = []
    for frame in frames:
        poses.append(estimator.process(frame.rgb, frame.t))
        times.append(frame.t)
        if on_frame is not None:
            on_frame(frame.index)
    return stack_track(times, poses, info)


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


def save_track(track: Track, path: Path, key: str) -> None:
    """Write the Track atomically (temporary name, then rename)."""
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            t=track.t,
            landmarks=track.landmarks,
            visibility=track.visibility,
            world=track.world,
            present=track.present,
            back_profile=track.back_profile,
            people=track.people,
            info=np.array(json.dumps(asdict(track.info))),
            key=np.array(key),
        )
    os.replace(tmp, path)


def load_track(path: Path, key: str | None = None) -> Track | None:
    """The cached Track, or None when absent, unreadable or made from something else."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if key is not None and str(data["key"]) != key:
                return None
            info = VideoInfo(**json.loads(str(data["info"])))
            return Track(
                t=data["t"],
                landmarks=data["landmarks"],
                visibility=data["visibility"],
                world=data["world"],
                present=data["present"],
                back_profile=data["back_profile"],
                people=data["people"],
                info=info,
            )
    except (OSError, KeyError, ValueError, TypeError):
        return None
