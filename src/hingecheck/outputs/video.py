"""The annotated video: a second decoding pass that draws the analysis on each frame.

Everything that depends on the whole set (which fault is active in which frame, rep and phase per
frame, pixel positions of joints and the back outline, the timeline strip) is computed with numpy
before the loop, so the loop only decodes, draws and encodes one frame at a time. The output is
H.264 yuv420p with faststart (plays in a browser as it downloads), with the source's orientation
and each frame's presentation time, so it lines up with the report's timestamps.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np

from hingecheck.atomic import atomic_path
from hingecheck.body import mid_hip, mid_shoulder, trunk_length
from hingecheck.errors import InputError
from hingecheck.faults import fault_kind
from hingecheck.outputs import annotators, draw, placement
from hingecheck.outputs.draw import HIP, JOINTS, SHOULDER
from hingecheck.outputs.layout import Box
from hingecheck.outputs.writers import frame_table
from hingecheck.pose.outline import back_normal, outline_points
from hingecheck.progress import frame_bar
from hingecheck.video.source import iter_frames

if TYPE_CHECKING:
    from hingecheck.analysis import Analysis
    from hingecheck.records import Signals

TIME_BASE = Fraction(1, 90000)  # the usual video clock: fine enough for any frame rate
# Measured at 720p, one encoder thread (RGB->I420 included): ultrafast ~3.8 ms/frame, superfast
# ~5.5, veryfast ~7.3; files ~2.6, ~1.4 and ~0.6 Mbit/s, and no visible difference in the overlay.
# ultrafast keeps the whole render (decode + draw + encode ~7.5 ms) within a quarter of the pose
# model's ~35 ms/frame; this video is a viewing aid, not an archive.
X264 = {"preset": "ultrafast", "crf": "23"}
BANNER_MIN_S = 1.0  # a fault banner stays up at least this long so it can be read


@dataclass
class Overlay:
    """Per-frame drawing data for one video, indexed like the Track (N frames)."""

    style: draw.Style
    t: np.ndarray  # (N,) s
    joints: np.ndarray  # (N, 9, 2) int32 fixed-point pixels
    joint_ok: np.ndarray  # (N, 9) bool
    outline: np.ndarray  # (N, 21, 2) int32 fixed-point pixels
    outline_ok: np.ndarray  # (N, 21) bool
    trunk_len: np.ndarray  # (N,) px, mid-hip to mid-shoulder
    # (N,) int: the fault kind whose colour the back outline takes (its row marks the outline,
    # an index into `outline_colors`), -1: none
    outline_fault: np.ndarray
    outline_colors: list[draw.Color]
    labels: list[list[tuple[str, Box]]]  # per frame: the angle labels and their boxes
    counter: Box  # the rep counter's box
    rep_title: np.ndarray  # (N,) str
    rep_sub: np.ndarray  # (N,) str
    stack_of: np.ndarray  # (N,) int: which stack of banners is up (-1: none)
    stacks: list[list[placement.Banner]]
    judged: bool
    strip: np.ndarray  # (strip_h, W, 3) uint8
    playhead: np.ndarray  # (N,) int x pixel


def _fixed(px: np.ndarray) -> np.ndarray:
    return np.round(np.nan_to_num(px) * draw.ONE).astype(np.int32)


def _rep_words(result: Analysis, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the rep counter's title ('Rep 3/10') and phase word, the same word the
    report's messages use for that moment ('at the bottom' is 'bottom' here too)."""
    report = result.report
    table = frame_table(result.signals, report)
    rep = table["rep"]
    so_far = np.maximum.accumulate(rep) if n else rep  # between reps: the last one started
    total = len(report.reps)
    phase = table["phase"].astype(str)
    rest = np.where(so_far == 0, "set-up", np.where(so_far >= total, "done", "rest"))
    phase = np.where(phase == "", rest, phase)
    cut = {r.index for r in report.reps if not r.complete}
    phase = np.where(np.isin(rep, list(cut)) & (rep > 0), np.char.add(phase, " (cut off)"), phase)
    titles = np.char.add(np.char.add("Rep ", so_far.astype(str)), f"/{total}")
    if total == 0:
        titles, phase = np.full(n, "Reps: 0"), np.full(n, "no reps found")
    return titles, phase


def plan_overlay(result: Analysis, width: int, height: int) -> Overlay:
    """Precompute everything the per-frame loop draws, for frames of width x height."""
    track, sig, report = result.track, result.signals, result.report
    st = draw.make_style(width, height)
    t = np.asarray(track.t, dtype=np.float64)
    n = len(t)
    scale = np.array([width, height], dtype=np.float64)
    lm = track.landmarks[..., :2].astype(np.float64) * scale  # (N, 33, 2) pixels
    ids = JOINTS[sig.side]
    joints = lm[:, ids]
    ok = (
        track.present[:, None]
        & (track.visibility[:, ids] >= result.config.signals.min_visibility)
        & np.isfinite(joints).all(axis=2)
    )
    hip_mid, sh_mid = mid_hip(lm), mid_shoulder(lm)
    outline = np.full(track.back_profile.shape + (2,), np.nan)
    for i in np.flatnonzero(
        track.present & np.isfinite(hip_mid).all(1) & np.isfinite(sh_mid).all(1)
    ):
        outline[i] = outline_points(track.back_profile[i], hip_mid[i], sh_mid[i], sig.facing)
    trunk_len = trunk_length(hip_mid, sh_mid)

    faults = report.faults
    starts = np.array([f.start_s for f in faults])
    ends = np.array([f.end_s for f in faults])
    active = (t[:, None] >= starts - 1e-9) & (t[:, None] <= ends + 1e-9)  # (N, F)
    shown = (t[:, None] >= starts - 1e-9) & (t[:, None] <= np.maximum(ends, starts + BANNER_MIN_S))
    # The faults whose row marks the back outline (the outline is what they are read on): the
    # outline takes the colour of the first one active.
    marks = np.array([fault_kind(f.type).marks_outline for f in faults], dtype=bool)
    marking = (active & marks) if faults else np.zeros((n, 1), bool)
    outline_fault = np.where(marking.any(axis=1), np.argmax(marking, axis=1), -1)
    outline_colors = [fault_kind(f.type).rgb for f in faults]

    titles, phase = _rep_words(result, n)
    boxes = placement.body_boxes(lm, track.present)
    counter = placement.counter_box(list(set(titles)), list(set(phase)), st,
                                    placement.typical_body(boxes))  # fmt: skip
    if report.view.judged:
        stack_of, stacks = placement.banner_runs(
            shown.reshape(n, len(faults)),
            [f"{fault_kind(f.type).label} - {f.grade}" for f in faults],
            [fault_kind(f.type).rgb for f in faults], boxes, [counter], st,
        )  # fmt: skip
    else:  # one grey banner saying why, all along, off where the lifter usually is
        reason = report.view.reason or "this view cannot be judged"
        stack_of = np.zeros(n, dtype=np.int64)
        stacks = [placement.banner_stack([reason], [draw.NOT_JUDGED],
                                         placement.typical_body(boxes), [], st)]  # fmt: skip
    lean_dir = back_normal(hip_mid, sh_mid, sig.facing)
    labels = _plan_labels(
        sig, st, joints, ok, outline, trunk_len, hip_mid, sh_mid, lean_dir, counter,
        [[b.box for b in stacks[k]] if k >= 0 else [] for k in stack_of],
    ) if report.view.judged else [[] for _ in range(n)]  # fmt: skip

    duration = max(report.source.duration_s, float(t[-1] + np.median(np.diff(t))) if n > 1 else 0)
    strip = draw.timeline_strip(
        width,
        st.strip,
        duration,
        [(r.start_s, r.end_s) for r in report.reps],
        [(f.start_s, f.end_s, fault_kind(f.type).rgb) for f in faults],
    )
    playhead = np.clip(np.round(t / max(duration, 1e-9) * width), 0, width - 1).astype(int)
    return Overlay(
        style=st, t=t, joints=_fixed(joints), joint_ok=ok,
        outline=_fixed(outline), outline_ok=np.isfinite(outline).all(axis=2),
        trunk_len=trunk_len, outline_fault=outline_fault,
        outline_colors=outline_colors, labels=labels, counter=counter,
        rep_title=titles, rep_sub=phase, stack_of=stack_of, stacks=stacks,
        judged=report.view.judged, strip=strip, playhead=playhead,
    )  # fmt: skip


def _plan_labels(
    sig: Signals,
    st: draw.Style,
    joints: np.ndarray,
    ok: np.ndarray,
    outline: np.ndarray,
    trunk_len: np.ndarray,
    hip_mid: np.ndarray,
    sh_mid: np.ndarray,
    lean_dir: np.ndarray,
    counter: Box,
    banners: list[list[Box]],
) -> list[list[tuple[str, Box]]]:
    """Per frame, the hip, knee and trunk-lean labels with their boxes: each on the outside of
    its angle, clear of the limbs, the back outline, the plumb line, the head, the hands' load,
    the rep counter, the banners and each other. Last frame's choice is kept while clear."""
    facing = float(sig.facing)
    prefer: list[int | None] = [None, None, None]
    out: list[list[tuple[str, Box]]] = []
    for i in range(len(joints)):
        p, k = joints[i], ok[i]
        segs = placement.polyline_segments(outline[i], np.isfinite(outline[i]).all(axis=1))
        if k[HIP] and np.isfinite(trunk_len[i]):
            segs.append(np.stack([p[HIP], p[HIP] - (0.0, trunk_len[i])]))
        items = placement.joint_angle_items(
            p, k, sig.hip_angle[i], sig.knee_angle[i], (-facing, facing)
        )
        if k[HIP] and k[SHOULDER] and np.isfinite(sig.trunk_lean[i] + trunk_len[i]):
            # Beside the traced back (~0.3 of trunk length off the line), on its outside.
            at = 0.5 * (hip_mid[i] + sh_mid[i]) + 0.3 * trunk_len[i] * lean_dir[i]
            d = (float(lean_dir[i][0]), float(lean_dir[i][1]))
            items.append((2, draw.angle_text("lean", sig.trunk_lean[i]), at, d))
        scene = placement.label_scene(p, k, segs, [counter, *banners[i]], trunk_len[i])
        placed = placement.place_labels(
            [(s, a, d) for _, s, a, d in items], scene, st, [prefer[j] for j, *_ in items]
        )
        prefer = [None, None, None]
        frame_labels = []
        for (j, text, _, _), (box, cand, _) in zip(items, placed, strict=True):
            prefer[j] = cand
            frame_labels.append((text, box))
        out.append(frame_labels)
    return out


def draw_frame(img: np.ndarray, ov: Overlay, i: int) -> None:
    """Draw frame i's overlay in place on an RGB image."""
    st = ov.style
    pts, ok = ov.joints[i], ov.joint_ok[i]
    if ok.any():
        if ov.judged:
            k = int(ov.outline_fault[i])
            color = ov.outline_colors[k] if k >= 0 else draw.OUTLINE
            plumb = None
            if ok[HIP] and np.isfinite(ov.trunk_len[i]):
                plumb = (pts[HIP], ov.trunk_len[i] * draw.ONE)
            annotators.OutlineAnnotator(st).annotate(
                img, ov.outline[i], ov.outline_ok[i], color, plumb
            )
        annotators.SkeletonAnnotator(st).annotate(img, pts, ok)
    annotators.LabelAnnotator(st).annotate(img, ov.labels[i])
    if ov.judged:
        annotators.CounterAnnotator(st).annotate(
            img, str(ov.rep_title[i]), str(ov.rep_sub[i]), ov.counter
        )
    if ov.stack_of[i] >= 0:
        annotators.BannerAnnotator(st).annotate(img, ov.stacks[ov.stack_of[i]])
    annotators.TimelineAnnotator(st, ov.strip).annotate(img, int(ov.playhead[i]))


# The annotated copy is for watching on a laptop, phone or review page: 1280 px on the long side
# is plenty, and capping it keeps rendering under a quarter of the analysis at 1080p and 4K
# (decoding, drawing and encoding all scale with the pixels).
MAX_SIDE = 1280


def _frame_index(t: float, i: int, track_t: np.ndarray) -> int:
    """The Track row for a decoded frame: same index when the clocks agree, else nearest time."""
    if i < len(track_t) and abs(track_t[i] - t) < 1e-3:
        return i
    j = int(np.clip(np.searchsorted(track_t, t), 1, len(track_t) - 1))
    return j if abs(track_t[j] - t) < abs(track_t[j - 1] - t) else j - 1


def render_video(video: Path, result: Analysis, out_path: Path, *, progress: bool = False) -> None:
    """Write the annotated copy of `video` to `out_path` (H.264 mp4, same duration, orientation
    and frame times as the source, at most MAX_SIDE px on the long side). Written under a
    temporary name and renamed when complete."""

    track_t = np.asarray(result.track.t, dtype=np.float64)
    if len(track_t) == 0:
        raise InputError(f"{video}: nothing to render (no frames were analysed)")
    info = result.report.source
    fps = Fraction(info.fps).limit_denominator(1001) if info.fps > 0 else Fraction(30)
    frame_dt = float(np.median(np.diff(track_t))) if len(track_t) > 1 else 1.0 / float(fps)
    bar = frame_bar(info.frames, f"video {Path(video).name}", progress)
    with (
        bar,
        atomic_path(Path(out_path)) as tmp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        stream = None
        ov: Overlay | None = None
        for frame in iter_frames(video, max_side=MAX_SIDE, fast_rgb=True):
            img = frame.rgb
            h, w = img.shape[0] & ~1, img.shape[1] & ~1  # yuv420p needs even sides
            if stream is None:
                stream = _add_stream(out, w, h, fps, frame.colorspace)
                ov = plan_overlay(result, w, h)
            img = img[:h, :w] if img.shape[:2] != (h, w) else img
            if not img.flags.writeable or not img.flags.c_contiguous:
                img = np.ascontiguousarray(img).copy()
            assert ov is not None  # planned with the stream, on the first frame
            draw_frame(img, ov, _frame_index(frame.t, frame.index, track_t))
            _encode(out, stream, img, frame.t, frame_dt)
            bar.update(1)
        if stream is None:
            raise InputError(f"{video}: no frames could be decoded for the annotated video")
        for packet in stream.encode():
            out.mux(packet)


def _add_stream(
    out: av.container.OutputContainer, w: int, h: int, fps: Fraction, source_matrix: int = 2
):
    stream = out.add_stream("libx264", rate=fps, options=dict(X264))
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    cc = stream.codec_context
    cc.time_base = TIME_BASE
    # The frames went YUV -> RGB -> YUV through cv2's one BT.601 matrix, so the source's YUV
    # values come back nearly unchanged: tag them as the source was (a BT.709 phone video stays
    # 709), else as 601, so players show the colours the source had.
    tag = 1 if source_matrix == 1 else 6
    for name, value in (
        ("colorspace", tag),
        ("color_primaries", tag),
        ("color_trc", tag),
        ("color_range", 1),
    ):
        # Older PyAV can't set these: the file is then untagged and players assume 601 anyway.
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            setattr(cc, name, value)
    return stream


def _encode(
    out: av.container.OutputContainer, stream, rgb: np.ndarray, t: float, frame_dt: float
) -> None:
    # cv2's colour conversion is ~4x cheaper than swscale's rgb24 path at 720p.
    yuv = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), dtype=np.uint8)
    vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    vf.pts = int(round(t / TIME_BASE))
    vf.time_base = TIME_BASE
    if hasattr(vf, "duration"):  # lets the last frame keep its length, so durations match
        vf.duration = int(round(frame_dt / TIME_BASE))
    for packet in stream.encode(vf):
        out.mux(packet)
