"""A real two-node Ray cluster on this machine, for the Ray tests and bench scripts: a head and
a worker node joined with `ray start --address`, on free ports, in a short temporary folder,
stopped by ending the processes started here."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RAY_CLI = Path(sys.executable).with_name("ray")
NODE_ARGS = (
    "--block", "--node-ip-address", "127.0.0.1", "--num-cpus", "1",
    "--object-store-memory", str(100 * 1024 * 1024), "--disable-usage-stats",
)  # fmt: skip


class Cluster:
    """A real two-node Ray cluster on this machine: a head and a worker node joined with
    `ray start --address`, one CPU each (so two actors land one per node). The worker node
    can be lost (its processes SIGKILLed, as when a machine drops off) and started again."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp = tempfile.mkdtemp(prefix="hcr", dir="/tmp")  # Ray's socket paths: short
        self.head = self._start(
            "--head", "--port", str(self.port), "--temp-dir", self.temp,
            "--include-dashboard", "false",
        )  # fmt: skip
        self._wait_nodes(1, self.head)
        self.worker: subprocess.Popen | None = None
        self.start_worker_node()

    def _start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(RAY_CLI), "start", *args, *NODE_ARGS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def alive_nodes(self) -> int:
        probe = (
            f"import ray, logging; ray.init(address={self.address!r}, "
            "logging_level=logging.ERROR); print(sum(n['Alive'] for n in ray.nodes()))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
        return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else 0

    def _wait_nodes(self, n: int, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Ray cluster did not reach {n} nodes")
            try:  # the GCS first: a driver started before it listens waits for minutes
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    if self.alive_nodes() >= n:
                        return
            except OSError:
                pass
            time.sleep(1.0)

    def start_worker_node(self) -> None:
        self.worker = self._start("--address", self.address)
        self._wait_nodes(2, self.worker)

    def lose_worker_node(self) -> None:
        """SIGKILL the worker node's processes (its raylet and the actors on it) at once."""
        assert self.worker is not None
        node = psutil.Process(self.worker.pid)
        procs = [*node.children(recursive=True), node]
        for p in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(procs, timeout=30)
        self.worker = None

    def stop(self) -> None:
        for proc in (self.worker, self.head):
            if proc is None:
                continue
            proc.send_signal(signal.SIGTERM)  # --block: it stops the processes it started
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.temp, ignore_errors=True)
