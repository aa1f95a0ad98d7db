"""Who may do what: the trainer's password and session, CSRF tokens, login rate limits.

The trainer's session is Starlette's signed cookie (itsdangerous); it carries the store's session
epoch, so logging out (or a new password) ends every session at once. A lifter has no session:
their private link's token is their key, and their forms carry a token derived from it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from hingecheck.serve.store import Store

MIN_PASSWORD = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of the password (salted; parameters in the hash string)."""
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, confirm: str) -> str:
    """Why a new password can't be used ("" if it can)."""
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters"
    if password != confirm:
        return "the two passwords differ"
    return ""


@dataclass(frozen=True)
class Limits:
    """How long a session lasts and how many failed logins are allowed."""

    session_idle_s: int = 8 * 3600  # the cookie's max age, renewed on each visit
    session_max_s: int = 7 * 86400  # a login is never good for longer than this
    login_window_s: int = 15 * 60
    login_per_ip: int = 5  # then that address is refused until the window has passed
    login_per_device: int = 5  # the same for a browser the trainer has logged in from
    # From every address together: past this, attempts are delayed (never refused, so the
    # trainer can't be locked out); the delay doubles with each further `login_total`.
    login_total: int = 30
    login_delay_s: float = 2.0
    login_delay_max_s: float = 30.0
    device_max_s: int = 365 * 86400  # how long a browser is remembered as the trainer's


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use; the session cookie carries it)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))


def lifter_csrf(secret: str, client_token: str) -> str:
    """The CSRF token of a lifter's forms: bound to their link, unguessable without the
    server's secret (a page on another site can't forge the form)."""
    mac = hmac.new(secret.encode(), b"lifter-csrf:" + client_token.encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def lifter_csrf_ok(secret: str, client_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(lifter_csrf(secret, client_token), str(sent))


def is_trainer(request: Request, store: Store, limits: Limits) -> bool:
    """Whether the request carries a live trainer session."""
    s = request.session
    if not s.get("trainer"):
        return False
    if time.time() - float(s.get("login_at", 0)) > limits.session_max_s:
        s.clear()
        return False
    if s.get("epoch") != store.session_epoch():
        s.clear()
        return False
    return True


def log_in(request: Request, store: Store) -> None:
    """Start a trainer session (a fresh CSRF token with it)."""
    request.session.clear()
    request.session.update(
        {
            "trainer": True,
            "login_at": time.time(),
            "epoch": store.session_epoch(),
            "csrf": secrets.token_urlsafe(24),
        }
    )


def client_ip(request: Request) -> str:
    """The client's address: the socket's peer, or what a proxy named with `serve --proxy`
    forwarded (uvicorn applies forwarded headers from those addresses only)."""
    return request.client.host if request.client else "unknown"
