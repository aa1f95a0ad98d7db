"""The command line forgives the usual slips: a typo'd option, the British spelling, a folder
where a video goes; and says plainly when there is nothing to do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hingecheck.cli import main


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hingecheck", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _one_line(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    return r.stderr


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["analyze", "x.mp4", "--excercise", "deadlift"], "--excercise (did you mean --exercise?)"),
        (["batch", "x", "-o", "y", "--wrkers", "2"], "--wrkers (did you mean --workers?)"),
        (["review", "x", "--quite"], "--quite (did you mean --quiet?)"),
    ],
)
def test_a_typo_suggests_the_nearest_option(argv, said):
    err = _one_line(_run(*argv))
    assert said in err and f"hingecheck {argv[0]} --help" in err, err
    assert "deadlift" not in err.replace("--excercise", "")  # the typo'd option's value


def test_analyse_is_analyze(tmp_path, capsys):
    assert main(["analyse", str(tmp_path / "nope.mp4")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert _run("analyse", "--help").returncode == 0


def test_a_folder_to_analyze_points_to_batch(tmp_path):
    err = _one_line(_run("analyze", str(tmp_path)))
    assert "is a folder" in err and f"hingecheck batch {tmp_path} -o OUT" in err


def test_review_over_a_folder_without_reports(tmp_path):
    (tmp_path / "notes.json").write_text('{"not": "a report"}')
    err = _one_line(_run("review", str(tmp_path)))
    assert "no analysed sets" in err
    assert not (tmp_path / "index.html").exists()


def test_evaluate_without_labels(tmp_path):
    err = _one_line(_run("evaluate", str(tmp_path)))
    assert f"no labels file {tmp_path / 'labels.json'}" in err and "Errno" not in err
    err = _one_line(_run("evaluate", str(tmp_path), "--labels", str(tmp_path / "mine.json")))
    assert "mine.json" in err and "--labels)" not in err
