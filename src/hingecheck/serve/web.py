"""serve's web kit, used by every route module: one render path (the page's CSRF token in it),
the trainer-only guard, look-up-or-404, and every URL by name.

URLs come from the route table (`Urls`, after datasette's url_builder): handlers and templates
ask for `urls.set_page(sid)`, never spell a path, so a route is written once.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Router

from hingecheck.serve.app_context import ctx
from hingecheck.serve.auth import csrf_ok, csrf_token, is_trainer, lifter_csrf
from hingecheck.serve.store import Client, SetRow

Handler = Callable[[Request], Response]  # run in the thread pool: SQLite and files block


class Urls:
    """Every URL of the app by name, from its route table."""

    def __init__(self, router: Router) -> None:
        self._router = router

    def _path(self, route: str, **params: Any) -> str:
        return str(self._router.url_path_for(route, **params))

    def static(self, path: str) -> str:
        return self._path("static", path=f"/{path}")

    def fault_css(self) -> str:
        return self._path("fault_css")

    # -- the trainer's pages
    def dashboard(self) -> str:
        return self._path("dashboard")

    def setup(self) -> str:
        return self._path("setup")

    def login(self) -> str:
        return self._path("login")

    def logout(self) -> str:
        return self._path("logout")

    def add_client(self) -> str:
        return self._path("add_client")

    def client(self, cid: int) -> str:
        return self._path("client_page", cid=cid)

    def client_qr(self, cid: int) -> str:
        return self._path("client_qr", cid=cid)

    def new_link(self, cid: int) -> str:
        return self._path("new_link", cid=cid)

    def export_labels(self) -> str:
        return self._path("export_labels")

    # -- tuning the thresholds to the trainer's verdicts
    def tuning(self) -> str:
        return self._path("tuning")

    def tune(self) -> str:
        return self._path("tune")

    def tuning_version(self, vid: int) -> str:
        return self._path("tuning_version", vid=vid)

    def apply_overlay(self, vid: int) -> str:
        return self._path("apply_overlay", vid=vid)

    def use_defaults(self) -> str:
        return self._path("use_defaults")

    def rejudge(self) -> str:
        return self._path("rejudge")

    # -- the trainer's review of a set
    def set_page(self, sid: str) -> str:
        return self._path("review_set", sid=sid)

    def set_status(self, sid: str) -> str:
        return self._path("review_status", sid=sid)

    def set_file(self, row: SetRow, suffix: str) -> str:
        return self._path("review_file", sid=row.public_id, name=f"{row.stem}{suffix}")

    def verdict(self, sid: str) -> str:
        return self._path("verdict", sid=sid)

    def add_missed(self, sid: str) -> str:
        return self._path("add_missed", sid=sid)

    def remove_missed(self, sid: str, mid: int) -> str:
        return self._path("remove_missed", sid=sid, mid=mid)

    def rep_mark(self, sid: str) -> str:
        return self._path("rep_mark", sid=sid)

    def remove_rep_mark(self, sid: str, mid: int) -> str:
        return self._path("remove_rep_mark", sid=sid, mid=mid)

    def reply(self, sid: str) -> str:
        return self._path("reply", sid=sid)

    def retry(self, sid: str) -> str:
        return self._path("retry", sid=sid)

    # -- a lifter's pages, behind their private link
    def lifter(self, token: str) -> str:
        return self._path("lifter_home", token=token)

    def lifter_upload(self, token: str, csrf: str) -> str:
        """The upload's URL, its token in it: checked before the body is read."""
        return f"{self._path('lifter_upload', token=token)}?csrf={csrf}"

    def lifter_set(self, token: str, sid: str) -> str:
        return self._path("lifter_set", token=token, sid=sid)

    def lifter_status(self, token: str, sid: str) -> str:
        return self._path("lifter_status", token=token, sid=sid)

    def lifter_file(self, token: str, row: SetRow, suffix: str) -> str:
        return self._path("lifter_file", token=token, sid=row.public_id, name=f"{row.stem}{suffix}")


def urls(request: Request) -> Urls:
    """The URLs of the app serving `request`."""
    return Urls(request.app.router)


def render(
    request: Request,
    name: str,
    data: dict[str, Any],
    status: int = 200,
    *,
    forms: bool = True,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page: the template with `data`, and with `forms`, the CSRF token its forms carry (a
    lifter's derived from their link, the trainer's from the session; an error page has no
    form and starts no session)."""
    c = ctx(request)
    if forms:
        token = request.path_params.get("token")
        csrf = lifter_csrf(c.secret, token) if token else csrf_token(request)
        data = {"csrf": csrf, **data}
    return c.templates.TemplateResponse(request, name, data, status_code=status, headers=headers)


def trainer_only(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The trainer's session is required; a POST must also carry the session's CSRF token
    (its form is then on request.state.form). The handler runs in the thread pool, off the
    event loop."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        c = ctx(request)
        if not await run_in_threadpool(is_trainer, request, c.store, c.settings.limits):
            if request.method == "GET" and not request.url.path.endswith((".json", ".svg")):
                u = urls(request)
                first = await run_in_threadpool(c.store.password_hash) is None
                return RedirectResponse(u.setup() if first else u.login(), 303)
            raise HTTPException(403, "log in as the trainer first")
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=20)
            if not csrf_ok(request, str(form.get("csrf", ""))):
                raise HTTPException(403, "the form has expired: go back, reload and try again")
            request.state.form = form
        return await run_in_threadpool(handler, request)

    return wrapped


def lifter_of(request: Request) -> Client:
    """The client whose private link the request came by (404 if it is not, or no longer, one)."""
    client = ctx(request).store.client_by_token(request.path_params["token"])
    if client is None:
        raise HTTPException(404, "this link is not (or no longer) valid: ask your trainer")
    return client


def client_or_404(request: Request) -> Client:
    """The client named by the URL's `cid`."""
    client = ctx(request).store.client(request.path_params["cid"])
    if client is None:
        raise HTTPException(404, "no such client")
    return client


def set_or_404(request: Request, client: Client | None = None) -> SetRow:
    """The set named by the URL's `sid`; with `client`, only one of theirs (one lifter's link
    never reaches another's sets)."""
    row = ctx(request).store.get_set(
        request.path_params["sid"], client_id=client.id if client else None
    )
    if row is None:
        raise HTTPException(404, "no such set")
    return row
