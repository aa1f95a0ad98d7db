"""hingecheck: a pose-estimation form checker for the hip hinge.

>>> import hingecheck
>>> result = hingecheck.analyze("my_set.mp4")
>>> for fault in result.report.faults: print(fault.rep, fault.type, fault.start_s)

The package is laid out as the pipeline: `video` (frame sources) -> `pose` (the model, the
Track) -> `signals` (angles, smoothing) -> `judge` (reps, view, rules, evaluation) ->
`outputs` (report files, annotated video, review pages); `live` runs the same stages on a
camera, `cli` is the command. The public names below load on first use, so that
`hingecheck --version` does not pay for importing the pose model and scipy.
"""

from __future__ import annotations

from importlib import import_module

from hingecheck.version import __version__

# Not `from typing import TYPE_CHECKING`: importing typing costs ~40 ms of every start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hingecheck.config import Config, load_config
    from hingecheck.errors import InputError
    from hingecheck.pipeline import Analysis, analyze, judge_track
    from hingecheck.records import Fault, Rep, Report, Signals, Track, VideoInfo, View

# Public name -> the module that defines it.
_EXPORTS = {
    "Analysis": "hingecheck.pipeline",
    "analyze": "hingecheck.pipeline",
    "judge_track": "hingecheck.pipeline",
    "Config": "hingecheck.config",
    "load_config": "hingecheck.config",
    "InputError": "hingecheck.errors",
    "Fault": "hingecheck.records",
    "Rep": "hingecheck.records",
    "Report": "hingecheck.records",
    "Signals": "hingecheck.records",
    "Track": "hingecheck.records",
    "VideoInfo": "hingecheck.records",
    "View": "hingecheck.records",
}

__all__ = [
    "Analysis",
    "Config",
    "Fault",
    "InputError",
    "Rep",
    "Report",
    "Signals",
    "Track",
    "VideoInfo",
    "View",
    "__version__",
    "analyze",
    "judge_track",
    "load_config",
]


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'hingecheck' has no attribute {name!r}")
