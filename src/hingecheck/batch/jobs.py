"""One set to analyse in a batch (SetJob) and what became of it (SetResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hingecheck.faults import FAULT_TYPES
from hingecheck.outputs.registry import output

STATUSES = ("analysed", "not_judged", "failed", "skipped")
# The columns of a set's row in batch.csv / batch.json: one count per fault type.
ROW_FIELDS = (
    ("path", "lifter", "date", "exercise", "status", "reps")
    + FAULT_TYPES
    + ("duration_s", "seconds", "reason", "report")
)


@dataclass(frozen=True)
class SetJob:
    """One recorded set: the video and where its outputs go."""

    video: Path  # the video file to analyse
    out_dir: Path  # this set's output folder (created if missing)
    exercise: str | None = None  # None: told from the movement
    lifter: str | None = None
    date: str | None = None
    with_video: bool = True  # write the annotated video
    config_path: Path | None = None  # TOML overrides
    # The name the lifter knows the video by, when it is stored under another (an upload):
    # the report and its review page are titled with it.
    title: str | None = None

    @property
    def stem(self) -> str:
        """The outputs' common name: `<stem>.json`, `<stem>.html`, ..."""
        return self.video.stem

    @property
    def report_path(self) -> Path:
        return output("json").path_for(self.out_dir, self.stem)


@dataclass(frozen=True)
class SetResult:
    """What became of one SetJob. `status` is one of STATUSES ("skipped": resumed, the report
    was already there for the same video, config and version)."""

    job: SetJob
    status: str
    reps: int = 0
    faults: dict[str, int] = field(default_factory=dict)  # fault type -> count
    duration_s: float = 0.0
    seconds: float = 0.0  # wall time taken
    reason: str = ""  # why not judged / why failed ("" otherwise)
    report: Path | None = None  # the JSON report, when one was written
    exercise: str = ""  # the lift as the report names it (given, or told from the movement)

    @property
    def ok(self) -> bool:
        """False only for a failed set (a set found not judgeable is a finished set)."""
        return self.status != "failed"

    def row(self) -> dict[str, Any]:
        """The set as a flat row (batch.csv / batch.json): one column per fault type."""
        return {
            "path": str(self.job.video),
            "lifter": self.job.lifter or "",
            "date": self.job.date or "",
            "exercise": self.exercise or self.job.exercise or "",
            "status": self.status,
            "reps": self.reps,
            **{f: self.faults.get(f, 0) for f in FAULT_TYPES},
            "duration_s": round(self.duration_s, 3),
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "report": str(self.report) if self.report else "",
        }


def failed(job: SetJob, reason: str, seconds: float = 0.0) -> SetResult:
    """A failed set, with the reason on one line."""
    line = " ".join(str(reason).split()) or "unknown error"
    return SetResult(job=job, status="failed", seconds=seconds, reason=line)


def overdue(limit: float) -> str:
    """Why a set stopped by the time limit per set failed."""
    return (
        f"stopped after {limit:.0f} s, the time limit per set (--timeout); its worker was replaced"
    )
