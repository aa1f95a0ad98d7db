"""Run the pose model on some frames, not every one, and fill the frames in between.

The signals are low-passed at 6 Hz, so poses at `sample_hz` (30) carry all they keep, and a
60 fps video costs half. Below that, a uniform rate loses what the rules read: the turnaround
at a rep's bottom and lockout, where the body reverses within a few frames. So the model runs
on a coarse grid everywhere and on every `sample_hz` frame only where the coarse samples say
the motion turns (`TurnSampler`): where the body moves steadily, or stands still, a straight
line between two samples is what the model would have said, within its own frame-to-frame
scatter. The frames in between get poses interpolated from the samples on each side, so
everything downstream (filters, reps, the annotated video) still sees every frame.

Which frames are due depends on the stream's clock alone (the first frame in each 1/rate
bin), so a pass that starts mid-video (a parallel chunk) picks the same grid as a pass from
the start, and chunks stitch without a seam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import numpy as np

from hingecheck.body import trunk_length
from hingecheck.records import (
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    Track,
)

if TYPE_CHECKING:
    from hingecheck.config import PoseConfig

# Frame times are rounded stamps: a frame due exactly on a bin edge must not fall just short.
_EDGE_TOL = 1e-4


def takes_sample(t: float, prev_t: float | None, rate_hz: float) -> bool:
    """True if the frame at `t` is the first of its 1/rate_hz bin (rate 0: every frame)."""
    if rate_hz <= 0 or prev_t is None:
        return True
    return np.floor(t * rate_hz + _EDGE_TOL) != np.floor(prev_t * rate_hz + _EDGE_TOL)


def fill_frames(samples: Track, t: np.ndarray, cut: np.ndarray | None = None) -> Track:
    """The sampled Track at every frame time `t` (seconds, increasing).

    Poses between two samples are interpolated linearly; a frame counts as present only when
    both samples around it are (a gap stays a gap). Frames past the last sample hold it.

    `cut`: per frame, a jump cut just before it (None: the samples' own `cut`, each marking
    its sample's frame; a cut between two samples marks the next). Poses are never blended
    across a cut: frames before it hold the sample before, frames after it take the sample
    after, and frames of a take no sample fell in have no pose.
    """
    t = np.asarray(t, dtype=np.float64)
    ts = samples.t
    if len(ts) == 0:
        raise ValueError("no samples to fill frames from")
    at = np.clip(np.searchsorted(t, ts), 0, max(len(t) - 1, 0))  # each sample's frame
    if cut is None:
        cut = np.zeros(len(t), bool)
        cut[at[samples.cut]] = True
    cut = np.asarray(cut, dtype=bool)
    if len(ts) == len(t) and np.array_equal(ts, t):
        return samples if np.array_equal(cut, samples.cut) else replace(samples, cut=cut)
    prev = np.clip(np.searchsorted(ts, t, side="right") - 1, 0, len(ts) - 1)
    nxt = np.minimum(prev + 1, len(ts) - 1)
    span = ts[nxt] - ts[prev]
    w = np.where(span > 0, (t - ts[prev]) / np.where(span > 0, span, 1.0), 0.0)
    w = np.clip(w, 0.0, 1.0)
    # Which take each frame and each sample belongs to: a cut starts a new one.
    take = np.cumsum(cut)
    after_cut = take[at[prev]] != take  # a cut since the sample before: not its take
    before_cut = take[at[nxt]] != take  # a cut before the sample after
    orphan = after_cut & before_cut
    w = np.where(after_cut, 1.0, np.where(before_cut, 0.0, w))
    exact = w == 0.0  # on a sample (or past the last, or held before a cut): its values

    def blend(a: np.ndarray) -> np.ndarray:
        ww = w.reshape((-1,) + (1,) * (a.ndim - 1)).astype(np.float32)
        mixed = a[prev] * (1 - ww) + a[nxt] * ww
        return np.where(exact.reshape(ww.shape), a[prev], mixed).astype(a.dtype)

    present = samples.present[prev] & (samples.present[nxt] | exact)
    present = np.where(after_cut, samples.present[nxt], present) & ~orphan
    return replace(
        samples,
        t=t,
        landmarks=blend(samples.landmarks),
        visibility=blend(samples.visibility),
        world=blend(samples.world),
        back_profile=blend(samples.back_profile),
        present=present,
        people=np.maximum(samples.people[prev], samples.people[nxt]),
        cut=cut,
    )


class _Pose(Protocol):
    landmarks: np.ndarray  # (33, 3) normalised
    present: bool


P = TypeVar("P", bound=_Pose)
F = TypeVar("F")

# The points whose paths decide where to sample densely: the segments the rules read (trunk,
# thigh, the bar's hands), each as the midpoint of its left and right landmarks.
_LEFT = np.array([L_SHOULDER, L_HIP, L_KNEE, L_WRIST])
_RIGHT = np.array([R_SHOULDER, R_HIP, R_KNEE, R_WRIST])


def body_points(pose: _Pose, width: int, height: int) -> np.ndarray | None:
    """Mid-shoulder, mid-hip, mid-knee and mid-wrist (4, 2) in trunk lengths; None if absent."""
    if not pose.present:
        return None
    lm = pose.landmarks[:, :2].astype(np.float64) * (width, height)
    pts = 0.5 * (lm[_LEFT] + lm[_RIGHT])
    trunk = float(trunk_length(pts[1], pts[0]))
    if not np.all(np.isfinite(pts)) or trunk <= 0:
        return None
    return pts / trunk


def turn(a: np.ndarray | None, b: np.ndarray | None, c: np.ndarray | None) -> float:
    """How far the path a -> b -> c bends at b: the largest second difference of the body
    points, in trunk lengths (inf when a point is missing: unknown counts as turning)."""
    if a is None or b is None or c is None:
        return float("inf")
    return float(np.max(np.linalg.norm(a - 2 * b + c, axis=1)))


@dataclass(frozen=True)
class TurnSettings:
    """Where the model runs (config [pose]): every `dense_hz` frame where the motion turns,
    a `coarse_hz` grid elsewhere (coarse_hz 0 or >= dense_hz: the dense grid everywhere).
    `tolerance`: the bend (second difference of the coarse samples, trunk lengths) above which
    a gap is filled densely. `cut_share`: a picture change this large in a gap (a possible jump
    cut) fills it densely too, so each take starts and ends on its own samples."""

    dense_hz: float
    coarse_hz: float
    tolerance: float
    cut_share: float

    @classmethod
    def from_config(cls, pose: PoseConfig) -> TurnSettings:
        """The [pose] section's sampling. Only "detect" samples out of time order: "track"
        follows the lifter from one sample to the next and needs them in order, so it keeps
        the dense grid everywhere."""
        coarse = pose.coarse_hz if pose.follow == "detect" else 0.0
        return cls(pose.sample_hz, coarse, pose.turn_tolerance, pose.cut_min_share)

    @property
    def adaptive(self) -> bool:
        """Whether the coarse grid is sparser than the dense one (else: the dense grid)."""
        return 0 < self.coarse_hz < self.dense_hz or (self.dense_hz <= 0 < self.coarse_hz)


@dataclass
class _Coarse:
    t: float
    points: np.ndarray | None
    present: bool


class TurnSampler(Generic[F, P]):
    """Streams frames in and runs the model (`run`) on the ones due: each coarse-grid frame
    at once, and the dense-grid frames of a gap between two coarse samples once the samples
    on both sides of the gap (two before, two after) tell whether the motion turns there.
    So at most two coarse intervals of frames wait (decoded, not yet converted: ~0.2 s of
    video), and every result is a sample the model made on that very frame, never a guess.

    `samples` collects (t, pose, kept) in the order run; sort by t before use.
    """

    def __init__(
        self,
        run: Callable[[F], P],
        settings: TurnSettings,
        size: tuple[int, int],
    ) -> None:
        self._run = run
        self.settings = settings
        self._size = size
        self.samples: list[tuple[float, P, bool]] = []
        self._coarse: list[_Coarse] = []
        # Frames after each coarse sample, up to the next: [(frame, t, due, kept, share)].
        self._gaps: list[list[tuple[F, float, bool, bool, float]]] = []
        self._prev_t: float | None = None

    def push(self, frame: F, t: float, kept: bool, share: float) -> None:
        """One decoded frame at time t; `share` its picture change (video/cuts.py)."""
        s = self.settings
        prev, self._prev_t = self._prev_t, t
        due = takes_sample(t, prev, s.dense_hz)
        if not s.adaptive:
            if due:
                self._take(frame, t, kept)
            return
        if not takes_sample(t, prev, s.coarse_hz):
            if self._gaps:
                self._gaps[-1].append((frame, t, due, kept, share))
            return
        pose = self._take(frame, t, kept)
        points = body_points(pose, *self._size)
        # The frame's own change belongs to the gap it closes: a cut just before it.
        if self._gaps:
            self._gaps[-1].append((frame, t, False, kept, share))
        self._coarse.append(_Coarse(t, points, pose.present))
        self._gaps.append([])
        if len(self._coarse) >= 3:
            self._settle(len(self._coarse) - 3)

    def finish(self) -> None:
        """The stream ended: fill the gaps still open (no sample after them: dense)."""
        if not self.settings.adaptive:
            return
        for k in range(max(0, len(self._coarse) - 2), len(self._coarse)):
            self._settle(k)

    def _settle(self, k: int) -> None:
        """Decide the gap after coarse sample k, run its frames if dense, release them."""
        gap = self._gaps[k]
        if not gap:
            return
        c = self._coarse
        a = c[k - 1].points if k >= 1 else None
        b = c[k]
        after = c[k + 1] if k + 1 < len(c) else None
        d = c[k + 2].points if k + 2 < len(c) else None
        tol = self.settings.tolerance
        nobody = not b.present and (after is None or not after.present)
        c_points = after.points if after is not None else None
        bend = max(turn(a, b.points, c_points), turn(b.points, c_points, d))
        cut = max(share for *_, share in gap) >= self.settings.cut_share
        if not nobody and (bend > tol or cut):
            for frame, t, due, kept, _ in gap:
                if due:
                    self._take(frame, t, kept)
        self._gaps[k] = []

    def _take(self, frame: F, t: float, kept: bool) -> P:
        pose = self._run(frame)
        self.samples.append((t, pose, kept))
        return pose
