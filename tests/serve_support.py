"""Helpers for the `hingecheck serve` tests: short clips cut from the demo set, a real server
started in a subprocess on a free port, and a logged-in trainer."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import httpx2 as httpx
from batch_support import interruptible

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo_set.mp4"
PASSWORD = "correct horse battery"
# A cheaper analysis for the tests: the pose model at 10 Hz (the faults of the demo clip still
# show); the figures come from bench/serve.py at the defaults.
TEST_CONFIG = "[pose]\nsample_hz = 10.0\n"


def cut_clip(dst: Path, start_s: float, end_s: float, src: Path = DEMO) -> Path:
    """Frames start_s..end_s of `src` as a new H.264 mp4 (times from 0)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        rate = vin.average_rate or Fraction(30)
        vout = out.add_stream("libx264", rate=rate)
        vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
        vout.pix_fmt = "yuv420p"
        vout.options = {"preset": "ultrafast", "g": "10"}
        n = 0
        for frame in inp.decode(vin):
            t = float(frame.pts * vin.time_base)
            if t < start_s:
                continue
            if t >= end_s:
                break
            img = frame.to_ndarray(format="rgb24")
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            vf.pts = n
            n += 1
            out.mux(vout.encode(vf))
        out.mux(vout.encode(None))
    return dst


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`hingecheck serve` in a subprocess on 127.0.0.1 (stderr kept in a file)."""

    def __init__(
        self, data: Path, config: Path | None = None, workers: int = 1, args: tuple[str, ...] = ()
    ) -> None:
        self.data, self.config, self.workers, self.args = data, config, workers, args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"{data.name}-server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Server:
        cmd = [sys.executable, "-m", "hingecheck", "serve", "--data", str(self.data),
               "--port", str(self.port), "--workers", str(self.workers)]  # fmt: skip
        if self.config:
            cmd += ["--config", str(self.config)]
        cmd += list(self.args)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # A session of its own: a kill reaches the server and its analysis processes together.
        self.proc = subprocess.Popen(
            cmd, stderr=self.log.open("w"), stdout=subprocess.DEVNULL, env=env,
            start_new_session=True, preexec_fn=interruptible,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                httpx.get(self.url + "/login", timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def setup_code(self) -> str | None:
        m = re.search(r"/setup\?code=(\S+)", self.log.read_text())
        return m.group(1) if m else None

    def kill(self) -> None:
        """SIGKILL the server and its analysis workers, as a crash or power cut would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc and self.proc.poll() is None:
            self.kill()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def trainer_client(url: str, setup_code: str | None) -> httpx.Client:
    """An httpx client logged in as the trainer (setting the password on first start)."""
    c = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    if setup_code:
        set_password(c, setup_code)
        return c
    page = c.get("/login").text
    r = c.post("/login", data={"csrf": csrf_of(page), "password": PASSWORD})
    assert r.status_code == 303, r.text
    return c


def set_password(c: httpx.Client, setup_code: str) -> None:
    """First start: set the trainer's password with the printed code (logs the client in).
    `c` may be an httpx client of a running server or Starlette's TestClient."""
    page = c.get(f"/setup?code={setup_code}").text
    r = c.post("/setup", data={"csrf": csrf_of(page), "code": setup_code, "password": PASSWORD,
                               "confirm": PASSWORD}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text


def add_client(c: httpx.Client, name: str) -> tuple[int, str]:
    """Create a client; returns its id and its private link's path."""
    page = c.get("/").text
    r = c.post("/t/clients", data={"csrf": csrf_of(page), "name": name}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    html = c.get(f"/t/clients/{cid}").text
    m = re.search(r'id="lifter-link" readonly value="[^"]*(/c/[^"]+)"', html)
    assert m, html
    return cid, m.group(1)


def wait_done(c: httpx.Client, status_url: str, timeout: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = c.get(status_url, headers={"accept": "application/json"}).json()
        if s["state"] in ("done", "failed"):
            return s
        time.sleep(0.5)
    raise TimeoutError(f"{status_url} still {s}")


def faststart_copy(src: Path, dst: Path) -> Path:
    """The same video remuxed with its index (moov) at the front."""
    with (
        av.open(str(src)) as inp,
        av.open(str(dst), "w", options={"movflags": "+faststart"}) as out,
    ):
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        for packet in inp.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            out.mux(packet)
    return dst


def first_frame_only(src: Path, dst: Path) -> Path:
    """A damaged upload: the index and first frame of `src` (moov first), the rest cut away.
    It passes the upload's checks (the container opens, a frame decodes); the analysis fails."""
    whole = faststart_copy(src, dst.with_suffix(".whole.mp4"))
    with av.open(str(whole)) as c:
        first = next(p for p in c.demux(c.streams.video[0]) if p.dts is not None)
        cut = int(first.pos) + int(first.size) + 10
    dst.write_bytes(whole.read_bytes()[:cut])
    return dst
