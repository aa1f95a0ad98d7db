"""The report's JSON form read back: `Report.from_dict` is `to_dict`'s inverse."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from synth_support import make_track

from hingecheck import judge_track, load_config
from hingecheck.faults import FAULT_TYPES
from hingecheck.records import Report, View


@pytest.fixture(scope="module")
def report() -> Report:
    _, track = make_track(["clean", "rounded", "squat", "short_lockout", "hyperextension"])
    return judge_track(track, load_config(None))[1]


def _round_trip(report: Report) -> None:
    d = json.loads(json.dumps(report.to_dict()))  # as a file holds it
    assert Report.from_dict(d).to_dict() == d


def test_round_trip_of_a_judged_set(report):
    assert report.faults and report.reps  # a report with something to read back
    assert {f.type for f in report.faults} == set(FAULT_TYPES)
    _round_trip(report)


def test_round_trip_keeps_unjudged_faults_warnings_and_incomplete_reps(report):
    view = View("oblique", "left", True, "", {FAULT_TYPES[0]: "the camera is at an angle"})
    reps = [*report.reps[:-1], replace(report.reps[-1], complete=False)]
    _round_trip(replace(report, view=view, reps=reps, warnings=["dark clip"], exercise="rdl"))
    _round_trip(replace(report, view=View("front", "right", False, "facing the camera")))


def test_read_back_values_are_typed(report):
    back = Report.from_dict(report.to_dict())
    assert [f.type for f in back.faults] == [f.type for f in report.faults]
    assert [f.borderline for f in back.faults] == [f.borderline for f in report.faults]
    assert back.source.path == report.source.path
    assert [r.complete for r in back.reps] == [r.complete for r in report.reps]
    assert all(r.start == -1 for r in back.reps)  # the JSON keeps times, not frames


def test_not_a_report_raises():
    for bad in ({}, {"source": {}}, {"source": {"path": "x"}, "reps": [{}], "faults": []}):
        with pytest.raises((KeyError, TypeError, ValueError)):
            Report.from_dict(bad)
