"""Self-made demo material: a shaded side-view figure doing hip-hinge reps with known faults.

Real footage of other people can never ship, so the demo set and the analysis tests use this:
:mod:`.motion` makes joint-angle trajectories, ground truth and MediaPipe-indexed 2D landmarks
(pure numpy); :mod:`.figure` renders them as RGB frames (needs cv2, so it is imported lazily:
tests that only need landmark tracks do not pay for it).
"""

from __future__ import annotations

from typing import Any

from .motion import Body2D, Motion, RepSpec, body_2d, hinge_motion, skeleton_2d

__all__ = ["Body2D", "Motion", "RepSpec", "body_2d", "hinge_motion", "render_frames", "skeleton_2d"]


def __getattr__(name: str) -> Any:
    if name == "render_frames":
        from .figure import render_frames

        return render_frames
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
