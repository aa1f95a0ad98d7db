"""The command line's contract: exit codes and one-line errors, no tracebacks."""

import subprocess
import sys
from dataclasses import replace

import pytest
from synth_support import make_track

from hingecheck import __version__
from hingecheck.cli import main
from hingecheck.cli.analyze import summary_lines
from hingecheck.config import load_config
from hingecheck.faults import fault_kind
from hingecheck.judge.rules import confidence
from hingecheck.outputs.text import counted
from hingecheck.outputs.writers import srt_text
from hingecheck.pipeline import Analysis, judge_track
from hingecheck.records import BORDERLINE


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hingecheck", *args], capture_output=True, text=True, timeout=120
    )


def test_version_via_python_m():
    r = _run("--version")
    assert r.returncode == 0 and __version__ in r.stdout


def _one_line_error(capsys, code: int, argv: list[str], needle: str) -> None:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_file(capsys, tmp_path):
    _one_line_error(capsys, 2, ["analyze", str(tmp_path / "nope.mp4")], "no such file")


def test_directory(capsys, tmp_path):
    _one_line_error(capsys, 2, ["analyze", str(tmp_path)], "is a folder")


def test_text_file_named_mp4(capsys, tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 50)
    _one_line_error(
        capsys, 2, ["analyze", str(p), "-o", str(tmp_path / "o")], "not a readable video"
    )
    assert not list((tmp_path / "o").glob("*.json"))


def test_unsupported_suffix(capsys, tmp_path):
    p = tmp_path / "set.txt"
    p.write_text("x")
    _one_line_error(capsys, 2, ["analyze", str(p)], "not a supported video type")


def test_output_folder_that_cannot_be_written(capsys, tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 10)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _one_line_error(
        capsys, 2, ["analyze", str(video), "-o", str(blocker / "out")], "cannot write to"
    )


def test_usage_error_is_one_line_exit_2():
    r = _run("analyze")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("argv", [["--help"], ["analyze", "--help"]])
def test_help_exits_0(argv):
    assert _run(*argv).returncode == 0


@pytest.mark.parametrize("rate", ["2", "fast", "nan"])
def test_pose_rate_must_be_a_usable_rate(rate):
    r = _run("analyze", "x.mp4", "--pose-hz", rate)
    assert r.returncode == 2 and "--pose-hz" in r.stderr and "at least 5" in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_summary_counts_in_words():
    """The lifter's first line: '1 rep', '0 faults', never '1 reps' or 'fault(s)'."""
    _, track = make_track(["clean"], fps=30)
    cfg = load_config()
    signals, report = judge_track(track, cfg)
    head = summary_lines(Analysis(report, track, signals, cfg))[0]
    assert ", 1 rep, " in head and head.endswith(", 0 faults"), head
    assert counted(2, "fault") == "2 faults" and counted(1, "fault") == "1 fault"
    # A partial pull is named in the first line, and its rep line says why it isn't counted.
    cut = replace(report, reps=[replace(report.reps[0], complete=False)])
    lines = summary_lines(Analysis(cut, track, signals, cfg))
    assert ", 0 reps, 1 partial pull not counted, " in lines[0], lines[0]
    assert lines[1].endswith("(a partial pull: not counted)"), lines[1]


def test_a_borderline_call_says_so():
    _, track = make_track(["clean", "rounded"], fps=30)
    cfg = load_config()
    signals, report = judge_track(track, cfg)
    (fault,) = report.faults
    shaky = replace(report, faults=[replace(fault, confidence=0.6)])
    lines = summary_lines(Analysis(shaky, track, signals, cfg))
    assert any(f", {fault.severity}, borderline)" in line for line in lines), lines
    clear = summary_lines(Analysis(report, track, signals, cfg))
    assert not any("borderline" in line for line in clear), clear
    assert f"({fault.severity}, borderline)" in srt_text(shaky)  # the captions say so too
    # "Borderline" is a reading within one rep-to-rep spread of the line.
    spread = fault_kind(fault.type).repeat_sd
    assert confidence(fault.type, spread) == pytest.approx(BORDERLINE, abs=1e-4)
