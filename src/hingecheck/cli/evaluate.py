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
    p.add_argument(
        "--compare",
        type=Path,
        default=None,
        metavar="JSON",
        help="figures of an earlier run (its --json file): each source's changes are shown",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hingecheck.judge.evaluate import table, tally
    from hingecheck.judge.sources import by_source, source_table
    from hingecheck.outputs.writers import write_text
    from hingecheck.pipeline import evaluate_folder

    clips: Path = args.clips
    if not clips.is_dir():
        raise InputError(f"{clips} is not a folder")
    labels = args.labels or clips / "labels.json"
    if not labels.is_file():
        hint = "" if args.labels else " (or name one with --labels)"
        raise InputError(f"no labels file {labels}: evaluate scores against it{hint}")
    before = _earlier(args.compare) if args.compare else None
    results, digest = evaluate_folder(
        clips, labels, args.out, args.config, progress=sys.stderr.isatty(), model=args.model
    )
    ev = tally(results)
    sources = by_source(results)
    print(table(ev))
    print()
    print("per source, worst first:")
    print(source_table(sources, before))
    if args.json:
        figures = {
            "config": digest,
            "figures": ev.figures(),
            "sources": {s.source: s.figures() for s in sources},
        }
        write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return 0


def _earlier(path: Path) -> dict[str, dict]:
    """The per-source figures of an earlier run's --json file (or the tests' clip baseline)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        sources = data["sources"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read per-source figures from {path}: {exc}") from None
    if not isinstance(sources, dict):
        raise InputError(f"{path}: 'sources' must map a source to its figures")
    return sources
