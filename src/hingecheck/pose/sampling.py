"""Run the pose model at a fixed rate, not on every frame, and fill the frames in between.

A hinge rep's motion sits below 3 Hz and the signals are low-passed at 6 Hz anyway, so poses
sampled at ~15 Hz carry the same information as poses at 30 or 60 fps, for half (or a quarter)
of the model's time. The frames in between get poses interpolated from the samples on each
side, so everything downstream (filters, reps, the annotated video) still sees every frame.

Which frames are sampled depends on the stream's clock alone (the first frame in each
1/rate bin), so a pass that starts mid-video (a parallel chunk) picks the same frames as a
pass from the start, and chunks stitch without a seam.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hingecheck.records import Track

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
