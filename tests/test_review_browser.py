"""The review page in a real headless browser (Playwright driving Debian's chromium).

The set is the self-made figure (see test_review_page.make_set): an H.264 video, which Debian's
chromium decodes, and a hand-built report, so no pose model is needed. Screenshots go to
$HINGECHECK_SCREENSHOTS, else pytest's temporary folder (never the repository).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from browser_support import launch, require_chromium

from hingecheck.judge.rules import reading
from hingecheck.outputs.index import write_index
from hingecheck.outputs.review import write_review
from hingecheck.outputs.text import clock
from hingecheck.outputs.writers import write_json

require_chromium()
from overlay_checks import (  # noqa: E402
    DESKTOP,
    PHONE,
    assert_page_geometry,
    page_geometry,
    shots_dir,
)
from playwright.sync_api import TimeoutError as TimeoutError_  # noqa: E402
from test_review_page import SPECS, make_set  # noqa: E402

NASTY = "lift <script>window.pwned=1</script> & 'q'".replace("/", "\u2215") + ".mp4"
SEEK_LOG = """(() => {
  const d = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "currentTime");
  window.__seeks = [];
  Object.defineProperty(HTMLMediaElement.prototype, "currentTime", {
    get() { return d.get.call(this); },
    set(v) { window.__seeks.push(v); d.set.call(this, v); },
  });
})();"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return shots_dir(tmp_path_factory, "review-figure")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two analysed sets in one folder (one with a hostile name), their pages and the index."""
    folder = tmp_path_factory.mktemp("client")
    result, video = make_set(folder, "anna deadlift.mp4", warnings=())
    write_json(result.report, folder / f"{video.stem}.json")
    page = write_review(result, video, folder, video.stem)
    nasty, nasty_video = make_set(folder, NASTY, specs=SPECS[1:2])
    write_json(nasty.report, folder / f"{nasty_video.stem}.json")
    nasty_page = write_review(nasty, nasty_video, folder, nasty_video.stem)
    index = write_index(folder, None)
    report = json.loads((folder / f"{video.stem}.json").read_text("utf-8"))
    return {"result": result, "page": page, "report": report, "nasty": nasty_page, "index": index}


@pytest.fixture(scope="module")
def browser():
    yield from launch()


class Page:
    """A page with every console error, page error and non-local request recorded."""

    def __init__(self, browser, url: str, viewport=DESKTOP, mobile: bool = False):
        self.ctx = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
        self.pg = self.ctx.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.pg.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.pg.on("pageerror", lambda e: self.errors.append(str(e)))
        self.pg.on(
            "request",
            lambda r: r.url.split(":")[0] not in ("file", "data") and self.remote.append(r.url),
        )
        # Every time the page (or the test) sets the video's time, recorded as it is set:
        # the 'seeking' event comes later and can arrive after the next key press.
        self.pg.add_init_script(SEEK_LOG)
        self.pg.goto(url)
        self.pg.wait_for_load_state("load")

    def js(self, expr: str, arg=None):
        return self.pg.evaluate(expr, arg)

    def wait_video(self) -> None:
        """Until the video has a decoded frame (fails clearly if the browser can't decode it)."""
        try:
            self.pg.wait_for_function(
                "document.getElementById('video').readyState >= 2", timeout=15000
            )
        except TimeoutError_:
            err = self.js(
                "(() => { const v = document.getElementById('video');"
                " return [v.readyState, v.error && v.error.message]; })()"
            )
            raise AssertionError(f"the browser could not load the video: {err}") from None


@pytest.fixture
def review(browser, site):
    page = Page(browser, site["page"].as_uri())
    page.wait_video()
    yield page
    page.ctx.close()


def test_loads_with_no_console_errors_or_network(review):
    assert review.errors == []
    assert review.remote == []
    assert review.js("document.querySelectorAll('video').length") == 1


def test_video_plays(review):
    review.pg.keyboard.press("Space")  # a real key press: the page's own play/pause
    review.pg.wait_for_function("document.getElementById('video').currentTime > 0.5", timeout=10000)
    assert review.js("document.getElementById('video').paused") is False
    review.pg.keyboard.press("Space")
    assert review.js("document.getElementById('video').paused") is True
    assert review.errors == []


def test_each_marker_seeks_to_its_fault_and_plays(review, site):
    faults = site["report"]["faults"]
    markers = review.pg.locator("[data-fault-start]")
    assert markers.count() == len(faults) == 3
    for i, f in enumerate(faults):
        marker = review.pg.locator(f'[data-fault-start][data-fault-index="{i}"]')
        assert marker.get_attribute("data-fault-type") == f["type"]
        assert float(marker.get_attribute("data-fault-start")) == f["start_s"]
        review.js("document.getElementById('video').pause()")
        review.js("window.__seeks = []")
        marker.click()
        assert review.js("window.__seeks")[0] == pytest.approx(f["start_s"], abs=1e-3)
        review.pg.wait_for_function(
            "t => { const v = document.getElementById('video');"
            " return !v.paused && v.currentTime > t + 0.1; }",
            arg=f["start_s"],
            timeout=10000,
        )
        card = review.pg.locator(f'.fault[data-index="{i}"]')
        assert "selected" in card.get_attribute("class")
    assert review.errors == []


def test_chart_click_and_keyboard_seek(review, site):
    report = site["report"]
    duration = float(
        review.js("JSON.parse(document.getElementById('hc-data').textContent).duration")
    )
    plot = review.pg.locator('[data-chart="hip_angle"] .plot')
    box = plot.bounding_box()
    plot.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    assert review.js("window.__seeks").pop() == pytest.approx(duration / 2, abs=0.05)
    # The cursor follows: every chart's cursor and the timeline's playhead at the same place.
    lefts = review.js(
        "[...document.querySelectorAll('.cursor, .playhead')].map(c => parseFloat(c.style.left))"
    )
    assert lefts == pytest.approx([50.0] * len(lefts), abs=0.5)

    review.js("document.getElementById('video').currentTime = 0")
    starts = [f["start_s"] for f in report["faults"]]
    review.pg.keyboard.press("n")
    review.pg.keyboard.press("n")
    review.js("document.getElementById('video').pause()")
    assert review.js("window.__seeks").pop() == pytest.approx(starts[1], abs=1e-3)
    review.pg.keyboard.press("p")
    review.js("document.getElementById('video').pause()")
    assert review.js("window.__seeks").pop() == pytest.approx(starts[0], abs=1e-3)
    fps = report["source"]["fps"]

    def settled() -> float:
        review.pg.wait_for_function("!document.getElementById('video').seeking")
        return review.js("document.getElementById('video').currentTime")

    review.js("document.getElementById('video').currentTime = 2.0")
    assert settled() == pytest.approx(2.0)
    review.pg.keyboard.press("ArrowRight")
    assert settled() == pytest.approx(2.0 + 1 / fps, abs=1e-3)
    assert review.js("document.getElementById('video').paused") is True
    review.pg.keyboard.press("ArrowLeft")
    review.pg.keyboard.press("ArrowLeft")
    assert settled() == pytest.approx(2.0 - 1 / fps, abs=1e-3)
    assert review.errors == []


def _path_points(d: str) -> np.ndarray:
    return np.array([[float(a), float(b)] for a, b in re.findall(r"[ML]([\d.]+) ([-\d.]+)", d)])


def test_charts_and_table_agree_with_json(review, site):
    report, signals = site["report"], site["result"].signals
    duration = float(
        review.js("JSON.parse(document.getElementById('hc-data').textContent).duration")
    )
    for key in ("hip_angle", "knee_angle", "trunk_lean", "lockout_lean", "back_bow"):
        chart = review.pg.locator(f'[data-chart="{key}"]')
        vmin, vmax = (
            float(chart.get_attribute("data-vmin")),
            float(chart.get_attribute("data-vmax")),
        )
        pts = _path_points(chart.locator("path.signal").get_attribute("d"))
        t = pts[:, 0] / 1000 * duration
        value = vmax - pts[:, 1] / 100 * (vmax - vmin)
        truth = np.interp(t, signals.t, reading(signals, site["result"].report.view, key))
        assert np.nanmax(np.abs(value - truth)) < 0.01 * (vmax - vmin)
    bands = review.js("""[...document.querySelectorAll('.fault-band')].map(b =>
        [b.dataset.faultType, +b.dataset.start, +b.dataset.end])""")
    for f in report["faults"]:
        assert [f["type"], f["start_s"], f["end_s"]] in bands
    drawn = review.js("""[...document.querySelectorAll('line.threshold')]
        .map(l => [l.dataset.faultType + '@' + l.closest('[data-chart]').dataset.chart,
                   +l.dataset.threshold])""")
    lines: dict[str, set[float]] = {}  # a chart can draw two levels (rounding's release)
    for key, value in drawn:
        lines.setdefault(key, set()).add(value)
    for f in report["faults"]:
        if f["type"] == "lumbar_rounding":
            assert f["threshold"] in lines["lumbar_rounding@back_bow"]
        elif f["type"] == "squat_like_knee_bend":
            assert f["threshold"] in lines["squat_like_knee_bend@trunk_lean"]
        elif f["type"] == "lockout_hyperextension":  # reported as lean behind vertical
            assert -f["threshold"] in lines["lockout_hyperextension@lockout_lean"]
    rows = review.js("""[...document.querySelectorAll('#rep-table tbody tr')].map(r => ({
        rep: +r.dataset.rep, time: r.querySelector('[data-col=time]').textContent.trim(),
        faults: [...r.querySelectorAll('.rep-fault')].map(f => f.dataset.faultType).sort(),
        sev: [...r.querySelectorAll('.rep-fault .sev')].map(s => s.textContent)}))""")
    assert [r["rep"] for r in rows] == [r["index"] for r in report["reps"]]
    for row, rep in zip(rows, report["reps"], strict=True):
        assert row["time"] == f"{clock(rep['start_s'])}–{clock(rep['end_s'])}"
        assert row["faults"] == rep["faults"]
        mine = [f for f in report["faults"] if f["rep"] == rep["index"]]
        assert sorted(row["sev"]) == sorted(f["severity"] for f in mine)
    # Each fault's cue is said once, on its first call; the later ones point back to it.
    said = review.js("[...document.querySelectorAll('#fault-list .cue')].map(s => s.textContent)")
    first: dict[str, int] = {}
    for f, text in zip(report["faults"], said, strict=True):
        want = f"Cue: as for rep {first[f['type']]}." if f["type"] in first else f["cue"]
        first.setdefault(f["type"], f["rep"])
        assert text.strip() == want
    # The readout under the cursor shows the signal at the video's time.
    review.js("document.getElementById('video').currentTime = 3.0")
    review.pg.wait_for_timeout(100)
    shown = review.js("document.querySelector('[data-readout=hip_angle]').textContent")
    assert float(shown.rstrip("°")) == pytest.approx(
        np.interp(3.0, signals.t, signals.hip_angle), abs=1.0
    )


def test_script_in_file_name_is_text(browser, site):
    page = Page(browser, site["nasty"].as_uri())
    try:
        page.wait_video()  # the hostile name also survives as the video's URL
        assert page.js("document.querySelector('h1').textContent") == NASTY
        assert page.js("typeof window.pwned") == "undefined"
        assert page.js("document.scripts.length") == 2
        assert "<script>window.pwned=1" in page.js("document.title")
        assert page.errors == []
    finally:
        page.ctx.close()


def test_index_page(browser, site):
    page = Page(browser, site["index"].as_uri())
    try:
        links = page.js("[...document.querySelectorAll('#sets a')].map(a => a.textContent)")
        assert sorted(links) == sorted(["anna deadlift.mp4", NASTY])
        assert page.js("typeof window.pwned") == "undefined"
        page.pg.get_by_text("anna deadlift.mp4").click()
        page.pg.wait_for_load_state("load")
        assert page.pg.url == site["page"].as_uri()
        assert page.errors == []
    finally:
        page.ctx.close()


@pytest.mark.parametrize(
    "name,viewport,mobile", [("desktop", DESKTOP, False), ("phone", PHONE, True)]
)
def test_screenshots_and_phone_layout(browser, site, shots, name, viewport, mobile):
    page = Page(browser, site["page"].as_uri(), viewport, mobile)
    try:
        page.wait_video()
        page.pg.locator('[data-fault-index="1"]').click()
        page.pg.wait_for_timeout(700)
        page.js("document.getElementById('video').pause()")
        page.pg.screenshot(path=str(shots / f"review_{name}.png"), full_page=True)
        # Nothing wider than the screen (no sideways scrolling on a phone); each chart with a
        # time axis and its threshold names off the plot; each still the whole picture.
        geometry = page_geometry(page.pg)
        assert len(geometry["stills"]) == 3
        assert_page_geometry({name: geometry})
        assert page.errors == []
    finally:
        page.ctx.close()


def test_chart_time_axis_reads_the_video_clock(review):
    """Each chart's time labels sit under the plot where their time falls."""
    duration = float(
        review.js("JSON.parse(document.getElementById('hc-data').textContent).duration")
    )
    for key in ("hip_angle", "back_bow"):
        plot = review.pg.locator(f'[data-chart="{key}"] .plot').bounding_box()
        ticks = review.js(
            f"[...document.querySelectorAll('[data-chart={key}] .xaxis span')]"
            ".map(s => [s.textContent, s.getBoundingClientRect().left,"
            " s.getBoundingClientRect().width])"
        )
        assert len(ticks) >= 3
        for k, (label, left, width) in enumerate(ticks):
            minutes, seconds = label.split(":")
            t = 60 * int(minutes) + float(seconds)
            x = left if k == 0 else left + width / 2  # the first label starts at its time
            assert x == pytest.approx(plot["x"] + plot["width"] * t / duration, abs=2.0)
