"""Joining a Ray cluster for a batch, and what the driver tells the user about it: a version
mismatch, a cluster anyone on the network can use, why a worker was lost."""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any

from hingecheck.errors import InputError
from hingecheck.version import __version__


def first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def connect(address: str) -> bool:
    """Join the cluster at `address` ("auto" or host:port); True when this call joined it
    (so closing the engine leaves it). InputError, on one line, when it can't."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--ray needs Ray: pip install 'hingecheck[ray]' (the same Ray version as the cluster)"
        ) from None
    if ray.is_initialized():  # the embedding application joined already
        return False
    if address != "auto":
        host, _, port = address.rpartition(":")
        host = host.removeprefix("ray://")
        if not host or not port.isdigit():
            raise InputError(f"--ray: expected auto or HOST:PORT, got {address!r}")
        try:  # Ray itself retries an unreachable address for minutes
            socket.create_connection((host, int(port)), timeout=5.0).close()
        except OSError as exc:
            raise InputError(
                f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}"
            ) from None
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; each is one line here
        text = first_line(exc)
        if "mismatch" in str(exc).lower():
            raise InputError(
                f"Ray version mismatch with the cluster at {address}: this side has Ray "
                f"{ray.__version__}: {text}"
            ) from None
        raise InputError(f"cannot join the Ray cluster at {address}: {text}") from None
    return True


def exposure_warning(node_ip: str, token_auth: bool) -> str | None:
    """The warning due when this driver (and Ray on this machine) listens on `node_ip` beyond
    loopback with Ray's token authentication off: anyone who reaches those ports runs code."""
    try:
        loopback = ipaddress.ip_address(node_ip).is_loopback
    except ValueError:
        loopback = False
    if loopback or token_auth:
        return None
    return (
        f"warning: Ray listens on {node_ip} with authentication off: anyone who can reach "
        "this machine's Ray ports can run code here (set RAY_AUTH_MODE=token on every node "
        "and the driver, or keep the cluster behind a firewall; see the README)"
    )


def driver_exposure(ray: Any) -> str | None:
    try:  # private API, read defensively: a warning is no reason to stop a batch
        from ray._private.authentication.authentication_utils import is_token_auth_enabled

        token = bool(is_token_auth_enabled())
    except Exception:  # noqa: BLE001
        token = False
    try:
        ip = str(ray.util.get_node_ip_address())
    except Exception:  # noqa: BLE001
        return None
    return exposure_warning(ip, token)


def check_version(info: dict[str, Any]) -> None:
    if info["version"] != __version__:
        raise InputError(
            f"hingecheck version mismatch: {__version__} here, {info['version']} on "
            f"the cluster's node {info['host']} (install the same version there)"
        )


def why_lost(exc: BaseException) -> str:
    """Why an actor ended, as far as Ray's error tells."""
    from ray.exceptions import ActorUnavailableError

    if isinstance(exc, ActorUnavailableError):  # the connection dropped: its node went away
        return "its node was lost or cut off"
    text = str(exc).lower()
    for needle, why in (
        ("node has died", "its node was lost"),
        ("node died", "its node was lost"),
        ("sigkill", "killed by SIGKILL"),
        ("sigsegv", "crashed with SIGSEGV"),
        ("out of memory", "out of memory"),
        ("oom", "out of memory"),
    ):
        if needle in text:
            return why
    return "its process ended"
