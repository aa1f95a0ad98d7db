"""Where the annotated video puts its text, on the self-made figure's set (make_set: landmarks
from the figure's own skeleton) planned at landscape, portrait and HD frame sizes: banners off
the body, angle labels off the limbs, phase words as the messages say them, a real degree sign.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from overlay_checks import assert_phase_words_agree, assert_text_off_the_body
from test_review_page import make_set

from hingecheck.judge.events import phase_of
from hingecheck.outputs import draw, glyphs, layout
from hingecheck.outputs.text import degrees
from hingecheck.outputs.video import plan_overlay
from hingecheck.outputs.writers import frame_table
from hingecheck.pipeline import Analysis

SIZES = [(960, 540), (360, 640), (1280, 720)]


@pytest.fixture(scope="module")
def figure_set(tmp_path_factory) -> Analysis:
    result, _ = make_set(tmp_path_factory.mktemp("figure"), warnings=())
    # Worst moments a little off the bottom frame, as real ones are (the demo's rep 3: 0.23 s
    # before it, "at the bottom"), each named at its phase as the rules name it.
    reps = {r.index: r for r in result.report.reps}
    shift = {"lumbar_rounding": -0.1, "squat_like_knee_bend": 0.1}
    faults = []
    for f in result.report.faults:
        peak = f.peak_s + shift.get(f.type, 0.0)
        faults.append(replace(f, peak_s=peak, phase=phase_of(reps[f.rep], peak)))
    return replace(result, report=replace(result.report, faults=faults))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_banners_and_labels_stay_off_the_body(figure_set, size):
    ov = assert_text_off_the_body(figure_set, *size)
    # The lean-back banner is among those checked, up while the lifter stands tall.
    lean_back = [f for f in figure_set.report.faults if f.type == "lockout_hyperextension"]
    i = int(np.argmin(np.abs(ov.t - lean_back[0].peak_s)))
    assert ov.stack_of[i] >= 0
    assert sum(map(len, ov.labels)) > 2 * len(ov.t)  # labels were drawn, and checked


def test_banner_slot_leaves_the_standing_lifter_alone():
    """A lifter standing tall in the middle of the frame: the band across the top would cover
    the head, so the banner goes beside the body."""
    frame, body, counter = (10, 10, 950, 520), (400.0, 40.0, 560.0, 500.0), (10, 10, 180, 80)
    slot = layout.stack_slot(lambda w: (min(w, 300), 40), frame, body, [counter], 120)
    assert not layout.overlap(slot, body) and not layout.overlap(slot, counter)
    assert slot[1] < 100  # still near the top, where a banner is looked for


def test_label_avoids_a_limb_across_its_first_choice():
    """The outside of the angle is blocked by a forearm: the label moves, clear of it."""
    forearm = np.array([[[100.0, 60.0], [100.0, 140.0]]])
    box, _, clear = layout.place_label(
        (60, 20), (80.0, 100.0), (1.0, 0.0), 8.0, forearm, [], (0, 0, 400, 300)
    )
    assert clear and not layout.segments_hit_boxes(forearm, np.array([box]))[0]


def test_phase_words_agree_with_the_messages(figure_set):
    ov = plan_overlay(figure_set, 960, 540)
    assert [f.phase for f in figure_set.report.faults] == ["bottom", "bottom", "top"]
    assert_phase_words_agree(ov, figure_set)
    # The CSV's phase column says the same.
    table = frame_table(figure_set.signals, figure_set.report)
    for f in figure_set.report.faults:
        i = int(np.argmin(np.abs(figure_set.signals.t - f.peak_s)))
        assert table["phase"][i] == f.phase


def test_degree_sign_and_no_minus_zero():
    assert draw.angle_text("lean", -0.4) == "lean 0°"
    assert draw.angle_text("hip", 97.6) == "hip 98°"
    assert degrees(-3.4) == "-3°" and degrees(-0.49) == "0°"
    # A real font's ring: ink round an open (unlit) centre, sitting above the baseline.
    assert glyphs.font_path() is not None
    ring = glyphs.sprite("°", 80, draw.WHITE).alpha[..., 0]
    ys, xs = np.nonzero(ring > 0.5)
    cy, cx = int(ys.mean()), int(xs.mean())
    assert ring[cy, cx] < 0.1 and ring[ys.min() : ys.max() + 1, cx].max() > 0.9
    assert ys.max() < 0.6 * ring.shape[0]


def test_text_scales_with_the_frame():
    """About 4.6 % of the short side: ~10 px letters when a phone shows 960x540 390 px wide."""
    for w, h in SIZES:
        st = draw.make_style(w, h)
        assert st.text_px >= 0.045 * min(w, h) and st.strip >= 0.059 * min(w, h)
    st = draw.make_style(960, 540)
    assert st.text_px * 366 / 960 >= 9.0 and st.strip >= 32
