"""`hingecheck review DIR`: an index page over the analysed sets in a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from hingecheck.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review",
        help="index page over analysed sets in a folder",
        description="Write an index page over every analysed set (report JSON) "
        "in a folder and its subfolders, linking each set's review page.",
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="folder holding the reports")
    p.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="the page to write (a .html file or a folder; default DIR/index.html)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hingecheck.outputs.index import load_entries, write_index
    from hingecheck.outputs.text import counted

    entries = load_entries(args.folder) if args.folder.is_dir() else None
    if entries == []:
        raise InputError(
            f"no analysed sets in {args.folder} (no report .json in it or below): "
            "run hingecheck analyze or hingecheck batch first"
        )
    path = write_index(args.folder, args.out, entries)
    if not args.quiet:
        n = len(entries or [])
        print(f"wrote {path} ({counted(n, 'set')})")
    return 0
