"""The landmark cache on disk: written whole or not at all, and its leftovers cleaned."""

from __future__ import annotations

import numpy as np
import pytest
from synth_support import make_track

from hingecheck.batch.jobs import SetJob
from hingecheck.batch.resume import clean_staging
from hingecheck.outputs.registry import TRACK
from hingecheck.records import Track


def test_a_save_that_fails_leaves_the_old_file_and_nothing_else(tmp_path, monkeypatch):
    _, track = make_track(["clean"])
    path = TRACK.path_for(tmp_path, "set")
    track.save(path, "k1")
    before = path.read_bytes()

    def half_written(fh, **arrays):
        fh.write(b"PK\x03\x04 half")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", half_written)
    with pytest.raises(OSError, match="disk full"):
        track.save(path, "k2")
    assert path.read_bytes() == before and Track.load(path, "k1") is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_killed_save_is_cleaned_before_the_set_runs_again(tmp_path):
    job = SetJob(video=tmp_path / "a.mp4", out_dir=tmp_path / "out")
    job.out_dir.mkdir()
    leftover = job.out_dir / f".{TRACK.name_for(job.stem)}.x1y2.part"  # what atomic_path names
    leftover.write_bytes(b"half")
    keep = TRACK.path_for(job.out_dir, job.stem)
    keep.write_bytes(b"whole")
    clean_staging(job)
    assert not leftover.exists() and keep.exists()
