"""`hingecheck calibrate CLIPS_DIR`: fit the thresholds to labelled sets, validated out of
sample, and write them as a config overlay."""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from hingecheck.cli.options import add_model_options
from hingecheck.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit the thresholds to a coach's labelled sets",
        description="Fit each fault's thresholds to the verdicts in CLIPS_DIR/labels.json, from "
        "the clips' cached tracks (as `hingecheck evaluate -o` leaves them), report the "
        "agreement before and after, left-one-source-out, and write the fitted values as a "
        "TOML overlay for --config.",
    )
    p.add_argument("clips", type=Path, help="folder with the clips and labels.json")
    p.add_argument("--labels", type=Path, default=None, help="labels file (default: in CLIPS_DIR)")
    p.add_argument(
        "--tracks",
        type=Path,
        default=Path("hingecheck-eval"),
        help="where the clips' tracks are cached (`hingecheck evaluate -o`; "
        "default: ./hingecheck-eval)",
    )
    p.add_argument("-o", "--out", type=Path, default=None, help="write the overlay TOML here")
    p.add_argument(
        "--faults",
        nargs="+",
        default=None,
        metavar="FAULT",
        help="the faults to calibrate (default: all)",
    )
    p.add_argument(
        "--noise",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="tracks of re-encoded or mirrored copies (bench/robustness.py's OUT/VARIANT/eval): "
        "the noise floor is then measured on them too",
    )
    p.add_argument(
        "--per-source",
        action="store_true",
        help="also print each source's agreement per fitted fault, before and out of sample",
    )
    p.add_argument(
        "--no-model",
        action="store_true",
        help="refuse clips without a current cached track instead of running the pose model",
    )
    add_model_options(p)
    p.set_defaults(run=run)


def _faults(names: list[str] | None) -> list[str]:
    from hingecheck.faults import FAULT_TYPES

    if not names:
        return list(FAULT_TYPES)
    asked = [n for name in names for n in name.split(",") if n]
    unknown = [n for n in asked if n not in FAULT_TYPES]
    if unknown:
        raise InputError(f"unknown fault {unknown[0]!r} (known: {', '.join(FAULT_TYPES)})")
    return asked


def _check_writable(out: Path) -> None:
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise InputError(f"cannot write the overlay to {out}: it is a folder")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InputError(f"cannot write the overlay to {out}: {folder} is not a writable folder")


def run(args: argparse.Namespace) -> int:
    from hingecheck.calibration import load_check, load_sets, load_variants
    from hingecheck.config import load_config
    from hingecheck.judge.calibrate import calibrate
    from hingecheck.outputs.calibration import overlay_text, per_source_table, table
    from hingecheck.outputs.writers import write_text

    clips: Path = args.clips
    if not clips.is_dir():
        raise InputError(f"{clips} is not a folder")
    faults = _faults(args.faults)
    if args.out is not None:
        _check_writable(args.out)
    config = load_config(args.config)
    labels = args.labels or clips / "labels.json"
    sets = load_sets(
        clips,
        labels,
        args.tracks,
        config,
        faults,
        args.model,
        progress=sys.stderr.isatty(),
        run_model=not args.no_model,
    )
    variants = load_variants(args.noise, sets, config)
    fits = calibrate(sets, config, faults, variants)
    print(table(fits))
    if args.per_source:
        print("\n" + per_source_table(fits))
    if args.out is None:
        print("(no overlay written: -o FILE writes one)")
        return 0
    base = tomllib.loads(args.config.read_text("utf-8")) if args.config else None
    text = overlay_text(
        fits,
        labels=str(labels),
        when=datetime.now(UTC).date(),
        base=base,
        base_name=str(args.config or ""),
    )
    load_check(text)
    write_text(args.out, text)
    tuned = [f.fault for f in fits if f.tuned]
    print(f"wrote {args.out}: {', '.join(tuned) if tuned else 'nothing fitted (comments only)'}")
    return 0
