"""Signal cleaning and event helpers on hand-made arrays."""

import numpy as np

from hingecheck.judge.events import hysteresis, spans
from hingecheck.signals.filters import fill_gaps, hampel, lowpass, runs


def test_hampel_drops_a_spike_and_keeps_the_rest():
    x = np.sin(np.linspace(0, 6, 200))
    x[100] += 5.0
    out = hampel(x, 9, 4.0)
    assert np.isnan(out[100])
    assert np.isfinite(np.delete(out, 100)).all()


def test_fill_gaps_bridges_short_gaps_only():
    t = np.arange(100) / 30.0
    x = t.copy()
    x[10:14] = np.nan  # 4 frames: ~0.17 s
    x[50:80] = np.nan  # 30 frames: 1 s
    out = fill_gaps(t, x, max_gap_s=0.4)
    np.testing.assert_allclose(out[10:14], t[10:14])
    assert np.isnan(out[50:80]).all()


def test_lowpass_is_zero_phase_and_removes_jitter():
    t = np.arange(300) / 30.0
    slow = 40 * np.sin(2 * np.pi * 0.5 * t)
    rng = np.random.default_rng(0)
    noisy = slow + rng.normal(0, 3, t.size)
    out = lowpass(t, noisy, 6.0)
    # No lag: a clean slow movement passes through unshifted (a causal filter would lag it).
    clean = lowpass(t, slow, 6.0)
    assert np.max(np.abs(clean - slow)[15:-15]) < 0.5
    # The jitter shrinks.
    assert np.std(out - slow) < 0.6 * np.std(noisy - slow)


def test_lowpass_leaves_nan_gaps_alone():
    t = np.arange(100) / 30.0
    x = np.sin(t)
    x[40:60] = np.nan
    out = lowpass(t, x, 6.0)
    assert np.isnan(out[40:60]).all() and np.isfinite(out[:40]).all()


def test_runs():
    assert runs(np.array([0, 1, 1, 0, 1], bool)).tolist() == [[1, 3], [4, 5]]
    assert runs(np.zeros(3, bool)).shape == (0, 2)


def test_hysteresis_does_not_flicker_around_the_threshold():
    x = np.array([0, 1.0, 0.95, 1.02, 0.97, 1.01, 0.5, 0.2, 1.1])
    state = hysteresis(x, on=1.0, off=0.6)
    assert state.tolist() == [False, True, True, True, True, True, False, False, True]
    # A plain threshold would switch 5 times here; hysteresis switches 3 times.
    assert np.count_nonzero(np.diff(state.astype(int))) == 3


def test_spans_merge_short_gaps_and_drop_blips():
    t = np.arange(40) / 30.0
    m = np.zeros(40, bool)
    m[5:10] = True
    m[12:20] = True  # 2-frame gap: merged with the first
    m[30] = True  # a single frame: dropped
    out = spans(m, t, min_duration_s=0.12, merge_gap_s=0.1)
    assert out.tolist() == [[5, 19]]
