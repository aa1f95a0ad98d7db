"""`hingecheck batch --ray` on a real two-node Ray cluster on this machine (`ray start --head`
and `ray start --address`, on free ports, in a short temporary folder; stopped by ending the
processes this module started)."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import time

import pytest
from batch_support import (
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
pytest.importorskip("psutil")
from ray_cluster import Cluster  # noqa: E402 - after the skip: it needs psutil


@pytest.fixture(scope="module")
def cluster():
    """The two-node cluster, for this module's tests."""
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()


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
        str(manifest), "-o", str(out), "--ray", cluster.address, "--workers", "1", "--no-video"
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
    args = (str(clips), "-o", str(out), "--ray", cluster.address, "--workers", "1", "--ship-videos")
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


@pytest.mark.slow
def test_relative_paths_mean_the_drivers_folder(cluster, tmp_path):
    """Relative inputs and -o are the driver's: the outputs land there (not in an actor's
    working folder), the video is read from the shared disk (not shipped: the landmark cache
    is written beside the outputs), and a re-run skips the set."""
    hinge_video(tmp_path / "clips" / "a.mp4")
    args = ("clips/a.mp4", "-o", "relout", "--ray", cluster.address, "--workers", "1")
    code, _, err = finish(start_batch(*args, "--no-video", cwd=tmp_path))
    assert code == 0, err
    folder = set_dir(tmp_path / "relout", tmp_path / "clips" / "a.mp4")
    assert (folder / "a.json").is_file() and (folder / "a.track.npz").is_file()
    assert rows(tmp_path / "relout")["a"]["report"] == str(folder / "a.json")
    # Ray's servers listen on every interface: warned whenever this machine has another.
    exposed = not ipaddress.ip_address(ray.util.get_node_ip_address()).is_loopback
    assert ("with authentication off" in err) == exposed, err
    code, stdout, err = finish(start_batch(*args, "--no-video", "-v", cwd=tmp_path))
    assert code == 0 and "skipped" in stdout, (stdout, err)


@pytest.mark.slow
def test_ctrl_c_under_ray_starts_no_local_ray_and_says_incomplete(cluster, tmp_path):
    hinge_video(tmp_path / "clips" / "a.mp4")
    out = tmp_path / "out"
    proc = start_batch(
        str(tmp_path / "clips"), "-o", str(out), "--ray", cluster.address, "--workers", "1"
    )
    wait_for_staging(out, "a", proc)  # the only set under way, none finished
    os.killpg(proc.pid, signal.SIGINT)
    code, _, err = finish(proc, timeout=120)
    assert code == 130, err
    assert "local Ray instance" not in err and "Traceback" not in err, err
    doc = json.loads((out / "batch.json").read_text())
    assert doc["complete"] is False and doc["sets"] == []
    assert leftovers(out) == []
    assert [d for d in out.rglob("*") if d.is_dir() and not any(d.iterdir())] == []


@pytest.mark.slow
def test_losing_a_node_keeps_the_batch_going_and_the_pool_grows_back(cluster, tmp_path):
    """Two actors, one per node. The worker node is lost mid-batch: its set fails with the
    reason, the head's actor goes on at once (no wait for a replacement that has no room),
    and when the node is back a new actor joins. Prints sets/min before and after the loss."""
    first = hinge_video(tmp_path / "clips" / "s00.mp4")
    n = 30
    for k in range(1, n):
        shutil.copyfile(first, tmp_path / "clips" / f"s{k:02d}.mp4")
    out = tmp_path / "out"
    log = tmp_path / "stderr.txt"

    def done() -> list[float]:
        return sorted(p.stat().st_mtime for p in out.rglob(".s*.done.json"))

    with open(log, "w") as err_file:
        proc = start_batch(
            str(tmp_path / "clips"), "-o", str(out), "--ray", cluster.address,
            "--workers", "2", "--no-video", stderr=err_file,
        )  # fmt: skip
        deadline = time.monotonic() + 240
        while len(done()) < 4:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        cluster.lose_worker_node()
        lost, before = time.time(), len(done())
        # The batch goes on without the lost node (the old engine stood still for 180 s).
        deadline = time.monotonic() + 120
        while len(done()) < before + 4:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no progress after the loss: {log.read_text()}"
            time.sleep(0.2)
        cluster.start_worker_node()
        back = time.time()
        code, stdout, _ = finish(proc)
    err = log.read_text()
    assert code == 3, err  # the set on the lost node failed
    by = rows(out)
    lost_sets = [r for r in by.values() if r["status"] == "failed"]
    assert len(lost_sets) == 1, lost_sets
    assert "its node was lost or cut off" in lost_sets[0]["reason"], (lost_sets[0], err)
    assert sum(r["status"] == "analysed" for r in by.values()) == n - 1
    assert "a Ray worker was lost (its node was lost or cut off); 1 of 2 workers go on" in err, err
    assert "a Ray worker is back: 2 of 2 workers" in err, err
    assert "\x1b[" not in err and "Traceback" not in err, err  # no Ray log lines leak
    assert leftovers(out) == []
    times = done()
    pre = [t for t in times if t <= lost]
    post = [t for t in times if lost < t <= back]
    print(
        f"\nsets/min with two nodes: {60.0 * (len(pre) - 1) / (pre[-1] - pre[0]):.1f} "
        f"({len(pre)} sets); with one after the loss: {60.0 * len(post) / (back - lost):.1f} "
        f"({len(post)} sets in the {back - lost:.0f} s until the node was back)"
    )


@pytest.mark.slow
def test_a_hung_actor_times_out_and_is_replaced(cluster, tmp_path):
    """An actor stopped by SIGSTOP (a decoder that hangs) fails its set after --timeout; a
    new actor takes its place and runs the next set."""
    hinge_video(tmp_path / "clips" / "h1.mp4")
    hinge_video(tmp_path / "clips" / "h2.mp4", reps=("squat",))
    out = tmp_path / "out"
    proc = start_batch(
        str(tmp_path / "clips"), "-o", str(out), "--ray", cluster.address,
        "--workers", "1", "--no-video", "--timeout", "20",
    )  # fmt: skip
    pid = wait_for_staging(out, "h1", proc)
    os.kill(pid, signal.SIGSTOP)
    try:
        code, _, err = finish(proc)
    finally:
        with contextlib.suppress(OSError):  # ended by Ray already, as it should be
            os.kill(pid, signal.SIGCONT)
    assert code == 3, err
    by = rows(out)
    assert by["h1"]["status"] == "failed", by["h1"]
    assert "stopped after 20 s, the time limit per set" in by["h1"]["reason"], by["h1"]
    assert by["h2"]["status"] == "analysed" and int(by["h2"]["squat_like_knee_bend"]) >= 1
    assert "h1.mp4 ran past the time limit" in err and leftovers(out) == [], err
