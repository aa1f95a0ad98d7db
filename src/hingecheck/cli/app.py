"""The `hingecheck` command: a thin shell over the library's stages.

Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 internal error.
Each subcommand lives in its own module with `add_parser(subparsers)` and `run(args) -> int`;
those modules import the library inside `run`, so `--help` and `--version` load no model.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from hingecheck.cli import analyze, batch, calibrate, evaluate, live, review, serve
from hingecheck.errors import InputError
from hingecheck.version import __version__

# Subcommand modules, in the order `--help` lists them.
COMMANDS = (analyze, batch, evaluate, calibrate, review, live, serve)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and exit 2 (argparse's default prints the whole usage)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(prog="hingecheck", description="Hip-hinge form checker.")
    parser.add_argument("--version", action="version", version=f"hingecheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m hingecheck`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"hingecheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hingecheck: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no raw traceback
        if os.environ.get("HINGECHECK_DEBUG"):
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"hingecheck: internal error: {type(exc).__name__}: {first} "
            "(set HINGECHECK_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
