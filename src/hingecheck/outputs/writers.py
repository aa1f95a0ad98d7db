"""The report's files: JSON, per-frame CSV and SRT captions, each written atomically."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from hingecheck.atomic import write_text
from hingecheck.faults import FAULT_TYPES, label
from hingecheck.judge.events import depth_fraction, phases_of, rep_index
from hingecheck.records import Report, Signals


def write_json(report: Report, path: Path) -> None:
    """The report as JSON (schema hingecheck.report/1)."""
    write_text(path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")


def frame_table(signals: Signals, report: Report) -> dict[str, np.ndarray]:
    """Per-frame columns: time, angles, back bow, rep number and phase, one 0/1 per fault."""
    t = signals.t
    n = len(t)
    reps = report.reps
    owner = rep_index(n, reps)
    phase = np.full(n, "", dtype=object)
    for rep in reps:  # the messages' own words: a frame they call "at the bottom" is "bottom"
        frames = slice(rep.start, rep.end + 1)
        phase[frames] = phases_of(rep, t[frames])
    columns: dict[str, np.ndarray] = {
        "time_s": np.round(t, 4),
        "hip_angle_deg": np.round(signals.hip_angle, 2),
        "knee_angle_deg": np.round(signals.knee_angle, 2),
        "trunk_lean_deg": np.round(signals.trunk_lean, 2),
        "back_line_lean_deg": np.round(signals.back_line_lean, 2),
        "back_bow": np.round(signals.back_bow, 4),
        "hip_knee_height": np.round(signals.hip_knee_height, 3),
        "depth": np.round(depth_fraction(signals.hip_flexion, reps), 3),
        "rep": owner,
        "phase": phase,
    }
    for ftype in FAULT_TYPES:
        col = np.zeros(n, dtype=np.int8)
        for f in report.faults:
            if f.type == ftype:
                col[(t >= f.start_s - 1e-9) & (t <= f.end_s + 1e-9)] = 1
        columns[ftype] = col
    return columns


def write_csv(signals: Signals, report: Report, path: Path) -> None:
    """One row per frame (NaN written as empty)."""
    cols = frame_table(signals, report)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols.keys())
    rows = zip(*(c.tolist() for c in cols.values()), strict=False)
    writer.writerows(["" if isinstance(v, float) and v != v else v for v in row] for row in rows)
    write_text(path, buf.getvalue())


def _srt_time(t_s: float) -> str:
    ms = int(round(max(t_s, 0.0) * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def srt_text(report: Report) -> str:
    """Faults as timed captions (shown at least 1 s so they can be read)."""
    blocks = []
    for i, f in enumerate(report.faults, start=1):
        end = max(f.end_s, f.start_s + 1.0)
        blocks.append(
            f"{i}\n{_srt_time(f.start_s)} --> {_srt_time(end)}\n"
            f"Rep {f.rep}: {label(f.type)} ({f.grade})\n{f.cue}\n"
        )
    return "\n".join(blocks)


def write_srt(report: Report, path: Path) -> None:
    """The SRT file (any player, or Kinovea, shows it as timed labels)."""
    write_text(path, srt_text(report))
