"""Slowing a password guesser down without letting anyone lock the trainer out.

Three parts, after OWASP's "Slow down online guessing attacks with device cookies":
- a browser the trainer has logged in from carries a signed device cookie; its failures count
  against that device alone, so an attacker at the same address, or anywhere, can't lock it out;
- a browser without one is limited per address (`Limits.login_per_ip` failures per window,
  then refused until the window has passed);
- past `Limits.login_total` failures from such browsers in the window, nobody is refused: each
  attempt waits its turn (one at a time, server-wide) and then a delay that doubles with each
  further `login_total` failures, up to `Limits.login_delay_max_s`. A guesser spread over many
  addresses gets about one guess per delay; the trainer's right password still gets in.
"""

from __future__ import annotations

import secrets
import time

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from hingecheck.serve.auth import Limits
from hingecheck.serve.store import Store

DEVICE_COOKIE = "hingecheck_device"
_DEVICE_PREFIX = "device:"  # how a device's failures are keyed in the store


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="hingecheck-device")


def device_of(request: Request, secret: str, limits: Limits) -> str | None:
    """The id of the trainer's device this browser proves to be (None: an unknown browser)."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        device = _signer(secret).loads(value, max_age=limits.device_max_s)
    except BadSignature:  # forged, damaged or expired (SignatureExpired is a BadSignature)
        return None
    return str(device) if isinstance(device, str) else None


def remember_device(
    response: Response, secret: str, limits: Limits, https_only: bool, device: str | None = None
) -> None:
    """Give the browser (after a successful login) its signed device cookie."""
    value = _signer(secret).dumps(device or secrets.token_urlsafe(16))
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=limits.device_max_s,
        httponly=True,
        samesite="lax",
        secure=https_only,
    )


def failure_key(ip: str, device: str | None) -> str:
    """Whose failures an attempt counts towards: the trainer's device, else the address."""
    return f"{_DEVICE_PREFIX}{device}" if device else ip


def refusal_s(store: Store, key: str, limits: Limits) -> int:
    """Seconds `key` (an address or a device) must wait before trying again (0: may try now)."""
    now = time.time()
    cap = limits.login_per_device if key.startswith(_DEVICE_PREFIX) else limits.login_per_ip
    n, first = store.login_failures(now - limits.login_window_s, key)
    return int(first + limits.login_window_s - now) + 1 if n >= cap else 0


def delay_s(store: Store, limits: Limits) -> float:
    """How long an attempt from an unknown browser waits before its password is checked."""
    n, _ = store.login_failures(time.time() - limits.login_window_s, None)
    if n < limits.login_total:
        return 0.0
    doublings = (n - limits.login_total) // limits.login_total
    return float(min(limits.login_delay_s * 2.0**doublings, limits.login_delay_max_s))
