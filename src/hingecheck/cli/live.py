"""`hingecheck live`: watch a set as it happens and cue each fault the moment it is decided.

Exit codes: 0 when the session ends normally (q, Ctrl-C, end of a file); 2 when the source
can't be opened or fails mid-set (no camera, camera busy, disconnected), after saving whatever
was recorded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hingecheck.cli.options import add_model_options
from hingecheck.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="check a set live from a camera",
        description="Watch the lifter through a camera (or a video file or stream) and cue each "
        "fault as soon as it is decided; on quit (q or Ctrl-C) the session is saved like an "
        "analysed video in a timestamped folder.",
    )
    p.add_argument(
        "--source", default="0", help="camera index, video file or stream URL (default: camera 0)"
    )
    p.add_argument("--headless", action="store_true", help="no window (print the cues)")
    p.add_argument(
        "--realtime",
        action="store_true",
        help="with a file: deliver it at its own frame rate, as a camera would",
    )
    p.add_argument(
        "--stats-json",
        type=Path,
        default=None,
        help="write frames seen/processed, latency, reps and faults to this file",
    )
    p.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("."),
        help="where the session folder is made (default: the current folder)",
    )
    p.add_argument("--sound", action="store_true", help="a sound cue with each fault")
    p.add_argument(
        "--max-side",
        type=int,
        default=640,
        help="scale frames to this longer side for the pose model (default 640: "
        "the model sees 256x256, so more pixels only add latency)",
    )
    p.add_argument(
        "--num-poses",
        type=int,
        default=2,
        help="people the model tells apart in each frame, the lifter kept among them "
        '(default 2; config [pose] follow = "track": in each look at the whole frame)',
    )
    add_model_options(p)
    p.add_argument(
        "--no-video",
        action="store_true",
        help="on saving, skip the annotated video (the raw session video is kept)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no messages except errors")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hingecheck.live.session import LiveOptions, run_live

    if args.max_side < 64:
        raise InputError(f"--max-side must be at least 64 (got {args.max_side})")
    if args.num_poses < 1:
        raise InputError(f"--num-poses must be at least 1 (got {args.num_poses})")
    opts = LiveOptions(
        source=str(args.source),
        headless=args.headless,
        realtime=args.realtime,
        max_side=args.max_side,
        num_poses=args.num_poses,
        out=args.out,
        sound=args.sound,
        stats_json=args.stats_json,
        config=args.config,
        model=args.model,
        with_video=not args.no_video,
        quiet=args.quiet,
    )
    return run_live(opts)
