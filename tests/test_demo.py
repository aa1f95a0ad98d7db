"""The CLI end to end on the project's own demo set, checked against its ground truth."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
from pathlib import Path

import av
import pytest

from hingecheck.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DEMO = SAMPLES / "demo_set.mp4"
TRUTH = json.loads((SAMPLES / "demo_set.truth.json").read_text())

pytestmark = pytest.mark.slow


def _readme_example():
    spec = importlib.util.spec_from_file_location("readme_example", SAMPLES / "readme_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


README_EXAMPLE = _readme_example()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The demo analysed as the README's command does it (its terminal output kept)."""
    out = tmp_path_factory.mktemp("demo")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["analyze", str(DEMO), "-o", str(out)])
    return code, out, buf.getvalue()


def test_exit_code_and_outputs(run):
    code, out, _ = run
    assert code == 0
    for suffix in (".json", ".csv", ".srt", ".annotated.mp4", ".track.npz"):
        assert (out / f"demo_set{suffix}").is_file(), suffix
    assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))


def test_report_matches_the_ground_truth(run):
    _, out, _ = run
    report = json.loads((out / "demo_set.json").read_text())
    assert report["schema"] == "hingecheck.report/1"
    assert report["view"]["camera"] == "side"
    complete = [r for r in report["reps"] if r["complete"]]
    assert len(complete) == len(TRUTH["reps"])
    for got, want in zip(complete, TRUTH["reps"], strict=True):
        assert got["faults"] == sorted(want["faults"]), (got, want)
        assert abs(got["bottom_s"] - want["bottom_s"]) < 0.4
    # Each fault event lies within its true span (with a margin of a few frames).
    for f in report["faults"]:
        truth = [x for x in TRUTH["faults"] if x["type"] == f["type"] and x["rep"] == f["rep"]]
        assert truth, f
        assert truth[0]["start_s"] - 0.5 <= f["peak_s"] <= truth[0]["end_s"] + 0.5


def test_csv_srt_and_video(run):
    _, out, _ = run
    with open(out / "demo_set.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == TRUTH["frames"]
    assert {
        "time_s",
        "hip_angle_deg",
        "knee_angle_deg",
        "trunk_lean_deg",
        "back_line_lean_deg",
        "back_bow",
        "rep",
        "phase",
        "lumbar_rounding",
        "missing_lockout",
    } <= set(rows[0])
    assert any(r["lumbar_rounding"] == "1" for r in rows)
    srt = (out / "demo_set.srt").read_text()
    assert srt.count("-->") == len(json.loads((out / "demo_set.json").read_text())["faults"])
    with av.open(str(out / "demo_set.annotated.mp4")) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert abs(float(s.duration * s.time_base) - TRUTH["frames"] / TRUTH["fps"]) < 0.1


def test_readme_shows_what_the_demo_gives(run):
    """The README's example output is this run's, line for line (regenerate it with
    `python samples/readme_example.py`)."""
    _, out, stdout = run
    readme = (SAMPLES.parent / "README.md").read_text("utf-8")
    assert README_EXAMPLE.block(readme) == README_EXAMPLE.as_in_readme(stdout, out), (
        "README.md's example output is stale: run python samples/readme_example.py"
    )


def test_the_demo_s_severities_follow_its_truth(run):
    """Mild and severe versions of one fault read differently (the truth's 0.3 and 0.9)."""
    _, out, _ = run
    report = json.loads((out / "demo_set.json").read_text())
    grade = {(f["type"], f["rep"]): f["severity"] for f in report["faults"]}
    specs = TRUTH["rep_specs"]
    rank = {"mild": 0, "moderate": 1, "severe": 2}
    for kind, ftype in (("rounded", "lumbar_rounding"), ("short_lockout", "missing_lockout")):
        reps = [i for i, s in enumerate(specs, start=1) if s["kind"] == kind]
        mild, severe = sorted(reps, key=lambda i: specs[i - 1]["severity"])
        assert rank[grade[ftype, severe]] > rank[grade[ftype, mild]], grade


# Last: it rewrites the report with other thresholds.
def test_rerun_with_other_thresholds_skips_the_model(run, tmp_path):
    _, out, _ = run
    cfg = tmp_path / "strict.toml"
    cfg.write_text("[rules.missing_lockout]\nhip_short_deg = 80.0\n")
    cache = out / "demo_set.track.npz"
    before = cache.stat()
    assert (
        main(["analyze", str(DEMO), "-o", str(out), "-q", "--no-video", "--config", str(cfg)]) == 0
    )
    # The landmark cache is written only after a model pass: untouched, no model ran. (Not
    # timed: a busy machine makes any time bound flaky.)
    after = cache.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    report = json.loads((out / "demo_set.json").read_text())
    assert not any(f["type"] == "missing_lockout" for f in report["faults"])


def test_overlay_text_off_the_body_and_pictures(run, tmp_path_factory):
    """The demo's annotated video and review page as a lifter sees them: banners off the body
    (the lockout and lean-back banners at the top of reps 6, 7 and 9 included), angle labels
    off the limbs, phase words as the messages say; pictures kept for a person to look at."""
    from browser_support import browser_or_skip
    from overlay_checks import (
        assert_page_geometry,
        assert_phase_words_agree,
        assert_text_off_the_body,
        key_times,
        save_frames,
        screenshot_page,
        shots_dir,
        video_size,
    )

    from hingecheck.outputs.review import write_review
    from hingecheck.outputs.video import render_video
    from hingecheck.pipeline import analyze

    _, out, _ = run
    result = analyze(DEMO, None, cache_path=out / "demo_set.track.npz")
    assert result.from_cache
    folder = tmp_path_factory.mktemp("demo-pictures")
    render_video(DEMO, result, folder / "demo_set.annotated.mp4")
    page = write_review(result, DEMO, folder, "demo_set")
    w, h = video_size(folder / "demo_set.annotated.mp4")
    ov = assert_text_off_the_body(result, w, h)
    reps = {r.index: r for r in result.report.reps}
    # The check above covered the lockout and lean-back banners at the top of those reps.
    assert all((ov.stack_of[reps[k].top : reps[k].end + 1] >= 0).any() for k in (6, 7, 9))
    assert_phase_words_agree(ov, result)
    shots = shots_dir(tmp_path_factory, "demo")
    save_frames(folder / "demo_set.annotated.mp4", key_times(result), shots)
    with browser_or_skip() as browser:
        geometry = screenshot_page(browser, page, shots)
    assert_page_geometry(geometry, ov.style.text_px)
