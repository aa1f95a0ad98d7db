"""`hingecheck batch` under faults, through the real command on the local pool: same-named
sets from two runs, staging names that could meet, a commit cut short, a hung worker (SIGSTOP)
and the per-set time limit, a missing manifest row, SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

import pytest
from batch_support import (
    coach_folder,
    finish,
    hinge_video,
    leftovers,
    rows,
    start_batch,
    wait_for_staging,
)

from hingecheck.batch.jobs import SetJob, SetResult
from hingecheck.batch.resume import (
    SetKey,
    clean_staging,
    commit,
    committed,
    staging_dir,
    write_stamp,
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return coach_folder(tmp_path_factory.mktemp("clips"))


def test_same_named_sets_from_two_commands_both_stay(tmp_path):
    """Two separate runs into one OUT with `set0.mp4` from two lifters' folders: both sets are
    kept, and a third run finds each where it left it."""
    for lifter in ("lifter4", "lifter5"):
        hinge_video(
            tmp_path / lifter / "day0" / "set0.mp4",
            reps=("clean",) * (lifter[-1] == "5" and 2 or 1),
        )
    out = tmp_path / "O"
    for lifter in ("lifter4", "lifter5"):
        video = tmp_path / lifter / "day0" / "set0.mp4"
        code, _, err = finish(
            start_batch(str(video), "-o", str(out), "--no-video", "--workers", "1")
        )
        assert code == 0, err
    reports = sorted(out.glob("*/set0.json"))
    assert len(reports) == 2, reports
    sources = {json.loads(r.read_text())["source"]["path"]: r for r in reports}
    assert set(sources) == {str(tmp_path / f"lifter{n}" / "day0" / "set0.mp4") for n in (4, 5)}
    reps = {p: len(json.loads(r.read_text())["reps"]) for p, r in sources.items()}
    assert sorted(reps.values()) == [1, 2]
    video = tmp_path / "lifter4" / "day0" / "set0.mp4"
    code, stdout, err = finish(start_batch(str(video), "-o", str(out), "--no-video", "-v"))
    assert code == 0 and "skipped" in stdout, (stdout, err)


def test_staging_of_two_sets_never_meet(tmp_path):
    """`x/y.z.mp4` and `x.y/z.mp4`: one set's clean-up leaves the other's staging alone."""
    one = SetJob(tmp_path / "in" / "x" / "y.z.mp4", tmp_path / "out" / "x")
    two = SetJob(tmp_path / "in" / "x.y" / "z.mp4", tmp_path / "out" / "x.y")
    assert staging_dir(one, "1") != staging_dir(two, "1")
    staging_dir(two, "7").mkdir(parents=True)
    clean_staging(one)
    assert staging_dir(two, "7").is_dir()
    clean_staging(two)
    assert not staging_dir(two, "7").exists()


def test_a_commit_cut_short_leaves_the_set_unfinished(tmp_path):
    """The old stamp goes before any new output: outputs half new, half old are never taken
    for a finished set."""
    video = tmp_path / "v.mp4"
    video.write_bytes(b"a set")
    job = SetJob(video, tmp_path / "out" / "anna", with_video=False)
    key = SetKey("cfg", "model", "1", "", False)

    def stage(tag: str, reps: int) -> Path:
        staging = staging_dir(job, tag)
        staging.mkdir(parents=True)
        for suffix in ("json", "srt"):
            (staging / f"v.{suffix}").write_text(f"{tag}\n")
        write_stamp(staging, job, key, video, SetResult(job, "analysed", reps=reps))
        return staging

    commit(stage("old", 1), job.out_dir, job.stem)
    assert committed(job, key) is not None and committed(job, key).reps == 1
    (job.out_dir / "v.srt").unlink()
    (job.out_dir / "v.srt").mkdir()  # the second file can't go in place
    (job.out_dir / "v.srt" / "blocker").write_text("x")
    with pytest.raises(OSError):
        commit(stage("new", 2), job.out_dir, job.stem)
    assert (job.out_dir / "v.json").read_text() == "new\n"  # the report is the new one...
    assert committed(job, key) is None  # ...so the set is not finished


@pytest.mark.slow
def test_a_hung_set_times_out_and_a_missing_row_fails_alone(clips, tmp_path):
    """A worker stopped by SIGSTOP (a decoder that hangs) is ended after --timeout and
    replaced; with --skip-missing a row naming no file fails alone and leaves no folder."""
    manifest = tmp_path / "sets.csv"
    manifest.write_text(
        "path,lifter\n"
        f"{clips / 'anna' / 'a1.mp4'},anna\n"
        f"{clips / 'anna' / 'a2.mp4'},anna\n"
        f"{clips / 'ben' / 'b1.mp4'},ben\n"
        f"{tmp_path / 'gone.mp4'},carl\n"
    )
    out = tmp_path / "out"
    args = (str(manifest), "-o", str(out), "--no-video", "--workers", "1", "--timeout", "20")
    code, _, err = finish(start_batch(*args[:3]))  # without --skip-missing: refused
    assert code == 2 and "sets.csv line 5: no such file" in err, err
    assert "(--skip-missing runs the other sets)" in err, err
    proc = start_batch(*args, "--skip-missing")
    pid = wait_for_staging(out, "a2", proc)
    os.kill(pid, signal.SIGSTOP)
    try:
        code, _, err = finish(proc)
    finally:
        with contextlib.suppress(OSError):  # ended by the pool already, as it should be
            os.kill(pid, signal.SIGCONT)
    assert code == 3, err
    by = rows(out)
    assert by["a1"]["status"] == "analysed" and by["b1"]["status"] == "analysed", by
    assert by["a2"]["status"] == "failed", by["a2"]
    assert "stopped after 20 s, the time limit per set" in by["a2"]["reason"], by["a2"]
    assert by["gone"]["status"] == "failed" and "no such file" in by["gone"]["reason"]
    assert not (out / "carl").exists() and leftovers(out) == []


@pytest.mark.slow
def test_sigterm_stops_like_ctrl_c_and_says_so(clips, tmp_path):
    """`timeout`, Slurm, Kubernetes and systemd stop with SIGTERM to the driver."""
    out = tmp_path / "out"
    proc = start_batch(str(clips / "anna"), "-o", str(out), "--no-video", "--workers", "1")
    wait_for_staging(out, "a2", proc)  # a1 is done, a2 under way
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc)
    assert code == 143, err
    assert "1 of 2 sets finished; run the same command again" in err and "Traceback" not in err
    doc = json.loads((out / "batch.json").read_text())
    assert doc["complete"] is False and [Path(r["path"]).stem for r in doc["sets"]] == ["a1"]
    assert leftovers(out) == []
