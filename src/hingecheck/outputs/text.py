"""Small wording helpers shared by every output a person reads (terminal, captions, pages)."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """'1 rep', '3 reps', '0 faults': what a lifter reads, not '1 reps' or 'fault(s)'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clock(t_s: float) -> str:
    """Seconds as mm:ss.s."""
    minutes, seconds = divmod(max(t_s, 0.0), 60.0)
    return f"{int(minutes):02d}:{seconds:04.1f}"
