"""The analysis as a library: video -> Track (cached) -> Signals -> reps -> faults -> Report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .config import Config, load_config
from .errors import InputError
from .filters import runs
from .kinematics import compute_signals
from .pose import PoseEstimator, default_model_path, quiet_native_stderr
from .records import Fault, Rep, Report, Signals, Track, View
from .reps import find_reps
from .rules import judge
from .source import VIDEO_SUFFIXES, iter_frames, probe
from .track import cache_key, estimate_track, load_track, save_track
from .view import classify_view


@dataclass
class Analysis:
    """Everything one analysis produced: the report and the arrays behind it."""

    report: Report
    track: Track
    signals: Signals
    config: Config
    from_cache: bool = False
    outputs: dict[str, Path] = field(default_factory=dict)


def _warnings(track: Track, signals: Signals, view: View, reps: list[Rep]) -> list[str]:
    out: list[str] = []
    n = len(track)
    if view.reason:
        out.append(view.reason)
    if view.camera == "oblique":
        out.append(
            "camera at an angle to the lifter: angles are less precise, so faults are "
            "judged with wider margins, and lower-back rounding is not judged (the "
            "back's outline can't be seen); film from the side for the best reading"
        )
    if n and (track.people > 1).mean() > 0.1:
        out.append(
            f"{int(track.people.max())} people in view: followed the one performing "
            "the lift (the largest, most central)"
        )
    if n and track.present.any():
        gaps = [
            (a, b)
            for a, b in runs(~signals.valid)
            if a > 0 and b < n and track.t[b] - track.t[a - 1] > 0.5
        ]
        for a, b in gaps[:5]:
            out.append(
                f"lifter out of view from {track.t[a]:.1f} s to {track.t[b - 1]:.1f} s: "
                "that stretch was not judged"
            )
    if reps and not reps[-1].complete:
        out.append(
            f"the video ends during rep {reps[-1].index}: it is not counted or judged at the top"
        )
    if n < 2:
        out.append("the video is too short to judge")
    return out


def judge_track(track: Track, config: Config) -> tuple[Signals, Report]:
    """Everything after the pose model: pure array work, milliseconds on a cached Track."""
    signals = compute_signals(track, config.signals)
    view = classify_view(track, signals, config.view)
    reps = find_reps(signals, config.reps) if view.judged else []
    faults: list[Fault] = judge(signals, reps, view, config.rules)
    report = Report(
        source=track.info,
        view=view,
        reps=reps,
        faults=faults,
        warnings=_warnings(track, signals, view, reps),
        config_hash=config.digest(),
        version=__version__,
    )
    return signals, report


def check_video_path(path: Path) -> None:
    """Refuse what can't be a video before any work (the decoder has the final word)."""
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video file")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        allowed = ", ".join(sorted(VIDEO_SUFFIXES))
        raise InputError(f"{path.name}: not a supported video type (use {allowed})")


def analyze(
    video: str | Path,
    config: Config | str | Path | None = None,
    *,
    model: str | Path | None = None,
    cache_path: str | Path | None = None,
    progress: bool = False,
) -> Analysis:
    """Analyse one recorded set.

    `config` is a Config, a TOML path or None (defaults). With `cache_path`, the pose model's
    Track is read from / written to that .npz, so a re-run with other thresholds skips the
    model. `progress` shows a progress bar on stderr. Raises InputError for bad input.
    """
    path = Path(video)
    check_video_path(path)
    cfg = config if isinstance(config, Config) else load_config(config)
    model_path = Path(model) if model else default_model_path()
    info = probe(path)
    key = cache_key(
        path,
        model_path,
        {
            "max_side": cfg.pose.max_side,
            "num_poses": cfg.pose.num_poses,
            "min_presence": cfg.pose.min_presence,
        },
    )
    track = load_track(Path(cache_path), key) if cache_path else None
    from_cache = track is not None
    if track is None:
        track = _run_model(path, info, cfg, model_path, progress)
        if cache_path:
            save_track(track, Path(cache_path), key)
    if len(track) < 2:
        raise InputError(f"{path}: only {len(track)} frame(s) decoded: not a video of a set")
    signals, report = judge_track(track, cfg)
    return Analysis(report, track, signals, cfg, from_cache)


def _run_model(path: Path, info, cfg: Config, model_path: Path, progress: bool) -> Track:
    from tqdm import tqdm

    # The model's C++ runtime logs to fd 2 from its worker threads: keep the terminal clean.
    with quiet_native_stderr():
        bar = tqdm(
            total=info.frames or None,
            unit="frame",
            desc=path.name,
            disable=not progress,
            leave=False,
            dynamic_ncols=True,
        )
        with bar, PoseEstimator(model_path, cfg.pose.num_poses, cfg.pose.min_presence) as est:
            track = estimate_track(
                iter_frames(path, cfg.pose.max_side), info, est, on_frame=lambda _i: bar.update(1)
            )
    # The container's frame count can be an estimate; the decoded count is the truth.
    if len(track) and len(track) != info.frames:
        from dataclasses import replace

        dur = float(track.t[-1] + np.median(np.diff(track.t))) if len(track) > 1 else 0.0
        track.info = replace(info, frames=len(track), duration_s=max(info.duration_s, dur))
    return track
