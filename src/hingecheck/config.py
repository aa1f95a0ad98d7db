"""Thresholds and settings: the packaged defaults, overridden by a user's TOML file."""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

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
class Range:
    """A config value's valid range, inclusive, declared with it (`x: Annotated[float, Range(0,
    1)]`): a value outside is refused at load, naming the key and the range. Wide on purpose:
    they keep out what can't mean anything (NaN, a negative time, a fraction above 1, an angle
    past 180), not what a coach might try. The default and its reason are in
    default_config.toml under the same key."""

    lo: float
    hi: float


@dataclass(frozen=True)
class PoseConfig:
    max_side: Annotated[int, Range(64, 8192)]
    follow: str
    num_poses: Annotated[int, Range(1, 10)]
    min_presence: Annotated[float, Range(0, 1)]
    people_check_s: Annotated[float, Range(0, 60)]
    redetect_s: Annotated[float, Range(0, 60)]
    crop_margin: Annotated[float, Range(0.01, 10)]
    jump_tolerance: Annotated[float, Range(0.01, 10)]
    sample_hz: Annotated[float, Range(0, 1000)]
    coarse_hz: Annotated[float, Range(0, 1000)]
    turn_tolerance: Annotated[float, Range(0.001, 10)]
    cut_cell_change: Annotated[float, Range(1, 255)]
    cut_min_share: Annotated[float, Range(0.05, 1)]
    cut_blank_std: Annotated[float, Range(0, 128)]

    def __post_init__(self) -> None:
        # The numbers are checked against RANGES as they are read; the one string here.
        if self.follow not in FOLLOW_MODES:
            modes = " or ".join(repr(m) for m in FOLLOW_MODES)
            raise InputError(f"pose.follow must be {modes}, got {self.follow!r}")


# How the pose pass follows the lifter (PoseConfig.follow; pose.landmarker.PoseEstimator).
FOLLOW_MODES = ("track", "detect")


@dataclass(frozen=True)
class SignalConfig:
    min_visibility: Annotated[float, Range(0, 1)]
    max_gap_s: Annotated[float, Range(0, 10)]
    reacquire_s: Annotated[float, Range(0, 10)]
    lowpass_hz: Annotated[float, Range(0.1, 60)]
    outlier_mads: Annotated[float, Range(0.5, 100)]
    outlier_window_s: Annotated[float, Range(0.01, 10)]
    bow_t0: Annotated[float, Range(0, 1)]
    bow_t1: Annotated[float, Range(0, 1)]
    back_line_pelvis: Annotated[float, Range(0, 1)]
    back_line_upper: Annotated[float, Range(0, 1)]
    back_line_max_arm: Annotated[float, Range(0, 1)]
    bone_tolerance: Annotated[float, Range(0, 10)]
    bone_window_s: Annotated[float, Range(0, 60)]


@dataclass(frozen=True)
class RepConfig:
    min_prominence_deg: Annotated[float, Range(0.5, 180)]
    min_rep_s: Annotated[float, Range(0.05, 60)]
    edge_fraction: Annotated[float, Range(0, 0.5)]
    top_fraction: Annotated[float, Range(0, 1)]
    max_hold_s: Annotated[float, Range(0, 600)]
    max_top_flexion_deg: Annotated[float, Range(0, 180)]
    floor_start_deg: Annotated[float, Range(0, 180)]
    lift_off_speed_deg_s: float
    max_top_lean_deg: float
    min_top_wrists_above_knees: float
    min_hands_seen: float
    walk_off_trunks: float
    still_speed_deg_s: Annotated[float, Range(0, 1000)]
    lying_thigh_back_deg: float
    max_unseen_top_s: Annotated[float, Range(0, 60)]
    standing_flexion_deg: Annotated[float, Range(0, 90)]


@dataclass(frozen=True)
class ViewConfig:
    side_max_width: Annotated[float, Range(0, 1)]
    front_min_width: Annotated[float, Range(0, 1)]
    min_present_share: Annotated[float, Range(0, 1)]
    upright_max_lean: Annotated[float, Range(0, 90)]
    min_upright_s: Annotated[float, Range(0, 600)]


@dataclass(frozen=True)
class ExerciseConfig:
    good_morning_max_hang: Annotated[float, Range(0, 10)]
    swing_max_top_hang: Annotated[float, Range(0, 10)]
    swing_max_rep_s: Annotated[float, Range(0.05, 60)]
    rdl_max_knee_flexion: Annotated[float, Range(0, 180)]


@dataclass(frozen=True)
class RoundingConfig:
    threshold: Annotated[float, Range(0, 1)]
    release: Annotated[float, Range(0, 1)]
    phase_fraction: Annotated[float, Range(0, 1)]
    min_trunk_lean: Annotated[float, Range(0, 90)]
    max_plausible: Annotated[float, Range(0, 1)]


@dataclass(frozen=True)
class SquatConfig:
    max_trunk_lean: Annotated[float, Range(0, 90)]
    max_hip_knee_height: Annotated[float, Range(-5, 5)]
    min_knee_hip_ratio: Annotated[float, Range(0, 100)]
    oblique_max_trunk_lean: Annotated[float, Range(0, 90)]


@dataclass(frozen=True)
class LockoutConfig:
    hip_short_deg: Annotated[float, Range(0, 180)]
    max_top_lean: Annotated[float, Range(0, 90)]
    oblique_hip_short_deg: Annotated[float, Range(0, 180)]


@dataclass(frozen=True)
class HyperextensionConfig:
    max_back_lean: Annotated[float, Range(0, 90)]
    min_hold_s: Annotated[float, Range(0, 60)]
    oblique_max_back_lean: Annotated[float, Range(0, 90)]


@dataclass(frozen=True)
class RulesConfig:
    min_duration_s: Annotated[float, Range(0, 60)]
    merge_gap_s: Annotated[float, Range(0, 60)]
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
    values: dict[str, Any] = {}
    for name, (ftype, _) in declared(cls).items():
        value = data[name]
        if isinstance(ftype, type) and is_dataclass(ftype):  # a nested section
            if not isinstance(value, dict):
                raise InputError(f"{origin}: '{where}{name}' must be a table")
            values[name] = _build(ftype, value, f"{where}{name}.", origin, text)
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


def declared(cls: type) -> dict[str, tuple[Any, Range | None]]:
    """A section's keys, in order: each one's type (int, float, str or a nested section's
    class) and its declared range (None for a string or a section)."""
    out: dict[str, tuple[Any, Range | None]] = {}
    for name, hint in get_type_hints(cls, include_extras=True).items():
        if name == "profiles":
            continue
        if get_origin(hint) is Annotated:
            base, *meta = get_args(hint)
            out[name] = (base, next((m for m in meta if isinstance(m, Range)), None))
        else:
            out[name] = (hint, None)
    return out


def _ranges(cls: type, where: str = "") -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for name, (ftype, rng) in declared(cls).items():
        if isinstance(ftype, type) and is_dataclass(ftype):
            out.update(_ranges(ftype, f"{where}{name}."))
        elif rng is not None:
            out[f"{where}{name}"] = (rng.lo, rng.hi)
    return out


# Every number's range by its dotted key ("rules.merge_gap_s"), from the declarations above.
RANGES: dict[str, tuple[float, float]] = _ranges(Config)


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
