"""The fault table: one row per fault, and everything that shows or judges a fault asks it.

A row holds what a person reads (label, cue, how the message is worded), the one colour the
annotated video, the live window and the review pages all use, the numbers behind severity and
confidence, which charts show the fault's reading and when in the rep it is decided. Its
thresholds live in the config section of the same name (`[rules.<key>]` in
default_config.toml, each with its reason); its rule in `judge.rules`. Adding a fault means: a
row here, a rule there, its config section (tests/test_fault_table.py checks every consumer).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultKind:
    """One fault: its words, colour and the scales its readings are graded on."""

    key: str  # the report's "type"
    label: str  # a short title for banners, lists and legends
    short: str  # a column head of a few letters (evaluation tables)
    cue: str  # the coaching cue: what to do instead
    message: str  # what happened; {where} is the rep phase, {value} the shown value
    value_scale: float  # shown value = reading * value_scale (the bow is shown in %)
    colour: str  # "#rrggbb", one colour everywhere (video, live window, pages)
    # How far past the threshold (in the reading's own units) makes the fault severe: about the
    # spread between a clear fault and a borderline one on real lifts.
    severe_excess: float
    # How much the reading moves from rep to rep when one lifter repeats the same movement
    # (measured on one lifter's three clean 10-rep kettlebell deadlift sessions and a squatted
    # one, real test clips; more lifters would firm these up). Values at the upper end of what
    # was measured, so a reading near its threshold is not called certain.
    repeat_sd: float
    charts: tuple[str, ...]  # the review page's charts that show its reading (Signals keys)
    # When it can be decided: "pull" during the descent and bottom; "top" only once the lifter
    # has stood up (or failed to) — the live judge waits for the top before deciding those.
    decided: str
    # The keys of its config section (`[rules.<key>]`) that `hingecheck calibrate` fits to a
    # coach's verdicts, moved together by one amount: the main threshold first, then those that
    # must keep their distance from it (the oblique camera's wider margin, a hysteresis release).
    tuned: tuple[str, ...] = ()

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as an RGB triple (the frames are RGB)."""
        h = self.colour.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

    def describe(self, phase: str, value: float) -> str:
        """What happened, in plain words, with the measured value."""
        return self.message.format(where=WHERE.get(phase, ""), value=value * self.value_scale)


# Where in the rep a fault peaked, as the message says it.
WHERE = {
    "descent": "on the way down",
    "bottom": "at the bottom",
    "ascent": "on the way up",
    "top": "at the top",
}

# Colours distinct for the common colour-vision deficiencies, and readable as a banner behind
# white text on video and as a line on a white page.
FAULTS: tuple[FaultKind, ...] = (
    FaultKind(
        key="lumbar_rounding",
        label="Lower back rounded",
        short="round",
        cue="Brace and keep the chest up before the bar leaves the floor; "
        "push the hips back only as far as the back stays flat.",
        message="lower back rounded {where} (bow {value:.1f} % of trunk length)",
        value_scale=100.0,
        colour="#d1495b",
        severe_excess=0.02,  # bow, fraction of trunk length
        repeat_sd=0.004,  # per-rep 75th-percentile bow: SD 0.002-0.004
        charts=("back_bow",),
        decided="pull",
        tuned=("threshold", "release"),
    ),
    FaultKind(
        key="squat_like_knee_bend",
        label="Squatting the hinge",
        short="squat",
        cue="Push the hips back, not down: shins stay near vertical and the "
        "chest leans over the bar; this is a hinge, not a squat.",
        message="squatted instead of hinging {where} (trunk only {value:.0f}° from vertical)",
        value_scale=1.0,
        colour="#7b5cd6",
        severe_excess=15.0,  # deg of trunk lean
        repeat_sd=3.0,  # trunk lean at the bottom: SD 1.2-4.0 deg
        charts=("knee_angle", "trunk_lean"),
        decided="pull",
        tuned=("max_trunk_lean", "oblique_max_trunk_lean"),
    ),
    FaultKind(
        key="missing_lockout",
        label="No full lockout",
        short="lockout",
        cue="Finish every rep: squeeze the glutes and stand tall, hips fully "
        "through, before starting the next one.",
        message="did not stand fully tall {where} (hips {value:.0f}° short of full extension)",
        value_scale=1.0,
        colour="#e89a00",
        severe_excess=20.0,  # deg of hip extension
        repeat_sd=3.0,  # best lockout extension: SD 1.2-2.9 deg
        charts=("hip_angle",),
        decided="top",
        tuned=("hip_short_deg", "oblique_hip_short_deg"),
    ),
    FaultKind(
        key="lockout_hyperextension",
        label="Leaning back at the top",
        short="hyper",
        cue="Stop when you are standing tall: ribs down, glutes tight, "
        "no leaning back past vertical.",
        message="leaned back {where} ({value:.0f}° behind vertical)",
        value_scale=1.0,
        colour="#1f9bb5",
        severe_excess=12.0,  # deg behind vertical
        repeat_sd=2.0,  # trunk lean at the top: SD 1.3-2.0 deg
        charts=("lockout_lean",),
        decided="top",
        tuned=("max_back_lean", "oblique_max_back_lean"),
    ),
)

FAULT_TYPES: tuple[str, ...] = tuple(k.key for k in FAULTS)
_BY_KEY = {k.key: k for k in FAULTS}


def fault_kind(key: str) -> FaultKind:
    """The table's row for a fault type (KeyError names an unknown type)."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown fault type {key!r} (known: {', '.join(FAULT_TYPES)})") from None


def label(key: str) -> str:
    """The fault's short title."""
    return fault_kind(key).label
