"""The lifter's pages, behind their private link: upload a set, follow it, read the answer.

Every handler finds the client by the link's token first, and every set is fetched with that
client's id, so one lifter's link never reaches another's sets or files.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hingecheck.config import EXERCISES
from hingecheck.errors import InputError
from hingecheck.serve.app_context import ctx
from hingecheck.serve.auth import lifter_csrf_ok
from hingecheck.serve.store import Client
from hingecheck.serve.uploads import (
    UploadError,
    check_video,
    new_public_id,
    receive_upload,
    video_types,
)
from hingecheck.serve.views import has_video, report_of, set_file, set_view, status
from hingecheck.serve.web import lifter_of, render, set_or_404, urls

MAX_NOTE = 1000


def routes() -> list[Route]:
    return [
        Route("/c/{token}", home, methods=["GET"], name="lifter_home"),
        Route("/c/{token}/sets", upload, methods=["POST"], name="lifter_upload"),
        Route("/c/{token}/sets/{sid}", set_page, methods=["GET"], name="lifter_set"),
        Route(
            "/c/{token}/sets/{sid}/status.json",
            set_status,
            methods=["GET"],
            name="lifter_status",
        ),
        Route("/c/{token}/sets/{sid}/files/{name}", set_files, methods=["GET"], name="lifter_file"),
    ]


def _home_data(request: Request, client: Client, error: str = "") -> dict[str, Any]:
    c = ctx(request)
    rows = c.store.sets(client_id=client.id, limit=200)
    return {
        "client": client,
        "sets": rows,
        "exercises": EXERCISES,
        "max_mb": c.settings.max_upload_bytes // 1_000_000,
        "error": error,
    }


def home(request: Request) -> Response:
    client = lifter_of(request)
    return render(request, "lifter_home.html.j2", _home_data(request, client))


async def upload(request: Request) -> Response:
    """Store the upload under a generated name, check it is a video, then queue it."""
    c = ctx(request)
    client = await run_in_threadpool(lifter_of, request)
    wants_json = "application/json" in request.headers.get("accept", "")

    async def refuse(message: str, code: int) -> Response:
        if wants_json:
            return JSONResponse({"error": message}, status_code=code)
        data = await run_in_threadpool(_home_data, request, client, message)
        return render(request, "lifter_home.html.j2", data, code)

    # The token comes in a header (the page's script) or the form's URL (no script), so it is
    # checked before a byte of the body is read, let alone stored.
    sent = request.headers.get("x-csrf-token") or request.query_params.get("csrf")
    if not lifter_csrf_ok(c.secret, client.token, sent):
        return await refuse("the page has expired: reload it and upload again", 403)
    public_id = new_public_id()
    try:
        up = await receive_upload(
            request, c.settings.incoming, c.settings.uploads, c.settings.max_upload_bytes, public_id
        )
    except UploadError as exc:
        return await refuse(str(exc), exc.status)
    assert up.path is not None
    exercise = up.fields.get("exercise", "") or None
    note = up.fields.get("note", "").strip()[:MAX_NOTE]
    if exercise is not None and exercise not in EXERCISES:
        up.path.unlink(missing_ok=True)
        return await refuse("unknown exercise: pick one from the list", 400)
    try:
        duration = await run_in_threadpool(check_video, up.path)
    except InputError as exc:
        up.path.unlink(missing_ok=True)
        # The checks name the stored file; the lifter knows it by their own name. FFmpeg's
        # reason ("Invalid data found when processing input") means nothing to a lifter.
        name = up.original_name or "the file"
        message = str(exc).replace(str(up.path), name)
        if "is not a readable video" in message:
            message = f"{name} is not a readable video: record or pick a video ({video_types()})"
        return await refuse(message, 415)
    row = await run_in_threadpool(
        c.store.add_set,
        public_id, client.id, up.path.name, up.original_name, up.size, duration, exercise, note,
    )  # fmt: skip
    c.runner.wake()
    url = urls(request).lifter_set(client.token, row.public_id)
    if wants_json:
        return JSONResponse({"set": row.public_id, "url": url}, status_code=201)
    return RedirectResponse(url, status_code=303)


def set_page(request: Request) -> Response:
    c = ctx(request)
    client = lifter_of(request)
    row = set_or_404(request, client)
    report = report_of(c.settings, row)
    data = {
        "client": client,
        "row": row,
        "view": set_view(row, report),
        "status": status(c.store, row),
        "has_video": report is not None and has_video(c.settings, row),
    }
    return render(request, "lifter_set.html.j2", data)


def set_status(request: Request) -> Response:
    client = lifter_of(request)
    row = set_or_404(request, client)
    return JSONResponse(status(ctx(request).store, row))


def set_files(request: Request) -> Response:
    client = lifter_of(request)
    row = set_or_404(request, client)
    return set_file(ctx(request).settings, row, request.path_params["name"])
