"""The fault table: one row per fault, and everything that shows or judges a fault asks it.

A row holds what a person reads (label, cue, how the message is worded), the one colour the
annotated video, the live window and the review pages all use, the numbers behind severity and
confidence, which charts show the fault's reading, when in the rep it is decided, whether an
oblique camera can judge it, what the video marks with it and the synthetic rep that shows it. Its
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
    # The coaching cue, what to do instead, per kind of lift (LIFTS' `cues` keys); {implement}
    # is the lift's "the bar" / "the bell" / "the weight".
    cues: dict[str, str]
    message: str  # what happened, in a coach's words; {where} is the rep phase
    detail: str  # the measured value behind it; {value} is the shown value
    value_scale: float  # shown value = reading * value_scale (the bow is shown in %)
    colour: str  # "#rrggbb", one colour everywhere (video, live window, pages)
    # Severe from this far past the threshold, as a share of the threshold's own distance from
    # the reading's neutral (a flat back, full extension, vertical), so severity moves with the
    # thresholds in the config; see SEVERITY for the whole scale.
    severe_share: float
    # How much the reading moves from rep to rep when one lifter repeats the same movement
    # (measured on one lifter's three clean 10-rep kettlebell deadlift sessions and a squatted
    # one, real test clips; more lifters would firm these up). Values at the upper end of what
    # was measured, so a reading near its threshold is not called certain.
    repeat_sd: float
    rising: bool  # True: a higher reading is worse; False: a lower one (the squat's lean)
    charts: tuple[str, ...]  # the review page's charts that show its reading (Signals keys)
    # When it can be decided: "pull" during the descent and bottom; "top" only once the lifter
    # has stood up (or failed to) — the live judge waits for the top before deciding those.
    decided: str
    # Why it is not judged from an oblique camera ("": it is judged from there too).
    oblique: str = ""
    # The annotated video draws the back outline in the fault's colour while it is active.
    marks_outline: bool = False
    # The synthetic rep kind (synth.motion.RepSpec.kind) that shows it ("": none).
    synth: str = ""
    # The keys of its config section (`[rules.<key>]`) that `hingecheck calibrate` fits to a
    # coach's verdicts, moved together by one amount: the main threshold first, then those that
    # must keep their distance from it (the oblique camera's wider margin, a hysteresis release).
    tuned: tuple[str, ...] = ()

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as an RGB triple (the frames are RGB)."""
        h = self.colour.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

    @property
    def cue(self) -> str:
        """The cue when the lift is not known (a pull from the floor, implement unnamed)."""
        return self.cue_for("")

    def cue_for(self, exercise: str) -> str:
        """The cue for a lift (an `EXERCISES` name; "" or unknown: told from the movement)."""
        lift = LIFTS.get(exercise, LIFTS[""])
        return self.cues.get(lift.cues, self.cues["pull"]).format(implement=lift.implement)

    def describe(self, phase: str, value: float) -> str:
        """What happened, in a coach's words (the measured value is `explain`'s)."""
        return self.message.format(where=WHERE.get(phase, "")).strip()

    def explain(self, value: float) -> str:
        """The measured value behind the call, e.g. "bow 3.9 % of trunk length"."""
        return self.detail.format(value=value * self.value_scale)

    def excess(self, value: float, threshold: float) -> float:
        """How far a reading is past its threshold (shown units; negative: short of it)."""
        return value - threshold if self.rising else threshold - value

    def severity(self, excess: float, threshold: float) -> str:
        """The grade (SEVERITY) of a reading `excess` past a threshold of `threshold`."""
        share = max(excess, 0.0) / max(abs(threshold), 1e-9) / self.severe_share
        return next(name for name, upto in SEVERITY if share < upto)


# One severity scale for every fault, read everywhere from the report (terminal, captions, video,
# pages): the rep's typical reading past the threshold, in units of the row's `severe_share`.
# Mild: under a third of it; moderate: up to it; severe: beyond.
SEVERITY: tuple[tuple[str, float], ...] = (
    ("mild", 1 / 3),
    ("moderate", 1.0),
    ("severe", float("inf")),
)


@dataclass(frozen=True)
class Lift:
    """How the words name a lift: its name as lifters say it, what is lifted, which cues fit."""

    name: str
    implement: str
    cues: str  # a key of FaultKind.cues: "pull", "hinge" (nothing leaves the floor), "swing"


LIFTS: dict[str, Lift] = {
    "deadlift": Lift("deadlift", "the bar", "pull"),
    "kettlebell_deadlift": Lift("kettlebell deadlift", "the bell", "pull"),
    "romanian_deadlift": Lift("Romanian deadlift", "the bar", "hinge"),
    "good_morning": Lift("good morning", "the bar", "hinge"),
    "kettlebell_swing": Lift("kettlebell swing", "the bell", "swing"),
    # Told from the movement, a deadlift and a kettlebell deadlift move alike (judge.exercise):
    # the words name neither implement.
    "": Lift("deadlift (bar or kettlebell)", "the weight", "pull"),
}


def lift_name(exercise: str, source: str = "given") -> str:
    """The lift as a lifter names it; a detected "deadlift" may be either pull from the floor."""
    key = lift_key(exercise, source)
    return LIFTS[key].name if key in LIFTS else exercise.replace("_", " ")


def lift_key(exercise: str, source: str = "given") -> str:
    """The LIFTS key whose words fit this report's exercise."""
    return "" if exercise == "deadlift" and source == "detected" else exercise


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
        cues={
            "pull": "Brace and keep the chest up before you pull; push the hips back only as "
            "far as the back stays flat.",
            "hinge": "Brace and keep the chest up; lower {implement} only as far as the back "
            "stays flat, pushing the hips back.",
            "swing": "Brace and keep the chest up in the backswing; hike {implement} back with "
            "the hips, not by bending the back.",
        },
        message="lower back rounded {where}",
        detail="bow {value:.1f} % of trunk length",
        value_scale=100.0,
        colour="#d1495b",
        # Real rounded reps read 0.1-0.9 of the threshold past it (mild to moderate); severe is
        # a bow of 2.5x the threshold's, past anything seen on real lifts.
        severe_share=1.5,
        repeat_sd=0.004,  # per-rep 75th-percentile bow: SD 0.002-0.004
        rising=True,
        charts=("back_bow",),
        decided="pull",
        # Measured on real clips: the traced edge is the trapezius or the trunk's side, not the
        # spine.
        oblique="from an angle the outline traced is the side of the trunk, not the spine",
        marks_outline=True,
        synth="rounded",
        tuned=("threshold", "release"),
    ),
    FaultKind(
        key="squat_like_knee_bend",
        label="Squatting the hinge",
        short="squat",
        cues={
            "pull": "Push the hips back, not down: shins stay near vertical and the chest "
            "leans over {implement}; this is a hinge, not a squat.",
            "hinge": "Push the hips back, not down: knees soft and still while {implement} "
            "travels down the thighs; this is a hinge, not a squat.",
            "swing": "Hinge, don't squat: push the hips back and let {implement} pass high "
            "between the thighs, shins near vertical.",
        },
        message="squatted instead of hinging {where}",
        detail="trunk only {value:.0f}° from vertical",
        value_scale=1.0,
        colour="#7b5cd6",
        severe_share=0.5,  # a trunk within half the threshold's lean of vertical
        repeat_sd=3.0,  # trunk lean at the bottom: SD 1.2-4.0 deg
        rising=False,
        charts=("knee_angle", "trunk_lean"),
        decided="pull",
        synth="squat",
        tuned=("max_trunk_lean", "oblique_max_trunk_lean"),
    ),
    FaultKind(
        key="missing_lockout",
        label="No full lockout",
        short="lockout",
        cues={
            "pull": "Finish every rep: squeeze the glutes and stand tall, hips fully "
            "through, before starting the next one.",
            "swing": "Finish every swing: snap the hips through and stand tall as {implement} "
            "floats, glutes tight.",
        },
        message="did not stand fully tall {where}",
        detail="hips {value:.0f}° short of full extension",
        value_scale=1.0,
        colour="#e89a00",
        severe_share=0.75,  # hips short by 1.75x the threshold: a half rep
        repeat_sd=3.0,  # best lockout extension: SD 1.2-2.9 deg
        rising=True,
        charts=("hip_angle",),
        decided="top",
        synth="short_lockout",
        tuned=("hip_short_deg", "oblique_hip_short_deg"),
    ),
    FaultKind(
        key="lockout_hyperextension",
        label="Leaning back at the top",
        short="hyper",
        cues={
            "pull": "Stop when you are standing tall: ribs down, glutes tight, "
            "no leaning back past vertical.",
            "swing": "Stand tall like a plank at the top: ribs down, glutes tight, no leaning "
            "back as {implement} floats.",
        },
        message="leaned back {where}",
        detail="{value:.0f}° behind vertical",
        value_scale=1.0,
        colour="#1f9bb5",
        severe_share=1.3,  # leaning back 2.3x the threshold's lean
        repeat_sd=2.0,  # trunk lean at the top: SD 1.3-2.0 deg
        rising=True,
        charts=("lockout_lean",),
        decided="top",
        # A lean back projects shortened by the cosine of the camera's angle (10 deg reads 7 at
        # 45), while the hip landmark's error under the hands and bar (5-8 deg from the side)
        # does not shrink, and the back's outline that corrects it from the side is not the
        # back here.
        oblique="from an angle a lean back reads shortened while the hip "
        "landmark's error under the bar does not: a lean can't be told from a tall lockout",
        synth="hyperextension",
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
