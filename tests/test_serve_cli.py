"""`hingecheck serve` on the command line: bad input is one line and exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

pytest.importorskip("starlette", reason="needs the serve extra (pip install '.[serve]')")
from hingecheck.cli.serve import is_loopback  # noqa: E402


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hingecheck", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_taken_port_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = serve("--data", str(tmp_path / "d"), "--port", str(port))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"hingecheck: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_a_data_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = serve("--data", str(blocker / "data"), "--port", "0")
    assert r.returncode == 2
    assert r.stderr.startswith(f"hingecheck: error: cannot use {blocker / 'data'} as the data")
    assert "Traceback" not in r.stderr


def test_bad_options_are_refused(tmp_path):
    r = serve("--data", str(tmp_path), "--config", str(tmp_path / "missing.toml"))
    assert r.returncode == 2 and "no such config file" in r.stderr
    r = serve("--port", "99999")
    assert r.returncode == 2 and "port number" in r.stderr
    r = serve("--public-url", "coach.example.org", "--data", str(tmp_path))
    assert r.returncode == 2 and "--public-url" in r.stderr
    r = serve("--proxy", "proxy.lan", "--data", str(tmp_path))
    assert r.returncode == 2 and "--proxy: must be an IP address or network" in r.stderr


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("coach.lan", False)],
)  # fmt: skip
def test_only_loopback_hosts_pass_without_a_warning(host, local):
    assert is_loopback(host) is local
