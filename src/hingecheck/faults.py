"""Plain-words descriptions and coaching cues for each fault."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """'1 rep', '3 reps', '0 faults': what a lifter reads, not '1 reps' or 'fault(s)'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


LABELS = {
    "lumbar_rounding": "Lower back rounded",
    "squat_like_knee_bend": "Squatting the hinge",
    "missing_lockout": "No full lockout",
    "lockout_hyperextension": "Leaning back at the top",
}

_WHERE = {
    "descent": "on the way down",
    "bottom": "at the bottom",
    "ascent": "on the way up",
    "top": "at the top",
}

_CUES = {
    "lumbar_rounding": "Brace and keep the chest up before the bar leaves the floor; "
    "push the hips back only as far as the back stays flat.",
    "squat_like_knee_bend": "Push the hips back, not down: shins stay near vertical and the "
    "chest leans over the bar; this is a hinge, not a squat.",
    "missing_lockout": "Finish every rep: squeeze the glutes and stand tall, hips fully "
    "through, before starting the next one.",
    "lockout_hyperextension": "Stop when you are standing tall: ribs down, glutes tight, "
    "no leaning back past vertical.",
}


def describe(fault_type: str, phase: str, value: float) -> str:
    """What happened, in plain words, with the measured value."""
    where = _WHERE.get(phase, "")
    if fault_type == "lumbar_rounding":
        return f"lower back rounded {where} (bow {value * 100:.1f} % of trunk length)"
    if fault_type == "squat_like_knee_bend":
        return f"squatted instead of hinging {where} (trunk only {value:.0f}° from vertical)"
    if fault_type == "missing_lockout":
        return f"did not stand fully tall {where} (hips {value:.0f}° short of full extension)"
    if fault_type == "lockout_hyperextension":
        return f"leaned back {where} ({value:.0f}° behind vertical)"
    return fault_type.replace("_", " ")


def cue(fault_type: str) -> str:
    """A short coaching cue for the fault."""
    return _CUES.get(fault_type, "")


def clock(t_s: float) -> str:
    """Seconds as mm:ss.s."""
    minutes, seconds = divmod(max(t_s, 0.0), 60.0)
    return f"{int(minutes):02d}:{seconds:04.1f}"
