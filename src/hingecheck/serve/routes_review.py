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
from hingecheck.serve.agreement import said_of
from hingecheck.serve.app_context import ctx
from hingecheck.serve.store import VERDICTS, SetRow
from hingecheck.serve.tuning_store import TuningStore
from hingecheck.serve.views import report_of, set_file, set_view, status
from hingecheck.serve.web import render, set_or_404, trainer_only, urls

MAX_REPLY = 4000


def routes() -> list[Route]:
    return [
        Route("/t/sets/{sid}", set_page, methods=["GET"], name="review_set"),
        Route("/t/sets/{sid}/status.json", set_status, methods=["GET"], name="review_status"),
        Route("/t/sets/{sid}/files/{name}", set_files, methods=["GET"], name="review_file"),
        Route("/t/sets/{sid}/verdict", verdict, methods=["POST"], name="verdict"),
        Route("/t/sets/{sid}/missed", add_missed, methods=["POST"], name="add_missed"),
        Route(
            "/t/sets/{sid}/missed/{mid:int}/delete",
            remove_missed,
            methods=["POST"],
            name="remove_missed",
        ),
        Route("/t/sets/{sid}/reps", rep_mark, methods=["POST"], name="rep_mark"),
        Route(
            "/t/sets/{sid}/reps/{mid:int}/delete",
            remove_rep_mark,
            methods=["POST"],
            name="remove_rep_mark",
        ),
        Route("/t/sets/{sid}/reply", reply, methods=["POST"], name="reply"),
        Route("/t/sets/{sid}/retry", retry, methods=["POST"], name="retry"),
    ]


def _back(request: Request, row: SetRow, anchor: str = "") -> Response:
    return RedirectResponse(urls(request).set_page(row.public_id) + anchor, 303)


@trainer_only
def set_page(request: Request) -> Response:
    c = ctx(request)
    row = set_or_404(request)
    c.store.mark_seen(row.id)
    report = report_of(c.settings, row)
    client = c.store.client(row.client_id)
    data = {
        "row": row,
        "client": client,
        "view": set_view(row, report),
        "status": status(c.store, row),
        "review": c.store.review(row.id),
        "rep_marks": TuningStore(c.store).rep_marks(row.id),
        "label": said_of(c.store, row.id).label(row, report) if report else None,
        "has_report": report is not None,
        "duration": Report.from_dict(report).source.duration_s if report else row.video_s,
    }
    return render(request, "review_set.html.j2", data)


@trainer_only
def set_status(request: Request) -> Response:
    return JSONResponse(status(ctx(request).store, set_or_404(request)))


@trainer_only
def set_files(request: Request) -> Response:
    return set_file(ctx(request).settings, set_or_404(request), request.path_params["name"])


def _done(request: Request) -> tuple[SetRow, Report]:
    row = set_or_404(request)
    report = report_of(ctx(request).settings, row)
    if report is None:
        raise HTTPException(409, "the set has no analysis to review yet")
    return row, Report.from_dict(report)


@trainer_only
def verdict(request: Request) -> Response:
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
    return _back(request, row, f"#fault-{index}")


@trainer_only
def add_missed(request: Request) -> Response:
    row, report = _done(request)
    form = request.state.form
    ftype = str(form.get("type", ""))
    if ftype not in FAULT_TYPES:
        raise HTTPException(400, "pick the kind of fault that was missed")
    ctx(request).store.add_missed(row.id, ftype, _moment(form, report))
    return _back(request, row, "#missed")


def _moment(form, report: Report) -> float:
    """The moment in the video a form names (400 unless it is one)."""
    try:
        t = float(str(form.get("time", "")).replace(",", "."))
    except ValueError:
        t = math.nan
    duration = report.source.duration_s
    if not (math.isfinite(t) and 0.0 <= t <= duration + 0.5):
        raise HTTPException(400, f"the moment must be a time in the video (0 to {duration:.1f} s)")
    return round(t, 2)


@trainer_only
def rep_mark(request: Request) -> Response:
    """A correction of the count: a counted rep that isn't one, a rep missed at the playhead,
    or the count confirmed."""
    row, report = _done(request)
    form = request.state.form
    kind = str(form.get("kind", ""))
    store = TuningStore(ctx(request).store)
    if kind == "not_a_rep":
        try:
            rep = int(str(form.get("rep", "")))
        except ValueError:
            rep = 0
        if rep not in {r.index for r in report.reps}:
            raise HTTPException(400, "no such rep in this set")
        store.add_rep_mark(row.id, kind, rep=rep)
    elif kind == "missed":
        store.add_rep_mark(row.id, kind, time_s=_moment(form, report))
    elif kind == "count_ok":
        store.add_rep_mark(row.id, kind)
    else:
        raise HTTPException(400, "a rep that isn't one, a missed rep, or the count is right?")
    return _back(request, row, "#reps")


@trainer_only
def remove_rep_mark(request: Request) -> Response:
    row = set_or_404(request)
    TuningStore(ctx(request).store).remove_rep_mark(row.id, request.path_params["mid"])
    return _back(request, row, "#reps")


@trainer_only
def remove_missed(request: Request) -> Response:
    row = set_or_404(request)
    ctx(request).store.remove_missed(row.id, request.path_params["mid"])
    return _back(request, row, "#missed")


@trainer_only
def reply(request: Request) -> Response:
    row = set_or_404(request)
    text = str(request.state.form.get("reply", "")).strip()[:MAX_REPLY]
    ctx(request).store.set_reply(row.id, text)
    return _back(request, row, "#reply")


@trainer_only
def retry(request: Request) -> Response:
    c = ctx(request)
    row = set_or_404(request)
    c.store.retry(row.id)
    c.runner.wake()
    return _back(request, row)
