"""`hingecheck evaluate CLIPS_DIR`: run the analysis over labelled clips and score it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .analyze import analyze
from .config import load_config
from .errors import InputError
from .evaluate import ClipResult, score_clip, table, tally
from .writers import write_text


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
    p.add_argument("--config", type=Path, default=None, help="TOML file overriding thresholds")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    p.set_defaults(run=run)


def evaluate_folder(
    clips: Path, labels_path: Path, out: Path, config_path: Path | None, progress: bool = False
) -> tuple[list[ClipResult], str]:
    """Analyse each labelled clip (cached tracks reused) and score it."""
    try:
        labels = json.loads(labels_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read labels {labels_path}: {exc}") from None
    cfg = load_config(config_path)
    out.mkdir(parents=True, exist_ok=True)
    results: list[ClipResult] = []
    for i, label in enumerate(labels, start=1):
        video = clips / label["file"]
        if progress:
            print(f"[{i}/{len(labels)}] {video.name}", file=sys.stderr)
        try:
            result = analyze(video, cfg, cache_path=out / f"{video.stem}.track.npz")
        except InputError as exc:
            results.append(
                ClipResult(
                    label["file"],
                    label.get("view", ""),
                    label.get("reps"),
                    0,
                    {},
                    {},
                    error=str(exc),
                )
            )
            continue
        report = result.report.to_dict()
        write_text(out / f"{video.stem}.json", json.dumps(report, indent=2) + "\n")
        results.append(score_clip(label, report))
    return results, cfg.digest()


def run(args: argparse.Namespace) -> int:
    clips: Path = args.clips
    if not clips.is_dir():
        raise InputError(f"{clips} is not a folder")
    labels = args.labels or clips / "labels.json"
    results, digest = evaluate_folder(
        clips, labels, args.out, args.config, progress=sys.stderr.isatty()
    )
    ev = tally(results)
    print(table(ev))
    if args.json:
        write_text(
            args.json, json.dumps({"config": digest, "figures": ev.figures()}, indent=2) + "\n"
        )
    return 0
