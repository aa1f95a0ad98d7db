"""The `hingecheck` command: a thin shell over the library's stages.

Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 internal error.
Each subcommand lives in its own module with `add_parser(subparsers)` and `run(args) -> int`;
those modules import the library inside `run`, so `--help` and `--version` load no model.
"""

from __future__ import annotations

import argparse
import difflib
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


def unknown_options(parser: argparse.ArgumentParser, command: str, extra: list[str]) -> str:
    """The usage error for arguments `command` does not take, with the nearest option it does
    take for each typo ("--excercise": did you mean --exercise?). The value after a mistyped
    option is not named: it is that option's, not a stray argument."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    known = list(sub.choices[command]._option_string_actions)
    options = [a for a in extra if a.startswith("-")] or extra
    said = []
    for arg in options:
        near = difflib.get_close_matches(arg.split("=")[0], known, n=1, cutoff=0.6)
        said.append(f"{arg} (did you mean {near[0]}?)" if arg.startswith("-") and near else arg)
    what = "option" if options is not extra or all(a.startswith("-") for a in extra) else "argument"
    return (
        f"{command}: unrecognized {what}{'s' if len(said) > 1 else ''} {', '.join(said)} "
        f"(see {parser.prog} {command} --help)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m hingecheck`."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        print(
            f"{parser.prog}: error: {unknown_options(parser, args.command, extra)}", file=sys.stderr
        )
        return 2
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
