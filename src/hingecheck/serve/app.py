"""The web app: Starlette routes for the trainer and the lifters over one SQLite store, the
analysis queue started and stopped with the app."""

from __future__ import annotations

import contextlib
import functools
import secrets
from collections.abc import AsyncIterator
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hingecheck.faults import FAULT_TYPES, FAULTS
from hingecheck.outputs.registry import OUTPUTS
from hingecheck.outputs.text import template_env as page_env
from hingecheck.serve import routes_lifter, routes_review, routes_trainer, routes_tuning, tuning
from hingecheck.serve.app_context import Context
from hingecheck.serve.engine import open_analysis_engine
from hingecheck.serve.queue_runner import QueueRunner
from hingecheck.serve.settings import Settings, prepare_data_dir
from hingecheck.serve.store import Store
from hingecheck.serve.styles import fault_css_response
from hingecheck.serve.web import Urls, render

# Pages of this app load only their own files; the analysis' review page (inline script and
# style by design) gets its own policy where it is served.
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


class SecurityHeaders:
    """Headers on every response: a content security policy, no sniffing, no referrer (a
    lifter's link carries their key), no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"x-frame-options": b"SAMEORIGIN",
                    b"cache-control": b"no-store",
                }
                headers += [(k, v) for k, v in extra.items() if k not in have]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def template_env() -> jinja2.Environment:
    """The server's templates, every value escaped unless marked safe."""
    env = page_env("hingecheck.serve")
    env.filters["when"] = _when
    env.globals.update(
        LABELS={k.key: k.label for k in FAULTS},
        COLOURS={k.key: k.colour for k in FAULTS},
        FAULT_TYPES=FAULT_TYPES,
        # A set's files by output key, and those offered for download (outputs.registry).
        SUFFIX={o.key: o.suffix for o in OUTPUTS},
        DOWNLOADS=[o for o in OUTPUTS if o.link],
    )
    return env


def _when(ts: float | None) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.endswith(".json") or "application/json" in request.headers.get(
        "accept", ""
    ):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    data = {"status": exc.status_code, "message": exc.detail}
    headers = getattr(exc, "headers", None)
    return render(request, "error.html.j2", data, exc.status_code, forms=False, headers=headers)


def create_app(settings: Settings, *, start_queue: bool = True) -> Starlette:
    """The app over the data folder in `settings` (created if needed; InputError if it can't
    be). With `start_queue`, analysis runs in the background while the app is up."""
    secret = prepare_data_dir(settings)
    store = Store(settings.db_path)
    runner = QueueRunner(
        store,
        lambda: open_analysis_engine(settings.workers, settings.ray_address),
        settings.uploads,
        settings.set_folder,
        capacity=settings.workers or 2,
        config_path=settings.config_path,
        config_for=functools.partial(tuning.config_for_set, settings, store),
    )
    context = Context(
        settings=settings,
        store=store,
        templates=Jinja2Templates(env=template_env()),
        runner=runner,
        secret=secret,
        setup_code=secrets.token_urlsafe(9),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if start_queue:
            runner.start()
        try:
            yield {}
        finally:
            if start_queue:
                runner.stop()

    routes = [
        *routes_trainer.routes(),
        *routes_review.routes(),
        *routes_tuning.routes(),
        *routes_lifter.routes(),
        Route("/faults.css", fault_css_response, methods=["GET"], name="fault_css"),
        Mount("/static", StaticFiles(packages=[("hingecheck.serve", "static")]), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="hingecheck_session",
            max_age=settings.limits.session_idle_s,
            same_site="lax",
            https_only=settings.https_cookies,
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.ctx = context
    context.templates.env.globals["urls"] = Urls(app.router)
    return app
