"""Causal smoothing for live use: a vectorised One-Euro filter, and Signals measured from it.

Offline, landmarks are cleaned and smoothed zero-phase over the whole set, which needs the
future. Live, each frame may use only the past: landmarks and the back's bow are smoothed by a
One-Euro filter (Casiez et al., CHI 2012), a first-order low-pass whose cutoff rises with
speed: still, it removes the model's jitter; moving, it keeps up with little lag. The angles are
then measured exactly as offline (same side, facing, gap bridging and angle definitions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hingecheck.config import SignalConfig
from hingecheck.records import Signals, Track
from hingecheck.signals.filters import fill_gaps
from hingecheck.signals.kinematics import chain_points, signals_from_points


@dataclass(frozen=True)
class EuroParams:
    """One-Euro settings: the cutoff (Hz) at rest, its rise per unit/s of speed, and the
    derivative's own cutoff."""

    min_cutoff: float
    beta: float
    d_cutoff: float = 1.0


# Landmarks in normalised image units (a lifter ~0.6 frame tall, the hips move ~0.5/s in a
# rep). At rest the cutoff is 1.5 Hz, which stills the model's frame-to-frame jitter; at rep
# speed it rises past 6 Hz (the offline low-pass), so the lag stays under ~30 ms when it counts.
LANDMARK_EURO = EuroParams(min_cutoff=1.5, beta=10.0)
# The back's bow, in trunk lengths (flat ~0, rounded ~0.03-0.05): a curvature, so noisier
# than the landmarks: smoothed harder.
BOW_EURO = EuroParams(min_cutoff=1.0, beta=20.0)
# The back line's lean, in degrees (the trunk turns ~100 deg/s in a rep): 1.5 Hz at rest as
# the landmarks, past 6 Hz at rep speed.
LINE_EURO = EuroParams(min_cutoff=1.5, beta=0.05)


def _alpha(cutoff: np.ndarray | float, dt: np.ndarray | float) -> np.ndarray:
    """The exponential smoothing factor of a first-order low-pass at `cutoff` Hz over dt s."""
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / np.asarray(dt, dtype=np.float64))


class OneEuro:
    """A causal One-Euro filter over an array of any fixed shape, every element at once.

    NaN in gives NaN out (a missing landmark is missing); an element's state survives a gap of
    up to `max_gap_s`, so a short occlusion does not restart it. Irregular frame times (dropped
    frames) are handled: each element's step is measured from its own last sample.
    """

    def __init__(self, params: EuroParams, max_gap_s: float = 0.4) -> None:
        self.params = params
        self.max_gap_s = max_gap_s
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: np.ndarray | None = None  # per element: time of its last sample

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample x taken at time t (s); returns the filtered array (new object)."""
        x = np.asarray(x, dtype=np.float64)
        good = np.isfinite(x)
        if self._x is None:
            self._x = np.where(good, x, np.nan)
            self._dx = np.zeros_like(x)
            self._t = np.where(good, t, -np.inf)
            return self._x.copy()
        assert self._dx is not None and self._t is not None  # set with _x on the first sample
        p = self.params
        dt = t - self._t
        # Elements last seen too long ago (or never) restart from the new sample.
        fresh = good & ~(np.isfinite(self._x) & (dt <= self.max_gap_s))
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            dt_ok = np.where(np.isfinite(dt) & (dt > 1e-6), dt, 1e-6)
            dx = (x - self._x) / dt_ok
            dx_hat = self._dx + _alpha(p.d_cutoff, dt_ok) * (dx - self._dx)
            a = _alpha(p.min_cutoff + p.beta * np.abs(dx_hat), dt_ok)
            x_hat = self._x + a * (x - self._x)
        update = good & ~fresh
        self._x = np.where(update, x_hat, np.where(fresh, x, self._x))
        self._dx = np.where(update, dx_hat, np.where(fresh, 0.0, self._dx))
        self._t = np.where(good, t, self._t)
        return np.where(good, self._x, np.nan)


def one_euro(
    t: np.ndarray, x: np.ndarray, params: EuroParams, max_gap_s: float = 0.4
) -> np.ndarray:
    """Run OneEuro over a whole series x (N, ...) sampled at times t (N,): causal smoothing."""
    f = OneEuro(params, max_gap_s)
    if len(t) == 0:
        return np.asarray(x, dtype=np.float64).copy()
    return np.stack([f(float(ti), xi) for ti, xi in zip(t, x, strict=True)])


def measure(
    track: Track, back_bow: np.ndarray, back_line: np.ndarray, cfg: SignalConfig
) -> Signals:
    """Signals of an already smoothed Track: `kinematics.compute_signals` minus its zero-phase
    outlier test and low-pass (which need the future), with the same side, facing, gap bridging
    and angle definitions. back_bow, back_line: (N,) each frame's smoothed outline readings."""
    t = track.t
    pts, side, facing = chain_points(track, cfg)
    for j in range(pts.shape[1]):  # short gaps bridged as offline (only past frames exist)
        for k in range(2):
            pts[:, j, k] = fill_gaps(t, pts[:, j, k], cfg.max_gap_s)
    bow, line = (
        fill_gaps(t, np.where(track.present, x, np.nan), cfg.max_gap_s)
        for x in (back_bow, back_line)
    )
    return signals_from_points(t, pts, bow, line, side, facing)
