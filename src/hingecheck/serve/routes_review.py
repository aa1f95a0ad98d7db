"""The trainer's review of one set: the analysis' review page, a verdict per fault, missed
faults, and the note to the lifter."""

from __future__ import annotations

import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hingecheck.faults import FAULT_TYPES
from hingecheck.records import Report
from hingecheck.serve.app_context import ctx
from hingecheck.serve.routes_trainer import page, trainer_only
from hingecheck.serve.store import VERDICTS, SetRow
from hingecheck.serve.views import report_of, set_file, set_view, status

MAX_REPLY = 4000


def routes() -> list[Route]:
    return [
        Route("/t/sets/{sid}", set_page, methods=["GET"]),
        Route("/t/sets/{sid}/status.json", set_status, methods=["GET"]),
        Route("/t/sets/{sid}/files/{name}", set_files, methods=["GET"]),
        Route("/t/sets/{sid}/verdict", verdict, methods=["POST"]),
        Route("/t/sets/{sid}/missed", add_missed, methods=["POST"]),
        Route("/t/sets/{sid}/missed/{mid:int}/delete", remove_missed, methods=["POST"]),
        Route("/t/sets/{sid}/reply", reply, methods=["POST"]),
        Route("/t/sets/{sid}/retry", retry, methods=["POST"]),
    ]


def _set(request: Request) -> SetRow:
    row = ctx(request).store.get_set(request.path_params["sid"])
    if row is None:
        raise HTTPException(404, "no such set")
    return row


def _back(row: SetRow, anchor: str = "") -> Response:
    return RedirectResponse(f"/t/sets/{row.public_id}{anchor}", 303)


@trainer_only
async def set_page(request: Request) -> Response:
    c = ctx(request)
    row = _set(request)
    c.store.mark_seen(row.id)
    report = report_of(c.settings, row)
    client = c.store.client(row.client_id)
    data = {
        "row": row,
        "client": client,
        "view": set_view(row, report),
        "status": status(c.store, row),
        "review": c.store.review(row.id),
        "files": f"/t/sets/{row.public_id}/files/{row.stem}",
        "has_report": report is not None,
        "duration": Report.from_dict(report).source.duration_s if report else row.video_s,
    }
    return page(request, "review_set.html.j2", data)


@trainer_only
async def set_status(request: Request) -> Response:
    return JSONResponse(status(ctx(request).store, _set(request)))


@trainer_only
async def set_files(request: Request) -> Response:
    return set_file(ctx(request).settings, _set(request), request.path_params["name"])


def _done(request: Request) -> tuple[SetRow, Report]:
    row = _set(request)
    report = report_of(ctx(request).settings, row)
    if report is None:
        raise HTTPException(409, "the set has no analysis to review yet")
    return row, Report.from_dict(report)


@trainer_only
async def verdict(request: Request) -> Response:
    row, report = _done(request)
    form = request.state.form
    try:
        index = int(str(form.get("fault", "")))
    except ValueError:
        raise HTTPException(400, "which fault?") from None
    if not 0 <= index < len(report.faults):
        raise HTTPException(400, "no such fault in this set")
    value = str(form.get("verdict", ""))
    if value not in (*VERDICTS, "clear"):
        raise HTTPException(400, "a verdict is agree or disagree")
    ctx(request).store.set_verdict(row.id, index, None if value == "clear" else value)
    return _back(row, f"#fault-{index}")


@trainer_only
async def add_missed(request: Request) -> Response:
    row, report = _done(request)
    form = request.state.form
    ftype = str(form.get("type", ""))
    if ftype not in FAULT_TYPES:
        raise HTTPException(400, "pick the kind of fault that was missed")
    try:
        t = float(str(form.get("time", "")).replace(",", "."))
    except ValueError:
        t = math.nan
    duration = report.source.duration_s
    if not (math.isfinite(t) and 0.0 <= t <= duration + 0.5):
        raise HTTPException(400, f"the moment must be a time in the video (0 to {duration:.1f} s)")
    ctx(request).store.add_missed(row.id, ftype, round(t, 2))
    return _back(row, "#missed")


@trainer_only
async def remove_missed(request: Request) -> Response:
    row = _set(request)
    ctx(request).store.remove_missed(row.id, request.path_params["mid"])
    return _back(row, "#missed")


@trainer_only
async def reply(request: Request) -> Response:
    row = _set(request)
    text = str(request.state.form.get("reply", "")).strip()[:MAX_REPLY]
    ctx(request).store.set_reply(row.id, text)
    return _back(row, "#reply")


@trainer_only
async def retry(request: Request) -> Response:
    c = ctx(request)
    row = _set(request)
    c.store.retry(row.id)
    c.runner.wake()
    return _back(row)
