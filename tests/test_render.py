"""The annotated video: format, timing, orientation and overlay, on small synthetic videos."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest

from hingecheck import records as rec
from hingecheck.outputs import video as render
from hingecheck.pipeline import Analysis
from hingecheck.records import Fault, Rep, Report, Signals, Track, View
from hingecheck.video.source import probe

W, H, N = 320, 240, 64
TB = Fraction(1, 90000)
# A side view facing +x: normalised (x, y) of the near side's chain.
POSE = {
    (rec.L_EAR, rec.R_EAR): (0.33, 0.20),
    (rec.L_SHOULDER, rec.R_SHOULDER): (0.30, 0.30),
    (rec.L_ELBOW, rec.R_ELBOW): (0.31, 0.42),
    (rec.L_WRIST, rec.R_WRIST): (0.32, 0.52),
    (rec.L_HIP, rec.R_HIP): (0.30, 0.55),
    (rec.L_KNEE, rec.R_KNEE): (0.32, 0.72),
    (rec.L_ANKLE, rec.R_ANKLE): (0.30, 0.88),
    (rec.L_HEEL, rec.R_HEEL): (0.27, 0.90),
    (rec.L_TOE, rec.R_TOE): (0.37, 0.90),
}


def frame_times() -> np.ndarray:
    """Variable frame rate: 30 fps with a stretch at 15 fps, as phones do in low light."""
    dt = np.full(N, 1 / 30)
    dt[20:30] = 1 / 15
    return np.concatenate([[0.0], np.cumsum(dt[:-1])])


def write_source(path: Path, rotation: int = 0, bt709: bool = False) -> Path:
    """A small H.264 clip with smooth moving content and the given display rotation; with
    bt709, converted and tagged with the HD matrix, as phones record."""
    t = frame_times()
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.codec_context.time_base = TB
        if rotation:
            s.set_display_rotation(rotation)
        if bt709:
            cc = s.codec_context
            cc.colorspace = cc.color_primaries = cc.color_trc = 1
        yy, xx = np.mgrid[0:H, 0:W]
        for i in range(N):
            img = np.empty((H, W, 3), np.uint8)
            img[..., 0] = 60  # little red, so the red overlays stand out
            img[..., 1] = (xx * 200 // W + 2 * i) % 200
            img[..., 2] = 40 + yy * 200 // H
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            if bt709:
                vf = vf.reformat(format="yuv420p", dst_colorspace="ITU709")
            vf.pts, vf.time_base = int(round(t[i] / TB)), TB
            vf.duration = int(round(1 / 30 / TB))
            for p in s.encode(vf):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def make_result(video: Path, judged: bool = True) -> Analysis:
    """A hand-made analysis: two reps, a lumbar rounding fault in the first."""
    info = probe(video)
    t = frame_times()
    lm = np.full((N, rec.N_LANDMARKS, 3), np.nan, np.float32)
    for ids, xy in POSE.items():
        lm[:, list(ids), :2] = xy
        lm[:, list(ids), 2] = 0.0
    track = Track(
        t=t, landmarks=lm, visibility=np.ones((N, rec.N_LANDMARKS), np.float32),
        world=np.zeros((N, rec.N_LANDMARKS, 3), np.float32), present=np.ones(N, bool),
        back_profile=np.full((N, rec.PROFILE_POINTS), 0.25, np.float32),
        people=np.ones(N, np.int16), cut=np.zeros(N, bool), info=info,
    )  # fmt: skip
    full = np.ones(N)
    signals = Signals(
        t=t,
        hip_angle=170 * full,
        knee_angle=172 * full,
        trunk_lean=8 * full,
        back_bow=0 * full,
        back_line_lean=8 * full,
        hip_knee_height=full,
        valid=np.ones(N, bool),
        side="left",
        facing=1,
    )
    reps = [
        Rep(1, 4, 12, 22, 30, t[4], t[12], t[22], t[30]),
        Rep(2, 31, 45, 55, 60, t[31], t[45], t[55], t[60]),
    ]
    rounded = ("lumbar_rounding", 1, t[8], t[14], t[12], "moderate", 0.04, 0.02, "bottom")
    faults = [Fault(*rounded, message="lower back rounded", cue="brace")]
    view = View("side", "left", True) if judged else View("front", "left", False, "camera faces")
    report = Report(info, view, reps if judged else [], faults if judged else [])
    # Rendering reads only the visibility cut from the config.
    config = SimpleNamespace(signals=SimpleNamespace(min_visibility=0.5))
    return Analysis(report, track, signals, config)  # type: ignore[arg-type]


def decode(path: Path) -> tuple[tuple[str, str, float], list[float], list[np.ndarray]]:
    """(codec, pixel format, duration s), frame times and RGB frames of a video."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = list(c.decode(s))
        meta = (s.codec_context.name, s.codec_context.format.name, float(s.duration * s.time_base))
        return meta, [f.time for f in frames], [f.to_ndarray(format="rgb24") for f in frames]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Analysis]:
    d = tmp_path_factory.mktemp("render")
    src = write_source(d / "set.mp4")
    result = make_result(src)
    out = d / "set.annotated.mp4"
    render.render_video(src, result, out)
    return src, out, result


def test_format_timing_and_size(rendered: tuple[Path, Path, Analysis]) -> None:
    src, out, _ = rendered
    (codec, pix, dur), times, frames = decode(out)
    (_, _, src_dur), src_times, src_frames = decode(src)
    assert (codec, pix) == ("h264", "yuv420p")
    assert len(frames) == len(src_frames) == N
    assert frames[0].shape == src_frames[0].shape == (H, W, 3)
    # Each frame keeps its presentation time (variable frame rate included).
    np.testing.assert_allclose(times, src_times, atol=1e-3)
    assert abs(dur - src_dur) <= 1 / 30 + 1e-3
    assert probe(out).rotation == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["set.annotated.mp4", "set.mp4"]


def test_overlay_drawn_where_expected(rendered: tuple[Path, Path, Analysis]) -> None:
    src, out, _ = rendered
    _, _, frames = decode(out)
    _, _, src_frames = decode(src)
    i = 40
    diff = np.abs(frames[i].astype(int) - src_frames[i].astype(int)).sum(axis=2)
    hip, knee = np.array([0.30 * W, 0.55 * H]), np.array([0.32 * W, 0.72 * H])
    x, y = np.round((hip + knee) / 2).astype(int)  # the thigh bone
    assert diff[y - 2 : y + 3, x - 2 : x + 3].mean() > 60
    assert diff[-3:, :].mean() > 20  # the timeline strip
    assert diff[100:140, 280:310].mean() < 12  # away from every overlay: only coding noise


def test_fault_banner_and_outline_colour(rendered: tuple[Path, Path, Analysis]) -> None:
    _, out, result = rendered
    _, _, frames = decode(out)
    ov = render.plan_overlay(result, W, H)
    assert ov.outline_fault[10] == 0 and ov.outline_fault[40] == -1  # the rounding fault's colour
    stack = ov.stacks[ov.stack_of[10]]
    assert len(stack) == 1 and ov.stack_of[40] == -1
    assert str(ov.rep_title[10]) == "Rep 1/2" and str(ov.rep_title[40]) == "Rep 2/2"
    x0, y0, x1, y1 = (int(round(v)) for v in stack[0].box)

    def reddish(img: np.ndarray) -> float:
        px = img[y0:y1, x0:x1].astype(int)
        return float(((px[..., 0] > 150) & (px[..., 1] < 110) & (px[..., 2] < 110)).mean())

    assert reddish(frames[10]) > 0.3  # the banner, in the rounding fault's colour
    assert reddish(frames[40]) < 0.01


def test_hd_colours_survive(tmp_path: Path) -> None:
    # The renderer converts with one BT.601 matrix both ways and keeps a BT.709 source's tag:
    # away from the overlays, the picture must look as the source did.
    src = write_source(tmp_path / "hd.mp4", bt709=True)
    out = tmp_path / "hd.annotated.mp4"
    render.render_video(src, make_result(src), out)
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.colorspace == 1
        got = next(c.decode(video=0)).to_ndarray(format="rgb24")
    with av.open(str(src)) as c:
        want = next(c.decode(video=0)).to_ndarray(format="rgb24")
    patch = (slice(100, 140), slice(280, 310))  # away from every overlay
    assert np.abs(got[patch].astype(int) - want[patch].astype(int)).mean() < 4


def test_rotated_source_keeps_orientation(tmp_path: Path) -> None:
    src = write_source(tmp_path / "phone.mp4", rotation=90)
    info = probe(src)
    assert (info.width, info.height) == (H, W)  # portrait once rotated
    out = tmp_path / "phone.annotated.mp4"
    render.render_video(src, make_result(src), out)
    (codec, _, _), times, frames = decode(out)
    assert frames[0].shape == (W, H, 3) and len(frames) == N
    assert probe(out).rotation == 0  # the pixels are upright: no rotation tag to apply twice


def test_unjudged_view_draws_reason(tmp_path: Path) -> None:
    src = write_source(tmp_path / "front.mp4")
    result = make_result(src, judged=False)
    ov = render.plan_overlay(result, W, H)
    assert not ov.judged and [b.lines for b in ov.stacks[ov.stack_of[5]]] == [["camera faces"]]
    out = tmp_path / "front.annotated.mp4"
    render.render_video(src, result, out)
    _, _, frames = decode(out)
    _, _, src_frames = decode(src)
    x0, y0, x1, y1 = (int(round(v)) for v in ov.stacks[0][0].box)
    box = (slice(y0, y1), slice(x0, x1))
    assert np.abs(frames[5][box].astype(int) - src_frames[5][box].astype(int)).mean() > 20


def test_failure_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_source(tmp_path / "set.mp4")
    result = make_result(src)

    def boom(img: np.ndarray, ov: render.Overlay, i: int) -> None:
        if i == 10:
            raise RuntimeError("disk full")

    monkeypatch.setattr(render, "draw_frame", boom)
    out = tmp_path / "set.annotated.mp4"
    with pytest.raises(RuntimeError):
        render.render_video(src, result, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.mp4"]
