"""`hingecheck serve` for real: the server in a subprocess on a free 127.0.0.1 port, analysing
with its real engine, driven by Debian's chromium through Playwright.

Clips are a few seconds cut from the demo set, analysed with the pose model at 10 Hz (the
tests' config) to spare the shared machine. Screenshots go to artifacts/ (not committed).
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
from browser_support import launch, require_chromium

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
require_chromium()

import httpx2 as httpx  # noqa: E402
from serve_support import (  # noqa: E402
    PASSWORD,
    TEST_CONFIG,
    Server,
    add_client,
    csrf_of,
    cut_clip,
    trainer_client,
    wait_done,
)

from hingecheck.faults import fault_kind  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}
ANALYSIS_S = 300_000  # ms a page may wait for an analysis on a busy machine


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        # a rounded rep, then a squatted one
        "set": cut_clip(d / "Deadlift set.mp4", 9.8, 15.6),
        **{f"short{i}": cut_clip(d / f"short {i}.mp4", 10.0 + 0.2 * i, 13.0 + 0.2 * i)
           for i in range(5)},
    }  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    config = root / "fast.toml"
    config.write_text(TEST_CONFIG)
    srv = Server(root / "data", config, workers=2).start()
    trainer = trainer_client(srv.url, srv.setup_code())
    ids = {name: add_client(trainer, name) for name in ("Anna", "Ben")}
    yield {"server": srv, "trainer": trainer, "clients": ids}
    trainer.close()
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    yield from launch()


class Tab:
    """A browser context and page recording page errors and any request off this machine."""

    def __init__(self, browser, viewport=DESKTOP, mobile: bool = False) -> None:
        self.ctx = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
        self.pg = self.ctx.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.pg.on("pageerror", lambda e: self.errors.append(str(e)))
        self.pg.on(
            "response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.url}")
        )
        self.pg.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.pg.on(
            "request",
            lambda r: (
                not r.url.startswith(("http://127.0.0.1:", "data:")) and self.remote.append(r.url)
            ),
        )

    def close(self) -> None:
        self.ctx.close()


def shot(tab: Tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.pg.screenshot(path=str(ARTIFACTS / f"serve_{name}.png"), full_page=True)


def lifter_upload(tab: Tab, url: str, video: Path, exercise: str = "", note: str = "") -> None:
    tab.pg.goto(url)
    tab.pg.set_input_files("#pick", str(video))
    if exercise:
        tab.pg.select_option("select[name=exercise]", exercise)
    tab.pg.fill("textarea[name=note]", note)
    tab.pg.click("#send")


def test_lifter_uploads_from_a_phone_and_sees_the_faults(browser, server, clips):
    srv = server["server"]
    _, link = server["clients"]["Anna"]
    tab = Tab(browser, PHONE, mobile=True)
    tab.pg.goto(srv.url + link)
    record = tab.pg.locator("#record")
    assert record.get_attribute("accept") == "video/*"
    assert record.get_attribute("capture") == "environment"
    lifter_upload(tab, srv.url + link, clips["set"], "deadlift", "135 kg, felt slow")
    # The page moves to the set's status once the upload is in, then shows the answer.
    tab.pg.wait_for_url("**/sets/*", timeout=60_000)
    tab.pg.wait_for_selector("#summary", timeout=ANALYSIS_S)
    faults = tab.pg.locator("#faults li.fault")
    assert faults.count() >= 1
    text = tab.pg.inner_text("#faults")
    assert "Lower back rounded" in text and "Brace and keep the chest up" in text
    assert tab.pg.locator("#faults button.time").first.inner_text().startswith("00:")
    tab.pg.wait_for_function("document.getElementById('video').readyState >= 2", timeout=20_000)
    t = float(tab.pg.locator("#faults button.time").first.get_attribute("data-t"))
    tab.pg.locator("#faults button.time").first.click()
    tab.pg.wait_for_function(
        f"Math.abs(document.getElementById('video').currentTime - {t}) < 1.0", timeout=10_000
    )
    # Each fault is drawn in its colour from the fault table (faults.py).
    for item in faults.all():
        kind = fault_kind(item.get_attribute("data-type"))
        border = item.evaluate("e => getComputedStyle(e).borderLeftColor")
        assert border == "rgb({}, {}, {})".format(*kind.rgb), (kind.key, border)
    # Phone-first: nothing wider than the screen.
    assert tab.pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(tab, "lifter_set")
    tab.pg.goto(srv.url + link)
    assert re.search(r"\b\d+ reps?\b", tab.pg.inner_text("#history"))  # "1 rep", "2 reps"
    assert tab.errors == [] and tab.remote == []
    tab.close()


def test_trainer_disagrees_marks_a_missed_fault_and_exports_both(browser, server, clips):
    srv = server["server"]
    _, link = server["clients"]["Anna"]
    lifter = httpx.Client(base_url=srv.url, timeout=60)
    token = csrf_of(lifter.get(link).text)
    with clips["set"].open("rb") as fh:
        # The token in the URL, as the page's own form sends it.
        r = lifter.post(f"{link}/sets?csrf={token}",
                        files={"video": ("set.mp4", fh, "video/mp4")},
                        data={"csrf": token}, headers={"accept": "application/json"})  # fmt: skip
    assert r.status_code == 201, r.text
    sid = r.json()["url"].rsplit("/", 1)[1]
    assert wait_done(lifter, r.json()["url"] + "/status.json")["state"] == "done"

    tab = Tab(browser, DESKTOP)
    tab.pg.goto(srv.url + "/login")
    tab.pg.fill("input[name=password]", PASSWORD)
    tab.pg.click("button[type=submit]")
    tab.pg.wait_for_selector("#waiting")
    assert tab.pg.locator(f"#waiting a[href='/t/sets/{sid}']").count() == 1
    tab.pg.click(f"#waiting a[href='/t/sets/{sid}']")
    frame = tab.pg.frame_locator("#review-frame")
    frame.locator("video").wait_for(timeout=20_000)
    rounded = tab.pg.locator("li.fault[data-type=lumbar_rounding]").first
    index = int(rounded.get_attribute("id").split("-")[1])
    rounded.locator("button[value=disagree]").click()
    tab.pg.wait_for_selector(f"#fault-{index}[data-verdict=disagree]")
    # The missed fault's moment comes from the review page's own video. The verdict reloads
    # the page, so wait for the new iframe's video before taking the frame it lives in (a
    # frame looked up by URL can still be the iframe's first, blank document).
    tab.pg.frame_locator("#review-frame").locator("video").wait_for(timeout=20_000)
    review = tab.pg.locator("#review-frame").element_handle().content_frame()
    assert review is not None
    review.wait_for_function("document.querySelector('video').readyState >= 1", timeout=20_000)
    review.evaluate("document.querySelector('video').currentTime = 2.9")
    review.wait_for_function("Math.abs(document.querySelector('video').currentTime - 2.9) < 0.05")
    tab.pg.select_option("select[name=type]", "missing_lockout")
    tab.pg.click("#use-video-time")
    assert abs(float(tab.pg.input_value("#missed-time")) - 2.9) < 0.05
    tab.pg.click("text=Mark missed fault")
    tab.pg.wait_for_selector("ul.missed li[data-type=missing_lockout]")
    tab.pg.fill("textarea[name=reply]", "Brace before the pull; lock out every rep.")
    tab.pg.click("text=Send to the lifter")
    tab.pg.wait_for_selector("text=Sent")
    shot(tab, "trainer_review")
    export = tab.pg.request.get(srv.url + "/t/export/labels.json")
    labels = {lab["set"]: lab for lab in json.loads(export.text())}
    label = labels[sid]
    assert label["faults"]["lumbar_rounding"] == "absent"  # the fault disagreed with
    assert label["faults"]["missing_lockout"] == "present"  # the one marked missed
    assert label["fault_reps"]["missing_lockout"] == [1]
    tab.pg.goto(srv.url + "/")
    assert tab.pg.locator("#agreement-rate").count() == 1
    assert tab.errors == [] and tab.remote == []
    # The lifter reads the reply on the phone.
    phone = Tab(browser, PHONE, mobile=True)
    phone.pg.goto(srv.url + r.json()["url"])
    assert "lock out every rep" in phone.pg.inner_text("#reply")
    phone.close()
    tab.close()


def test_client_a_cannot_fetch_client_bs_set_video_or_report(browser, server, clips):
    srv = server["server"]
    _, link_a = server["clients"]["Anna"]
    _, link_b = server["clients"]["Ben"]
    tab = Tab(browser, PHONE, mobile=True)
    lifter_upload(tab, srv.url + link_b, clips["short0"])
    tab.pg.wait_for_url("**/sets/*", timeout=60_000)
    sid = tab.pg.url.rsplit("/", 1)[1]
    tab.pg.wait_for_selector("#result", timeout=ANALYSIS_S)
    own = tab.pg.request.get(f"{srv.url}{link_b}/sets/{sid}/files/{sid}.annotated.mp4")
    assert own.status == 200
    for suffix in ("", "/status.json", f"/files/{sid}.annotated.mp4", f"/files/{sid}.html",
                   f"/files/{sid}.json"):  # fmt: skip
        r = tab.pg.request.get(f"{srv.url}{link_a}/sets/{sid}{suffix}")
        assert r.status == 404, suffix
    tab.pg.goto(f"{srv.url}{link_a}/sets/{sid}")
    assert "no such set" in tab.pg.inner_text("#error")
    # Nor without any key, by the trainer's address.
    r = tab.pg.request.get(f"{srv.url}/t/sets/{sid}/files/{sid}.annotated.mp4", max_redirects=0)
    assert r.status == 303 and r.headers["location"] == "/login"
    tab.close()


def test_an_upload_that_is_not_a_video_is_refused_with_a_message(browser, server, tmp_path):
    srv = server["server"]
    _, link = server["clients"]["Anna"]
    fake = tmp_path / "workout.mp4"
    fake.write_text("sets and reps, typed on the phone\n" * 20)
    tab = Tab(browser, PHONE, mobile=True)
    lifter_upload(tab, srv.url + link, fake)
    tab.pg.wait_for_selector("#upload-error:not([hidden])", timeout=30_000)
    message = tab.pg.inner_text("#upload-error")
    assert "workout.mp4 is not a readable video" in message
    assert tab.pg.url.endswith(link)  # still on the upload page, nothing queued
    shot(tab, "lifter_refused")
    tab.close()


def test_five_uploads_at_once_are_all_analysed(server, clips):
    srv = server["server"]
    _, link = server["clients"]["Ben"]

    def send(i: int) -> str:
        with httpx.Client(base_url=srv.url, timeout=120) as c:
            token = csrf_of(c.get(link).text)
            with clips[f"short{i}"].open("rb") as fh:
                r = c.post(f"{link}/sets?csrf={token}",
                           files={"video": (f"s{i}.mp4", fh, "video/mp4")},
                           data={"csrf": token},
                           headers={"accept": "application/json"})  # fmt: skip
            assert r.status_code == 201, r.text
            return r.json()["url"]

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        urls = list(pool.map(send, range(5)))
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        states = [wait_done(c, u + "/status.json", timeout=600)["state"] for u in urls]
        assert states == ["done"] * 5
        for u in urls:
            assert "rep" in c.get(u).text


def test_a_server_killed_mid_analysis_finishes_the_set_after_a_restart(tmp_path, clips):
    config = tmp_path / "fast.toml"
    config.write_text(TEST_CONFIG)
    srv = Server(tmp_path / "data", config, workers=1).start()
    try:
        trainer = trainer_client(srv.url, srv.setup_code())
        _, link = add_client(trainer, "Cleo")
        lifter = httpx.Client(base_url=srv.url, timeout=60)
        token = csrf_of(lifter.get(link).text)
        with clips["set"].open("rb") as fh:
            r = lifter.post(f"{link}/sets?csrf={token}",
                            files={"video": ("set.mp4", fh, "video/mp4")},
                            data={"csrf": token},
                            headers={"accept": "application/json"})  # fmt: skip
        url = r.json()["url"]
        deadline = time.monotonic() + 60
        while lifter.get(url + "/status.json").json()["state"] != "running":
            assert time.monotonic() < deadline, "the set never started"
            time.sleep(0.1)
        time.sleep(1.0)  # well into the pose model
        srv.kill()
        db = sqlite3.connect(tmp_path / "data" / "hingecheck.sqlite3")
        assert db.execute("SELECT state FROM sets").fetchall() == [("running",)]
        db.close()
        srv2 = Server(tmp_path / "data", config, workers=1)
        srv2.port, srv2.url = srv.port, srv.url  # the lifter's link keeps working
        srv2.start()
        srv = srv2
        lifter.close()
        with httpx.Client(base_url=srv.url, timeout=60) as again:
            assert wait_done(again, url + "/status.json")["state"] == "done"
            assert "Lower back rounded" in again.get(url).text
        db = sqlite3.connect(tmp_path / "data" / "hingecheck.sqlite3")
        assert db.execute("SELECT state, attempts FROM sets").fetchall() == [("done", 2)]
        db.close()
    finally:
        srv.stop()
