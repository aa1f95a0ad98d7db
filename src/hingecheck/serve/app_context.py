"""What every request handler needs, kept on the app's state (never global)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from hingecheck.serve.agreement import AgreementCache
from hingecheck.serve.queue_runner import QueueRunner
from hingecheck.serve.settings import Settings
from hingecheck.serve.store import Store


@dataclass
class Context:
    """The app's settings, store, templates and queue."""

    settings: Settings
    store: Store
    templates: Jinja2Templates
    runner: QueueRunner
    secret: str
    setup_code: str  # asked for on first start, so only whoever sees the terminal sets it
    # Password checks of unknown browsers, one at a time once logins are being delayed.
    login_gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    agreement: AgreementCache = field(default_factory=AgreementCache)


def ctx(request: Request) -> Context:
    """The context of the app serving `request`."""
    context: Context = request.app.state.ctx
    return context
