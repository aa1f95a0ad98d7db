"""`hingecheck batch INPUT... -o OUT`: many sets at once, on this machine or a Ray cluster.

Exit codes: 0 every set analysed or found not judgeable; 3 some sets failed (listed at the
end); 2 bad arguments or inputs, an unreachable cluster, a version mismatch (one line);
130 Ctrl-C, 143 SIGTERM (the sets finished so far are listed, `"complete": false`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from hingecheck.cli.options import add_model_options, positive_int

if TYPE_CHECKING:
    from hingecheck.batch import SetResult

EXIT_SOME_FAILED = 3
EXIT_TERMINATED = 128 + signal.SIGTERM
DEFAULT_TIMEOUT_S = 1800.0
SUMMARY_EVERY_S = 60.0  # batch.csv / batch.json rewritten this often while a batch runs


class Terminated(BaseException):
    """SIGTERM (timeout, Slurm, Kubernetes, systemd): stop as Ctrl-C stops."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds, 0 or more (0: no limit)")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="analyse many sets: files, folders or a manifest",
        description="Analyse many recorded sets: video files, folders (searched recursively) "
        "or manifests (CSV with a header, or JSON lines: path, and optionally exercise, "
        "lifter, date). Each set's outputs go to OUT/[<lifter>/]<video's folder>-<hash>/ "
        "(the same folder in every run, never shared by two videos), with OUT/batch.csv, "
        "OUT/batch.json and OUT/index.html over all of them. Re-running the same command "
        "skips the sets already done. Exit 0: all analysed or not judgeable; 3: some failed; "
        "2: bad arguments; 130 Ctrl-C; 143 SIGTERM.",
    )
    p.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help="video, folder, manifest")
    p.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    add_model_options(p)
    from hingecheck.config import EXERCISES

    p.add_argument(
        "--exercise",
        choices=EXERCISES,
        default=None,
        help="the lift, for sets whose manifest row names none (default: told from the movement)",
    )
    p.add_argument("--no-video", action="store_true", help="skip the annotated videos")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="sets analysed at once (default: one per CPU; with --ray, one per CPU of the "
        "cluster). Each worker holds the pose model (~360 MB)",
    )
    p.add_argument(
        "--ray",
        metavar="ADDRESS",
        default=None,
        help="run on an existing Ray cluster: auto, or the head's HOST:PORT "
        "(needs pip install 'hingecheck[ray]')",
    )
    p.add_argument(
        "--ship-videos",
        action="store_true",
        help="with --ray: send every video through Ray's object store and bring the outputs "
        "back, even to nodes that could read a shared disk (done anyway for nodes that can't)",
    )
    p.add_argument(
        "--in-flight",
        type=positive_int,
        default=None,
        metavar="N",
        help="sets handed to the workers at most at once (default: twice the workers)",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"time limit per set: a set still running after it fails and its worker is "
        f"replaced (default {DEFAULT_TIMEOUT_S:.0f}; 0: no limit)",
    )
    p.add_argument(
        "--skip-missing",
        action="store_true",
        help="a manifest row or file that names no existing video fails alone (listed in "
        "batch.csv) instead of refusing the whole batch",
    )
    p.add_argument(
        "--no-resume", action="store_true", help="analyse every set again, even those done before"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print each set as it finishes")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hingecheck.batch import open_engine
    from hingecheck.batch import run as run_batch
    from hingecheck.batch.manifest import check_inputs, iter_jobs
    from hingecheck.batch.summary import set_line, totals_line, write_summary
    from hingecheck.config import load_config
    from hingecheck.errors import InputError
    from hingecheck.outputs.registry import prepare_out_dir
    from hingecheck.outputs.text import counted
    from hingecheck.pose.bundle import check_model, default_model_path

    if args.ship_videos and not args.ray:
        raise _usage("--ship-videos needs --ray")
    # Everything that can be wrong with the arguments is found before any work.
    load_config(args.config)
    check_model(args.model or default_model_path())
    out = prepare_out_dir(args.out)
    total = check_inputs(args.inputs, out, skip_missing=args.skip_missing)
    jobs = iter_jobs(
        args.inputs,
        out,
        exercise=args.exercise,
        with_video=not args.no_video,
        config_path=args.config,
        skip_missing=args.skip_missing,
    )
    progress = not args.quiet and sys.stderr.isatty()
    results: list[SetResult] = []
    started, t0 = datetime.now(), time.perf_counter()
    bar = tqdm(total=total, unit="set", desc="sets", disable=not progress, dynamic_ncols=True)
    engine_name = f"ray {args.ray}" if args.ray else "local pool"
    last_summary = time.monotonic()

    def on_result(r: SetResult) -> None:
        nonlocal last_summary
        results.append(r)
        bar.update(1)
        if args.verbose:
            tqdm.write(set_line(r), file=sys.stdout)
        if time.monotonic() - last_summary > SUMMARY_EVERY_S:  # a long batch, seen as it goes
            last_summary = time.monotonic()
            write_summary(out, results, engine=engine_name, started=started, complete=False)

    def notify(line: str) -> None:
        tqdm.write(f"hingecheck: {line}", file=sys.stderr)

    before = signal.signal(signal.SIGTERM, _terminated)
    complete = terminated = refused = False
    try:
        engine = open_engine(
            args.workers,
            args.ray,
            model=args.model,
            ship=args.ship_videos,
            timeout=args.timeout or None,
            notify=notify,
        )
        with bar, engine:
            run_batch(
                jobs,
                engine,
                max_in_flight=args.in_flight,
                on_result=on_result,
                resume=not args.no_resume,
            )
        complete = True
    except Terminated:
        terminated = True
    except InputError:  # refused at the start (an unreachable cluster): no batch to sum up
        refused = True
        raise
    finally:
        signal.signal(signal.SIGTERM, before)
        if not refused:
            _sum_up(out, results, engine_name, started, complete, total)
    if terminated:
        return EXIT_TERMINATED
    failed = [r for r in results if r.status == "failed"]
    if not args.quiet:
        print(totals_line(results, time.perf_counter() - t0))
        print(f"wrote {out / 'batch.csv'}, {out / 'batch.json'} and {out / 'index.html'}")
    if failed:
        print(f"hingecheck: {counted(len(failed), 'set')} failed:", file=sys.stderr)
        for r in failed:
            print(f"  {r.job.video}: {r.reason}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return 0


def _sum_up(
    out: Path,
    results: list[SetResult],
    engine_name: str,
    started: datetime,
    complete: bool,
    total: int,
) -> None:
    """Even when interrupted: the sets that finished are listed (and stay finished), and
    batch.json says whether the batch is complete."""
    from hingecheck.batch.resume import remove_empty
    from hingecheck.batch.summary import write_summary
    from hingecheck.outputs.text import counted

    results.sort(key=lambda r: (str(r.job.out_dir), r.job.stem))
    write_summary(out, results, engine=engine_name, started=started, complete=complete)
    for r in results:
        if r.status == "failed":  # a set that wrote nothing leaves no empty folder
            remove_empty(r.job.out_dir, out)
    if not complete:
        print(
            f"hingecheck: {len(results)} of {counted(total, 'set')} finished; run the same "
            "command again to go on",
            file=sys.stderr,
        )


def _usage(message: str) -> Exception:
    from hingecheck.errors import InputError

    return InputError(message)
