"""A client's history: the share of reps showing each fault, per training session (day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hingecheck.faults import FAULT_TYPES

# The chart's plot area in SVG units.
CHART_W, CHART_H = 600.0, 180.0


@dataclass
class Session:
    """One day's analysed sets of a client."""

    day: str
    sets: int
    reps: int
    faulty: dict[str, int]  # reps showing each fault type
    any_fault: int  # reps showing any fault

    def rate(self, ftype: str | None = None) -> float:
        """Share of reps with the fault (None: with any fault)."""
        n = self.any_fault if ftype is None else self.faulty.get(ftype, 0)
        return n / self.reps if self.reps else 0.0


def sessions(reports: list[tuple[float, dict[str, Any]]]) -> list[Session]:
    """Group (upload time, report) pairs into days, oldest first; sets with no complete rep
    count towards the day's sets but not its rates."""
    days: dict[str, Session] = {}
    for uploaded, report in sorted(reports, key=lambda p: p[0]):
        day = datetime.fromtimestamp(uploaded).strftime("%Y-%m-%d")
        s = days.setdefault(day, Session(day, 0, 0, {k: 0 for k in FAULT_TYPES}, 0))
        s.sets += 1
        for rep in report.get("reps", []):
            if not rep.get("complete", True):
                continue
            s.reps += 1
            shown = set(rep.get("faults", []))
            for k in shown & set(FAULT_TYPES):
                s.faulty[k] += 1
            s.any_fault += bool(shown)
    return list(days.values())


def chart(days: list[Session]) -> dict[str, Any]:
    """The chart's drawing: x per session (evenly spaced), y 0..100 %, one line per fault and
    one for any fault."""
    n = len(days)

    def x(i: int) -> float:
        return CHART_W / 2 if n == 1 else CHART_W * i / (n - 1)

    def y(rate: float) -> float:
        return CHART_H * (1.0 - rate)

    series = []
    for key in (None, *FAULT_TYPES):
        points = [(round(x(i), 1), round(y(d.rate(key)), 1)) for i, d in enumerate(days) if d.reps]
        series.append(
            {
                "key": key or "any",
                "points": points,
                "path": " ".join(f"{'M' if j == 0 else 'L'}{px} {py}" for j, (px, py) in
                                 enumerate(points)),
            }
        )  # fmt: skip
    step = max(1, n // 6)  # at most ~7 date labels under the axis
    return {
        "w": CHART_W,
        "h": CHART_H,
        "series": series,
        "labels": [{"x": x(i), "text": d.day[5:]} for i, d in enumerate(days) if i % step == 0],
        "grid": [{"y": y(v), "text": f"{int(v * 100)} %"} for v in (0.0, 0.25, 0.5, 0.75, 1.0)],
    }
