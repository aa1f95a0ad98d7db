"""`hingecheck batch` on the local process pool, through the real command: a bad file and a
worker killed mid-set fail only their own sets, the killed worker is replaced, Ctrl-C leaves
nothing half-written and a re-run resumes. Inputs are checked before any work (exit 2)."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from batch_support import (
    coach_folder,
    finish,
    kill_worker,
    leftovers,
    rows,
    set_dir,
    start_batch,
    wait_for_staging,
)

from hingecheck.batch import open_engine, run
from hingecheck.batch.jobs import SetJob, SetResult
from hingecheck.batch.manifest import check_inputs, iter_jobs
from hingecheck.batch.ray_cluster import exposure_warning
from hingecheck.batch.resume import (
    SetKey,
    finished,
)
from hingecheck.cli import main
from hingecheck.pose.bundle import default_model_path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return coach_folder(tmp_path_factory.mktemp("clips"))


@pytest.mark.slow
def test_pool_batch_bad_file_and_a_worker_killed_mid_set(clips, tmp_path):
    out = tmp_path / "out"
    # One worker: sets run in order a1, a2 (killed), b1, b2 (bad): b1 needs the replacement.
    proc = start_batch(str(clips), "-o", str(out), "--workers", "1", "--no-video", "-v")
    kill_worker(wait_for_staging(out, "a2", proc))
    code, stdout, err = finish(proc)
    assert code == 3, err
    by = rows(out)
    assert by["a1"]["status"] == "analysed" and int(by["a1"]["reps"]) == 1
    assert by["a2"]["status"] == "failed" and "worker died" in by["a2"]["reason"], by["a2"]
    assert "SIGKILL" in by["a2"]["reason"]
    assert by["b1"]["status"] == "analysed", by["b1"]  # run by the worker that replaced it
    assert int(by["b1"]["squat_like_knee_bend"]) >= 1
    assert by["b2"]["status"] == "failed" and "not a readable video" in by["b2"]["reason"]
    # The failures are listed at the end, one line each, no traceback.
    assert "2 sets failed" in err and "Traceback" not in err and "Warning" not in err, err
    assert err.strip().splitlines()[-2:] == [
        f"  {clips / 'anna' / 'a2.mp4'}: {by['a2']['reason']}",
        f"  {clips / 'ben' / 'b2.mp4'}: {by['b2']['reason']}",
    ]
    # Outputs per folder; the killed set left nothing behind; the index lists the two sets.
    anna = set_dir(out, clips / "anna" / "a1.mp4")
    assert sorted(p.name for p in anna.iterdir() if not p.name.startswith(".")) == [
        "a1.csv",
        "a1.html",
        "a1.json",
        "a1.srt",
        "a1.track.npz",
    ]
    assert (set_dir(out, clips / "ben" / "b1.mp4") / "b1.json").is_file() and leftovers(out) == []
    index = (out / "index.html").read_text()
    assert "a1.html" in index and "b1.html" in index and "a2.html" not in index
    doc = json.loads((out / "batch.json").read_text())
    assert doc["counts"] == {"analysed": 2, "not_judged": 0, "failed": 2, "skipped": 0}
    assert doc["complete"] is True
    assert "analysed    " in stdout and "failed      " in stdout  # -v: each set as it ends


@pytest.mark.slow
def test_ctrl_c_leaves_nothing_half_written_and_a_rerun_resumes(clips, tmp_path):
    out = tmp_path / "out"
    args = (str(clips / "anna"), str(clips / "ben" / "b1.mp4"), "-o", str(out), "--no-video")
    proc = start_batch(*args, "--workers", "1")
    wait_for_staging(out, "a2", proc)  # a1 is done, a2 under way
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole process group
    code, _, err = finish(proc)
    assert code == 130, err
    assert "1 of 3 sets finished; run the same command again" in err
    assert leftovers(out) == []
    anna = set_dir(out, clips / "anna" / "a1.mp4")
    assert (anna / "a1.json").is_file() and not (anna / "a2.json").exists()
    assert json.loads((out / "batch.json").read_text())["complete"] is False

    code, _, err = finish(start_batch(*args, "-v"))
    assert code == 0, err
    by = rows(out)
    assert by["a1"]["status"] == "skipped" and by["a1"]["reps"] == "1"
    assert by["a2"]["status"] == "analysed" and by["b1"]["status"] == "analysed"

    # What the resume compares: the same set is done; other thresholds, another exercise,
    # another hingecheck version or other video content are not.
    report = json.loads((anna / "a1.json").read_text())
    job = next(j for j in iter_jobs([clips / "anna"], out, with_video=False) if j.stem == "a1")

    def key(j: SetJob) -> SetKey:
        return SetKey.of(j, report["config_hash"], default_model_path(), report["version"])

    assert finished(job, key(job)) is not None
    assert finished(job, replace(key(job), config="another")) is None
    assert finished(job, replace(key(job), version="0.0.1")) is None
    other = replace(job, exercise="deadlift")
    assert finished(other, key(other)) is None
    copy = tmp_path / "a1.mp4"
    copy.write_bytes((clips / "ben" / "b1.mp4").read_bytes())  # same name, other content
    other = replace(job, video=copy)
    assert finished(other, key(other)) is None
    with_video = replace(job, with_video=True)  # no annotated video was written
    assert finished(with_video, key(with_video)) is None


@pytest.mark.slow
def test_a_set_committed_before_the_stop_counts_as_finished(clips, tmp_path):
    """The race a Ctrl-C can land in: the worker has put a1's outputs in place, but its result
    has not reached the driver yet. a1 is finished (its stamp says so) and is reported."""
    out = tmp_path / "out"
    a1, a2 = sorted(iter_jobs([clips / "anna"], out, with_video=False), key=lambda j: j.stem)
    seen: list[SetResult] = []

    def jobs():
        yield a1
        deadline = time.monotonic() + 240
        while not (a1.out_dir / ".a1.done.json").is_file():  # committed by the worker
            assert time.monotonic() < deadline, "a1 never finished"
            time.sleep(0.01)
        raise KeyboardInterrupt  # before the driver asked for a1's result

    with pytest.raises(KeyboardInterrupt), open_engine(workers=1) as engine:
        run(jobs(), engine, on_result=seen.append)
    assert [(r.job.stem, r.status, r.reps) for r in seen] == [("a1", "analysed", 1)]
    assert leftovers(out) == [] and a2.report_path.exists() is False


def test_folder_inputs_skip_the_output_folder_and_name_collisions(tmp_path):
    clips = tmp_path / "clips"
    for sub in ("x", "y"):
        (clips / sub).mkdir(parents=True)
        (clips / sub / "set.mp4").write_bytes(b"")
    (clips / "x" / "set.mov").write_bytes(b"")  # same stem, same folder: another set
    (clips / "x" / "set.annotated.mp4").write_bytes(b"")  # an earlier analyze's output
    out = clips / "out"
    (out / "x").mkdir(parents=True)
    (out / "x" / "old.mp4").write_bytes(b"")  # inside OUT: never an input
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,lifter\nclips/x/set.mp4,Anna K.\nclips/y/set.mp4,Anna K.\n")
    jobs = list(iter_jobs([clips, manifest, clips / "x" / "set.mp4"], out))
    got = [(j.video.relative_to(tmp_path).as_posix(), j.out_dir.relative_to(out)) for j in jobs]
    assert [v for v, _ in got] == [
        "clips/x/set.mov",
        "clips/x/set.mp4",
        "clips/y/set.mp4",
        "clips/x/set.mp4",
        "clips/y/set.mp4",
    ]  # and the file named a third time runs once
    folders = [d.as_posix() for _, d in got]
    assert len(set(folders)) == 5, folders  # no two sets share a folder
    assert all(d.startswith(("x-", "y-", "Anna K/x-", "Anna K/y-")) for d in folders), folders
    # A set's folder depends on the set alone: the same whatever else the run names.
    alone = [j.out_dir for j in iter_jobs([clips / "y" / "set.mp4"], out)]
    assert alone == [jobs[2].out_dir]
    assert all(j.video.is_absolute() and j.out_dir.is_absolute() for j in jobs)
    assert check_inputs([clips, manifest], out) == 5


# ---- refused before any work: exit 2, one line ----------------------------------------------


def _refused(capsys, *argv: str) -> str:
    try:
        code = main(["batch", *argv])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def one_video(tmp_path) -> Path:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 10)  # never decoded: every case here stops before
    return video


@pytest.mark.parametrize(
    ("manifest", "text", "needle"),
    [
        ("m.csv", "video,lifter\nv.mp4,anna\n", "needs a header with a path column"),
        ("m.csv", "path,lifter\nv.mp4,anna\nmissing.mp4,ben\n", "m.csv line 3: no such file"),
        ("m.csv", "path,weight\nv.mp4,100\n", "unknown column 'weight'"),
        ("m.csv", "path,exercise\nv.mp4,squat\n", "line 2: unknown exercise 'squat'"),
        ("m.csv", "path,date\nv.mp4,yesterday\n", "date 'yesterday' is not YYYY-MM-DD"),
        ("m.csv", "path\nv.mp4,extra\n", "line 2: more fields than the header names"),
        ("m.jsonl", '{"path": "v.mp4"}\n{"path": "v.mp4"\n', "m.jsonl line 2: not JSON"),
        ("m.jsonl", '["v.mp4"]\n', "line 1: expected an object with a path"),
        ("m.jsonl", '{"lifter": "anna"}\n', "line 1: no path"),
        ("m.jsonl", '{"path": "notes.txt"}\n', "not a supported video type"),
        ("m.csv", "\udcff", "not a text manifest"),
    ],
)
def test_malformed_manifest(capsys, tmp_path, one_video, manifest, text, needle):
    path = tmp_path / manifest
    if text == "\udcff":
        path.write_bytes(b"path\n\xff\xfe\x00bad")
    else:
        path.write_text(text)
    (tmp_path / "notes.txt").write_text("x")
    err = _refused(capsys, str(path), "-o", str(tmp_path / "out"))
    assert needle in err, err
    assert not (tmp_path / "out" / "batch.csv").exists()


def test_bad_arguments(capsys, tmp_path, one_video):
    out = str(tmp_path / "out")
    assert "no such file or folder" in _refused(capsys, str(tmp_path / "nope"), "-o", out)
    (tmp_path / "empty").mkdir()
    assert "no videos in" in _refused(capsys, str(tmp_path / "empty"), "-o", out)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert "cannot write to" in _refused(capsys, str(one_video), "-o", str(blocker / "out"))
    assert "--ship-videos needs --ray" in _refused(
        capsys, str(one_video), "-o", out, "--ship-videos"
    )
    assert "must be a whole number" in _refused(capsys, str(one_video), "-o", out, "--workers", "0")
    bad = tmp_path / "bad.toml"
    bad.write_text("[reps]\nmin_rep_s = 'long'\n")
    assert "reps.min_rep_s" in _refused(capsys, str(one_video), "-o", out, "--config", str(bad))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "pose model not found"),
        (b"this is a text file\n" * 20, "not a PoseLandmarker .task bundle (not a zip bundle)"),
        ("zip-without", "no pose_detector.tflite in it"),
    ],
)
def test_wrong_model(capsys, tmp_path, one_video, content, needle):
    import zipfile

    model = tmp_path / "pose.task"
    if content == "zip-without":
        with zipfile.ZipFile(model, "w") as z:
            z.writestr("something_else.tflite", b"x")
    elif content is not None:
        model.write_bytes(content)
    for command in (
        ["batch", str(one_video), "-o", str(tmp_path / "o")],
        ["analyze", str(one_video)],
    ):
        code = main([*command, "--model", str(model)])
        err = capsys.readouterr().err
        assert code == 2 and needle in err and err.count("\n") == 1, (command, err)


def test_unreachable_ray_address(capsys, tmp_path, one_video):
    pytest.importorskip("ray")
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = _refused(capsys, str(one_video), "-o", str(tmp_path / "o"), "--ray", f"127.0.0.1:{port}")
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in err, err
    assert "expected auto or HOST:PORT" in _refused(
        capsys, str(one_video), "-o", str(tmp_path / "o"), "--ray", "nowhere"
    )


def test_the_ray_exposure_warning():
    """Ray's servers listen on every interface: warned unless the machine is loopback only or
    Ray's token authentication is on."""
    warning = exposure_warning("192.0.2.2", token_auth=False)
    assert warning is not None and "192.0.2.2 with authentication off" in warning
    assert "RAY_AUTH_MODE=token" in warning and "firewall" in warning
    assert exposure_warning("192.0.2.2", token_auth=True) is None
    assert exposure_warning("127.0.0.1", token_auth=False) is None
    assert exposure_warning("::1", token_auth=False) is None


def test_setjob_contract():
    job = SetJob(Path("v.mp4"), Path("out/anna"))
    assert (job.exercise, job.with_video, job.config_path) == (None, True, None)
    assert job.report_path == Path("out/anna/v.json")
