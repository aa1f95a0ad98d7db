"""The evaluation per source: one camera and lifter (the clip-name prefix before `__`).

A threshold is a claim about lifters in general, so it is checked on sources, not clips: eleven
clips of one lifter filmed by one phone are one piece of evidence. Sources are listed worst
first, so the camera a rule fails on is the first thing read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hingecheck.faults import FAULT_TYPES
from hingecheck.judge.evaluate import ClipResult, FaultScore, tally


def source_of(file: str) -> str:
    """The source of a clip: its name's prefix before `__` (the whole stem without one)."""
    stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.split("__", 1)[0]


@dataclass
class SourceScore:
    """One source's figures: rep counts and, per fault, clip-level TP/FP/FN."""

    source: str
    clips: int = 0
    errors: int = 0  # clips that could not be analysed
    reps_scored: int = 0
    reps_exact: int = 0
    faults: dict[str, FaultScore] = field(default_factory=dict)

    @property
    def false_alarms(self) -> int:
        return sum(s.fp for s in self.faults.values())

    @property
    def misses(self) -> int:
        return sum(s.fn for s in self.faults.values())

    @property
    def rep_share(self) -> float | None:
        return self.reps_exact / self.reps_scored if self.reps_scored else None

    def figures(self) -> dict[str, Any]:
        """What the clip baseline records for the source."""
        out: dict[str, Any] = {"clips": self.clips, "reps_scored": self.reps_scored}
        out["reps_exact"] = self.reps_exact
        out["errors"] = self.errors
        for name, s in self.faults.items():
            out[f"{name}.fp"] = s.fp
            out[f"{name}.fn"] = s.fn
            out[f"{name}.tp"] = s.tp
        return out


def by_source(clips: list[ClipResult]) -> list[SourceScore]:
    """Every source's score, worst first: the lowest share of exact rep counts, then the most
    wrong fault calls (false alarms and misses), then the name."""
    groups: dict[str, list[ClipResult]] = {}
    for c in clips:
        groups.setdefault(source_of(c.file), []).append(c)
    out = []
    for name, group in groups.items():
        ev = tally(group)
        ok = [c for c in group if not c.error]
        out.append(
            SourceScore(
                source=name,
                clips=len(group),
                errors=len(group) - len(ok),
                reps_scored=sum(c.reps_labelled is not None for c in ok),
                reps_exact=sum(
                    c.reps_labelled == c.reps_found for c in ok if c.reps_labelled is not None
                ),
                faults=ev.faults,
            )
        )

    def badness(s: SourceScore) -> tuple[float, int, str]:
        share = s.rep_share if s.rep_share is not None else 1.0
        return (share - s.errors, -(s.false_alarms + s.misses), s.source)

    return sorted(out, key=badness)


def source_table(scores: list[SourceScore], before: dict[str, dict] | None = None) -> str:
    """Per source, worst first: exact rep counts and each fault's TP/FP/FN. With `before` (the
    figures of a baseline, by source), each cell shows the change: `before>now` where it moved."""
    short = {k: k.split("_")[0][:5] for k in FAULT_TYPES}

    def cell(now: int, key: str, src: str) -> str:
        was = (before or {}).get(src, {}).get(key)
        return f"{now}" if was is None or was == now else f"{was}>{now}"

    head = " ".join(f"{short[k] + ' TP/FP/FN':>17}" for k in FAULT_TYPES)
    lines = [f"{'source':<26}{'clips':>5} {'reps exact':>11} {head}"]
    for s in scores:
        reps = f"{cell(s.reps_exact, 'reps_exact', s.source)}/{s.reps_scored}"
        cells = []
        for k in FAULT_TYPES:
            f = s.faults[k]
            parts = [cell(getattr(f, x), f"{k}.{x}", s.source) for x in ("tp", "fp", "fn")]
            cells.append("/".join(parts).rjust(17))
        err = f"  ({s.errors} not analysed)" if s.errors else ""
        lines.append(f"{s.source:<26}{s.clips:>5} {reps:>11} {' '.join(cells)}{err}")
    if before:
        lines.append("cells: now, or before>now where they moved")
    return "\n".join(lines)
