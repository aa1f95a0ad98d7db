"""The part of MediaPipe the pose pass uses, imported without the rest of it.

`import mediapipe` runs the package's `__init__` chain, which imports every task (audio, text,
all of vision) and, through vision's drawing utilities, matplotlib.pyplot: 2.3 s of start-up
here, of which the pose landmarker and its image type need about 0.4. So unless MediaPipe is
already loaded, its packages are stood in for by empty namespace packages while the modules
we need (and the native library's package, found at the first model's creation) are loaded,
and afterwards every module loaded that way is taken out of `sys.modules` again: the objects
returned keep working (they hold their own modules), and a later `import mediapipe` anywhere
in the process loads the real package, whole, as if we had never been there.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from typing import Any

# The packages whose __init__ we skip, and the modules we need from below them.
_PACKAGES = ("mediapipe", "mediapipe.tasks", "mediapipe.tasks.python")
_VISION = "mediapipe.tasks.python.vision"
_NEEDED = (
    "mediapipe.tasks.python.vision.pose_landmarker",
    "mediapipe.tasks.python.vision.core.image",
    "mediapipe.tasks.python.vision.core.vision_task_running_mode",
    "mediapipe.tasks.python.core.base_options",
    "mediapipe.tasks.c",  # where the native library lies (read when the first model is made)
)


@dataclass(frozen=True)
class PoseApi:
    """What the pose pass calls: the landmarker, its options, images and running modes."""

    PoseLandmarker: Any
    PoseLandmarkerOptions: Any
    BaseOptions: Any
    RunningMode: Any
    Image: Any
    ImageFormat: Any


def _from(modules: dict[str, types.ModuleType]) -> PoseApi:
    pl = modules["mediapipe.tasks.python.vision.pose_landmarker"]
    image = modules["mediapipe.tasks.python.vision.core.image"]
    return PoseApi(
        pl.PoseLandmarker,
        pl.PoseLandmarkerOptions,
        modules["mediapipe.tasks.python.core.base_options"].BaseOptions,
        modules[
            "mediapipe.tasks.python.vision.core.vision_task_running_mode"
        ].VisionTaskRunningMode,
        image.Image,
        image.ImageFormat,
    )


@functools.cache
def pose_api() -> PoseApi:
    """The pose landmarker's API (loaded once per process)."""
    if "mediapipe" in sys.modules:  # already loaded whole: use it
        return _from({name: importlib.import_module(name) for name in _NEEDED})
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("mediapipe is not installed")
    root = list(spec.submodule_search_locations)[0]
    before = set(sys.modules)
    for name in (*_PACKAGES, _VISION):
        stub = types.ModuleType(name)
        stub.__path__ = [root + name[len("mediapipe") :].replace(".", "/")]
        sys.modules[name] = stub
    try:
        modules = {name: importlib.import_module(name) for name in _NEEDED}
        # The native library is found through importlib.resources on the first model's
        # creation; load it now, while the stand-ins let it import without the package.
        modules["mediapipe.tasks.python.core.mediapipe_c_bindings"] = importlib.import_module(
            "mediapipe.tasks.python.core.mediapipe_c_bindings"
        )
        modules["mediapipe.tasks.python.core.mediapipe_c_bindings"].load_raw_library()
        return _from(modules)
    finally:
        for name in set(sys.modules) - before:
            if name == "mediapipe" or name.startswith("mediapipe."):
                del sys.modules[name]
