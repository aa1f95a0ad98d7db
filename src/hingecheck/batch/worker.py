"""What a batch worker runs: one set in, its outputs written and a SetResult out.

A worker (a pool process or a Ray actor) keeps one SetAnalyzer for its whole life, so the pose
model is loaded once, not once per video.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hingecheck.batch.jobs import SetJob, SetResult, failed
from hingecheck.batch.resume import SetKey, clean_staging, commit, staging_dir, write_stamp
from hingecheck.config import Config, load_config
from hingecheck.errors import InputError
from hingecheck.faults import FAULT_TYPES
from hingecheck.outputs.registry import TRACK, prepare_out_dir, write_outputs
from hingecheck.pipeline import Analysis, analyze
from hingecheck.pose.bundle import default_model_path
from hingecheck.pose.landmarker import FollowSettings, PoseEstimator
from hingecheck.version import __version__
from hingecheck.video.source import check_video_path


class SetAnalyzer:
    """A worker's loaded model and configs, reused from one set to the next."""

    def __init__(self, model: Path | None = None) -> None:
        self.model = Path(model) if model else default_model_path()
        self._configs: dict[Path | None, Config] = {}
        self._estimator: PoseEstimator | None = None
        self.sets = 0  # how many sets this worker has run (the model was built once for them)
        self.builds = 0  # how many times the model was built

    def config(self, path: Path | None) -> Config:
        if path not in self._configs:
            self._configs[path] = load_config(path)
        return self._configs[path]

    def estimator(self, cfg: Config) -> PoseEstimator:
        """The loaded model for these pose settings (rebuilt only when they change)."""
        follow = FollowSettings.from_config(cfg.pose)
        est = self._estimator
        if est is None or not est.matches(self.model, follow):
            if est is not None:
                est.close()
            self._estimator = None
            est = PoseEstimator(self.model, follow)
            self._estimator = est
            self.builds += 1
        return est

    def warm(self) -> None:
        """Load the model now (a worker's start), with the default pose settings."""
        self.estimator(self.config(None))

    def close(self) -> None:
        if self._estimator is not None:
            self._estimator.close()
            self._estimator = None


def summarize(job: SetJob, result: Analysis, seconds: float) -> SetResult:
    """The SetResult of a finished analysis."""
    rep = result.report
    faults = {k: 0 for k in FAULT_TYPES}
    for f in rep.faults:
        faults[f.type] = faults.get(f.type, 0) + 1
    return SetResult(
        job=job,
        status="analysed" if rep.view.judged else "not_judged",
        reps=sum(r.complete for r in rep.reps),
        faults=faults,
        duration_s=float(rep.source.duration_s),
        seconds=seconds,
        reason="" if rep.view.judged else (rep.view.reason or "not judged"),
        report=job.report_path,
        exercise=rep.exercise,
    )


def analyse_into(
    job: SetJob, analyzer: SetAnalyzer, video: Path, staging: Path, cache: Path | None
) -> SetResult:
    """Analyse `video` (job.video or a shipped copy of it) and write every output and the
    stamp into `staging`; InputError and other exceptions propagate."""
    start = time.perf_counter()
    cfg = analyzer.config(job.config_path)
    result = analyze(
        video,
        cfg,
        model=analyzer.model,
        cache_path=cache,
        exercise=job.exercise,
        estimator=analyzer.estimator(cfg),
    )
    if job.title or video != job.video:  # an upload or a shipped copy: the lifter's name
        result.report.source = replace(result.report.source, path=job.title or str(job.video))
    if job.date:  # the manifest's date is the trainer's word on when the set was done
        result.report.recorded, result.report.recorded_source = job.date, "manifest"
    write_outputs(result, video, staging, with_video=job.with_video, progress=False)
    analyzer.sets += 1
    done = summarize(job, result, time.perf_counter() - start)
    write_stamp(
        staging, job, SetKey.of(job, cfg.digest(), analyzer.model, __version__), video, done
    )
    return done


def analyze_set(job: SetJob, analyzer: SetAnalyzer | None = None) -> SetResult:
    """Run one set on this machine's disk: outputs in job.out_dir, complete or not at all.

    Never raises for a bad set: the result is then "failed" with the reason. Without an
    `analyzer` a model is loaded for this one set.
    """
    start = time.perf_counter()
    own = analyzer is None
    worker = analyzer or SetAnalyzer()
    staging: Path | None = None
    try:
        check_video_path(job.video)
        prepare_out_dir(job.out_dir)
        # Named by the worker's pid: a set in progress can be seen (and its worker found).
        staging = staging_dir(job, str(os.getpid()))
        staging.mkdir()
        cache = TRACK.path_for(job.out_dir, job.stem)
        done = analyse_into(job, worker, job.video, staging, cache)
        commit(staging, job.out_dir, job.stem)
        return replace(done, seconds=time.perf_counter() - start)
    except InputError as exc:
        return failed(job, str(exc), time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one set's failure is that set's alone
        return failed(job, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if own:
            worker.close()


def analyze_shipped(
    job: SetJob, data: bytes, rel: str, analyzer: SetAnalyzer
) -> tuple[SetResult, dict[str, bytes]]:
    """Run one set on a machine that can't see the driver's disk: the video comes as bytes,
    the outputs go back as {file name: bytes} (stamp included) for the driver to put in
    place. `rel` is the video's path relative to the set's staging folder on the driver,
    rebuilt here so the review page's link to the source video stays right."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hingecheck-set-") as tmp:
        try:
            ups = Path(rel).parts.count("..")
            staging = Path(tmp).joinpath(*["up"] * ups, "stage")
            staging.mkdir(parents=True)
            video = Path(os.path.normpath(staging / rel))
            video.parent.mkdir(parents=True, exist_ok=True)
            video.write_bytes(data)
            check_video_path(video)
            done = analyse_into(job, analyzer, video, staging, None)
            files = {f.name: f.read_bytes() for f in staging.iterdir()}
            return replace(done, seconds=time.perf_counter() - start), files
        except InputError as exc:
            return failed(job, str(exc), time.perf_counter() - start), {}
        except Exception as exc:  # noqa: BLE001 - one set's failure is that set's alone
            return failed(job, f"{type(exc).__name__}: {exc}", time.perf_counter() - start), {}


def place_shipped(job: SetJob, files: dict[str, bytes]) -> None:
    """Put a shipped set's outputs in job.out_dir (staged, then renamed, stamp last)."""
    prepare_out_dir(job.out_dir)
    staging = staging_dir(job, f"driver{os.getpid()}")
    clean_staging(job)
    staging.mkdir()
    try:
        for name, blob in files.items():
            (staging / Path(name).name).write_bytes(blob)
        commit(staging, job.out_dir, job.stem)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
