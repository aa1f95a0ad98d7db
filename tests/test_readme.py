"""The README's two commands: 1 is a user's install and the demo, 2 the test extra and the
tests, and CI runs command 2's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## Two commands") : readme.index("## What you get")]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_command_1_installs_what_analyze_needs_and_runs_the_demo():
    one, _ = _commands()
    assert ".venv/bin/pip install . &&" in one and "[test]" not in one
    assert one.endswith(".venv/bin/hingecheck analyze samples/demo_set.mp4 -o out")


def test_command_2_installs_the_test_extra_and_ci_runs_it():
    _, two = _commands()
    install, test = two.split(" && ")
    assert install == ".venv/bin/pip install '.[test]'" and test == ".venv/bin/python -m pytest"
    ci = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines() if ln and ln[0] != "#"]
    assert any(ln.startswith(".venv/bin/pip install") and "'.[test]'" in ln for ln in ci)
    assert ci[-1] == test
