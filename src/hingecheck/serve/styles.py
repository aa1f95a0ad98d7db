"""The pages' fault colours, written from the fault table (faults.py) rather than copied into
app.css: a fault's chip, legend key and list border take its one colour."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response

from hingecheck.faults import FAULTS, FaultKind


def fault_css(faults: Iterable[FaultKind] = FAULTS) -> str:
    """A stylesheet: `--c-<key>` per fault, and the rules that use it."""
    faults = tuple(faults)
    lines = [":root { " + " ".join(f"--c-{k.key}: {k.colour};" for k in faults) + " }"]
    for k in faults:
        sel = f'[data-type="{k.key}"]'
        lines.append(f"{sel}.chip, {sel}.key::before {{ background: var(--c-{k.key}); }}")
    lines += [f'li.fault[data-type="{k.key}"] {{ border-left-color: var(--c-{k.key}); }}'
              for k in faults]  # fmt: skip
    return "\n".join(lines) + "\n"


def fault_css_response(request: Request) -> Response:
    """GET the fault colours' stylesheet (linked from every page after app.css)."""
    return Response(fault_css(), media_type="text/css; charset=utf-8")
