"""The trainer's review page: the annotated video, a fault timeline, charts and a rep table.

`write_review` writes `<stem>.html` beside the report. The page is one self-contained file
(inline CSS/JS, hand-drawn SVG charts, fault stills as JPEG data URIs) that works from the file
system with no network; only the video is referenced, by a path relative to the page.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from hingecheck.analysis import Analysis
from hingecheck.errors import InputError
from hingecheck.faults import FAULT_TYPES, FAULTS, fault_kind
from hingecheck.judge.rules import ThresholdLine, reading, threshold_lines
from hingecheck.outputs import text
from hingecheck.outputs.registry import output
from hingecheck.outputs.text import clock
from hingecheck.outputs.writers import write_text
from hingecheck.records import Rep, Report, Signals, Track
from hingecheck.version import __version__

# The SVG plot area: time maps to 0..PLOT_W, value to PLOT_H (bottom)..0 (top).
PLOT_W, PLOT_H = 1000.0, 100.0
# More points than a chart's pixel width draw nothing new but weigh on the page.
MAX_POINTS = 2400
STILL_SIDE = 360  # px, the longer side of a fault still
_MIME = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/mp4",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
}


@dataclass(frozen=True)
class ChartSpec:
    """Which signal a chart shows and in what units (the fault table says which faults and
    the rules which thresholds belong to it)."""

    key: str
    title: str
    unit: str
    scale: float  # shown value = signal value * scale
    floor: tuple[float, float]  # the value range always shown (signal units)


CHARTS = (
    ChartSpec("hip_angle", "Hip angle", "°", 1.0, (60.0, 185.0)),
    ChartSpec("knee_angle", "Knee angle", "°", 1.0, (90.0, 185.0)),
    ChartSpec(
        "trunk_lean",
        "Trunk lean (from vertical, + forward)",
        "°",
        1.0,
        (-20.0, 90.0),
    ),
    # What the hyperextension rule reads: the back's outline from the side (rules.lockout_lean).
    ChartSpec(
        "lockout_lean",
        "Back lean read at lockout (from vertical, + forward)",
        "°",
        1.0,
        (-20.0, 90.0),
    ),
    ChartSpec(
        "back_bow",
        "Lower-back curvature (% of trunk, + rounded)",
        "%",
        100.0,
        (-0.03, 0.05),
    ),
)


def template_env():
    """The Jinja2 environment over the packaged templates (autoescaping everything)."""
    env = text.template_env("hingecheck.outputs")
    env.filters["deg"] = lambda v: "–" if v is None else text.degrees(v)
    env.globals.update(KIND={k.key: k for k in FAULTS}, FAULT_TYPES=FAULT_TYPES)
    return env


def _num(x: float, digits: int = 1) -> float | None:
    """A JSON-safe rounded number (None for NaN)."""
    return round(float(x), digits) if math.isfinite(float(x)) else None


def _at(x: np.ndarray, i: int) -> float | None:
    return _num(x[i]) if 0 <= i < len(x) else None


def _path(x: np.ndarray, y: np.ndarray) -> str:
    """An SVG path through the finite points, lifting the pen over gaps."""
    parts, pen = [], False
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        if math.isfinite(yi):
            parts.append(f"{'L' if pen else 'M'}{xi:.1f} {yi:.2f}")
            pen = True
        else:
            pen = False
    return "".join(parts)


def build_chart(
    spec: ChartSpec,
    signals: Signals,
    report: Report,
    duration: float,
    lines: list[ThresholdLine],
) -> dict[str, Any]:
    """One chart's drawing in plot units: the signal path, threshold lines, y ticks, and the
    indices of the faults it shows."""
    t = signals.t
    y = reading(signals, report.view, spec.key)
    finite = y[np.isfinite(y)]
    levels = [ln for ln in lines if ln.curve is None]
    curves = [ln for ln in lines if ln.curve is not None]
    values = [*spec.floor, *(ln.value for ln in levels)]
    if finite.size:
        values += [float(finite.min()), float(finite.max())]
    pad = 0.06 * (max(values) - min(values))
    lo, hi = min(values) - pad, max(values) + pad

    def ypos(v):
        return PLOT_H * (hi - np.asarray(v, dtype=np.float64)) / (hi - lo)

    step = max(1, int(math.ceil(len(t) / MAX_POINTS)))
    xs = PLOT_W * t[::step] / duration
    chart: dict[str, Any] = {
        "key": spec.key, "title": spec.title, "unit": spec.unit, "scale": spec.scale,
        "vmin": lo, "vmax": hi, "path": _path(xs, ypos(y[::step])), "curve": "",
        "lines": [{"value": ln.value, "type": ln.fault, "label": ln.label,
                   "y": float(ypos(ln.value)), "colour": fault_kind(ln.fault).colour}
                  for ln in levels],
        "faults": [i for i, f in enumerate(report.faults)
                   if spec.key in fault_kind(f.type).charts],
        "ticks": [{"label": f"{v + 0.0:g}", "y": float(ypos(v / spec.scale))}
                  for v in _nice_ticks(lo * spec.scale, hi * spec.scale)],
    }  # fmt: skip
    for ln in curves[:1]:  # a threshold that moves with another signal (the squat's knee)
        assert ln.curve is not None
        chart["curve"] = _path(xs, ypos(np.clip(ln.curve[::step], lo, hi)))
        chart["curve_label"] = ln.label
    return chart


def _nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round tick values inside (lo, hi)."""
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 6) for k in range(n + 2) if first + k * step < hi]


def _lifter_box(track: Track, t: float, width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel crop (x0, y0, x1, y1) around the landmarks at time t; the whole frame if none."""
    if len(track) == 0:
        return 0, 0, width, height
    i = int(np.argmin(np.abs(track.t - t)))
    pts = track.landmarks[i, :, :2].astype(np.float64)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not track.present[i] or len(pts) < 4:
        return 0, 0, width, height
    x0, y0 = pts.min(axis=0) * (width, height)
    x1, y1 = pts.max(axis=0) * (width, height)
    # Landmarks sit at joints: pad for the head, back and feet, more on the long side.
    pad = 0.18 * max(x1 - x0, y1 - y0) + 8
    box = (max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad))
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return 0, 0, width, height
    return x0, y0, x1, y1


def fault_stills(video: Path, track: Track, times: list[float]) -> dict[float, str]:
    """JPEG data URIs of the frames nearest `times`, cropped to the lifter.

    Each is found by a seek to the keyframe before it and a short decode (never a pass over
    the whole video); an unreadable video gives no stills rather than no page.
    """
    import cv2

    from hingecheck.video.source import iter_frames

    best: dict[float, tuple[float, np.ndarray]] = {}
    try:
        for w in sorted(set(times)):
            # A window of +-0.1 s always holds a frame at any frame rate above 5 fps.
            for frame in iter_frames(video, max_side=720, start_s=max(w - 0.1, 0.0), end_s=w + 0.1):
                d = abs(frame.t - w)
                if w not in best or d < best[w][0]:
                    best[w] = (d, frame.rgb)
    except InputError:
        return {}
    out = {}
    for w, (_, rgb) in best.items():
        h, wd = rgb.shape[:2]
        x0, y0, x1, y1 = _lifter_box(track, w, wd, h)
        crop = rgb[y0:y1, x0:x1]
        scale = STILL_SIDE / max(crop.shape[:2])
        if scale < 1:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ok, jpg = cv2.imencode(
            ".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82]
        )
        if ok:
            out[w] = "data:image/jpeg;base64," + base64.b64encode(jpg.tobytes()).decode("ascii")
    return out


def rep_angles(signals: Signals, rep: Rep) -> dict[str, Any]:
    """The rep table's numbers: depth (hip bend) and the key angles at the bottom and the top.

    The top is the lockout's most extended moment (top..end), what a coach reads as "the top".
    """
    b = rep.bottom
    hip = signals.hip_angle[rep.top : rep.end + 1]
    top = rep.top + int(np.nanargmax(hip)) if np.isfinite(hip).any() else rep.top
    return {"depth": _at(signals.hip_flexion, b),
            "bottom": [_at(getattr(signals, k), b) for k in ("hip_angle", "knee_angle",
                                                             "trunk_lean")],
            "top": [_at(signals.hip_angle, top), _at(signals.trunk_lean, top)]}  # fmt: skip


def video_url(out_dir: Path, video_path: Path, stem: str) -> tuple[str, str]:
    """The page's video: the annotated one if written, else the source; a relative URL."""
    annotated = output("video").path_for(out_dir, stem)
    target = annotated if annotated.exists() else Path(video_path)
    try:
        rel = os.path.relpath(target.resolve(), out_dir.resolve())
    except ValueError:  # another drive on Windows: only an absolute URL can reach it
        return target.resolve().as_uri(), _MIME.get(target.suffix.lower(), "video/mp4")
    return quote(Path(rel).as_posix()), _MIME.get(target.suffix.lower(), "video/mp4")


def as_in_json(report: Report) -> Report:
    """The report with its times and values rounded as its JSON file has them, so the page
    shows (and its markers carry) exactly the file's numbers."""
    d = report.to_dict()
    times = ("start_s", "bottom_s", "top_s", "end_s")
    reps = [
        replace(r, **{k: j[k] for k in times}) for r, j in zip(report.reps, d["reps"], strict=True)
    ]
    faults = [
        replace(
            f,
            **{k: j[k] for k in ("start_s", "end_s", "peak_s", "value", "threshold", "confidence")},
        )
        for f, j in zip(report.faults, d["faults"], strict=True)
    ]
    return replace(report, reps=reps, faults=faults)


def page_data(
    result: Analysis,
    video_path: Path,
    out_dir: Path,
    stem: str,
    stills: dict[float, str] | None = None,
) -> dict[str, Any]:
    """Everything the template shows; times and values as in the report's JSON."""
    report, signals = as_in_json(result.report), result.signals
    info, t, stills = report.source, signals.t, stills or {}
    duration = max(info.duration_s, float(t[-1]) if len(t) else 0.0, 1e-3)
    lines = threshold_lines(signals, report.view, result.config.rules, report.faults)
    src, mime = video_url(out_dir, video_path, stem)
    step = max(1, int(math.ceil(len(t) / MAX_POINTS)))
    series = {
        s.key: [_num(v * s.scale, 2) for v in reading(signals, report.view, s.key)[::step]]
        for s in CHARTS
    }
    series["t"] = [round(float(v), 3) for v in t[::step]]
    return {
        "report": report, "clip": Path(info.path).name, "duration": duration,
        "fps": info.fps or 30.0, "video": {"src": src, "mime": mime},
        "version": report.version or __version__,
        "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "counts": {k: sum(f.type == k for f in report.faults) for k in FAULT_TYPES},
        "complete_reps": sum(r.complete for r in report.reps),
        "stills": [stills.get(f.peak_s) for f in report.faults],
        "angles": [rep_angles(signals, r) for r in report.reps],
        "charts": [build_chart(c, signals, report, duration,
                               [ln for ln in lines if ln.chart == c.key]) for c in CHARTS],
        "time_ticks": [{"label": clock(v)[:-2] if v == int(v) else clock(v),
                        "left": 100 * v / duration} for v in _nice_ticks(0.0, duration, 6)],
        "js": {"duration": duration, "fps": info.fps or 30.0, "series": series,
               "faults": [{"index": i, "start": f.start_s, "end": f.end_s}
                          for i, f in enumerate(report.faults)]},
    }  # fmt: skip


def render_review(data: dict[str, Any]) -> str:
    """The page's HTML from its data."""
    return (
        template_env().get_template("review.html.j2").render(d=data, plot_w=PLOT_W, plot_h=PLOT_H)
    )


def write_review(result: Analysis, video_path: Path, out_dir: Path, stem: str) -> Path:
    """Write `<stem>.html` in out_dir (after the annotated video, which it shows if present)."""
    out_dir = Path(out_dir)
    stills = fault_stills(
        Path(video_path), result.track, [f.peak_s for f in as_in_json(result.report).faults]
    )
    data = page_data(result, Path(video_path), out_dir, stem, stills)
    path = output("html").path_for(out_dir, stem)
    write_text(path, render_review(data))
    return path
