"""The trainer's pages: first-start password, login, the dashboard, clients, the export."""

from __future__ import annotations

import asyncio
import json
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hingecheck.outputs.text import counted
from hingecheck.serve import throttle
from hingecheck.serve.agreement import said_of
from hingecheck.serve.app_context import Context, ctx
from hingecheck.serve.auth import (
    MIN_PASSWORD,
    check_password,
    client_ip,
    csrf_ok,
    hash_password,
    log_in,
    password_problem,
)
from hingecheck.serve.history import chart, sessions
from hingecheck.serve.store import Client
from hingecheck.serve.tuning_store import TuningStore
from hingecheck.serve.views import report_of
from hingecheck.serve.web import client_or_404, render, trainer_only, urls

MAX_NAME = 80


def routes() -> list[Route]:
    return [
        Route("/", dashboard, methods=["GET"], name="dashboard"),
        Route("/setup", setup, methods=["GET", "POST"], name="setup"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/t/clients", add_client, methods=["POST"], name="add_client"),
        Route("/t/clients/{cid:int}", client_page, methods=["GET"], name="client_page"),
        Route("/t/clients/{cid:int}/qr.svg", client_qr, methods=["GET"], name="client_qr"),
        Route("/t/clients/{cid:int}/link", new_link, methods=["POST"], name="new_link"),
        Route("/t/export/labels.json", export_labels, methods=["GET"], name="export_labels"),
    ]


def _first_start(c: Context) -> bool:
    return c.store.password_hash() is None


async def setup(request: Request) -> Response:
    """First start: the trainer sets the password (with the code the server printed)."""
    c = ctx(request)
    if not await run_in_threadpool(_first_start, c):
        return RedirectResponse(urls(request).login(), 303)
    code = request.query_params.get("code", "")
    if request.method == "GET":
        return render(request, "setup.html.j2", {"code": code, "error": "", "min": MIN_PASSWORD})
    form = await request.form(max_files=0, max_fields=10)
    code = str(form.get("code", ""))
    error = ""
    if not csrf_ok(request, str(form.get("csrf", ""))):
        error = "the form has expired: reload the page"
    elif not secrets.compare_digest(code.strip(), c.setup_code):
        error = "the setup code is wrong (the server printed it when it started)"
    else:
        error = password_problem(str(form.get("password", "")), str(form.get("confirm", "")))
    if error:
        data = {"code": code, "error": error, "min": MIN_PASSWORD}
        return render(request, "setup.html.j2", data, 400)
    if not await run_in_threadpool(_set_first_password, c, str(form["password"])):
        return RedirectResponse(urls(request).login(), 303)
    return await run_in_threadpool(_logged_in, request, c)


def _set_first_password(c: Context, password: str) -> bool:
    """Store the first password's hash (False if another request set one first)."""
    return c.store.set_password_hash(hash_password(password), first=True)


async def login(request: Request) -> Response:
    c = ctx(request)
    if await run_in_threadpool(_first_start, c):
        return RedirectResponse(urls(request).setup(), 303)
    if request.method == "GET":
        return render(request, "login.html.j2", {"error": ""})
    limits = c.settings.limits
    device = throttle.device_of(request, c.secret, limits)
    key = throttle.failure_key(client_ip(request), device)
    if refused := await run_in_threadpool(_too_many, request, c, key):
        return refused
    form = await request.form(max_files=0, max_fields=10)
    if not csrf_ok(request, str(form.get("csrf", ""))):
        return render(request, "login.html.j2", {"error": "the form has expired: try again"}, 403)
    password = str(form.get("password", ""))
    if device is not None:  # the trainer's own browser: never delayed by others' failures
        ok = await run_in_threadpool(_attempt, c, key, password)
    else:
        async with c.login_gate:
            # Attempts sent at once are counted one by one.
            if refused := await run_in_threadpool(_too_many, request, c, key):
                return refused
            await asyncio.sleep(await run_in_threadpool(throttle.delay_s, c.store, limits))
            ok = await run_in_threadpool(_attempt, c, key, password)
    if not ok:
        return render(request, "login.html.j2", {"error": "wrong password"}, 401)
    return await run_in_threadpool(_logged_in, request, c, device)


def _attempt(c: Context, key: str, password: str) -> bool:
    """Check the password and count a failure (argon2 takes a while: not on the event loop)."""
    ok = check_password(c.store.password_hash(), password)
    if ok:
        c.store.clear_login_failures(key)
    else:
        c.store.record_login_failure(key)
    return bool(ok)


def _too_many(request: Request, c: Context, key: str) -> Response | None:
    """The refusal when `key` (an address, or the trainer's device) has failed too often."""
    wait = throttle.refusal_s(c.store, key, c.settings.limits)
    if not wait:
        return None
    minutes = max(1, round(wait / 60))
    msg = f"too many failed attempts: try again in about {counted(minutes, 'minute')}"
    return render(request, "login.html.j2", {"error": msg}, 429)


def _logged_in(request: Request, c: Context, device: str | None = None) -> Response:
    """Start the session and remember this browser as the trainer's (its device cookie)."""
    log_in(request, c.store)
    response = RedirectResponse(urls(request).dashboard(), 303)
    s = c.settings
    throttle.remember_device(response, c.secret, s.limits, s.https_cookies, device)
    return response


@trainer_only
def logout(request: Request) -> Response:
    ctx(request).store.end_sessions()
    request.session.clear()
    return RedirectResponse(urls(request).login(), 303)


@trainer_only
def dashboard(request: Request) -> Response:
    c = ctx(request)
    rows = c.store.sets(limit=1000)
    clients = c.store.clients()
    names = {cl.id: cl.name for cl in clients}
    per_client = {
        cl.id: {
            "sets": sum(r.client_id == cl.id for r in rows),
            "waiting": sum(
                r.client_id == cl.id and r.state == "done" and r.reviewed is None for r in rows
            ),
            "last": max((r.uploaded for r in rows if r.client_id == cl.id), default=None),
        }
        for cl in clients
    }
    data = {
        "clients": clients,
        "per_client": per_client,
        "names": names,
        "new": [r for r in rows if r.seen is None][:30],
        "waiting": [r for r in rows if r.state == "done" and r.reviewed is None][:50],
        "busy": [r for r in rows if r.state in ("queued", "running")],
        "failed": [r for r in rows if r.state == "failed"][:20],
        "agreement": c.agreement.agreement(c.store, lambda r: c.settings.result_path(r, "json")),
        "active": TuningStore(c.store).active(),
    }
    return render(request, "dashboard.html.j2", data)


def lifter_link(request: Request, client: Client) -> str:
    """The absolute private link (from --public-url, else as this request reached us)."""
    base = ctx(request).settings.public_url or str(request.base_url)
    return base.rstrip("/") + urls(request).lifter(client.token)


@trainer_only
def add_client(request: Request) -> Response:
    name = " ".join(str(request.state.form.get("name", "")).split())[:MAX_NAME]
    if not name:
        raise HTTPException(400, "give the client a name")
    client = ctx(request).store.add_client(name)
    return RedirectResponse(urls(request).client(client.id), 303)


@trainer_only
def client_page(request: Request) -> Response:
    c = ctx(request)
    client = client_or_404(request)
    rows = c.store.sets(client_id=client.id)
    reports = []
    for r in rows:
        rep = report_of(c.settings, r)  # None until the set is done
        if rep is not None:
            reports.append((r.uploaded, rep))
    days = sessions(reports)
    data = {
        "client": client,
        "link": lifter_link(request, client),
        "sets": rows,
        "days": days,
        "chart": chart(days) if days else None,
    }
    return render(request, "client.html.j2", data)


@trainer_only
def client_qr(request: Request) -> Response:
    import qrcode
    import qrcode.image.svg

    client = client_or_404(request)
    img = qrcode.make(lifter_link(request, client), image_factory=qrcode.image.svg.SvgPathImage)
    return Response(img.to_string(encoding="unicode"), media_type="image/svg+xml")


@trainer_only
def new_link(request: Request) -> Response:
    client = client_or_404(request)
    ctx(request).store.new_token(client.id)
    return RedirectResponse(urls(request).client(client.id), 303)


@trainer_only
def export_labels(request: Request) -> Response:
    """Every reviewed set as a label; `hingecheck evaluate DATA/uploads --labels FILE` reads it."""
    c = ctx(request)
    labels = []
    for row in c.store.reviewed_sets():
        report = report_of(c.settings, row)
        if report is not None:
            labels.append(said_of(c.store, row.id).label(row, report))
    body = json.dumps(labels, indent=1, ensure_ascii=False) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={"content-disposition": 'attachment; filename="labels.json"'},
    )
