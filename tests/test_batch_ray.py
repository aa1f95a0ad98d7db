"""`hingecheck batch --ray` on a real local Ray cluster (`ray start --head` on a free port, in a
short temporary folder; stopped by ending the process this test started)."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from batch_helpers import (
    finish,
    hinge_video,
    kill_worker,
    leftovers,
    rows,
    set_dir,
    start_batch,
    wait_for_staging,
)

ray = pytest.importorskip("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """The head's address; the cluster lives for this module's tests."""
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="hcr", dir="/tmp")  # Ray's socket paths must stay short
    ray_cli = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [
            str(ray_cli), "start", "--head", "--block", "--port", str(port),
            "--node-ip-address", "127.0.0.1", "--temp-dir", temp, "--num-cpus", "2",
            "--object-store-memory", str(100 * 1024 * 1024), "--include-dashboard", "false",
            "--disable-usage-stats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("ray start --head did not come up") from None
                time.sleep(0.5)
        time.sleep(2.0)  # the raylet registers just after the GCS listens
        yield address
    finally:
        head.send_signal(signal.SIGTERM)  # --block: it stops the processes it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_ray_batch_manifest_bad_file_and_a_killed_actor(cluster, tmp_path):
    clips = tmp_path / "clips"
    hinge_video(clips / "s1.mp4")
    hinge_video(clips / "s2.mp4", reps=("clean", "squat"))
    hinge_video(clips / "s3.mp4", reps=("squat",))
    (clips / "s4.mp4").write_text("not a video\n")
    manifest = tmp_path / "sets.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps(row)
            for row in (
                {"path": "clips/s1.mp4", "lifter": "anna", "date": "2026-11-02"},
                {"path": "clips/s2.mp4", "lifter": "anna", "exercise": "deadlift"},
                {"path": "clips/s3.mp4", "lifter": "ben"},
                {"path": "clips/s4.mp4", "lifter": "ben"},
            )
        )
        + "\n"
    )
    out = tmp_path / "out"
    # One actor, so s3 can only run on the one that replaces the actor killed during s2.
    proc = start_batch(
        str(manifest), "-o", str(out), "--ray", cluster, "--workers", "1", "--no-video"
    )
    kill_worker(wait_for_staging(out, "s2", proc))
    code, _, err = finish(proc)
    assert code == 3, err
    by = rows(out)
    assert by["s1"]["status"] == "analysed" and by["s1"]["lifter"] == "anna", by["s1"]
    assert by["s1"]["date"] == "2026-11-02" and by["s1"]["reps"] == "1"
    assert by["s2"]["status"] == "failed" and "worker died" in by["s2"]["reason"], by["s2"]
    assert by["s3"]["status"] == "analysed" and int(by["s3"]["squat_like_knee_bend"]) >= 1
    assert by["s4"]["status"] == "failed" and "not a readable video" in by["s4"]["reason"]
    anna, ben = (set_dir(out, clips / "s1.mp4", who) for who in ("anna", "ben"))
    assert (anna / "s1.json").is_file() and (ben / "s3.json").is_file()
    assert not (anna / "s2.json").exists() and leftovers(out) == []
    assert err.strip().splitlines()[-1].startswith(f"  {clips / 's4.mp4'}: "), err


@pytest.mark.slow
def test_ray_ships_videos_to_nodes_without_the_shared_disk(cluster, tmp_path):
    clips = tmp_path / "clips"
    video = hinge_video(clips / "lift.mp4")
    out = tmp_path / "out"
    args = (str(clips), "-o", str(out), "--ray", cluster, "--workers", "1", "--ship-videos")
    code, _, err = finish(start_batch(*args, "--no-video"))
    assert code == 0, err
    folder = set_dir(out, video)
    report = json.loads((folder / "lift.json").read_text())
    assert report["source"]["path"] == str(video)  # the lifter's file, not the worker's copy
    assert len(report["reps"]) == 1
    page = (folder / "lift.html").read_text()
    assert "../../clips/lift.mp4" in page  # the review page plays the source video
    assert (folder / ".lift.done.json").is_file() and leftovers(out) == []
    # Resumed on the driver's disk: the shipped set is not sent again.
    code, stdout, err = finish(start_batch(*args, "--no-video", "-v"))
    assert code == 0 and "skipped" in stdout, (stdout, err)
