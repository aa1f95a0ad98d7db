"""Fixtures shared by the tests. Helper modules beside them are named `<area>_support.py`
(synth_support, video_support, batch_support, serve_support, browser_support)."""

from __future__ import annotations

from pathlib import Path

import pytest
from synth_support import make_track

from hingecheck import judge_track, load_config
from hingecheck.config import Config
from hingecheck.records import Report, Signals, Track


@pytest.fixture(scope="session")
def cfg() -> Config:
    """The packaged default config."""
    return load_config()


@pytest.fixture(scope="session")
def judged_set(cfg: Config) -> tuple[Track, Signals, Report]:
    """A synthetic set of four reps (clean, rounded, squatted, short of lockout) as judged."""
    _, track = make_track(["clean", "rounded", "squat", "short_lockout"])
    signals, report = judge_track(track, cfg)
    return track, signals, report


@pytest.fixture
def serve_data(tmp_path: Path):
    """A server's settings and its real SQLite store, in a fresh data folder."""
    pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
    from hingecheck.serve import Settings
    from hingecheck.serve.store import Store

    settings = Settings(data=tmp_path / "data")
    settings.data.mkdir()
    return settings, Store(settings.db_path)
