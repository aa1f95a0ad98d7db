"""What one analysis produced, as the writers and pages take it (below the pipeline that makes
it, so the outputs need not import the pipeline)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hingecheck.config import Config
from hingecheck.records import Report, Signals, Track


@dataclass
class Analysis:
    """Everything one analysis produced: the report and the arrays behind it."""

    report: Report
    track: Track
    signals: Signals
    config: Config
    from_cache: bool = False
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # about this run, not the set (a bad cache)
