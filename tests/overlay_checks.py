"""What a lifter or trainer sees, checked on a whole analysed set (the demo, a real clip): the
annotated video's text stays off the body and the limbs, its phase words agree with the
messages, and pictures of the video and the review page (desktop and phone) are kept for a
person to look at.

The pictures go to $HINGECHECK_SCREENSHOTS when set (a folder outside the repository), else to
pytest's temporary folder; they are never committed.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from hingecheck.outputs import layout
from hingecheck.outputs.draw import EDGES
from hingecheck.outputs.video import Overlay, plan_overlay
from hingecheck.pipeline import Analysis

DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def shots_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """Where this set's pictures go."""
    root = os.environ.get("HINGECHECK_SCREENSHOTS")
    folder = Path(root) / name if root else tmp_path_factory.mktemp(f"shots-{name}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def video_size(path: Path) -> tuple[int, int]:
    """(width, height) of a video's frames."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return s.codec_context.width, s.codec_context.height


def landmarks_box(result: Analysis, i: int, w: int, h: int) -> layout.Box | None:
    """The box round frame i's landmarks, raised by 8 % of its height for the crown of the head
    (the highest landmarks are the eyes and ears)."""
    if not result.track.present[i]:
        return None
    p = result.track.landmarks[i, :, :2].astype(np.float64) * (w, h)
    p = p[np.isfinite(p).all(axis=1)]
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    return float(x0), float(y0 - 0.08 * (y1 - y0)), float(x1), float(y1)


def assert_text_off_the_body(result: Analysis, w: int, h: int) -> Overlay:
    """Banners clear of the landmarks' box whenever they are up (the top of every rep
    included); angle labels inside the picture, clear of every drawn limb, of the rep
    counter, the banners and each other."""
    ov = plan_overlay(result, w, h)
    on_body = [
        (round(float(ov.t[i]), 2), b.lines)
        for i in np.flatnonzero(ov.stack_of >= 0)
        for b in ov.stacks[ov.stack_of[i]]
        if (box := landmarks_box(result, i, w, h)) and layout.overlap(b.box, box)
    ]
    assert not on_body, on_body[:5]
    fixed = ov.joints.astype(np.float64) / 16.0  # draw.ONE: fixed-point to pixels
    bad = []
    for i, labels in enumerate(ov.labels):
        ok = ov.joint_ok[i]
        segs = np.array([[fixed[i, a], fixed[i, b]] for a, b in EDGES if ok[a] and ok[b]])
        boxes = [box for _, box in labels]
        banners = [b.box for b in ov.stacks[ov.stack_of[i]]] if ov.stack_of[i] >= 0 else []
        hits = layout.segments_hit_boxes(segs.reshape(-1, 2, 2), np.array(boxes).reshape(-1, 4))
        for k, (text, box) in enumerate(labels):
            others = [*boxes[:k], *boxes[k + 1 :], ov.counter, *banners]
            if hits[k] or not layout.inside(box, ov.style.picture):
                bad.append((i, text, "limb" if hits[k] else "outside"))
            elif any(layout.overlap(box, o) for o in others):
                bad.append((i, text, "other text"))
    assert not bad, f"{len(bad)} of {sum(map(len, ov.labels))} labels: {bad[:5]}"
    return ov


def assert_phase_words_agree(ov: Overlay, result: Analysis) -> None:
    """At each fault's worst moment the overlay shows the phase its message names."""
    for f in result.report.faults:
        i = int(np.argmin(np.abs(ov.t - f.peak_s)))
        assert str(ov.rep_sub[i]).startswith(f.phase), (f.type, f.rep, f.phase, ov.rep_sub[i])


def save_frames(video: Path, times: dict[str, float], folder: Path) -> list[Path]:
    """PNGs of the video's frames nearest the named times."""
    with av.open(str(video)) as c:
        frames = [(f.time, f) for f in c.decode(video=0)]
    out = []
    for name, t in times.items():
        _, frame = min(frames, key=lambda p: abs(p[0] - t))
        path = folder / f"{name}.png"
        cv2.imwrite(str(path), cv2.cvtColor(frame.to_ndarray(format="rgb24"), cv2.COLOR_RGB2BGR))
        out.append(path)
    return out


def key_times(result: Analysis) -> dict[str, float]:
    """The moments worth a picture: the top and bottom of every rep, each fault's worst frame."""
    times = {}
    for r in result.report.reps:
        times[f"rep{r.index:02d}_top"] = r.top_s
        times[f"rep{r.index:02d}_bottom"] = r.bottom_s
    for k, f in enumerate(result.report.faults):
        times[f"fault{k + 1:02d}_{f.type}"] = f.peak_s
    return times


def screenshot_page(browser, page: Path, folder: Path) -> dict[str, dict]:
    """Full-page pictures of a review page on a desktop and on a phone; returns, per screen,
    the chart geometry the tests check (plot, threshold key and time axis boxes)."""
    geometry = {}
    for name, viewport, mobile in (("desktop", DESKTOP, False), ("phone", PHONE, True)):
        ctx = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
        try:
            pg = ctx.new_page()
            pg.goto(page.as_uri())
            pg.wait_for_function("document.getElementById('video').readyState >= 2", timeout=20000)
            pg.screenshot(path=str(folder / f"review_{name}.png"), full_page=True)
            geometry[name] = page_geometry(pg)
        finally:
            ctx.close()
    return geometry


def page_geometry(pg) -> dict:
    """A loaded review page's geometry as assert_page_geometry reads it."""
    g = pg.evaluate(CHART_GEOMETRY)
    g["scroll_width"] = pg.evaluate("document.documentElement.scrollWidth")
    g["video"] = pg.evaluate(
        "(() => { const v = document.getElementById('video');"
        " return [v.clientWidth, v.clientHeight, v.videoWidth, v.videoHeight]; })()"
    )
    return g


CHART_GEOMETRY = """(() => {
  const box = e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];
  };
  return {charts: [...document.querySelectorAll('[data-chart]')].map(c => ({
    key: c.dataset.chart,
    plot: box(c.querySelector('.plot')),
    keys: [...c.querySelectorAll('.th-label')].map(box),
    lines: c.querySelectorAll('line.threshold').length
      + (c.querySelector('.threshold-curve') ? 1 : 0),
    ticks: [...c.querySelectorAll('.xaxis span')].map(s => [s.textContent, ...box(s)]),
  })),
  stills: [...document.querySelectorAll('.fault img')].map(i => ({
    natural: [i.naturalWidth, i.naturalHeight], shown: [i.clientWidth, i.clientHeight],
    fit: getComputedStyle(i).objectFit})),
  };
})()"""


def assert_page_geometry(geometry: dict, overlay_text_px: int | None = None) -> None:
    """On each screen: every chart has a readable time axis under it; threshold names sit
    off the plot (so off the traces) and off each other; every still is shown whole; nothing
    is wider than the screen; the video's overlay text is at least 9 CSS px tall."""
    for screen, g in geometry.items():
        width = (DESKTOP if screen == "desktop" else PHONE)["width"]
        assert g["scroll_width"] <= width, screen
        for c in g["charts"]:
            x0, y0, x1, y1 = c["plot"]
            assert len(c["ticks"]) >= 3, (screen, c["key"])
            for _, tx0, ty0, tx1, _ty1 in c["ticks"]:
                assert ty0 >= y1 - 1 and x0 - 2 <= tx0 and tx1 <= x1 + 24, (screen, c["key"])
            lefts = [t[1] for t in c["ticks"]]
            rights = [t[3] for t in c["ticks"]]
            assert all(r <= nl for r, nl in zip(rights, lefts[1:], strict=False)), "ticks overlap"
            assert len(c["keys"]) == c["lines"], (screen, c["key"])
            for k in c["keys"]:
                assert not layout.overlap(tuple(k), (x0, y0, x1, y1)), (screen, c["key"], k)
        for s in g["stills"]:
            assert s["fit"] != "cover"
            (nw, nh), (sw, sh) = s["natural"], s["shown"]
            assert abs(nw / nh - sw / sh) < 0.03 * nw / nh, (screen, s)  # not cropped
        if overlay_text_px is not None:  # the page shows the annotated video
            cw, _, vw, _ = g["video"]
            assert overlay_text_px * cw / vw >= 9.0, (screen, overlay_text_px, cw, vw)
