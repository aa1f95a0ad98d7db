"""The one place the server meets the batch engine (hingecheck.batch).

The server hands each queued set to `Engine.submit` and reads the `SetResult` back; the engine
is the local process pool, or an actor pool on a Ray cluster when an address is given.
"""

from __future__ import annotations

from hingecheck.batch.engine import Engine, open_engine
from hingecheck.batch.jobs import SetJob, SetResult
from hingecheck.batch.resume import clean_staging

__all__ = ["Engine", "SetJob", "SetResult", "open_analysis_engine", "prepare", "stop"]


def open_analysis_engine(workers: int | None = None, ray_address: str | None = None) -> Engine:
    """The batch engine: `workers` processes here (default one per CPU), or on `ray_address`."""
    return open_engine(workers=workers, ray_address=ray_address)


def prepare(job: SetJob) -> None:
    """Before a set is (re)submitted: remove what a killed worker left of an earlier attempt."""
    clean_staging(job)


def stop(engine: Engine) -> None:
    """Stop at once (server shutdown): running sets are abandoned, not waited for; they are
    still 'running' in the store and are queued again at the next start."""
    abort = getattr(engine, "abort", None)
    if abort is not None:
        abort()
    else:
        engine.close()
