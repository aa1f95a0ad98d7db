"""Files a long batch meets, through the real command: a damaged or foreign landmark cache is
ignored (never unpickled) and rebuilt with a warning; config values out of range, malformed
labels and a video without frames are one line and exit 2, before any work."""

from __future__ import annotations

import io
import math

import av
import numpy as np
import pytest
from batch_support import hinge_video

from hingecheck.cli import main
from hingecheck.config import RANGES, load_config
from hingecheck.records import Track


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def _pickled_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, key=np.array([{"evil": "object"}], dtype=object))
    return buf.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 damaged zip" * 10, b"", "pickled"],
    ids=["damaged", "empty", "pickled-object"],
)
def test_bad_track_cache_is_rebuilt_with_a_warning(capsys, tmp_path, content):
    video = hinge_video(tmp_path / "set.mp4")
    out = tmp_path / "out"
    out.mkdir()
    cache = out / "set.track.npz"
    cache.write_bytes(_pickled_npz() if content == "pickled" else content)
    code, err = _run(capsys, "analyze", str(video), "-o", str(out), "--no-video", "-q")
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "warning: ignored the landmark cache" in lines[0], err
    assert Track.load(cache) is not None  # rebuilt, readable
    code, err = _run(capsys, "analyze", str(video), "-o", str(out), "--no-video", "-q")
    assert code == 0 and err == ""  # the rebuilt cache is used without a word


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[reps]\nmin_rep_s = nan\n", "'reps.min_rep_s' must be between 0.05 and 60, got nan"),
        ("[signals]\nmax_gap_s = -0.4\n", "(line 2): 'signals.max_gap_s' must be between 0 and"),
        ("[pose]\nmin_presence = 1.5\n", "'pose.min_presence' must be between 0 and 1, got 1.5"),
        ("[rules.lumbar_rounding]\nthreshold = inf\n", "'rules.lumbar_rounding.threshold'"),
        ("[pose]\nnum_poses = 0\n", "'pose.num_poses' must be between 1 and 10, got 0"),
        (
            "[profiles.good_morning.reps]\nmin_rep_s = -1.0\n",
            "'profiles.good_morning.reps.min_rep_s' must be between 0.05 and 60",
        ),
    ],
)
def test_config_value_out_of_range(capsys, tmp_path, text, needle):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 16)  # refused before it is ever opened
    config = tmp_path / "c.toml"
    config.write_text(text)
    for command in ("analyze", "batch"):
        argv = [command, str(video), "-o", str(tmp_path / "out"), "--config", str(config)]
        code, err = _run(capsys, *argv)
        assert code == 2 and needle in err and err.count("\n") == 1, (command, err)


def test_every_config_value_has_a_range_that_holds_its_default():
    cfg = load_config()
    for key, (lo, hi) in RANGES.items():
        value = cfg
        for part in key.split("."):
            value = getattr(value, part)
        assert lo <= value <= hi and math.isfinite(value), key  # type: ignore[operator]


@pytest.mark.parametrize(
    ("labels", "needle"),
    [
        ('{"a.mp4": {}}', "expected a list of clips"),
        ("[1]", "clip 1: expected an object"),
        ('[{"file": "a.mp4"}, {"reps": 3}]', "clip 2: 'file' must name the clip"),
        ('[{"file": "a.mp4", "reps": "ten"}]', "'reps' must be a whole number"),
        ('[{"file": "a.mp4", "rep_windows": [[2.0, 1.0]]}]', "'rep_windows' must be a list"),
        ('[{"file": "a.mp4", "faults": {"rounding": "present"}}]', "unknown fault type"),
        ('[{"file": "a.mp4"}', "cannot read labels"),
    ],
)
def test_malformed_labels(capsys, tmp_path, labels, needle):
    (tmp_path / "labels.json").write_text(labels)
    code, err = _run(capsys, "evaluate", str(tmp_path), "-o", str(tmp_path / "out"))
    assert code == 2 and needle in err and err.count("\n") == 1, err


def test_video_stream_without_frames(capsys, tmp_path):
    video = tmp_path / "noframes.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    code, err = _run(capsys, "analyze", str(video), "-o", str(tmp_path / "out"), "-q")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
