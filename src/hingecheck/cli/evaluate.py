"""`hingecheck evaluate CLIPS_DIR`: run the analysis over labelled clips and score it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hingecheck.cli.options import add_model_options
from hingecheck.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score the analysis on labelled clips",
        description="Analyse every clip listed in CLIPS_DIR/labels.json and "
        "print precision/recall per fault, rep counts and a per-clip table.",
    )
    p.add_argument("clips", type=Path, help="folder with the clips and labels.json")
    p.add_argument("--labels", type=Path, default=None, help="labels file (default: in CLIPS_DIR)")
    p.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("hingecheck-eval"),
        help="where reports and cached tracks go (default: ./hingecheck-eval)",
    )
    add_model_options(p)
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hingecheck.judge.evaluate import table, tally
    from hingecheck.outputs.writers import write_text
    from hingecheck.pipeline import evaluate_folder

    clips: Path = args.clips
    if not clips.is_dir():
        raise InputError(f"{clips} is not a folder")
    labels = args.labels or clips / "labels.json"
    if not labels.is_file():
        hint = "" if args.labels else " (or name one with --labels)"
        raise InputError(f"no labels file {labels}: evaluate scores against it{hint}")
    results, digest = evaluate_folder(
        clips, labels, args.out, args.config, progress=sys.stderr.isatty(), model=args.model
    )
    ev = tally(results)
    print(table(ev))
    if args.json:
        write_text(
            args.json, json.dumps({"config": digest, "figures": ev.figures()}, indent=2) + "\n"
        )
    return 0
