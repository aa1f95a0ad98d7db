"""What `hingecheck calibrate` shows and writes: the table of fits, and the config overlay, a
TOML file for --config whose every value says how it was chosen and whose thresholds left alone
say why (as comments, so a later change of the defaults still reaches them)."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from hingecheck.judge.calibrate import FaultFit, fmt


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(float(f"{value:.6g}"))
        return text if any(c in text for c in ".eninf") else text + ".0"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def _fit_note(f: FaultFit, when: date) -> str:
    return (
        f"fitted on {f.sets_present + f.sets_absent} sets from {f.sources} sources, "
        f"{when.isoformat()}: agreement {f.before:.2f} -> {f.after:.2f} left-one-source-out "
        f"(noise floor {f.noise:.2f})"
    )


def overlay_text(
    fits: Sequence[FaultFit],
    *,
    labels: str,
    when: date,
    base: dict[str, Any] | None = None,
    base_name: str = "",
) -> str:
    """The overlay: `base` (the --config file calibrated from, as a dict; its values carried
    with their origin) with the fitted values set, every value commented."""
    data: dict[str, Any] = copy.deepcopy(base or {})
    notes: dict[tuple[str, ...], list[str]] = {}
    chosen: dict[tuple[str, ...], str] = {}
    for f in fits:
        table = ("rules", f.fault)
        if not f.tuned:
            start = ", ".join(f"{k} = {_literal(v)}" for k, v in f.start.items())
            notes.setdefault(table, []).append(f"left alone ({start}): {f.reason}")
            data.setdefault("rules", {}).setdefault(f.fault, {})
            continue
        section = data.setdefault("rules", {}).setdefault(f.fault, {})
        main = f.keys[0]
        for key in f.keys:
            section[key] = f.fitted[key]
            note = _fit_note(f, when) if key == main else f"moved with {main} by the same amount"
            chosen[(*table, key)] = f"{note}; was {_literal(f.start[key])}"
    origin = f"from {base_name}" if base_name else "from the config calibrated from"
    lines = [
        f"# hingecheck calibrate: thresholds fitted to the verdicts in {labels}, "
        f"{when.isoformat()}.",
        "# Use it with --config (e.g. hingecheck analyze VIDEO --config THIS_FILE).",
        "# Agreement is balanced (the share of faulty sets or reps called and of clean ones left",
        "# alone, averaged) and out of sample: each source left out in turn, fitted on the rest.",
    ]
    if base_name:
        lines.append(f"# Calibrated from {base_name}: its values are carried over.")

    def emit(table: dict[str, Any], path: tuple[str, ...]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if path and (scalars or path in notes or not table):
            lines.extend(["", f"[{'.'.join(path)}]"])
        for note in notes.get(path, []):
            lines.append(f"# {note}")
        for key, value in scalars.items():
            lines.append(f"# {chosen.get((*path, key), origin)}")
            lines.append(f"{key} = {_literal(value)}")
        for key, value in table.items():
            if isinstance(value, dict):
                emit(value, (*path, key))

    emit(data, ())
    return "\n".join(lines) + "\n"


def table(fits: Sequence[FaultFit]) -> str:
    """The fits as plain text: per fault, sets, agreement before and after (out of sample),
    the noise floor, the values and what was done."""
    lines = [
        "fault                    sets +/-  sources  agreement: start  after(LOSO)  noise  value"
    ]
    for f in fits:
        main = f.keys[0]
        value = (
            f"{main} {fmt(f.start[main])} -> {fmt(f.fitted[main])}"
            if f.tuned
            else f"{main} {fmt(f.start[main])} (left alone"
            + (f"; the fit: {fmt(f.fitted[main])})" if f.fitted else ")")
        )
        lines.append(
            f"{f.fault:<24} {f.sets_present:>4}/{f.sets_absent:<4} {f.sources:>7}  "
            f"{_cell(f.before):>16}  {_cell(f.after):>11}  {_cell(f.noise):>5}  {value}"
        )
        lines.append(f"  {f.reason}" + (f"; noise floor: {f.noise_from}" if f.noise_from else ""))
        if f.rep_units:
            lines.append(f"  scored per rep on {f.rep_units} labelled reps (fault_reps)")
    lines.append(
        "agreement: balanced (share of faulty sets or reps called and of clean ones left "
        "alone, averaged); after: each source left out in turn, fitted on the rest"
    )
    return "\n".join(lines)


def _cell(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def per_source_table(fits: Sequence[FaultFit]) -> str:
    """Per source, each fitted fault's agreement with the starting config and out of sample
    (the threshold fitted on the other sources): where a fit helps, and whom it costs."""
    shown = [f for f in fits if f.by_source]
    if not shown:
        return "per source: no fault had enough verdicts to fit"
    sources = sorted({s for f in shown for s in f.by_source})
    width = max(len(s) for s in sources) + 2
    lines = [f"{'source':<{width}}" + "".join(f"{f.fault:>26}" for f in shown)]
    for src in sources:
        cells = []
        for f in shown:
            start, after = f.by_source.get(src, (None, None))
            cells.append("-" if start is None else f"{start:.2f} -> {_cell(after)}")
        lines.append(f"{src:<{width}}" + "".join(f"{c:>26}" for c in cells))
    lines.append(
        "cells: agreement with the starting config -> out of sample (left out, fitted on the rest)"
    )
    return "\n".join(lines)
