"""The README's example output is what the shipped demo really gives: this writes it.

    python samples/readme_example.py          # run the demo, rewrite the README's block
    python samples/readme_example.py --check  # exit 1 when the README's block is stale

tests/test_demo.py compares the block with its own run of the demo, so it can't drift.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
COMMAND = "hingecheck analyze samples/demo_set.mp4 -o out"
OPENING = f"```\n$ {COMMAND}\n"


def block(readme: str) -> str:
    """The example output in the README: the lines after the command, up to the fence."""
    start = readme.index(OPENING) + len(OPENING)
    return readme[start : readme.index("```", start)]


def replace_block(readme: str, output: str) -> str:
    """The README with its example output replaced by `output`."""
    start = readme.index(OPENING) + len(OPENING)
    return readme[:start] + output + readme[readme.index("```", start) :]


def as_in_readme(stdout: str, out_dir: Path) -> str:
    """A run's terminal output as the README shows it: the output folder called `out`."""
    return stdout.replace(str(out_dir), "out")


def run_demo(out_dir: Path) -> str:
    """Run `hingecheck analyze` on the demo into `out_dir`; its terminal output."""
    sys.path.insert(0, str(HERE.parent / "src"))  # run from a checkout without installing
    from hingecheck.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["analyze", str(HERE / "demo_set.mp4"), "-o", str(out_dir)])
    if code != 0:
        raise SystemExit(f"the demo's analysis failed (exit {code})")
    return as_in_readme(buf.getvalue(), out_dir)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only say whether the README is stale")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        output = run_demo(Path(tmp))
    readme = README.read_text("utf-8")
    if args.check:
        stale = block(readme) != output
        print("README.md's example output is " + ("stale" if stale else "current"))
        return int(stale)
    README.write_text(replace_block(readme, output), "utf-8")
    print(f"wrote the example output into {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
