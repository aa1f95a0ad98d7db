"""`hingecheck analyze VIDEO`: a recorded set in; the report, captions, CSV and video out."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from hingecheck.cli.options import add_model_options
from hingecheck.config import EXERCISES
from hingecheck.errors import InputError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~40 ms of start-up

if TYPE_CHECKING:
    from hingecheck.pipeline import Analysis
    from hingecheck.records import Rep


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        aliases=["analyse"],
        help="analyse a recorded set",
        description="Analyse a recorded set: faults per rep with their times.",
    )
    p.add_argument("video", type=Path, help="the video (mp4, mov, m4v, avi, mkv, webm)")
    p.add_argument(
        "-o", "--out", type=Path, default=None, help="output folder (default: beside the video)"
    )
    add_model_options(p)
    p.add_argument(
        "--exercise",
        choices=EXERCISES,
        default=None,
        help="the lift (default: told from the movement)",
    )
    p.add_argument("--no-video", action="store_true", help="skip the annotated video")
    p.add_argument("--no-cache", action="store_true", help="ignore a cached landmark track")
    p.add_argument(
        "--workers",
        type=_workers,
        default=0,
        metavar="N",
        help="threads running the pose model, one time chunk of the video each, each with its "
        "own model (default: one per CPU, at most 2; 1 for clips up to 2 s)",
    )
    p.add_argument(
        "--pose-hz",
        type=_rate,
        default=None,
        metavar="HZ",
        help="run the pose model at most HZ times a second where the motion turns, "
        "interpolating the frames between (default 30, or the config's pose.sample_hz; "
        "15 is faster, but borderline faults on short clips can slip under their thresholds)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(run=run)


def _workers(text: str) -> int:
    """--workers: a whole number >= 1 (0 is the automatic default)."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return n


def _rate(text: str) -> float:
    """--pose-hz: a rate of at least 5 a second (below, a fast rep's turnaround is lost)."""
    try:
        hz = float(text)
    except ValueError:
        hz = -1.0
    if not hz >= 5.0:
        raise argparse.ArgumentTypeError(f"must be a rate of at least 5 (per second), got {text!r}")
    return hz


def partial_words(reps: list[Rep]) -> str:
    """ ", 1 partial pull not counted" (nothing when every rep was whole)."""
    from hingecheck.outputs.text import counted

    partial = sum(not r.complete for r in reps)
    return f", {counted(partial, 'partial pull')} not counted" if partial else ""


def summary_lines(result: Analysis) -> list[str]:
    """What the lifter reads on the terminal: one line per rep with its faults and times, then
    each fault said once with the reps it happened on, its worst reading and its cue."""
    from hingecheck.faults import lift_name
    from hingecheck.outputs.text import clock, counted, view_words
    from hingecheck.summary import fault_summary

    rep = result.report
    lines = [
        f"{Path(rep.source.path).name}: {lift_name(rep.exercise, rep.exercise_source)}, "
        f"{counted(sum(r.complete for r in rep.reps), 'rep')}"
        f"{partial_words(rep.reps)}, "
        f"{view_words(rep.view.camera, rep.view.side)}, "
        f"{counted(len(rep.faults), 'fault')}"
    ]
    for r in rep.reps:
        said = "; ".join(
            f"{f.message} ({clock(f.start_s)}-{clock(f.end_s)}, {f.grade})"
            for f in rep.faults
            if f.rep == r.index
        )
        note = "" if r.complete else " (a partial pull: not counted)"
        lines.append(f"Rep {r.index}  {clock(r.start_s)}-{clock(r.end_s)}  {said or 'good'}{note}")
    lines += [f"{group['text']}. {group['cue']}" for group in fault_summary(rep.faults)]
    lines += [f"warning: {w}" for w in rep.warnings]
    return lines


def run(args: argparse.Namespace) -> int:
    # The library is imported here, not at the top, so `--version` and `--help` stay fast.
    from hingecheck.config import load_config
    from hingecheck.outputs.registry import TRACK, output_stem, prepare_out_dir, write_outputs
    from hingecheck.pipeline import analyze
    from hingecheck.video.source import check_video_path

    video: Path = args.video
    if video.is_dir():
        raise InputError(
            f"{video} is a folder: to analyse every video in it, run "
            f"hingecheck batch {video} -o OUT"
        )
    check_video_path(video)
    out = prepare_out_dir(args.out if args.out else video.parent)
    progress = not args.quiet and sys.stderr.isatty()
    stem = output_stem(video, out)
    if stem != video.stem:
        print(
            f"hingecheck: warning: the video's name is too long for its outputs' names in {out}: "
            f"they are written as {stem}.*",
            file=sys.stderr,
        )
    cache = None if args.no_cache else TRACK.path_for(out, stem)
    config = load_config(args.config)
    if args.pose_hz is not None:
        config = replace(config, pose=replace(config.pose, sample_hz=args.pose_hz))
    result = analyze(
        video,
        config,
        model=args.model,
        cache_path=cache,
        progress=progress,
        workers=args.workers,
        exercise=args.exercise,
    )
    for note in result.notes:
        print(f"hingecheck: warning: {note}", file=sys.stderr)
    if cache:
        result.outputs["track"] = cache
    write_outputs(result, video, out, with_video=not args.no_video, progress=progress, stem=stem)
    if not args.quiet:
        print("\n".join(summary_lines(result)))
        print(f"wrote {', '.join(p.name for p in result.outputs.values())} to {out}")
    return 0
