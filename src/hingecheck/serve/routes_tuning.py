"""The trainer's tuning page: "tune to my verdicts" (the fit, out of sample per fault, and what
it left alone and why), each version, using one or going back to the defaults, and judging
past sets again from their cached tracks."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hingecheck.errors import InputError
from hingecheck.serve import tuning
from hingecheck.serve.app_context import ctx
from hingecheck.serve.tuning_store import Overlay, TuningStore
from hingecheck.serve.web import render, trainer_only, urls


def routes() -> list[Route]:
    return [
        Route("/t/tuning", tuning_page, methods=["GET"], name="tuning"),
        Route("/t/tuning", tune, methods=["POST"], name="tune"),
        Route("/t/tuning/{vid:int}", version_page, methods=["GET"], name="tuning_version"),
        Route("/t/tuning/{vid:int}/apply", apply, methods=["POST"], name="apply_overlay"),
        Route("/t/tuning/defaults", use_defaults, methods=["POST"], name="use_defaults"),
        Route("/t/tuning/rejudge", rejudge, methods=["POST"], name="rejudge"),
    ]


def _page(request: Request, shown: Overlay | None, error: str = "", status: int = 200) -> Response:
    c = ctx(request)
    store = TuningStore(c.store)
    active = store.active()
    names = {cl.id: cl.name for cl in c.store.clients()}
    data: dict[str, Any] = {
        "shown": shown,
        "fits": shown.fits if shown else [],
        "active": active,
        "versions": store.overlays(),
        "changes": store.changes()[:20],
        "rejudged": store.last_rejudge(),
        "names": names,
        "clients": {str(k): v for k, v in names.items()},  # a fit's sources are client ids
        "error": error,
        "base": str(tuning.base_config_path(c.settings) or ""),
    }
    return render(request, "tuning.html.j2", data, status)


@trainer_only
def tuning_page(request: Request) -> Response:
    versions = TuningStore(ctx(request).store).overlays()
    return _page(request, versions[0] if versions else None)


def _version(request: Request) -> Overlay:
    overlay = TuningStore(ctx(request).store).overlay(request.path_params["vid"])
    if overlay is None:
        raise HTTPException(404, "no such version")
    return overlay


@trainer_only
def version_page(request: Request) -> Response:
    return _page(request, _version(request))


@trainer_only
def tune(request: Request) -> Response:
    c = ctx(request)
    try:
        overlay = tuning.tune(c.settings, c.store)
    except InputError as exc:
        return _page(request, None, str(exc), 400)
    return RedirectResponse(urls(request).tuning_version(overlay.id), 303)


@trainer_only
def apply(request: Request) -> Response:
    overlay = _version(request)
    if not overlay.tuned_faults:
        raise HTTPException(400, "this version moves no threshold: there is nothing to apply")
    TuningStore(ctx(request).store).use(overlay.id)
    return RedirectResponse(urls(request).tuning_version(overlay.id), 303)


@trainer_only
def use_defaults(request: Request) -> Response:
    TuningStore(ctx(request).store).use(None)
    return RedirectResponse(urls(request).tuning(), 303)


@trainer_only
def rejudge(request: Request) -> Response:
    c = ctx(request)
    tuning.rejudge(c.settings, c.store)
    return RedirectResponse(urls(request).tuning() + "#rejudged", 303)
