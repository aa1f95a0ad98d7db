"""`hingecheck serve` through Starlette's test client: access rules, CSRF, uploads, the queue,
the trainer's verdicts and their export (a real SQLite store in a temporary data folder)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
from serve_support import (  # noqa: E402
    PASSWORD,
    TEST_CONFIG,
    add_client,
    csrf_of,
    cut_clip,
    first_frame_only,
    set_password,
    wait_done,
)
from starlette.testclient import TestClient  # noqa: E402

from hingecheck.judge.evaluate import score_clip, tally  # noqa: E402
from hingecheck.serve import Settings, create_app  # noqa: E402
from hingecheck.serve.auth import Limits  # noqa: E402

BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """5.8 s of the demo set: a rounded rep, then a squatted one."""
    return cut_clip(tmp_path_factory.mktemp("clip") / "my set.mp4", 9.8, 15.6)


def make_app(tmp_path: Path, start_queue: bool = True, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "fast.toml"
    config.write_text(TEST_CONFIG)
    settings = Settings(data=tmp_path / "data", workers=1, config_path=config, **kw)
    return create_app(settings, start_queue=start_queue)


def upload(c: TestClient, link: str, name: str, body: bytes, **fields: str):
    token = csrf_of(c.get(link).text)
    return c.post(
        f"{link}/sets",
        files={"video": (name, body, "video/mp4")},
        data={"csrf": token, **fields},
        headers={"accept": "application/json", "x-csrf-token": token},
    )


def test_first_start_needs_the_printed_code_and_a_real_password(tmp_path):
    app = make_app(tmp_path)
    with TestClient(app, base_url=BASE) as c:
        assert c.get("/", follow_redirects=False).headers["location"] == "/setup"
        assert c.get("/login", follow_redirects=False).headers["location"] == "/setup"
        page = c.get("/setup").text
        bad = {"csrf": csrf_of(page), "password": PASSWORD, "confirm": PASSWORD}
        r = c.post("/setup", data={**bad, "code": "guess"})
        assert r.status_code == 400 and "setup code is wrong" in r.text
        code = app.state.ctx.setup_code
        r = c.post("/setup", data={**bad, "code": code, "password": "short", "confirm": "short"})
        assert r.status_code == 400 and "at least 10 characters" in r.text
        set_password(c, c.app.state.ctx.setup_code)
        assert c.get("/").status_code == 200
        assert c.get("/setup", follow_redirects=False).headers["location"] == "/login"
        stored = app.state.ctx.store.password_hash()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_every_trainer_page_and_file_needs_the_session(tmp_path, clip):
    app = make_app(tmp_path, start_queue=False)
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        cid, link = add_client(c, "Anna")
        assert upload(c, link, "a.mp4", clip.read_bytes()).status_code == 201
        sid = app.state.ctx.store.sets()[0].public_id
    with TestClient(app, base_url=BASE) as anon:
        for path in ("/", f"/t/clients/{cid}", f"/t/sets/{sid}"):
            assert anon.get(path, follow_redirects=False).headers["location"] == "/login"
        for path in (f"/t/clients/{cid}/qr.svg", "/t/export/labels.json",
                     f"/t/sets/{sid}/status.json", f"/t/sets/{sid}/files/{sid}.json"):  # fmt: skip
            assert anon.get(path).status_code == 403, path
        for path in ("/t/clients", f"/t/sets/{sid}/reply", "/logout"):
            assert anon.post(path, data={"csrf": "x"}).status_code == 403, path
        assert anon.get("/c/not-a-real-token").status_code == 404


def test_csrf_is_checked_on_every_form(tmp_path, clip):
    app = make_app(tmp_path, start_queue=False)
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        r = c.post("/t/clients", data={"csrf": "forged", "name": "Eve"})
        assert r.status_code == 403 and not app.state.ctx.store.clients()
        _, link = add_client(c, "Anna")
        r = c.post(f"{link}/sets", files={"video": ("a.mp4", clip.read_bytes(), "video/mp4")},
                   headers={"accept": "application/json", "x-csrf-token": "forged"})  # fmt: skip
        assert r.status_code == 403
        r = c.post(f"{link}/sets", files={"video": ("a.mp4", clip.read_bytes(), "video/mp4")},
                   data={"csrf": "forged"})  # fmt: skip
        assert r.status_code == 403
        data = app.state.ctx.settings
        assert not list(data.uploads.iterdir()) and not list(data.incoming.iterdir())
        assert not app.state.ctx.store.sets()


def test_login_is_rate_limited_and_sessions_end(tmp_path):
    app = make_app(tmp_path, start_queue=False, limits=Limits(session_max_s=2))
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        c.post("/logout", data={"csrf": csrf_of(c.get("/").text)})
        for _ in range(5):
            r = c.post("/login", data={"csrf": csrf_of(c.get("/login").text), "password": "nope"})
            assert r.status_code == 401
        r = c.post("/login", data={"csrf": csrf_of(c.get("/login").text), "password": PASSWORD})
        assert r.status_code == 429 and "too many failed attempts" in r.text
        assert c.get("/", follow_redirects=False).status_code == 303
    app2 = make_app(tmp_path / "b", start_queue=False, limits=Limits(session_max_s=2))
    with TestClient(app2, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        assert c.get("/").status_code == 200
        time.sleep(2.2)
        assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    with TestClient(app2, base_url=BASE) as c, TestClient(app2, base_url=BASE) as other:
        for client in (c, other):
            token = csrf_of(client.get("/login").text)
            form = {"csrf": token, "password": PASSWORD}
            r = client.post("/login", data=form, follow_redirects=False)
            assert r.status_code == 303
        c.post("/logout", data={"csrf": csrf_of(c.get("/").text)})
        # Logging out ends every session, the other browser's too.
        assert other.get("/", follow_redirects=False).headers["location"] == "/login"


def test_uploads_that_are_not_videos_are_refused_with_a_message(tmp_path, clip):
    app = make_app(tmp_path, start_queue=False, max_upload_bytes=2_000_000)
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        _, link = add_client(c, "Anna")
        r = upload(c, link, "notes.mp4", b"these are my notes, not a video\n" * 50)
        assert r.status_code == 415
        assert r.json()["error"].startswith("notes.mp4 is not a readable video")
        assert "Invalid data" not in r.json()["error"]  # FFmpeg's words mean nothing to a lifter
        r = upload(c, link, "photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100)
        assert r.status_code == 415 and "not a video" in r.json()["error"]
        r = upload(c, link, "big.mp4", clip.read_bytes() + b"\0" * 2_100_000)
        assert r.status_code == 413 and "larger than this server takes" in r.json()["error"]
        r = upload(c, link, "a.mp4", clip.read_bytes(), exercise="bench_press")
        assert r.status_code == 400
        token = csrf_of(c.get(link).text)
        r = c.post(f"{link}/sets", data={"csrf": token}, files={"x": ("x.txt", b"x")},
                   headers={"accept": "application/json", "x-csrf-token": token})  # fmt: skip
        assert r.status_code == 400 and "no video" in r.json()["error"]
        # The plain form (no script; the token in its URL) gets the page back with the message.
        r = c.post(f"{link}/sets?csrf={token}", data={"csrf": token},
                   files={"video": ("notes.mov", b"not a video", "video/quicktime")})  # fmt: skip
        assert r.status_code == 415 and 'id="upload-error"' in r.text and "notes.mov" in r.text
        s = app.state.ctx.settings
        assert not list(s.uploads.iterdir()) and not list(s.incoming.iterdir())
        assert not app.state.ctx.store.sets()


def test_a_client_sees_only_their_own_sets(tmp_path, clip):
    app = make_app(tmp_path, start_queue=False)
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        _, link_a = add_client(c, "Anna")
        _, link_b = add_client(c, "Ben <script>alert(1)</script>")
        r = upload(c, link_b, "ben.mp4", clip.read_bytes(), note="<img src=x onerror=alert(1)>")
        url_b = r.json()["url"]
        sid = url_b.rsplit("/", 1)[1]
        assert c.get(url_b).status_code == 200
        for suffix in ("", "/status.json", f"/files/{sid}.json", f"/files/{sid}.annotated.mp4"):
            assert c.get(f"{link_a}/sets/{sid}{suffix}").status_code == 404, suffix
        assert sid not in c.get(link_a).text
        # Names and notes are shown as text, never as markup.
        dash = c.get("/").text + c.get(f"/t/sets/{sid}").text
        assert "<script>alert(1)" not in dash and "&lt;script&gt;alert(1)" in dash
        assert "<img src=x" not in dash and "&lt;img src=x" in dash
        # Only the set's own outputs are served, never another path.
        for name in ("../../hingecheck.sqlite3", "secret.key", f"{sid}.track.npz"):
            assert c.get(f"/t/sets/{sid}/files/{name}").status_code == 404


def test_a_set_is_analysed_reviewed_and_exported(tmp_path, clip):
    app = make_app(tmp_path)
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        cid, link = add_client(c, "Anna")
        r = upload(c, link, "my set.mp4", clip.read_bytes(), exercise="deadlift", note="heavy")
        assert r.status_code == 201
        url = r.json()["url"]
        assert wait_done(c, f"{url}/status.json")["state"] == "done"
        sid = url.rsplit("/", 1)[1]
        page = c.get(url).text
        assert "Lower back rounded" in page and "Brace and keep the chest up" in page
        assert f"files/{sid}.annotated.mp4" in page
        video = c.get(f"{url}/files/{sid}.annotated.mp4", headers={"range": "bytes=0-99"})
        assert video.status_code == 206 and len(video.content) == 100
        report = c.get(f"/t/sets/{sid}/files/{sid}.json").json()
        types = [f["type"] for f in report["faults"]]
        assert "lumbar_rounding" in types
        form = c.get(f"/t/sets/{sid}").text
        assert f'src="/t/sets/{sid}/files/{sid}.html"' in form
        token = csrf_of(form)
        i = types.index("lumbar_rounding")
        assert (
            c.post(
                f"/t/sets/{sid}/verdict", data={"csrf": token, "fault": i, "verdict": "disagree"}
            ).status_code
            == 200
        )
        for j in range(len(types)):
            if j != i:
                c.post(
                    f"/t/sets/{sid}/verdict", data={"csrf": token, "fault": j, "verdict": "agree"}
                )
        c.post(
            f"/t/sets/{sid}/missed", data={"csrf": token, "type": "missing_lockout", "time": "2.9"}
        )
        bad = c.post(f"/t/sets/{sid}/missed", data={"csrf": token, "type": "missing_lockout",
                                                    "time": "99"})  # fmt: skip
        assert bad.status_code == 400
        c.post(f"/t/sets/{sid}/reply", data={"csrf": token, "reply": "Chest up <b>now</b>"})
        assert "Chest up &lt;b&gt;now&lt;/b&gt;" in c.get(url).text
        labels = c.get("/t/export/labels.json").json()
        assert len(labels) == 1
        label = labels[0]
        assert (
            label["file"].endswith(".mp4")
            and (app.state.ctx.settings.uploads / label["file"]).is_file()
        )
        assert label["faults"]["lumbar_rounding"] == "absent"
        assert label["faults"]["missing_lockout"] == "present"
        # Only what the trainer said: the types with a verdict or a missed mark, no others.
        assert set(label["faults"]) == set(types) | {"missing_lockout"}
        assert label["fault_reps"]["missing_lockout"] == [1]
        # The export is what `hingecheck evaluate` scores: the checker's rounding call is now a
        # false positive, the missed lockout a false negative.
        ev = tally([score_clip(label, report)])
        assert ev.faults["lumbar_rounding"].fp == 1 and ev.faults["missing_lockout"].fn == 1
        # ... and the command itself reads it, over the data folder's uploads.
        exported = tmp_path / "labels.json"
        exported.write_text(c.get("/t/export/labels.json").text)
        settings = app.state.ctx.settings
        run = subprocess.run(
            [sys.executable, "-m", "hingecheck", "evaluate", str(settings.uploads),
             "--labels", str(exported), "-o", str(tmp_path / "eval"),
             "--config", str(settings.config_path), "--json", str(tmp_path / "figures.json")],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        figures = json.loads((tmp_path / "figures.json").read_text())["figures"]
        assert figures["lumbar_rounding.false_alarm_rate"] == 1.0
        assert figures["missing_lockout.recall"] == 0.0
        dash = c.get("/").text
        rate = re.search(r'id="agreement-rate">(\d+) %', dash).group(1)
        agreed = sum(s.tp + s.tn for s in ev.faults.values())
        scored = sum(s.tp + s.tn + s.fp + s.fn for s in ev.faults.values())
        assert int(rate) == round(100 * agreed / scored)
        tp = sum(s.tp for s in ev.faults.values())
        tn = sum(s.tn for s in ev.faults.values())
        assert f'id="agreed-present">{tp} agreed present<' in dash
        assert f'id="agreed-absent">{tn} agreed absent<' in dash
        # The review page, framed or opened in full, is titled with the lifter's own name.
        page = c.get(f"/t/sets/{sid}/files/{sid}.html").text
        assert (
            "<title>my set.mp4 · hingecheck review</title>" in page
            and "<h1>my set.mp4</h1>" in page
        )
        assert report["source"]["path"] == "my set.mp4"
        history = c.get(f"/t/clients/{cid}").text
        assert 'data-series="any"' in history and 'id="sessions"' in history


def test_a_set_whose_analysis_fails_is_marked_with_its_reason(tmp_path, clip):
    # The container is intact (moov first) but the picture data is cut away: it passes the
    # upload checks, and the analysis finds no frames.
    broken = first_frame_only(clip, tmp_path / "broken.mp4").read_bytes()
    app = make_app(tmp_path)
    with TestClient(app, base_url=BASE) as c:
        set_password(c, c.app.state.ctx.setup_code)
        _, link = add_client(c, "Anna")
        r = upload(c, link, "broken.mp4", broken)
        assert r.status_code == 201, r.text
        s = wait_done(c, f"{r.json()['url']}/status.json")
        assert s["state"] == "failed" and "only 1 frame decoded" in s["text"]
        assert "uploads" not in s["text"]  # the server's paths are not shown
        assert "could not be analysed" in c.get(r.json()["url"]).text
        assert json.loads(c.get("/t/export/labels.json").text) == []


def test_the_pages_fault_colours_come_from_the_fault_table(tmp_path):
    from hingecheck.faults import FAULTS

    app = make_app(tmp_path, start_queue=False)
    with TestClient(app, base_url=BASE) as c:
        assert 'href="/faults.css"' in c.get("/login").text
        css = c.get("/faults.css")
        assert css.headers["content-type"].startswith("text/css")
        app_css = c.get("/static/app.css").text
    for k in FAULTS:
        assert f"--c-{k.key}: {k.colour};" in css.text
        assert f'li.fault[data-type="{k.key}"]' in css.text
        assert k.key not in app_css and k.colour not in app_css  # no hand copy left
