"""`hingecheck serve` against an attacker, on a real server on a real port: forged forwarded
addresses, a trainer lock-out, the server's folders in what a lifter gets, an upload's body
stored before its token is checked."""

from __future__ import annotations

import re
import socket

import pytest

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
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


@pytest.fixture
def server(request, tmp_path):
    """A started server with the test's extra arguments (`@pytest.mark.parametrize` on
    `server_args`, else none)."""
    args = getattr(request, "param", ())
    srv = Server(tmp_path / "data", args=tuple(args)).start()
    yield srv
    srv.stop()


def try_login(c: httpx.Client, password: str, address: str | None = None) -> int:
    """One login attempt from `c` (claiming to come from `address`); the status code."""
    headers = {"x-forwarded-for": address} if address else {}
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"csrf": token, "password": password}, headers=headers)
    return r.status_code


def browser(url: str) -> httpx.Client:
    """A fresh browser: no session, no device cookie."""
    return httpx.Client(base_url=url, timeout=120, follow_redirects=False)


def test_forwarded_addresses_are_not_believed_by_default(server):
    trainer_client(server.url, server.setup_code()).close()
    with browser(server.url) as attacker:
        assert [try_login(attacker, "wrong guess") for _ in range(5)] == [401] * 5
        assert try_login(attacker, PASSWORD) == 429
        # Claiming another address changes nothing: no proxy was named.
        assert try_login(attacker, PASSWORD, "198.51.100.7") == 429


@pytest.mark.parametrize("server", [("--proxy", "127.0.0.1")], indirect=True)
def test_nobody_can_lock_the_trainer_out(server):
    trainer = trainer_client(server.url, server.setup_code())  # this browser is now known
    trainer.post("/logout", data={"csrf": csrf_of(trainer.get("/").text)})
    with browser(server.url) as attacker:
        # 35 wrong passwords from 7 addresses, then 5 from the trainer's own address.
        for i in range(7):
            address = f"198.51.100.{i + 1}"
            assert [try_login(attacker, "wrong guess", address) for _ in range(5)] == [401] * 5
            assert try_login(attacker, PASSWORD, address) == 429  # per address: refused
        assert [try_login(attacker, "wrong guess") for _ in range(5)] == [401] * 5
        # Past the global limit, attempts are delayed, not refused: the right password from a
        # fresh address gets in.
        with browser(server.url) as fresh:
            assert try_login(fresh, PASSWORD, "203.0.113.9") == 303
            assert fresh.get("/").status_code == 200
        with browser(server.url) as fresh:
            assert try_login(fresh, PASSWORD) == 429  # this address failed 5 times
    # The trainer's own browser gets in from that same address.
    assert try_login(trainer, PASSWORD) == 303
    assert trainer.get("/").status_code == 200
    trainer.close()


def _lifter_upload_form(c: httpx.Client, link: str) -> tuple[str, str]:
    """The upload form's action (path and query) and its token, as the page gives them."""
    html = c.get(link).text
    m = re.search(r'<form method="post" action="([^"]+)"[^>]*id="upload-form"', html)
    assert m, html
    return m.group(1).replace("&amp;", "&"), csrf_of(html)


def _send_part_of_an_upload(url: str, path: str, body_field_token: str) -> bytes:
    """Start a 20 MB upload, send only its first 64 KB, and read whatever comes back (b"" if
    the server waits for the rest)."""
    host, port = url.removeprefix("http://").split(":")
    boundary = "hcboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{body_field_token}'
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="a.mp4"'
        "\r\nContent-Type: video/mp4\r\n\r\n"
    ).encode()
    total = 20_000_000
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {total}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(request + head + b"\0" * (65536 - len(head)))
        try:
            return s.recv(65536)
        except TimeoutError:
            return b""


def test_an_upload_is_refused_before_its_body_without_its_token(server):
    trainer = trainer_client(server.url, server.setup_code())
    _, link = add_client(trainer, "Anna")
    with browser(server.url) as lifter:
        action, token = _lifter_upload_form(lifter, link)
        assert action == f"{link}/sets?csrf={token}"
        # A token only in the body, a forged one: refused while the body is still coming.
        for path in (f"{link}/sets", f"{link}/sets?csrf=forged"):
            answer = _send_part_of_an_upload(server.url, path, token)
            assert answer.startswith(b"HTTP/1.1 403"), (path, answer[:200])
        assert not list((server.data / "incoming").iterdir())
        assert not list((server.data / "uploads").iterdir())
    trainer.close()


def test_what_a_lifter_gets_names_no_server_folder(tmp_path):
    config = tmp_path / "fast.toml"
    config.write_text(TEST_CONFIG)
    clip = cut_clip(tmp_path / "my set.mp4", 9.8, 15.6)
    srv = Server(tmp_path / "data", config).start()
    try:
        trainer = trainer_client(srv.url, srv.setup_code())
        _, link = add_client(trainer, "Anna")
        lifter = browser(srv.url)
        action, token = _lifter_upload_form(lifter, link)
        # The page's own form (no script): the token in its URL.
        r = lifter.post(
            action,
            files={"video": ("my set.mp4", clip.read_bytes(), "video/mp4")},
            data={"csrf": token, "exercise": "deadlift"},
        )
        assert r.status_code == 303, r.text
        url = r.headers["location"]
        assert wait_done(lifter, f"{url}/status.json")["state"] == "done"
        sid = url.rsplit("/", 1)[1]
        report = lifter.get(f"{url}/files/{sid}.json").json()
        assert report["source"]["path"] == "my set.mp4"
        assert trainer.get(f"/t/sets/{sid}/files/{sid}.json").json() == report
        # No file a lifter can fetch names the server's folders.
        for suffix in (".json", ".html", ".csv", ".srt", ".annotated.mp4"):
            got = lifter.get(f"{url}/files/{sid}{suffix}")
            assert got.status_code == 200, suffix
            assert str(srv.data).encode() not in got.content, suffix
        lifter.close()
        trainer.close()
    finally:
        srv.stop()
