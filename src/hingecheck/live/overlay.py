"""The live window: skeleton, hip and knee angles, the rep counter and a fault cue big enough to
read from three metres. Imported only when a window is wanted (never with --headless).

Drawn by the annotated video's annotators (outputs/annotators.py), with a larger cue: at 720p
its text stands ~55 px tall, about 1/13 of the frame, which a laptop screen shows legibly from
3 m.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import cv2
import numpy as np

from hingecheck.errors import InputError
from hingecheck.faults import fault_kind
from hingecheck.judge.causal import LiveFault, LiveState
from hingecheck.outputs import annotators, draw, layout, placement
from hingecheck.outputs.draw import HIP, JOINTS, SHOULDER

CUE_S = 3.0  # how long a fault's cue stays up after it is decided


def draw_live(
    rgb: np.ndarray, state: LiveState, cue: LiveFault | None, drop_rate: float, fps: float
) -> np.ndarray:
    """The frame with the live overlay drawn on a copy (the original goes to the recording)."""
    img = rgb.copy()
    h, w = img.shape[:2]
    st = draw.make_style(w, h)
    ids = JOINTS[state.side]
    pts = state.points[ids] * np.array([w, h])
    ok = np.isfinite(pts).all(axis=1)
    fixed = np.round(np.nan_to_num(pts) * draw.ONE).astype(np.int32)
    if state.present:
        annotators.SkeletonAnnotator(st).annotate(img, fixed, ok)
    sub = f"{fps:.0f} fps, {100 * drop_rate:.1f} % dropped"
    counter = draw.rep_counter_box(f"Reps {state.reps}", sub, st)
    annotators.CounterAnnotator(st).annotate(img, f"Reps {state.reps}", sub, counter)
    if state.present:
        annotators.LabelAnnotator(st).annotate(img, _angle_labels(pts, ok, state, counter, st))
    if cue is not None:
        kind = fault_kind(cue.fault.type)
        color = kind.rgb
        big = replace(st, big_px=max(28, round(0.075 * min(w, h))))
        text = f"{kind.label.upper()} (rep {cue.fault.rep})"
        lines, px = draw.banner_lines(text, w - 2 * st.pad, big)
        bw, bh = draw.banner_size(lines, px, big)
        top = counter[3] + st.pad
        box = ((w - bw) / 2, top, (w + bw) / 2, top + bh)
        annotators.BannerAnnotator(big).annotate(img, [placement.Banner(box, lines, px, color)])
        # A thick border in the fault's colour: seen out of the corner of the eye mid-rep.
        edge = max(6, round(18 * st.u))
        cv2.rectangle(img, (0, 0), (w - 1, h - 1), color, edge)
    return img


def _angle_labels(
    pts: np.ndarray, ok: np.ndarray, state: LiveState, counter, st: draw.Style
) -> list[tuple[str, layout.Box]]:
    """Hip and knee angles beside their joints, on the outside of each angle, off the limbs,
    the head and what the hands hold: (text, box) pairs. Placed afresh each frame (the video
    keeps last frame's choice while clear); a straight limb's label goes to the right."""
    # The near side's own shoulder-hip line sets the scale here (the video's: the mid-points').
    trunk = float(np.linalg.norm(pts[SHOULDER] - pts[HIP])) if ok[SHOULDER] and ok[HIP] else 0.0
    scene = placement.label_scene(pts, ok, [], [counter], trunk)
    items = [
        (text, at, away)
        for _, text, at, away in placement.joint_angle_items(
            pts, ok, state.hip_angle, state.knee_angle, (1.0, 1.0)
        )
    ]
    placed = placement.place_labels(items, scene, st, [None] * len(items))
    return [(text, box) for (text, _, _), (box, _, _) in zip(items, placed, strict=True)]


def active_cue(faults: list[LiveFault], now: float) -> LiveFault | None:
    """The most recent fault if it was decided less than CUE_S ago."""
    if faults and now - faults[-1].decided_s < CUE_S:
        return faults[-1]
    return None


class Window:
    """An OpenCV window; `show` returns True when the user asks to quit (q, Esc, closed)."""

    def __init__(self, title: str = "hingecheck live") -> None:
        self.title = title
        # OpenCV's Qt backend aborts the process (no exception) when it finds no X display.
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
        ):
            raise InputError("no display to open a window on: run with --headless")
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        except cv2.error:
            raise InputError("cannot open a window (no display?): run with --headless") from None

    def show(self, rgb: np.ndarray) -> bool:
        """Display an RGB frame; True if q/Esc was pressed or the window was closed."""
        cv2.imshow(self.title, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1) & 0xFF
        try:
            closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            closed = True
        return key in (ord("q"), ord("Q"), 27) or closed

    def poll(self) -> bool:
        """Keep the window responsive while no frame comes; True if the user asks to quit."""
        key = cv2.waitKey(1) & 0xFF
        return key in (ord("q"), ord("Q"), 27)

    def close(self) -> None:
        """Close the window."""
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass
