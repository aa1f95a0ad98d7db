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
from hingecheck.pose.sampling import TurnSampler, TurnSettings, fill_frames
from hingecheck.records import Track, VideoInfo
from hingecheck.video.cuts import PictureChange, find_cuts, thumbnail
from hingecheck.video.level import line_votes, roll_from_votes, take_roll
from hingecheck.video.source import Frame

# 3: the model runs at pose.sample_hz, frames between interpolated; 4: jump cuts (Track.cut);
# 5: a coarse grid, dense where the motion turns (pose/sampling.py); 6: the camera's roll
# (Track.roll, video/level.py) and each frame's picture change (Track.change)
CACHE_VERSION = 6
# The camera's roll is read from a frame this often (s): ~4 ms a reading, and a take (between
# jump cuts) shorter than this still gets its first frame read.
ROLL_EVERY_S = 0.5


def stack_track(
    t: list[float], poses: list[FramePose], info: VideoInfo, cut: np.ndarray | None = None
) -> Track:
    """Stack per-frame poses into the Track's arrays (`cut`: per pose, a jump cut since the one
    before; None: no cuts, as from a live camera)."""
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
        cut=np.zeros(n, bool) if cut is None else np.asarray(cut, dtype=bool),
        info=info,
    )


@dataclass
class PosePass:
    """The model's samples and every frame's time: a pass (or a chunk of one) before filling."""

    samples: Track  # poses at the frames the model ran on
    frame_t: np.ndarray  # (N,) every decoded frame's time, sampled or not
    # (N,) each frame's picture change against the decoded frame before it (video/cuts.py);
    # the cut decision waits for the whole pass (it reads the next frame's too).
    frame_change: np.ndarray
    # (N,) the camera's roll read from the frame's scene (deg, video/level.py), NaN on frames
    # not read; a take's roll is decided once its cuts are known.
    frame_roll: np.ndarray


def sample_poses(
    frames: Iterable[Frame],
    info: VideoInfo,
    estimator: PoseEstimator,
    sampling: TurnSettings,
    *,
    picture: PictureChange,
    keep: Callable[[float], bool] | None = None,
    on_frame: Callable[[float], None] | None = None,
) -> PosePass:
    """Run the estimator on the frames `sampling` asks for (pose/sampling.py: a coarse grid,
    and the dense grid where the motion turns); streamed, so only the poses are kept, and the
    pixels of at most two coarse intervals of frames wait. Frames with keep(t) False only lead
    in (a parallel chunk's): neither their poses nor their times are kept, but their picture is
    what the next frame's is compared with, so a chunk's first frame reads its change against
    the true previous frame and a seam never looks like a cut.

    `picture` compares every decoded frame's picture with the one before it (a 68x52 thumbnail
    of its luma, ~0.5 ms a frame at 720p): a jump cut between two samples is not lost."""
    frame_t: list[float] = []
    change: list[float] = []
    roll: list[float] = []
    next_roll = -np.inf
    sampler: TurnSampler[Frame, FramePose] = TurnSampler(
        lambda f: estimator.process(f.rgb, f.t), sampling, (info.width, info.height)
    )
    for frame in frames:
        kept = keep is None or keep(frame.t)
        grey = frame.grey()  # before .rgb, which drops the decode
        share = picture.update(thumbnail(grey))
        # A cut may start a take anywhere: a frame that changed much is read too.
        read_roll = kept and (frame.t >= next_roll or share >= 0.5)
        # +inf: looked and saw no plumb edge (video/level.take_roll counts those).
        level = roll_from_votes(*line_votes(grey)) if read_roll else float("nan")
        level = np.inf if read_roll and np.isnan(level) else level
        if read_roll:
            next_roll = frame.t + ROLL_EVERY_S
        sampler.push(frame, frame.t, kept, share)
        if kept:
            frame_t.append(frame.t)
            change.append(share)
            roll.append(level)
            if on_frame is not None:
                on_frame(frame.t)
    sampler.finish()
    taken = sorted((s for s in sampler.samples if s[2]), key=lambda s: s[0])
    return PosePass(
        stack_track([s[0] for s in taken], [s[1] for s in taken], info),
        np.asarray(frame_t, dtype=np.float64),
        np.asarray(change, dtype=np.float32),
        np.asarray(roll, dtype=np.float32),
    )


def estimate_track(
    frames: Iterable[Frame],
    info: VideoInfo,
    estimator: PoseEstimator,
    sampling: TurnSettings,
    *,
    picture: PictureChange,
    cut_min_share: float,
    on_frame: Callable[[float], None] | None = None,
) -> Track:
    """The pose of every frame: the model's samples (`sampling`), the frames between filled,
    with the jump cuts found in the picture."""
    result = sample_poses(frames, info, estimator, sampling, picture=picture, on_frame=on_frame)
    return finish_pass(result, cut_min_share)


def finish_pass(result: PosePass, cut_min_share: float) -> Track:
    """Every frame's pose from a pass's samples (an empty pass stays empty), and its cuts."""
    if len(result.samples) == 0:
        return result.samples
    cut = find_cuts(result.frame_change, cut_min_share)
    track = fill_frames(result.samples, result.frame_t, cut)
    track.roll = takes_roll(result.frame_roll, cut)
    track.change = result.frame_change.astype(np.float32)
    return track


def takes_roll(frame_roll: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Per frame, the roll of its take (a jump cut may change the camera): the median of the
    take's readings (video/level.take_roll), NaN where none named one."""
    take = np.cumsum(cut)
    out = np.full(len(frame_roll), np.nan, dtype=np.float32)
    for k in np.unique(take):
        mine = take == k
        out[mine] = take_roll(frame_roll[mine])
    return out


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
