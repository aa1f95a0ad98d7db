"""What a lifter sees for every kind of wrong or awkward input, through the real command.

Bad input (missing, unreadable, not a video, one frame, unwritable output, bad config): one line
on stderr, exit 2, no traceback, no output file left. A valid video that can't be judged (no
one, the camera in front) still gets a report that says so, exit 0. Every input is made here,
tiny (160x120), with PyAV / OpenCV / the project's synth figure.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import asdict
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from synth_support import make_track
from video_support import write_video

from hingecheck.cli import main
from hingecheck.config import load_config
from hingecheck.pose.bundle import default_model_path
from hingecheck.pose.track import cache_key
from hingecheck.synth import RepSpec, hinge_motion, render_frames

W, H, FPS = 160, 120, 10
OUTPUT_SUFFIXES = (".json", ".csv", ".srt", ".html", ".mp4", ".npz", ".part")


def figure(reps=("clean",), fps: float = FPS, width=W, height=H, **kw):
    """Frames of the synth figure doing `reps`, and its Motion (the ground truth)."""
    specs = [RepSpec(k, duration_s=2.0, pause_s=kw.pop("pause_s", 0.4)) for k in reps]
    motion = hinge_motion(specs, fps, lead_in_s=0.8, lead_out_s=0.6)
    return list(render_frames(motion, width=width, height=height, **kw)), motion


def run_cli(capsys, video: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["analyze", str(video), "-o", str(out), "--no-video", "-q", *extra])
    return code, capsys.readouterr().err


def outputs(out: Path) -> list[str]:
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.name.endswith(OUTPUT_SUFFIXES))


def assert_refused(capsys, tmp_path: Path, video: Path, needle: str, *extra: str) -> str:
    """Exit 2, one line naming the problem, no traceback, nothing left in the output folder."""
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out, *extra)
    assert code == 2, err
    assert needle in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert outputs(out) == []
    return err


def report(out: Path, video: Path) -> dict:
    return json.loads((out / f"{video.stem}.json").read_text())


# ---- refused: exit 2 -----------------------------------------------------------------------


def test_missing_path(capsys, tmp_path):
    assert_refused(capsys, tmp_path, tmp_path / "nope.mp4", "no such file")


def test_directory(capsys, tmp_path):
    folder = tmp_path / "clips.mp4"
    folder.mkdir()
    assert_refused(capsys, tmp_path, folder, "is a folder")


def test_empty_file(capsys, tmp_path):
    video = tmp_path / "empty.mp4"
    video.touch()
    assert_refused(capsys, tmp_path, video, "is empty")


def test_text_file_named_mp4(capsys, tmp_path):
    video = tmp_path / "notes.mp4"
    video.write_text("not a video\n" * 100)
    err = assert_refused(capsys, tmp_path, video, "not a readable video")
    # FFmpeg's reason in plain words, the path named once, no errno number.
    assert "Invalid data" in err and err.count("notes.mp4") == 1 and "Errno" not in err, err


def test_truncated_mp4_without_index(capsys, tmp_path):
    # A phone writes the index (moov) last: a copy cut short has none and can't be read.
    full = write_video(tmp_path / "full.mp4", figure()[0][:20])
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    assert_refused(capsys, tmp_path, cut, "not a readable video")


@pytest.mark.slow
def test_truncated_mp4_with_index_analyses_what_is_there(capsys, tmp_path):
    frames, _ = figure()
    full = write_video(tmp_path / "full.mp4", frames, faststart=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.6)])
    out = tmp_path / "out"
    code, err = run_cli(capsys, cut, out)
    assert code == 0, err
    rep = report(out, cut)
    assert 2 <= rep["source"]["frames"] < len(frames)
    assert any("could be decoded" in w for w in rep["warnings"]), rep["warnings"]


@pytest.mark.parametrize("name", ["photo.mp4", "photo.jpg"])
def test_image_instead_of_video(capsys, tmp_path, name):
    path = tmp_path / name
    ok, jpg = cv2.imencode(".jpg", figure()[0][0])
    path.write_bytes(jpg.tobytes())
    needle = "still image" if name.endswith(".mp4") else "not a supported video type"
    assert_refused(capsys, tmp_path, path, needle)


def test_audio_only_file(capsys, tmp_path):
    path = tmp_path / "voice.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000)
        tone = np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(tone[None, :], format="fltp", layout="mono")
        frame.sample_rate = 16000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    assert_refused(capsys, tmp_path, path, "audio-only")


@pytest.mark.slow
def test_one_frame_video(capsys, tmp_path):
    video = write_video(tmp_path / "one.mp4", figure()[0][:1])
    assert_refused(capsys, tmp_path, video, "only 1 frame")


def test_output_folder_that_cannot_be_written(capsys, tmp_path):
    video = write_video(tmp_path / "v.mp4", figure()[0][:5])
    blocker = tmp_path / "a_file"
    blocker.write_text("x")  # a file where a folder should be (root ignores permission bits)
    code, err = run_cli(capsys, video, blocker / "out")
    assert code == 2 and "cannot write to" in err and err.count("\n") == 1
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[rules\nx = 1\n", ["not valid TOML", "line 1"]),
        ("[reps]\n\nmin_rep_s = 'long'\n", ["line 3", "reps.min_rep_s"]),
        ("[reps]\nmin_rep_seconds = 1.0\n", ["line 2", "reps.min_rep_seconds"]),
    ],
)
def test_malformed_config(capsys, tmp_path, text, needles):
    video = write_video(tmp_path / "v.mp4", figure()[0][:5])
    config = tmp_path / "bad.toml"
    config.write_text(text)
    err = assert_refused(capsys, tmp_path, video, needles[0], "--config", str(config))
    assert all(n in err for n in needles), err


# ---- analysed, with warnings: exit 0 ------------------------------------------------------


@pytest.mark.slow
def test_no_person(capsys, tmp_path):
    rng = np.random.default_rng(0)
    room = cv2.GaussianBlur(rng.integers(60, 200, (H, W, 3), dtype=np.uint8), (0, 0), 3)
    video = write_video(tmp_path / "empty_room.mp4", [room] * 15)
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    assert rep["view"]["judged"] is False and rep["faults"] == [] and rep["reps"] == []
    assert any("no one in view" in w for w in rep["warnings"])


@pytest.mark.slow
def test_lifter_leaves_mid_set(capsys, tmp_path):
    frames, motion = figure(("clean", "clean"), pause_s=2.4)
    gap = (motion.t > 3.0) & (motion.t < 4.6)  # between the reps, the lifter steps away
    empty = np.full_like(frames[0], frames[0][2, 2])
    video = write_video(
        tmp_path / "gap.mp4", [empty if g else f for f, g in zip(frames, gap, strict=True)]
    )
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    assert any("out of view from" in w for w in rep["warnings"]), rep["warnings"]
    assert len(rep["reps"]) == 2  # what is there is still analysed


@pytest.mark.slow
def test_two_people_in_view(capsys, tmp_path):
    frames, _ = figure()
    other = [np.ascontiguousarray(f[:, ::-1]) for f in frames]  # a second lifter, mirrored
    video = write_video(
        tmp_path / "two.mp4", [np.hstack([a, b]) for a, b in zip(other, frames, strict=True)]
    )
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    assert any("people in view" in w for w in rep["warnings"]), rep["warnings"]


def test_front_facing_camera(capsys, tmp_path):
    # The synth figure is drawn from the side only, so the pose model's output for a camera in
    # front is given as a cached track (the CLI reuses it): shoulders and hips a trunk apart.
    video = write_video(tmp_path / "front.mp4", figure()[0][:5])
    _, track = make_track(["clean", "squat"], fps=FPS)
    lm = track.landmarks
    for left, right in ((11, 12), (23, 24), (25, 26), (27, 28)):
        mid = 0.5 * (lm[:, left, 0] + lm[:, right, 0])
        lm[:, left, 0], lm[:, right, 0] = mid - 0.06, mid + 0.06
    pose = asdict(load_config().pose)  # the cache is keyed on the pose settings
    out = tmp_path / "out"
    out.mkdir()
    track.save(out / "front.track.npz", cache_key(video, default_model_path(), pose))
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    assert rep["view"]["camera"] == "front" and rep["view"]["judged"] is False
    assert rep["faults"] == [] and any("faces the lifter" in w for w in rep["warnings"])


@pytest.mark.slow
def test_4k_video(capsys, tmp_path):
    small = figure()[0][:4]
    big = [cv2.resize(f, (3840, 2160), interpolation=cv2.INTER_LINEAR) for f in small]
    video = write_video(tmp_path / "uhd.mp4", big)
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    assert (rep["source"]["width"], rep["source"]["height"]) == (3840, 2160)
    assert rep["source"]["frames"] == 4


def _rotate_tag(path: Path) -> None:
    """Set the track's display matrix to 'turn 90 deg clockwise', as a phone held upright does
    (PyAV can't write it): the 3x3 16.16 matrix sits 44 bytes after the 'tkhd' tag."""
    data = bytearray(path.read_bytes())
    at = data.index(b"tkhd") + 44
    struct.pack_into(">9i", data, at, 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))


@pytest.mark.slow
def test_rotated_phone_video(capsys, tmp_path):
    upright, _ = figure(width=H, height=W)  # portrait, 120 wide x 160 tall
    stored = [np.ascontiguousarray(np.rot90(f, k=1)) for f in upright]  # the sensor's landscape
    video = write_video(tmp_path / "phone.mp4", stored)
    _rotate_tag(video)
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    assert (rep["source"]["width"], rep["source"]["height"]) == (H, W)
    assert rep["view"]["judged"] is True and len(rep["reps"]) == 1


@pytest.mark.slow
def test_variable_frame_rate_keeps_the_stream_clock(capsys, tmp_path):
    frames, motion = figure(("squat",), fps=20)
    # 10 fps for the first 1.6 s, then 20 fps: a frame count / average rate clock would drift.
    keep = [i for i, t in enumerate(motion.t) if t >= 1.6 or i % 2 == 0]
    times = motion.t[keep]
    video = write_video(tmp_path / "vfr.mp4", [frames[i] for i in keep], 20, times)
    out = tmp_path / "out"
    code, err = run_cli(capsys, video, out)
    rep = report(out, video)
    assert code == 0, err
    (truth,) = motion.faults
    (fault,) = [f for f in rep["faults"] if f["type"] == truth["type"]]
    assert abs(fault["start_s"] - truth["start_s"]) < 0.25
    assert abs(fault["end_s"] - truth["end_s"]) < 0.25
    rep_truth, found = motion.reps[0], rep["reps"][0]
    assert abs(found["bottom_s"] - rep_truth["bottom_s"]) < 0.25


@pytest.mark.slow
def test_a_name_near_the_file_system_limit_gets_shortened_unique_outputs(capsys, tmp_path):
    rng = np.random.default_rng(0)
    room = cv2.GaussianBlur(rng.integers(60, 200, (H, W, 3), dtype=np.uint8), (0, 0), 3)
    # 246 bytes + ".mp4": the outputs' suffixes would pass the 255-byte limit. Two names that
    # differ only at the end, one of two-byte characters (a cut must not split one).
    stems = ["set " + "a" * 241 + "1", "set " + "a" * 241 + "2", "ü" * 123]
    out = tmp_path / "out"
    written: dict[str, list[str]] = {}
    for stem in stems:
        video = write_video(tmp_path / f"{stem}.mp4", [room] * 15)
        assert len(os.fsencode(video.name)) == 250
        before = set(outputs(out))
        code = main(["analyze", str(video), "-o", str(out), "-q"])
        err = capsys.readouterr().err
        assert code == 0, err
        assert "name is too long for its outputs' names" in err and "Traceback" not in err
        written[stem] = sorted(set(outputs(out)) - before)
        assert len(written[stem]) == 6, written  # json, csv, srt, annotated video, page, track
        names = {n.split(".", 1)[0] for n in written[stem]}
        assert len(names) == 1 and all(len(os.fsencode(n)) <= 255 for n in written[stem])
        told = err.split("they are written as ", 1)[1].split(".*")[0]
        assert names == {told}
        report_path = out / next(n for n in written[stem] if n.endswith(".json"))
        assert json.loads(report_path.read_text())["source"]["path"] == str(video)
    # Each video has its own names; a second run picks the same ones (its track is reused).
    assert len({n for names in written.values() for n in names}) == 18
    video = tmp_path / f"{stems[0]}.mp4"
    assert main(["analyze", str(video), "-o", str(out), "-q"]) == 0
    assert len(outputs(out)) == 18
