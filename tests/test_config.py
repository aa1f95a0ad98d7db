"""Config loading: defaults, overrides and the errors a user sees."""

import dataclasses
import tomllib

import pytest

from hingecheck.config import RANGES, Config, declared, default_text, load_config
from hingecheck.errors import InputError


def test_defaults_load_and_every_value_has_a_reason():
    cfg = load_config()
    assert cfg.rules.lumbar_rounding.threshold > cfg.rules.lumbar_rounding.release
    # Every key in the packaged file sits under a comment saying why.
    lines = default_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            above = [x for x in lines[max(0, i - 6) : i] if x.strip()]
            assert any(x.lstrip().startswith("#") for x in above), line


def test_override_changes_only_that_key(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[rules.lumbar_rounding]\nthreshold = 0.05\n")
    cfg = load_config(p)
    assert cfg.rules.lumbar_rounding.threshold == 0.05
    assert cfg.rules.lumbar_rounding.release == load_config().rules.lumbar_rounding.release
    assert cfg.digest() != load_config().digest()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[rules.lumbar_rounding]\nthreshold = \n", "line 2"),
        ("[rules]\n\nmin_duration_s = 0.1\nbogus = 3\n", "line 4"),
        ("[reps]\nmin_rep_s = 'fast'\n", "line 2"),
        ("[pose]\nmax_side = 960.5\n", "pose.max_side"),
        # The same key in two tables: the line of the one that is wrong.
        (
            "[rules.lockout_hyperextension]\nmin_hold_s = 0.3\n\n"
            "[profiles.kettlebell_swing.rules.lockout_hyperextension]\nmin_hold_s = 'long'\n",
            "line 5",
        ),
    ],
)
def test_malformed_config_names_line_and_key(tmp_path, text, needle):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(InputError) as err:
        load_config(p)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[rules.missing_lockout]\nhip_short = 20\n")
    with pytest.raises(InputError, match="rules.missing_lockout.hip_short"):
        load_config(p)


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError, match="cannot read config"):
        load_config(tmp_path / "nope.toml")


def _keys(cls, where=""):
    """Every declared key of a section and the sections below it, with its type and range."""
    out = {}
    for name, (ftype, rng) in declared(cls).items():
        if dataclasses.is_dataclass(ftype):
            out.update(_keys(ftype, f"{where}{name}."))
        else:
            out[f"{where}{name}"] = (ftype, rng)
    return out


def _toml_keys(data, where=""):
    out = set()
    for key, value in data.items():
        if isinstance(value, dict):
            out |= _toml_keys(value, f"{where}{key}.")
        else:
            out.add(f"{where}{key}")
    return out


# Numbers declared before every threshold carried its range (checked only for being finite).
UNRANGED = {
    "reps.lift_off_speed_deg_s",
    "reps.max_top_lean_deg",
    "reps.min_top_wrists_above_knees",
    "reps.min_hands_seen",
    "reps.walk_off_trunks",
    "reps.lying_thigh_back_deg",
}


def test_settings_are_declared_once_and_documented():
    """One declaration per key (its type and range, in config.py) and one default with its
    reason (in default_config.toml): the two name the same keys, and RANGES is derived."""
    keys = _keys(Config)
    data = tomllib.loads(default_text())
    data.pop("profiles")
    assert _toml_keys(data) == set(keys)
    numbers = {k for k, (t, _) in keys.items() if t in (int, float)}
    ranged = {k for k, (_, rng) in keys.items() if rng is not None}
    assert ranged <= numbers
    assert numbers - ranged == UNRANGED, "a new number needs its Range"
    assert {k: (keys[k][1].lo, keys[k][1].hi) for k in ranged} == RANGES


def test_a_declared_range_is_enforced(tmp_path):
    p = tmp_path / "c.toml"
    lo, hi = RANGES["rules.lumbar_rounding.threshold"]
    p.write_text(f"[rules.lumbar_rounding]\nthreshold = {hi + 1}\n")
    with pytest.raises(InputError, match=f"between {lo:g} and {hi:g}"):
        load_config(p)
