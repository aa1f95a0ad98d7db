""" "Tune to my verdicts": `hingecheck calibrate`'s fit run on this trainer's reviewed sets (a
source is a client, left out in turn), kept as a version; the config each new set is judged
with; and past sets judged again from their cached tracks (no model run), with the calls that
changed and the trainer's verdicts carried over to them."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hingecheck.atomic import write_text
from hingecheck.config import Config, load_config
from hingecheck.errors import InputError
from hingecheck.faults import FAULT_TYPES
from hingecheck.outputs.registry import TRACK
from hingecheck.records import Fault, Report, Track
from hingecheck.serve.agreement import said_of
from hingecheck.serve.settings import Settings
from hingecheck.serve.store import SetRow, Store
from hingecheck.serve.tuning_store import Overlay, TuningStore
from hingecheck.serve.views import report_of

MATCH_S = 0.5  # a re-judged call is the same call as an old one of its type this near (or rep)


def base_config_path(settings: Settings) -> Path | None:
    """The server's own config (--config), which tuning starts from and going back restores."""
    return settings.config_path


def overlay_path(settings: Settings, overlay: Overlay) -> Path:
    """The version as a TOML file in the data folder (written from the store when missing)."""
    path = settings.data / "overlays" / f"v{overlay.id}.toml"
    try:
        current = path.read_text("utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        current = None
    if current != overlay.toml:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text(path, overlay.toml)
    return path


def current(settings: Settings, store: Store) -> tuple[Overlay | None, Path | None]:
    """The version new sets are judged with (None: the defaults) and its config file."""
    overlay = TuningStore(store).active()
    if overlay is None:
        return None, base_config_path(settings)
    return overlay, overlay_path(settings, overlay)


def config_for_set(settings: Settings, store: Store, row: SetRow) -> Path | None:
    """The config file a queued set is judged with; the version is recorded on its row."""
    overlay, path = current(settings, store)
    TuningStore(store).judged_with(row.id, overlay.id if overlay else None)
    return path


def track_of(settings: Settings, row: SetRow) -> Track | None:
    """The set's cached pose track, beside its outputs (None: missing or damaged)."""
    track = Track.load(TRACK.path_for(settings.set_folder(row.public_id), row.stem))
    return track if track is not None and len(track) >= 2 else None


def labelled_sets(settings: Settings, store: Store, config: Config) -> tuple[list[Any], int]:
    """Every reviewed set with a verdict and a cached track, as calibrate's LabelledSet (its
    source the client), and how many reviewed sets had a verdict but no readable track."""
    from hingecheck.judge.calibrate import LabelledSet
    from hingecheck.pipeline import read_track

    sets, no_track = [], 0
    for row in store.reviewed_sets():
        report = report_of(settings, row)
        if report is None:
            continue
        label = said_of(store, row.id).label(row, report)
        if not label["faults"]:
            continue  # a reply or a count alone says nothing of the faults
        track = track_of(settings, row)
        if track is None:
            no_track += 1
            continue
        reading = read_track(track, config, row.exercise)
        sets.append(LabelledSet(row.stored_name, str(row.client_id), label, reading))
    return sets, no_track


def tune(settings: Settings, store: Store) -> Overlay:
    """Fit every fault's thresholds to the trainer's verdicts and keep the result as a new
    version (not yet used). InputError, with nothing kept, for too few verdicts or none that
    says a fault is there."""
    from hingecheck.calibration import load_check
    from hingecheck.judge.calibrate import MIN_EACH, calibrate
    from hingecheck.outputs.calibration import overlay_text

    config = load_config(base_config_path(settings))
    sets, no_track = labelled_sets(settings, store, config)
    lacking = f" ({no_track} more have no cached track)" if no_track else ""
    if len(sets) < 2 * MIN_EACH:
        raise InputError(
            f"tuning needs your verdicts on at least {2 * MIN_EACH} sets ({MIN_EACH} where a "
            f"fault is there and {MIN_EACH} where it is not); you have given them on "
            f"{len(sets)}{lacking}: nothing was tuned"
        )
    if not any(v == "present" for s in sets for v in s.label["faults"].values()):
        raise InputError(
            "none of your verdicts says a fault is there (agree with a call or mark a missed "
            "fault): there is nothing to fit to, nothing was tuned"
        )
    fits = calibrate(sets, config)
    base_path = base_config_path(settings)
    base = tomllib.loads(base_path.read_text("utf-8")) if base_path else None
    text = overlay_text(
        fits,
        labels="the trainer's verdicts in hingecheck serve (a source is a client)",
        when=datetime.now(UTC).date(),
        base=base,
        base_name=str(base_path or ""),
    )
    load_check(text)
    tuned = [f.fault for f in fits if f.tuned]
    clients = len({s.source for s in sets})
    return TuningStore(store).add_overlay(
        text, [dataclasses.asdict(f) for f in fits], len(sets), clients, tuned
    )


def _calls(faults: list[Fault]) -> list[tuple[str, int]]:
    return sorted((f.type, f.rep) for f in faults)


def carry_verdicts(
    old: list[Fault], new: list[Fault], verdicts: dict[int, str], dropped: list[Any]
) -> tuple[dict[int, str], list[tuple[str, int, float, str]]]:
    """The trainer's verdicts moved from the old calls (and from calls an earlier re-judge
    took away) to the same calls in the new report: same type, and same rep or peak within
    MATCH_S. Verdicts whose call is gone are kept as (type, rep, peak_s, verdict)."""
    said = [(f.type, f.rep, f.peak_s, verdicts[i]) for i, f in enumerate(old) if i in verdicts]
    said += [(d.type, d.rep, d.peak_s, d.verdict) for d in dropped]
    moved: dict[int, str] = {}
    kept: list[tuple[str, int, float, str]] = []
    for ftype, rep, peak, verdict in said:
        same = [
            j
            for j, f in enumerate(new)
            if f.type == ftype
            and j not in moved
            and ((rep and f.rep == rep) or abs(f.peak_s - peak) <= MATCH_S)
        ]
        if same:
            moved[min(same, key=lambda j: abs(new[j].peak_s - peak))] = verdict
        else:
            kept.append((ftype, rep, peak, verdict))
    return moved, kept


def rejudge(settings: Settings, store: Store) -> tuple[list[dict[str, Any]], int]:
    """Judge every analysed set not judged with the current version again, from its cached
    track, with that version's config: outputs rewritten (the annotated video only where the
    calls changed), verdicts carried over. Returns the sets whose calls changed (before and
    after) and how many sets had no cached track to judge from."""
    from hingecheck.analysis import Analysis
    from hingecheck.outputs.registry import output, write_outputs
    from hingecheck.pipeline import judge_track

    overlay, path = current(settings, store)
    version = overlay.id if overlay else None
    config = load_config(path)
    tuning = TuningStore(store)
    changes, no_track = [], 0
    for row in store.sets(state="done", limit=1_000_000):
        report = report_of(settings, row)
        if row.overlay_id == version or report is None:
            continue
        track = track_of(settings, row)
        if track is None:
            no_track += 1
            continue
        old = Report.from_dict(report)
        signals, new = judge_track(track, config, row.exercise)
        new.source = dataclasses.replace(new.source, path=old.source.path)
        new.recorded, new.recorded_source = old.recorded, old.recorded_source
        before, after = _calls(old.faults), _calls(new.faults)
        folder, video = settings.set_folder(row.public_id), settings.uploads / row.stored_name
        result = Analysis(new, track, signals, config)
        if before != after and video.is_file():
            with_video = settings.result_path(row, "video").is_file()
            write_outputs(result, video, folder, with_video=with_video, progress=False,
                          stem=row.stem)  # fmt: skip
        else:  # the same calls: only the report's config changes
            output("json").write(result, video, settings.result_path(row, "json"), False)
        verdicts, dropped = carry_verdicts(
            old.faults, new.faults, store.review(row.id).verdicts, tuning.dropped(row.id)
        )
        counts = {k: sum(f.type == k for f in new.faults) for k in FAULT_TYPES}
        reps = sum(r.complete for r in new.reps)
        tuning.rejudged(row.id, verdicts=verdicts, dropped=dropped, reps=reps, faults=counts,
                        overlay_id=version)  # fmt: skip
        if before != after:
            changes.append(
                {"set": row.public_id, "client": row.client_id, "name": row.original_name,
                 "before": before, "after": after}
            )  # fmt: skip
    tuning.add_rejudge(version, changes)
    return changes, no_track
