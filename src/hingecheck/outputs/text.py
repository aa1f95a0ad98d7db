"""Small wording helpers shared by every output a person reads (terminal, captions, pages)."""

from __future__ import annotations

from typing import Any


def counted(n: int, noun: str) -> str:
    """'1 rep', '3 reps', '0 faults': what a lifter reads, not '1 reps' or 'fault(s)'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clock(t_s: float) -> str:
    """Seconds as mm:ss.s."""
    minutes, seconds = divmod(max(t_s, 0.0), 60.0)
    return f"{int(minutes):02d}:{seconds:04.1f}"


def degrees(v: float) -> str:
    """'97°': whole degrees, and '0°' (never '-0°') for a reading that rounds to zero."""
    whole = int(round(float(v)))
    return f"{whole if whole else 0}°"


def template_env(package: str) -> Any:
    """A Jinja2 environment over `package`'s templates/ folder, as every page of the project
    is rendered: every value escaped, an undefined name an error, the `clock` filter."""
    import jinja2  # loaded when a page is written, not at start-up

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    return env
