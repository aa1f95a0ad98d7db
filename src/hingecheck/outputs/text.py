"""Small wording helpers shared by every output a person reads (terminal, captions, pages)."""

from __future__ import annotations

from typing import Any

from hingecheck.faults import lift_name


def counted(n: int, noun: str) -> str:
    """'1 rep', '3 reps', '0 faults': what a lifter reads, not '1 reps' or 'fault(s)'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def length(t_s: float) -> str:
    """A duration as people say it: "31 seconds", "1 minute 5 seconds" (not "00:31.0 long")."""
    minutes, seconds = divmod(int(round(max(t_s, 0.0))), 60)
    if not minutes:
        return counted(seconds, "second")
    return counted(minutes, "minute") + (f" {counted(seconds, 'second')}" if seconds else "")


def view_words(camera: str, side: str) -> str:
    """The camera as a lifter reads it: "side view (right side)"; no side when no one was seen."""
    return "unknown view" if camera in ("unknown", "") else f"{camera} view ({side} side)"


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
    is rendered: every value escaped, an undefined name an error, the wording filters
    (`clock`, `counted`, `duration`, `lift`) and `view_words`."""
    import jinja2  # loaded when a page is written, not at start-up

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    env.filters["counted"] = counted
    env.filters["duration"] = length
    env.filters["lift"] = lift_name
    env.globals["view_words"] = view_words
    return env
