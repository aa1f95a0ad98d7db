"""Labelled sets for calibration: labels.json and each clip's cached Track, read once.

The pose model runs only for a clip whose video is there and whose track is not (or is stale:
another video, model or pose setting), once, into the tracks folder, as `hingecheck evaluate`
does; everything else reads the cache. A clip with neither is refused before any work.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hingecheck.config import Config
from hingecheck.errors import InputError
from hingecheck.judge.calibrate import LabelledSet, source_of
from hingecheck.judge.evaluate import load_labels
from hingecheck.pipeline import Reading, analyze, read_track
from hingecheck.pose.bundle import check_model, default_model_path
from hingecheck.pose.track import cache_key
from hingecheck.records import Track


def track_path(tracks: Path, file: str) -> Path:
    """Where `hingecheck evaluate -o TRACKS` caches a clip's track."""
    return tracks / f"{Path(file).stem}.track.npz"


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def check_positives(labels: list[dict[str, Any]], faults: Sequence[str], origin: str) -> None:
    """InputError when no set is labelled present for any of `faults`: nothing to fit to."""
    if not any(lab.get("faults", {}).get(f) == "present" for lab in labels for f in faults):
        raise InputError(
            f"{origin}: no set is labelled present for {', '.join(faults)}: nothing to fit to"
        )


def load_sets(
    clips: Path,
    labels_path: Path,
    tracks: Path,
    config: Config,
    faults: Sequence[str],
    model: Path | None = None,
    progress: bool = False,
    run_model: bool = True,
) -> list[LabelledSet]:
    """Every labelled clip with its Reading. Raises InputError (one line) for unreadable labels,
    labels with no positive, and clips with neither a video nor a readable cached track (with
    `run_model` False: clips with no current cached track)."""
    labels = load_labels(labels_path)
    check_positives(labels, faults, f"labels {labels_path}")
    model_path = check_model(model if model else default_model_path())
    found: list[tuple[dict[str, Any], Track | None]] = []
    missing: list[str] = []
    for label in labels:
        video, cached = clips / label["file"], track_path(tracks, label["file"])
        if video.is_file():
            key = cache_key(video, model_path, asdict(config.pose))
            found.append((label, Track.load(cached, key)))  # None: the model makes it
        else:
            track = Track.load(cached)  # no video to tie it to: read as it is
            if track is None or len(track) < 2:
                missing.append(label["file"])
            found.append((label, track))
    if missing:
        raise InputError(
            f"labels {labels_path}: {len(missing)} clip(s) have neither a video in {clips} "
            f"nor a readable cached track in {tracks}: {_listing(missing)}"
        )
    to_run = [label["file"] for label, track in found if track is None]
    if to_run and not run_model:
        raise InputError(
            f"{len(to_run)} clip(s) have no current cached track in {tracks} (made with this "
            f"video, model and pose settings): {_listing(to_run)}"
        )
    if to_run:
        print(
            f"running the pose model on {len(to_run)} clip(s) with no current cached track "
            f"(cached in {tracks}): {_listing(to_run)}",
            file=sys.stderr,
        )
        tracks.mkdir(parents=True, exist_ok=True)
    sets = []
    for label, track in found:
        file = label["file"]
        if track is None:
            result = analyze(
                clips / file, config, model=model_path, cache_path=track_path(tracks, file),
                progress=progress,
            )  # fmt: skip
            track = result.track
        sets.append(LabelledSet(file, source_of(file), label, read_track(track, config)))
    return sets


def load_variants(folders: Sequence[Path], sets: Sequence[LabelledSet], config: Config):
    """Per folder of tracks of re-encoded or mirrored copies (bench/robustness.py's
    OUT/<variant>/eval), file -> Reading for the labelled clips found there."""
    out: list[dict[str, Reading]] = []
    for folder in folders:
        if not folder.is_dir():
            raise InputError(f"noise tracks: {folder} is not a folder")
        copies = {}
        for s in sets:
            track = Track.load(track_path(folder, s.file))
            if track is not None and len(track) >= 2:
                copies[s.file] = read_track(track, config)
        if not copies:
            raise InputError(f"noise tracks: no track of a labelled clip in {folder}")
        out.append(copies)
    return out


def load_check(text: str) -> None:
    """The overlay loads as a --config file would (a fitted value out of range or a key the
    config does not know would surface here, before anything is written)."""
    import tempfile

    from hingecheck.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "overlay.toml"
        path.write_text(text, "utf-8")
        load_config(path)
