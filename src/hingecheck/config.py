"""Thresholds and settings: the packaged defaults, overridden by a user's TOML file."""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from hingecheck.errors import InputError

# The hinges a set can be; each may override thresholds in a `[profiles.<name>]` table.
EXERCISES = (
    "deadlift",
    "romanian_deadlift",
    "kettlebell_deadlift",
    "kettlebell_swing",
    "good_morning",
)


@dataclass(frozen=True)
class PoseConfig:
    max_side: int
    follow: str
    num_poses: int
    min_presence: float
    people_check_s: float
    redetect_s: float
    crop_margin: float
    jump_tolerance: float
    sample_hz: float
    coarse_hz: float
    turn_tolerance: float
    cut_cell_change: float
    cut_min_share: float
    cut_blank_std: float

    def __post_init__(self) -> None:
        # The numbers are checked against RANGES as they are read; the one string here.
        if self.follow not in FOLLOW_MODES:
            modes = " or ".join(repr(m) for m in FOLLOW_MODES)
            raise InputError(f"pose.follow must be {modes}, got {self.follow!r}")


# How the pose pass follows the lifter (PoseConfig.follow; pose.landmarker.PoseEstimator).
FOLLOW_MODES = ("track", "detect")


@dataclass(frozen=True)
class SignalConfig:
    min_visibility: float
    max_gap_s: float
    reacquire_s: float
    lowpass_hz: float
    outlier_mads: float
    outlier_window_s: float
    bow_t0: float
    bow_t1: float
    back_line_pelvis: float
    back_line_upper: float
    back_line_max_arm: float
    bone_tolerance: float
    bone_window_s: float


@dataclass(frozen=True)
class RepConfig:
    min_prominence_deg: float
    min_rep_s: float
    edge_fraction: float
    top_fraction: float
    max_hold_s: float
    max_top_flexion_deg: float
    floor_start_deg: float
    lift_off_speed_deg_s: float
    max_top_lean_deg: float
    min_top_wrists_above_knees: float
    min_hands_seen: float
    walk_off_trunks: float
    still_speed_deg_s: float
    lying_thigh_back_deg: float


@dataclass(frozen=True)
class ViewConfig:
    side_max_width: float
    front_min_width: float
    min_present_share: float
    upright_max_lean: float
    min_upright_s: float


@dataclass(frozen=True)
class ExerciseConfig:
    good_morning_max_hang: float
    swing_max_top_hang: float
    swing_max_rep_s: float
    rdl_max_knee_flexion: float


@dataclass(frozen=True)
class RoundingConfig:
    threshold: float
    release: float
    phase_fraction: float
    min_trunk_lean: float
    max_plausible: float


@dataclass(frozen=True)
class SquatConfig:
    max_trunk_lean: float
    max_hip_knee_height: float
    min_knee_hip_ratio: float
    oblique_max_trunk_lean: float


@dataclass(frozen=True)
class LockoutConfig:
    hip_short_deg: float
    max_top_lean: float
    oblique_hip_short_deg: float


@dataclass(frozen=True)
class HyperextensionConfig:
    max_back_lean: float
    min_hold_s: float
    oblique_max_back_lean: float


@dataclass(frozen=True)
class RulesConfig:
    min_duration_s: float
    merge_gap_s: float
    lumbar_rounding: RoundingConfig
    squat_like_knee_bend: SquatConfig
    missing_lockout: LockoutConfig
    lockout_hyperextension: HyperextensionConfig


@dataclass(frozen=True)
class Config:
    pose: PoseConfig
    signals: SignalConfig
    reps: RepConfig
    view: ViewConfig
    exercise: ExerciseConfig
    rules: RulesConfig
    # Per exercise, the keys its profile overrides (validated against the sections above).
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    def digest(self) -> str:
        """A short hash of every value, recorded in the report."""
        text = json.dumps(_as_dict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def for_exercise(self, name: str) -> Config:
        """This config with the exercise's profile applied (unchanged if it has none)."""
        override = self.profiles.get(name)
        if not override:
            return self
        data = _merge({k: v for k, v in _as_dict(self).items() if k != "profiles"}, override)
        return replace(_build(Config, data, "", f"profile {name}", ""), profiles=self.profiles)


T = TypeVar("T")


def _as_dict(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _as_dict(getattr(obj, f.name)) for f in fields(obj)}
    return obj


def _line_of(text: str, key: str, section: str = "") -> int | None:
    """The line of `key = ...` inside the table `section` ("rules.squat" for [rules.squat]);
    failing that, the first line with that key anywhere (a dotted or inline-table key)."""
    header = re.compile(r"^[ \t]*\[([^\[\]]+)\][ \t]*(#.*)?$")
    assign = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=")
    current, first = "", None
    for number, line in enumerate(text.splitlines(), start=1):
        found = header.match(line)
        if found:
            current = ".".join(part.strip() for part in found.group(1).split("."))
        elif assign.match(line):
            if current == section:
                return number
            first = first or number
    return first


def _build(cls: type[T], data: dict[str, Any], where: str, origin: str, text: str) -> T:
    """Build a (nested) config dataclass from a dict, naming the key and line of any error."""
    known = {f.name: f for f in fields(cls) if f.name != "profiles"}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for name, f in known.items():
        value = data[name]
        ftype = f.type if isinstance(f.type, type) else _TYPES.get(str(f.type))
        if ftype is None:  # a nested section
            nested = globals()[str(f.type)]
            if not isinstance(value, dict):
                raise InputError(f"{origin}: '{where}{name}' must be a table")
            values[name] = _build(nested, value, f"{where}{name}.", origin, text)
            continue
        if ftype is str:
            if not isinstance(value, str):
                line = _line_of(text, name, where.rstrip("."))
                at = f" (line {line})" if line else ""
                raise InputError(f"{origin}{at}: '{where}{name}' must be a string, got {value!r}")
            values[name] = value
            continue
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ftype is int:
            ok = ok and float(value).is_integer()
        if not ok:
            line = _line_of(text, name, where.rstrip("."))
            at = f" (line {line})" if line else ""
            raise InputError(f"{origin}{at}: '{where}{name}' must be a number, got {value!r}")
        values[name] = ftype(value)
        _check_range(f"{where}{name}", values[name], origin, text)
    return cls(**values)


_TYPES: dict[str, type] = {"int": int, "float": float, "str": str}
# The valid range of every value (inclusive): a value outside is refused at load, naming the
# key and the range. Wide on purpose: they keep out what can't mean anything (NaN, a negative
# time, a fraction above 1, an angle past 180), not what a coach might try.
RANGES: dict[str, tuple[float, float]] = {
    "pose.max_side": (64, 8192),
    "pose.num_poses": (1, 10),
    "pose.people_check_s": (0, 60),
    "pose.redetect_s": (0, 60),
    "pose.crop_margin": (0.01, 10),
    "pose.jump_tolerance": (0.01, 10),
    "pose.min_presence": (0, 1),
    "pose.sample_hz": (0, 1000),
    "pose.coarse_hz": (0, 1000),
    "pose.turn_tolerance": (0.001, 10),
    "pose.cut_cell_change": (1, 255),
    "pose.cut_min_share": (0.05, 1),
    "pose.cut_blank_std": (0, 128),
    "signals.min_visibility": (0, 1),
    "signals.max_gap_s": (0, 10),
    "signals.reacquire_s": (0, 10),
    "signals.lowpass_hz": (0.1, 60),
    "signals.outlier_mads": (0.5, 100),
    "signals.outlier_window_s": (0.01, 10),
    "signals.bow_t0": (0, 1),
    "signals.bow_t1": (0, 1),
    "signals.back_line_pelvis": (0, 1),
    "signals.back_line_upper": (0, 1),
    "signals.back_line_max_arm": (0, 1),
    "signals.bone_tolerance": (0, 10),
    "signals.bone_window_s": (0, 60),
    "reps.min_prominence_deg": (0.5, 180),
    "reps.min_rep_s": (0.05, 60),
    "reps.edge_fraction": (0, 0.5),
    "reps.top_fraction": (0, 1),
    "reps.max_hold_s": (0, 600),
    "reps.max_top_flexion_deg": (0, 180),
    "reps.floor_start_deg": (0, 180),
    "reps.still_speed_deg_s": (0, 1000),
    "view.side_max_width": (0, 1),
    "view.front_min_width": (0, 1),
    "view.min_present_share": (0, 1),
    "view.upright_max_lean": (0, 90),
    "view.min_upright_s": (0, 600),
    "exercise.good_morning_max_hang": (0, 10),
    "exercise.swing_max_top_hang": (0, 10),
    "exercise.swing_max_rep_s": (0.05, 60),
    "exercise.rdl_max_knee_flexion": (0, 180),
    "rules.min_duration_s": (0, 60),
    "rules.merge_gap_s": (0, 60),
    "rules.lumbar_rounding.threshold": (0, 1),
    "rules.lumbar_rounding.release": (0, 1),
    "rules.lumbar_rounding.phase_fraction": (0, 1),
    "rules.lumbar_rounding.min_trunk_lean": (0, 90),
    "rules.lumbar_rounding.max_plausible": (0, 1),
    "rules.squat_like_knee_bend.max_trunk_lean": (0, 90),
    "rules.squat_like_knee_bend.max_hip_knee_height": (-5, 5),
    "rules.squat_like_knee_bend.min_knee_hip_ratio": (0, 100),
    "rules.squat_like_knee_bend.oblique_max_trunk_lean": (0, 90),
    "rules.missing_lockout.hip_short_deg": (0, 180),
    "rules.missing_lockout.max_top_lean": (0, 90),
    "rules.missing_lockout.oblique_hip_short_deg": (0, 180),
    "rules.lockout_hyperextension.max_back_lean": (0, 90),
    "rules.lockout_hyperextension.min_hold_s": (0, 60),
    "rules.lockout_hyperextension.oblique_max_back_lean": (0, 90),
}


def _check_range(key: str, value: float, origin: str, text: str) -> None:
    """Refuse NaN, infinities and values outside the key's range (profiles use the same)."""
    plain = re.sub(r"^profiles\.[^.]+\.", "", key)
    lo, hi = RANGES.get(plain, (-math.inf, math.inf))
    if math.isfinite(value) and lo <= value <= hi:
        return
    section, _, name = key.rpartition(".")
    line = _line_of(text, name, section)
    at = f" (line {line})" if line else ""
    raise InputError(f"{origin}{at}: '{key}' must be between {lo:g} and {hi:g}, got {value!r}")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


def default_text() -> str:
    """The packaged default config, comments included."""
    return resources.files("hingecheck").joinpath("default_config.toml").read_text("utf-8")


def load_config(path: str | Path | None = None) -> Config:
    """Load the defaults, overridden by the TOML file at `path` when given.

    Raises InputError (one line, naming the file, line and key) for an unreadable or malformed
    file, an unknown key or a value of the wrong type.
    """
    defaults_text = default_text()
    data = tomllib.loads(defaults_text)
    text = defaults_text
    origin = "default config"
    if path is not None:
        origin = f"config {path}"
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read config {path}: {exc}") from None
        try:
            user = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"config {path} is not valid TOML: {exc}") from None
        # Unknown keys are checked against the user's own text so the line number is theirs.
        _check_known(user, data, "", origin, text)
        data = _merge(data, user)
    profiles = data.pop("profiles", {})
    config = _build(Config, data, "", origin, text)
    for name, override in profiles.items():
        if name not in EXERCISES:
            raise InputError(
                f"{origin}: unknown exercise profile '{name}' ({', '.join(EXERCISES)})"
            )
        _check_known(override, data, f"profiles.{name}.", origin, text)
        # Built now only to check its values: a bad one is refused before any work, not when
        # the lift is detected mid-analysis.
        _build(Config, _merge(data, override), f"profiles.{name}.", origin, text)
    return replace(config, profiles=profiles)


def _check_known(user: dict[str, Any], ref: dict[str, Any], where: str, origin: str, text: str):
    for key, value in user.items():
        if where == "" and key == "profiles":
            continue  # checked against the sections once merged
        if key not in ref:
            line = _line_of(text, key, where.rstrip("."))
            at = f" (line {line})" if line else ""
            raise InputError(f"{origin}{at}: unknown key '{where}{key}'")
        if isinstance(value, dict) and isinstance(ref[key], dict):
            _check_known(value, ref[key], f"{where}{key}.", origin, text)
