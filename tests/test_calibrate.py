"""`hingecheck calibrate`: a synthetic trainer with a known standard (labels made by the rule
itself at a stricter or looser threshold than the default) is recovered within the noise floor
and the out-of-sample agreement rises; a coach the rule cannot follow moves nothing; bad input
is refused with one line and nothing written."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
from synth_support import track_from_motion

from hingecheck.cli import main
from hingecheck.config import load_config
from hingecheck.faults import fault_kind
from hingecheck.judge.calibrate import LabelledSet, agreement, calibrate, fit_fault, source_of
from hingecheck.judge.rules import judge
from hingecheck.pipeline import Reading, read_track
from hingecheck.records import Track
from hingecheck.synth import RepSpec, hinge_motion

CFG = load_config()
ROUND = "lumbar_rounding"
SD = fault_kind(ROUND).repeat_sd


def _rounding_track(factors: list[float], seed: int) -> tuple[Track, list[list[float]]]:
    """A three-rep side-view set whose reps bow `factors` times a mild rounding (a reading of
    about 0.024 of trunk length at 1), and the reps' windows as a trainer marks them."""
    motion = hinge_motion([RepSpec(kind="rounded", severity=0.0)] * len(factors), 30.0)
    scale = np.ones_like(motion.lumbar_bow)
    for rep, f in zip(motion.reps, factors, strict=True):
        scale[(motion.t >= rep["start_s"]) & (motion.t <= rep["end_s"])] = f
    motion.lumbar_bow = motion.lumbar_bow * scale
    windows = [[round(r["start_s"], 2), round(r["end_s"], 2)] for r in motion.reps]
    return track_from_motion(motion, noise_px=0.5, seed=seed), windows


def _standard(fault: str, shift: float):
    """The rules of a coach whose line sits `shift` from the default on the fault's keys."""
    section = getattr(CFG.rules, fault)
    moved = {k: getattr(section, k) + shift for k in fault_kind(fault).tuned}
    return dataclasses.replace(CFG.rules, **{fault: dataclasses.replace(section, **moved)})


def _label(file: str, reading: Reading, windows, fault: str, shift: float) -> dict:
    """What that coach says of the set: present or absent, and which reps (fault_reps)."""
    events = judge(reading.signals, reading.reps, reading.view, _standard(fault, shift))
    peaks = [e.peak_s for e in events if e.type == fault]
    listed = sorted(
        {i + 1 for t in peaks for i, (a, b) in enumerate(windows) if a - 0.3 <= t <= b + 0.3}
    )
    label = {"file": file, "faults": {fault: "present" if peaks else "absent"}}
    if windows:
        label["rep_windows"] = windows
        label["fault_reps"] = {fault: listed} if peaks else {}
    return label


def _synthetic_sets(shift: float, sources: int = 6, per_source: int = 4):
    """Sets from several lifters (sources), backs from flat to clearly rounded, each labelled
    by a coach at `shift` from the default; with their tracks."""
    rng = np.random.default_rng(7)
    sets, tracks = [], {}
    for s in range(sources):
        for k in range(per_source):
            base = rng.uniform(0.2, 1.7)
            factors = list(np.clip(base + rng.uniform(-0.15, 0.15, 3), 0.05, None))
            track, windows = _rounding_track(factors, seed=10 * s + k)
            file = f"lifter{s}__set{k}.mp4"
            reading = read_track(track, CFG)
            label = _label(file, reading, windows, ROUND, shift)
            sets.append(LabelledSet(file, source_of(file), label, reading))
            tracks[file] = track
    return sets, tracks


@pytest.fixture(scope="module", params=[-2.0, 2.0], ids=["stricter", "looser"])
def trainer(request):
    shift = request.param * SD
    sets, tracks = _synthetic_sets(shift)
    return shift, sets, tracks


@pytest.fixture(scope="module")
def fitted(trainer):
    return fit_fault(ROUND, trainer[1], CFG)


def test_a_synthetic_trainers_standard_is_recovered(trainer, fitted):
    shift, fit = trainer[0], fitted
    start = CFG.rules.lumbar_rounding.threshold
    assert fit.sets_present >= 3 and fit.sets_absent >= 3, fit
    assert fit.rep_units > 0  # scored per rep: the labels list the reps
    assert fit.tuned, fit.reason
    # Recovered within the noise floor: the reading's rep-to-rep spread.
    assert abs(fit.fitted["threshold"] - (start + shift)) <= SD, fit.fitted
    # The release keeps its distance from the threshold.
    gap = CFG.rules.lumbar_rounding.threshold - CFG.rules.lumbar_rounding.release
    assert fit.fitted["threshold"] - fit.fitted["release"] == pytest.approx(gap)
    # Out of sample, agreement rises past the noise floor.
    assert fit.after is not None and fit.before is not None and fit.noise is not None
    assert fit.after > fit.before + fit.noise, (fit.before, fit.after, fit.noise)


def test_a_standard_far_from_the_start_is_reached(trainer):
    """Calibrating from a config 13 spreads off the coach's line (the search first reaches 10)
    still finds the line."""
    shift, sets, _ = trainer
    far = _standard(ROUND, shift + 13 * SD)
    config = dataclasses.replace(CFG, rules=far)
    fit = fit_fault(ROUND, sets, config)
    assert fit.tuned, fit.reason
    assert abs(fit.fitted["threshold"] - (CFG.rules.lumbar_rounding.threshold + shift)) <= SD


def test_a_trainer_at_the_default_moves_nothing():
    sets, _ = _synthetic_sets(0.0, sources=4, per_source=3)
    fit = fit_fault(ROUND, sets, CFG)
    assert not fit.tuned
    assert fit.before == pytest.approx(1.0)


def test_too_few_verdicts_leave_a_threshold_alone():
    sets, _ = _synthetic_sets(-2.0 * SD, sources=2, per_source=2)
    fit = fit_fault(ROUND, sets, CFG)
    assert not fit.tuned and "needs 3 of each" in fit.reason


def test_agreement_is_balanced():
    called = np.array([[1], [0], [0], [0], [0]], dtype=bool)
    positive = np.array([1, 1, 0, 0, 0], dtype=bool)
    # Half the faulty units caught, every clean one left alone.
    assert agreement(called, positive, np.ones(5))[0] == pytest.approx(0.75)


def _write_folder(tmp: Path, sets, tracks) -> tuple[Path, Path]:
    clips, cache = tmp / "clips", tmp / "tracks"
    clips.mkdir()
    cache.mkdir()
    (clips / "labels.json").write_text(json.dumps([s.label for s in sets]))
    for file, track in tracks.items():
        track.save(cache / f"{Path(file).stem}.track.npz", "synthetic")
    return clips, cache


@pytest.mark.parametrize("trainer", [-2.0], ids=["stricter"], indirect=True)
def test_the_command_writes_a_loadable_overlay_that_agrees_better(trainer, tmp_path, capsys):
    shift, sets, tracks = trainer
    clips, cache = _write_folder(tmp_path, sets, tracks)
    out = tmp_path / "tuned.toml"
    code = main(["calibrate", str(clips), "--tracks", str(cache), "-o", str(out), "--per-source"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "lumbar_rounding" in printed and "left-one-source-out" not in printed
    # Per source: each lifter's agreement before and out of sample.
    assert all(f"lifter{i}" in printed for i in range(6))
    text = out.read_text()
    assert "fitted on 24 sets from 6 sources" in text and "left-one-source-out" in text
    assert "# left alone" in text  # the faults nobody labelled say why
    tuned = load_config(out)  # loadable with --config
    assert (
        abs(tuned.rules.lumbar_rounding.threshold - (CFG.rules.lumbar_rounding.threshold + shift))
        <= SD
    )
    # Every value written carries a comment saying how it was chosen.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("# "), line
    # Judged with the overlay, the sets agree with the coach better than with the defaults.
    again = calibrate(sets, tuned, [ROUND])[0]
    assert again.before is not None and again.before > calibrate(sets, CFG, [ROUND])[0].before


def _bad(tmp_path: Path, capsys, labels, extra=(), tracks=None) -> str:
    clips = tmp_path / "clips"
    clips.mkdir(exist_ok=True)
    (clips / "labels.json").write_text(json.dumps(labels))
    out = tmp_path / "tuned.toml"
    args = ["calibrate", str(clips), "--tracks", str(tracks or tmp_path / "none"), "-o", str(out)]
    code = main([*args, *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not out.exists() and not list(tmp_path.glob("tuned.toml*"))
    return err


def test_labels_naming_missing_clips_are_refused(tmp_path, capsys):
    labels = [{"file": "nobody__set1.mp4", "faults": {ROUND: "present"}}]
    err = _bad(tmp_path, capsys, labels)
    assert "neither a video" in err and "nobody__set1.mp4" in err


def test_a_damaged_track_without_its_video_is_refused(tmp_path, capsys):
    cache = tmp_path / "tracks"
    cache.mkdir()
    (cache / "a__b.track.npz").write_bytes(b"not a zip")
    labels = [{"file": "a__b.mp4", "faults": {ROUND: "present"}}]
    err = _bad(tmp_path, capsys, labels, tracks=cache)
    assert "a__b.mp4" in err


def test_labels_with_no_positive_are_refused(tmp_path, capsys):
    labels = [{"file": "a__b.mp4", "faults": {ROUND: "absent"}}]
    err = _bad(tmp_path, capsys, labels)
    assert "no set is labelled present" in err


def test_unknown_fault_and_unwritable_output_are_refused(tmp_path, capsys):
    labels = [{"file": "a__b.mp4", "faults": {ROUND: "present"}}]
    assert "unknown fault 'elbow'" in _bad(tmp_path, capsys, labels, ["--faults", "elbow"])
    clips = tmp_path / "clips"
    code = main(["calibrate", str(clips), "-o", str(tmp_path / "no" / "such" / "t.toml")])
    assert code == 2 and "not a writable folder" in capsys.readouterr().err


CLIPS = os.environ.get("HINGECHECK_CLIPS")
CACHE = os.environ.get("HINGECHECK_CLIP_CACHE")


@pytest.fixture(scope="module")
def real_tracks() -> Path:
    """The real clips' tracks in $HINGECHECK_CLIP_CACHE, made where missing as the clip tests
    make them (which then find them there): a fresh checkout has none yet."""
    from hingecheck.pipeline import evaluate_folder

    clips, cache = Path(CLIPS or "."), Path(CACHE or ".")
    evaluate_folder(clips, clips / "labels.json", cache, None)
    return cache


@pytest.mark.clips
@pytest.mark.skipif(not (CLIPS and CACHE), reason="HINGECHECK_CLIPS/HINGECHECK_CLIP_CACHE unset")
@pytest.mark.parametrize("sds", [-2.0, 2.0], ids=["stricter", "looser"])
def test_a_trainers_standard_is_recovered_on_real_tracks(sds, real_tracks):
    """The same on the real clips' tracks: labels from the rule at a stricter or looser
    rounding line than the default."""
    labels = json.loads((Path(CLIPS or ".") / "labels.json").read_text())
    sets = []
    for lab in labels:
        track = Track.load(real_tracks / f"{Path(lab['file']).stem}.track.npz")
        if track is None:
            continue
        reading = read_track(track, CFG)
        label = _label(lab["file"], reading, lab.get("rep_windows") or [], ROUND, sds * SD)
        sets.append(LabelledSet(lab["file"], source_of(lab["file"]), label, reading))
    fit = fit_fault(ROUND, sets, CFG)
    if fit.sets_present < 3 or fit.sets_absent < 3:
        pytest.skip(f"too few cached tracks ({len(sets)}) to hold 3 sets of each verdict")
    assert fit.tuned, fit.reason
    assert abs(fit.fitted["threshold"] - (CFG.rules.lumbar_rounding.threshold + sds * SD)) <= SD
    assert fit.after is not None and fit.before is not None and fit.noise is not None
    assert fit.after > fit.before + fit.noise


def test_measured_noise_from_copies_raises_the_floor(trainer, fitted):
    """--noise: copies of the sets (here: re-made with more landmark noise and the backs read
    off by a little, as a re-encode or a mirror reads them) whose calls change set the floor
    when they change more than the readings' jitter says."""
    _, sets, tracks = trainer
    copies = {}
    for s in sets:
        track = dataclasses.replace(tracks[s.file])
        track.back_profile = 0.2 + (track.back_profile - 0.2) * np.float32(1.25)
        copies[s.file] = read_track(track, CFG)
    plain = fitted
    measured = fit_fault(ROUND, sets, CFG, [copies])
    assert measured.noise is not None and plain.noise is not None
    assert measured.noise > plain.noise and "copies" in measured.noise_from


@pytest.mark.parametrize("trainer", [-2.0], ids=["stricter"], indirect=True)
def test_calibrating_from_a_config_carries_its_values(trainer, tmp_path, capsys):
    _, sets, tracks = trainer
    clips, cache = _write_folder(tmp_path, sets, tracks)
    base = tmp_path / "base.toml"
    base.write_text('[pose]\nfollow = "detect"\n\n[rules.missing_lockout]\nhip_short_deg = 25.0\n')
    out = tmp_path / "tuned.toml"
    args = ["calibrate", str(clips), "--tracks", str(cache), "-o", str(out), "--config", str(base)]
    assert main([*args, "--faults", ROUND]) == 0, capsys.readouterr().err
    text = out.read_text()
    assert f"# from {base}" in text
    tuned = load_config(out)
    assert tuned.rules.missing_lockout.hip_short_deg == 25.0
    assert tuned.rules.lumbar_rounding.threshold != CFG.rules.lumbar_rounding.threshold
