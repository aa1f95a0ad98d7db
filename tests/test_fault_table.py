"""The fault table is the one place a fault is defined: every consumer covers every row."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from synth_support import make_track

from hingecheck import judge_track, load_config
from hingecheck.config import RulesConfig
from hingecheck.faults import FAULT_TYPES, FAULTS, WHERE, fault_kind
from hingecheck.judge import rules
from hingecheck.judge.causal import PULL_FAULTS
from hingecheck.judge.evaluate import table, tally
from hingecheck.judge.view import not_judged
from hingecheck.outputs.review import CHARTS
from hingecheck.synth import RepSpec, hinge_motion
from hingecheck.synth.motion import KINDS

CFG = load_config()


def test_rows_are_complete_and_distinct():
    assert len(set(FAULT_TYPES)) == len(FAULTS)
    for field in ("label", "short", "colour", "cue"):
        values = [getattr(k, field) for k in FAULTS]
        assert len(set(values)) == len(values), f"two faults share a {field}"
    for k in FAULTS:
        assert re.fullmatch(r"#[0-9a-f]{6}", k.colour)
        assert all(0 <= c <= 255 for c in k.rgb)
        assert k.severe_share > 0 and k.repeat_sd > 0
        assert k.decided in ("pull", "top")
        for phase in WHERE:  # the message formats for every phase the rules report
            assert WHERE[phase] in k.describe(phase, 1.0)


def test_unknown_type_is_named():
    with pytest.raises(KeyError, match="unknown fault type 'elbow_flare'"):
        fault_kind("elbow_flare")


def test_every_fault_has_a_rule_and_a_config_section():
    assert [r.__name__ for r in rules.RULES] == list(FAULT_TYPES)
    sections = {f.name for f in dataclasses.fields(RulesConfig)}
    assert set(FAULT_TYPES) <= sections
    for key in FAULT_TYPES:
        assert dataclasses.is_dataclass(getattr(CFG.rules, key))


def test_every_fault_is_charted_with_its_thresholds():
    """The review page and the notebook draw what the rules read, on the charts the table
    names, with the thresholds the rules apply."""
    chart_keys = {c.key for c in CHARTS}
    _, track = make_track(["clean", "squat"])
    signals, report = judge_track(track, CFG)
    lines = rules.threshold_lines(signals, report.view, CFG.rules)
    for k in FAULTS:
        assert set(k.charts) <= chart_keys, k.key
        mine = [ln for ln in lines if ln.fault == k.key]
        assert mine, f"no threshold drawn for {k.key}"
        assert {ln.chart for ln in mine} <= set(k.charts)
        for ln in mine:
            values = ln.curve if ln.curve is not None else np.array([ln.value])
            assert np.isfinite(values).any()
    for c in CHARTS:
        assert rules.reading(signals, report.view, c.key).shape == signals.t.shape


def test_what_an_oblique_camera_judges_is_in_the_rows():
    assert not_judged("oblique") == {k.key: k.oblique for k in FAULTS if k.oblique}
    assert 0 < len(not_judged("oblique")) < len(FAULTS)  # some, not all, are left out
    assert set(not_judged("front")) == set(FAULT_TYPES)


def test_live_decides_every_fault():
    """Pull faults are decided during the pull, the rest at the top: none is left out."""
    top = {k.key for k in FAULTS if k.decided == "top"}
    assert set(PULL_FAULTS) | top == set(FAULT_TYPES)
    assert not set(PULL_FAULTS) & top


def test_synthetic_truth_and_evaluation_use_the_table():
    for k in FAULTS:  # each row's synthetic rep carries its fault as ground truth
        assert k.synth in KINDS, k.key
        motion = hinge_motion([RepSpec(kind=k.synth)], 30.0)
        assert [f["type"] for f in motion.faults] == [k.key]
    assert hinge_motion([RepSpec(kind="clean")], 30.0).faults == []
    text = table(tally([]))
    for k in FAULTS:
        assert k.short in text


def test_every_fault_names_the_keys_calibration_fits():
    """hingecheck calibrate moves each fault's `tuned` keys: numbers of its config section, each
    with a range to check a fit against."""
    from hingecheck.config import RANGES

    for k in FAULTS:
        assert k.tuned, k.key
        section = getattr(CFG.rules, k.key)
        for key in k.tuned:
            assert isinstance(getattr(section, key), float), (k.key, key)
            assert f"rules.{k.key}.{key}" in RANGES, (k.key, key)
