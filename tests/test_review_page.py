"""The review page's data, escaping and the folder index, without a browser or the pose model.

`make_set` builds a whole Analysis from the self-made figure (hingecheck.synth): a small H.264
video, landmarks from the figure's own skeleton, signals from its joint angles and a hand-built
report, so the page can be built exactly as `analyze` would build it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
from synth_support import make_signals

from hingecheck.config import load_config
from hingecheck.faults import FAULT_TYPES, fault_kind
from hingecheck.outputs.index import load_entries, write_index
from hingecheck.outputs.review import page_data, render_review, write_review
from hingecheck.outputs.writers import write_json
from hingecheck.pipeline import Analysis
from hingecheck.records import (
    PROFILE_POINTS,
    Fault,
    Rep,
    Report,
    Track,
    VideoInfo,
    View,
)
from hingecheck.synth import RepSpec, hinge_motion, render_frames, skeleton_2d

FPS, W, H = 30, 320, 180
SPECS = [
    RepSpec("clean", depth=0.8, duration_s=1.8, severity=0.0, pause_s=0.4),
    RepSpec("rounded", depth=0.9, duration_s=2.0, severity=0.9, pause_s=0.4),
    RepSpec("squat", depth=0.7, duration_s=2.0, severity=0.6, pause_s=0.4),
    RepSpec("hyperextension", depth=0.7, duration_s=1.8, severity=0.6, pause_s=0.6),
]
SEVERITIES = ("moderate", "severe", "mild")


def encode_video(path: Path, frames, codec: str = "libx264") -> None:
    """Write RGB frames as a small video (yuv420p, so any browser decoder takes it)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "veryfast", "crf": "30", "threads": "1"}
        for img in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(stream.encode(None))


def make_set(
    folder: Path,
    name: str = "demo set.mp4",
    *,
    codec: str = "libx264",
    specs: list[RepSpec] | None = None,
    warnings: tuple[str, ...] = ("a <b>warning</b> from outside",),
) -> tuple[Analysis, Path]:
    """A rendered figure's set as a video in `folder`, and its Analysis built by hand."""
    motion = hinge_motion(specs or SPECS, FPS, lead_in_s=0.6, lead_out_s=0.5)
    video = folder / name
    encode_video(video, render_frames(motion, width=W, height=H, seed=3), codec)
    n, t = motion.n_frames, motion.t
    u, foot = 0.78 * H, (W * 0.44, 0.93 * H)
    pts = skeleton_2d(motion, height_px=u, foot_xy=foot) / (W, H)
    landmarks = np.concatenate([pts, np.zeros((n, 33, 1))], axis=2).astype(np.float32)
    info = VideoInfo(str(video), W, H, float(FPS), n, n / FPS, 0, "h264")
    track = Track(
        t=t,
        landmarks=landmarks,
        visibility=np.ones((n, 33), np.float32),
        world=np.zeros((n, 33, 3), np.float32),
        present=np.ones(n, bool),
        back_profile=np.zeros((n, PROFILE_POINTS), np.float32),
        people=np.ones(n, np.int16),
        cut=np.zeros(n, bool),
        info=info,
    )
    signals = make_signals(
        t=t,
        hip_angle=180.0 - motion.hip_flexion_deg,
        knee_angle=180.0 - motion.knee_flexion_deg,
        trunk_lean=motion.trunk_incl_deg,
        back_bow=motion.lumbar_bow * 0.05,
        back_line_lean=motion.trunk_incl_deg,
    )
    signals.back_bow[:3] = np.nan  # a gap, as the model leaves now and then

    def idx(s: float) -> int:
        return int(np.clip(round(s * FPS), 0, n - 1))

    reps = [
        Rep(
            r["index"],
            idx(r["start_s"]),
            idx(r["bottom_s"]),
            idx(r["top_s"]),
            idx(r["end_s"]),
            t[idx(r["start_s"])],
            t[idx(r["bottom_s"])],
            t[idx(r["top_s"])],
            t[idx(r["end_s"])],
        )
        for r in motion.reps
    ]
    config = load_config()
    rules = config.rules
    faults = []
    for k, f in enumerate(motion.faults):
        a, b = idx(f["start_s"]), idx(f["end_s"])
        peak = (a + b) // 2
        value = {
            "lumbar_rounding": 0.034,
            "squat_like_knee_bend": 24.0,
            "lockout_hyperextension": 15.0,
        }.get(f["type"], 30.0)
        threshold = {
            "lumbar_rounding": rules.lumbar_rounding.threshold,
            "squat_like_knee_bend": rules.squat_like_knee_bend.max_trunk_lean,
            "lockout_hyperextension": rules.lockout_hyperextension.max_back_lean,
        }.get(f["type"], rules.missing_lockout.hip_short_deg)
        faults.append(
            Fault(
                f["type"],
                f["rep"],
                float(t[a]),
                float(t[b]),
                float(t[peak]),
                SEVERITIES[k % 3],
                value,
                threshold,
                "bottom",
                fault_kind(f["type"]).describe("bottom", value),
                fault_kind(f["type"]).cue,
            )
        )
    report = Report(
        info,
        View("side", "left", True),
        reps,
        faults,
        warnings=list(warnings),
        config_hash="abc123",
        version="0.1.0",
    )
    return Analysis(report, track, signals, config), video


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Analysis, Path, Path]:
    folder = tmp_path_factory.mktemp("set")
    result, video = make_set(folder)
    write_json(result.report, folder / f"{video.stem}.json")
    page = write_review(result, video, folder, video.stem)
    return result, video, page


def test_page_is_written_with_one_marker_per_fault(built):
    result, video, page = built
    html = page.read_text("utf-8")
    assert page.name == "demo set.html"
    assert html.count("<video") == 1
    assert len(result.report.faults) == 3
    starts = re.findall(r'data-fault-start="([^"]+)"', html)
    types = re.findall(r'<button[^>]*data-fault-type="([^"]+)"', html)
    in_json = result.report.to_dict()["faults"]
    assert [float(s) for s in starts] == [f["start_s"] for f in in_json]  # as the JSON says
    assert types == [f.type for f in result.report.faults]
    assert 'src="demo%20set.mp4"' in html  # no annotated video: the source, relative
    assert "http://" not in html and "https://" not in html  # nothing fetched from a network


def test_stills_are_cropped_jpegs(built):
    result, _, page = built
    stills = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page.read_text("utf-8"))
    assert len(stills) == len(result.report.faults)
    import base64

    import cv2

    for s in stills:
        img = cv2.imdecode(np.frombuffer(base64.b64decode(s), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and 16 < max(img.shape[:2]) <= 360
        assert img.shape[0] * img.shape[1] < W * H  # cropped to the lifter, not the frame


def test_page_data_agrees_with_report(built, tmp_path):
    result, video, _ = built
    d = page_data(result, video, video.parent, video.stem)
    rep_json = result.report.to_dict()
    for angles, r, j in zip(d["angles"], result.report.reps, rep_json["reps"], strict=True):
        assert angles["depth"] == pytest.approx(180 - result.signals.hip_angle[r.bottom], abs=0.06)
        assert angles["top"][0] == pytest.approx(result.signals.hip_angle[r.top], abs=0.06)
        assert d["report"].reps[r.index - 1].start_s == j["start_s"]
    charts = {c["key"]: c for c in d["charts"]}
    rules = result.config.rules
    assert charts["back_bow"]["lines"][0]["value"] == rules.lumbar_rounding.threshold
    assert [ln["value"] for ln in charts["trunk_lean"]["lines"]] == [
        rules.squat_like_knee_bend.max_trunk_lean
    ]
    assert [ln["value"] for ln in charts["lockout_lean"]["lines"]] == [
        -rules.lockout_hyperextension.max_back_lean
    ]
    assert charts["hip_angle"]["path"].startswith("M0.0 ")
    assert charts["back_bow"]["path"].startswith("M")  # the NaN gap lifts the pen
    assert charts["back_bow"]["path"].count("M") == 1
    shown = {d["report"].faults[i].type for c in d["charts"] for i in c["faults"]}
    assert shown == {f.type for f in result.report.faults}
    # The annotated video wins once written.
    (tmp_path / "x.annotated.mp4").write_bytes(b"")
    assert page_data(result, video, tmp_path, "x")["video"]["src"] == "x.annotated.mp4"
    rel = page_data(result, video, tmp_path, "y")["video"]["src"]
    assert rel.endswith("/demo%20set.mp4") and rel.startswith("..")


def test_outside_text_is_escaped(tmp_path):
    name = "set <script>window.pwned=1</script>".replace("/", "\u2215") + ".mp4"
    result, video = make_set(tmp_path, name, specs=SPECS[1:2])
    html = render_review(page_data(result, video, tmp_path, video.stem))
    assert html.count("<script") == 2  # the page's own data and code, nothing from the name
    assert "&lt;script&gt;window.pwned=1" in html
    assert "a &lt;b&gt;warning&lt;/b&gt; from outside" in html
    data = re.search(r'<script type="application/json" id="hc-data">(.*?)</script>', html, re.S)
    json.loads(data.group(1))


def test_no_faults_and_no_reps(tmp_path):
    result, video = make_set(tmp_path, "clean.mp4", specs=SPECS[:1])
    result.report.faults.clear()
    html = render_review(page_data(result, video, tmp_path, "clean"))
    assert "No faults found" in html and "data-fault-start=" not in html
    result.report.reps.clear()
    assert "No reps found" in render_review(page_data(result, video, tmp_path, "clean"))


def test_index_over_a_folder(built, tmp_path):
    result, video, page = built
    client = tmp_path / "client <a>"
    client.mkdir()
    for stem in ("monday", "tuesday"):
        write_json(result.report, client / f"{stem}.json")
    (client / "monday.html").write_text("page")
    (tmp_path / "other.json").write_text('{"schema": "something/else"}')
    (tmp_path / "broken.json").write_text("{not json")
    entries = load_entries(tmp_path)
    assert sorted(e.stem for e in entries) == ["monday", "tuesday"]
    out = write_index(tmp_path, None)
    assert out == tmp_path / "index.html"
    html = out.read_text("utf-8")
    assert 'href="client%20%3Ca%3E/monday.html"' in html
    assert 'href="client%20%3Ca%3E/tuesday.json"' in html
    assert "client &lt;a&gt;" in html and "<a>" not in html
    counts = re.findall(r'data-count-type="([a-z_]+)">(?:<b>)?(\d+)<', html)
    per_type = {f.type: 0 for f in result.report.faults}
    for f in result.report.faults:
        per_type[f.type] += 1
    assert {k: int(v) for k, v in counts[: len(FAULT_TYPES)] if int(v)} == per_type


def test_a_borderline_call_is_marked_on_its_card(built, tmp_path):
    result, video, _ = built
    first = result.report.faults[0]
    shaky = replace(result, report=replace(result.report, faults=[replace(first, confidence=0.6)]))
    html = render_review(page_data(shaky, video, tmp_path, video.stem))
    assert html.count('class="sev sev-borderline"') == 1 and "60 % would cross it" in html
    assert 'class="sev sev-borderline"' not in render_review(
        page_data(result, video, tmp_path, video.stem)
    )
