"""hingecheck: a pose-estimation form checker for the hip hinge.

>>> import hingecheck
>>> result = hingecheck.analyze("my_set.mp4")
>>> for fault in result.report.faults: print(fault.rep, fault.type, fault.start_s)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hingecheck")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+src"

from .analyze import Analysis, analyze, judge_track  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import InputError  # noqa: E402
from .records import Fault, Rep, Report, Signals, Track, VideoInfo, View  # noqa: E402

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
    "analyze",
    "judge_track",
    "load_config",
    "__version__",
]
