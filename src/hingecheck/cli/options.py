"""Options that several subcommands share."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_model_options(p: argparse.ArgumentParser) -> None:
    """--config (thresholds) and --model (the pose model bundle)."""
    p.add_argument("--config", type=Path, default=None, help="TOML file overriding thresholds")
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="a PoseLandmarker .task bundle (default: the one shipped)",
    )


def positive_int(text: str) -> int:
    """An argument that must be a whole number >= 1 (worker counts, limits)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return n
