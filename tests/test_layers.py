"""Shared things sit at the bottom of the stack: a stage imports what is below it, never the
pipeline that drives it, nor a sibling's heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _imported(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    ("module", "not_below"),
    [
        ("hingecheck.outputs.review", {"hingecheck.pipeline"}),  # the pipeline writes through it
        ("hingecheck.outputs.index", {"hingecheck.pipeline"}),
        ("hingecheck.live.overlay", {"hingecheck.outputs.video", "av"}),  # the skeleton is draw's
        ("hingecheck.records", {"hingecheck.outputs.writers"}),
    ],
)
def test_no_import_upwards(module, not_below):
    assert not _imported(module) & not_below
