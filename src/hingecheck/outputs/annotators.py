"""The overlay's parts, one annotator each: skeleton, back outline, angle labels, rep counter,
fault banners and the set's timeline. The annotated video (video.py) and the live window
(live/overlay.py) compose the same annotators, so a part looks alike in both.

Each is built once with the frame's Style and has one method, `annotate(scene, ...) -> scene`
(supervision's shape): it draws on the RGB uint8 `scene` in place and returns it. Where text
goes was decided before (placement.py); annotators only draw (with draw.py's primitives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hingecheck.outputs import draw
from hingecheck.outputs.layout import Box
from hingecheck.outputs.placement import Banner


@dataclass(frozen=True)
class SkeletonAnnotator:
    """The near side's chain: bones with a dark rim, and joints."""

    style: draw.Style

    def annotate(self, scene: np.ndarray, points: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """points (9, 2) fixed-point pixels in draw.JOINTS order; ok (9,) which are seen."""
        draw.skeleton(scene, points, ok, draw.EDGES, self.style)
        return scene


@dataclass(frozen=True)
class OutlineAnnotator:
    """The traced back outline, and the plumb line up from the hip that the lean is read from."""

    style: draw.Style

    def annotate(
        self,
        scene: np.ndarray,
        outline: np.ndarray,
        ok: np.ndarray,
        color: draw.Color,
        plumb: tuple[np.ndarray, float] | None = None,
    ) -> np.ndarray:
        """outline (K, 2) fixed-point pixels, ok (K,); plumb: (hip point fixed-point, length
        fixed-point) or None for no plumb line."""
        draw.polyline_runs(scene, outline, ok, color, self.style.line)
        if plumb is not None:
            draw.vertical_ref(scene, plumb[0], plumb[1], self.style)
        return scene


@dataclass(frozen=True)
class LabelAnnotator:
    """Angle labels ('hip 97°') on dark plates, in the boxes placement chose."""

    style: draw.Style

    def annotate(self, scene: np.ndarray, labels: Sequence[tuple[str, Box]]) -> np.ndarray:
        """labels: (text, box) pairs."""
        for text, box in labels:
            draw.angle_label(scene, text, box, self.style)
        return scene


@dataclass(frozen=True)
class CounterAnnotator:
    """The rep counter: a title ('Rep 3/10') over a smaller line (the phase, the frame rate)."""

    style: draw.Style

    def annotate(self, scene: np.ndarray, title: str, sub: str, box: Box) -> np.ndarray:
        """Drawn in `box` (draw.rep_counter_box or placement.counter_box)."""
        draw.rep_counter(scene, title, sub, box, self.style)
        return scene


@dataclass(frozen=True)
class BannerAnnotator:
    """Fault banners: coloured bands with their lines centred."""

    style: draw.Style

    def annotate(self, scene: np.ndarray, banners: Sequence[Banner]) -> np.ndarray:
        """Each banner in its own box, at its own text size."""
        for b in banners:
            draw.banner(scene, b.box, b.lines, b.px, b.color, self.style)
        return scene


@dataclass(frozen=True)
class TimelineAnnotator:
    """The whole set's strip (draw.timeline_strip, drawn once) along the bottom, and a playhead."""

    style: draw.Style
    strip: np.ndarray  # (strip_h, W, 3) uint8

    def annotate(self, scene: np.ndarray, playhead_x: int) -> np.ndarray:
        """The strip blended into the bottom rows, the playhead at x pixels."""
        draw.paste_strip(scene, self.strip, playhead_x, self.style)
        return scene
