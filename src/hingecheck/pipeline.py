"""The analysis as a library: video -> Track (cached) -> Signals -> reps -> faults -> Report."""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hingecheck.analysis import Analysis
from hingecheck.config import Config, load_config
from hingecheck.errors import InputError
from hingecheck.outputs.text import counted
from hingecheck.pose.bundle import check_model, default_model_path, quiet_native_stderr
from hingecheck.pose.track import cache_key
from hingecheck.records import Rep, Report, Signals, Track, View
from hingecheck.version import __version__
from hingecheck.video.source import check_video_path, probe

if TYPE_CHECKING:
    from hingecheck.judge.evaluate import ClipResult
    from hingecheck.pose.landmarker import PoseEstimator

# What judging a Track needs (scipy.signal alone takes 1.5-3 s to import here): loaded after
# the first frame is in the pose model, in a thread of its own while the model works (the
# model's calls and the decoder release the GIL), so the first frame reaches the model sooner.
JUDGE_MODULES = (
    "hingecheck.signals.filters",
    "hingecheck.signals.kinematics",
    "hingecheck.signals.pull",
    "hingecheck.judge.view",
    "hingecheck.judge.reps",
    "hingecheck.judge.exercise",
    "hingecheck.judge.rules",
    "hingecheck.judge.warnings",
    "hingecheck.outputs.writers",
)


def preload_judge() -> threading.Thread:
    """Start importing the judging stages in a background thread (errors surface later, at
    their real import)."""

    def load() -> None:
        for name in JUDGE_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the real import later reports it
                return

    thread = threading.Thread(target=load, name="hingecheck-preload", daemon=True)
    thread.start()
    return thread


def confirmed_cuts(track: Track, config: Config) -> Track:
    """The Track with only the jump cuts the lifter's pose confirms (video/cuts.pose_confirms):
    the picture alone also fires on flicker, captions and duplicated frames."""
    from dataclasses import replace

    from hingecheck.video.cuts import pose_confirms

    size = (track.info.width, track.info.height)
    cut = pose_confirms(
        track.cut, track.landmarks, track.present, size, config.pose.jump_tolerance, track.change
    )
    return track if np.array_equal(cut, track.cut) else replace(track, cut=cut)


@dataclass
class Reading:
    """A Track read with one config, up to the rules: what `judge.rules.judge` takes, so other
    thresholds can be tried on it in microseconds (hingecheck calibrate)."""

    signals: Signals
    view: View
    reps: list[Rep]
    exercise: str
    profiled: Config  # the config with the exercise's profile applied (its rules judge)
    track: Track  # as read: with only the jump cuts its pose confirms (confirmed_cuts)


def read_track(track: Track, config: Config, exercise: str | None = None) -> Reading:
    """Signals, view, reps and exercise of a Track: everything judging does before the rules.

    `exercise` (one of exercise.EXERCISES) picks the profile; None tells it from the movement.
    """
    from hingecheck.judge.exercise import detect_exercise
    from hingecheck.judge.reps import find_reps
    from hingecheck.judge.view import classify_view
    from hingecheck.signals.kinematics import compute_signals
    from hingecheck.signals.pull import facing_camera_signals, pull_cues

    track = confirmed_cuts(track, config)
    signals = compute_signals(track, config.signals)
    view = classify_view(track, signals, config.view)
    # Reps are counted from any view where the lifter is seen (a lifter filming from the front
    # still wants the count); from the front, on the model's 3D landmarks.
    counted = view.camera != "unknown"
    counting = (
        facing_camera_signals(track, signals, config.signals) if view.camera == "front" else signals
    )
    cues = pull_cues(track, config.signals) if counted else None
    reps = find_reps(counting, config.reps, cues, track.cut) if counted else []
    name = exercise or detect_exercise(track, signals, reps, config.exercise)
    profiled = config.for_exercise(name)
    if counted and profiled.reps != config.reps:
        reps = find_reps(counting, profiled.reps, cues, track.cut)
    return Reading(signals, view, reps, name, profiled, track)


def judge_track(
    track: Track, config: Config, exercise: str | None = None
) -> tuple[Signals, Report]:
    """Everything after the pose model: pure array work, milliseconds on a cached Track.

    `exercise` (one of exercise.EXERCISES) picks the profile; None tells it from the movement.
    """
    r = read_track(track, config, exercise)
    return r.signals, judge_reading(r, config, exercise)


def judge_reading(r: Reading, config: Config, exercise: str | None = None) -> Report:
    """The rules over a read Track, and the report (`exercise`: as given to read_track)."""
    from hingecheck.faults import fault_kind, lift_key
    from hingecheck.judge.rules import judge
    from hingecheck.judge.warnings import set_warnings

    faults = judge(r.signals, r.reps, r.view, r.profiled.rules)
    # The cue names this lift and what is lifted (a detected deadlift may be a kettlebell one).
    lift = lift_key(r.exercise, "given" if exercise else "detected")
    faults = [replace(f, cue=fault_kind(f.type).cue_for(lift)) for f in faults]
    return Report(
        source=r.track.info,
        view=r.view,
        reps=r.reps,
        faults=faults,
        # The cuts the counting used: the warnings name those.
        warnings=set_warnings(r.track, r.signals, r.view, r.reps),
        exercise=r.exercise,
        exercise_source="given" if exercise else "detected",
        config_hash=config.digest(),
        version=__version__,
    )


def analyze(
    video: str | Path,
    config: Config | str | Path | None = None,
    *,
    model: str | Path | None = None,
    cache_path: str | Path | None = None,
    progress: bool = False,
    workers: int = 1,
    exercise: str | None = None,
    estimator: PoseEstimator | None = None,
) -> Analysis:
    """Analyse one recorded set.

    `config` is a Config, a TOML path or None (defaults). With `cache_path`, the pose model's
    Track is read from / written to that .npz, so a re-run with other thresholds skips the
    model. `progress` shows a progress bar on stderr. `workers` > 1 runs the pose model in
    that many threads (one model each), one time chunk each, for videos longer than
    `parallel.MIN_PARALLEL_S` (0: choose from the video's length and the CPUs). Raises
    InputError for bad input. `exercise` picks the profile (None: told from the movement).
    `estimator`: an already loaded model to reuse (a batch worker's; restarted here, not
    closed); it must have been built with this model and the config's pose settings.
    """
    path = Path(video)
    check_video_path(path)
    cfg = config if isinstance(config, Config) else load_config(config)
    model_path = check_model(model if model else default_model_path())
    info = probe(path)
    key = cache_key(path, model_path, asdict(cfg.pose))
    track = Track.load(Path(cache_path), key) if cache_path else None
    from_cache = track is not None
    notes = []
    if cache_path and track is None and Path(cache_path).exists():
        # Never trusted, never unpickled: a damaged or stale cache only costs the model pass.
        notes.append(
            f"ignored the landmark cache {cache_path}: damaged, or made from another video, "
            "model or pose setting; it is rebuilt"
        )
    if track is None:
        track = _run_model(path, info, cfg, model_path, progress, workers, estimator)
        if cache_path:
            track.save(Path(cache_path), key)
    if len(track) < 2:
        raise InputError(
            f"{path}: only {counted(len(track), 'frame')} decoded: not a video of a set"
        )
    r = read_track(track, cfg, exercise)
    report = judge_reading(r, cfg, exercise)
    if info.recorded:  # the container's creation time, read by the probe
        report.recorded, report.recorded_source = info.recorded, "recording"
    return Analysis(report, r.track, r.signals, cfg, from_cache, notes=notes)


def _run_model(
    path: Path,
    info,
    cfg: Config,
    model_path: Path,
    progress: bool,
    workers: int = 1,
    estimator: PoseEstimator | None = None,
) -> Track:

    from hingecheck.pose import parallel

    started = _Once(preload_judge)  # after the first frame is in the model, while it works
    workers = parallel.auto_workers(info.duration_s) if workers == 0 else workers
    track = None
    if estimator is None and workers > 1 and info.duration_s > parallel.MIN_PARALLEL_S:
        settings = parallel.PoseSettings(str(model_path), cfg.pose)
        # None when the chunks' seams don't meet (a stream without timestamps): single pass.
        with quiet_native_stderr():
            track = parallel.estimate_track_parallel(
                path, info, settings, workers, progress, on_frame=started
            )
    if track is None:
        track = _single_pass(path, info, cfg, model_path, progress, estimator, started)
    if len(track) < 2:  # before the caller caches it: nothing half-made is left behind
        raise InputError(
            f"{path}: only {counted(len(track), 'frame')} decoded: not a video of a set"
        )
    # The container's frame count can be an estimate; the decoded count is the truth.
    if len(track) != info.frames:
        from dataclasses import replace

        dur = float(track.t[-1] + np.median(np.diff(track.t)))
        track.info = replace(info, frames=len(track), duration_s=max(info.duration_s, dur))
    return track


class _Once:
    """Calls `fn` on the first call only (from whichever thread comes first)."""

    def __init__(self, fn) -> None:
        self._fn, self._lock, self._done = fn, threading.Lock(), False

    def __call__(self, *_args: object) -> None:
        if self._done:
            return
        with self._lock:
            if not self._done:
                self._done = True
                self._fn()


def _tick(bar, started: _Once | None, t: float) -> None:
    bar.update(1)
    if started is not None:
        started(t)


def _single_pass(
    path: Path,
    info,
    cfg: Config,
    model_path: Path,
    progress: bool,
    estimator: PoseEstimator | None = None,
    started: _Once | None = None,
) -> Track:
    from hingecheck.pose.landmarker import FollowSettings, PoseEstimator
    from hingecheck.pose.sampling import TurnSettings
    from hingecheck.pose.track import estimate_track
    from hingecheck.progress import frame_bar
    from hingecheck.video.cuts import PictureChange
    from hingecheck.video.source import iter_frames

    follow = FollowSettings.from_config(cfg.pose)
    if estimator is not None:
        if not estimator.matches(model_path, follow):
            raise ValueError("the given estimator was built with other pose settings")
        estimator.restart()
    # The model's C++ runtime logs to fd 2 from its worker threads: keep the terminal clean.
    with quiet_native_stderr():
        bar = frame_bar(info.frames, path.name, progress)
        model: contextlib.AbstractContextManager[PoseEstimator] = (
            contextlib.nullcontext(estimator)  # the caller's: not closed here
            if estimator is not None
            else PoseEstimator(model_path, follow)
        )
        with bar, model as est:
            track = estimate_track(
                iter_frames(path, cfg.pose.max_side),
                info,
                est,
                TurnSettings.from_config(cfg.pose),
                picture=PictureChange.from_config(cfg.pose),
                cut_min_share=cfg.pose.cut_min_share,
                on_frame=lambda t: _tick(bar, started, t),
            )
    return track


def evaluate_folder(
    clips: Path,
    labels_path: Path,
    out: Path,
    config_path: Path | None,
    progress: bool = False,
    model: Path | None = None,
) -> tuple[list[ClipResult], str]:
    """Analyse each labelled clip (cached tracks reused: made with the same `model` bundle,
    default the shipped one) and score it."""
    from hingecheck.judge.evaluate import ClipResult, load_labels, score_clip
    from hingecheck.outputs.registry import TRACK, output
    from hingecheck.outputs.writers import write_text

    labels = load_labels(labels_path)
    cfg = load_config(config_path)
    out.mkdir(parents=True, exist_ok=True)
    results: list[ClipResult] = []
    for i, label in enumerate(labels, start=1):
        video = clips / label["file"]
        if progress:
            print(f"[{i}/{len(labels)}] {video.name}", file=sys.stderr)
        try:
            result = analyze(video, cfg, model=model, cache_path=TRACK.path_for(out, video.stem))
        except InputError as exc:
            results.append(
                ClipResult(
                    label["file"],
                    label.get("view", ""),
                    label.get("reps"),
                    0,
                    {},
                    {},
                    error=str(exc),
                )
            )
            continue
        report = result.report.to_dict()
        write_text(output("json").path_for(out, video.stem), json.dumps(report, indent=2) + "\n")
        results.append(score_clip(label, report))
    return results, cfg.digest()
