"""bench/robustness.py: its copies keep the frames' times and mirror only when asked."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from video_support import write_video

from hingecheck.judge.evaluate import ClipResult, score_clip, tally
from hingecheck.video.source import iter_frames

_SPEC = importlib.util.spec_from_file_location(
    "robustness", Path(__file__).parents[1] / "bench" / "robustness.py"
)
robustness = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(robustness)


def _decoded(path: Path) -> tuple[list[float], list[np.ndarray]]:
    frames = [(f.t, f.rgb.astype(int)) for f in iter_frames(path)]
    return [t for t, _ in frames], [img for _, img in frames]


def test_copies_keep_frame_times_and_mirror_only_when_asked(tmp_path):
    # A bright left third, and a variable frame rate: times must survive the copy.
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :20] = 220
    times = [0.0, 0.1, 0.25, 0.3, 0.5, 0.55, 0.8]
    src = write_video(tmp_path / "src.mp4", [img] * len(times), 10, times)
    for mirror in (False, True):
        dst = tmp_path / f"copy_{mirror}.mp4"
        robustness.write_copy(src, dst, mirror=mirror)
        t, frames = _decoded(dst)
        assert np.allclose(t, times, atol=1e-3)
        left, right = frames[3][:, :16].mean(), frames[3][:, -16:].mean()
        assert (right > 180 and left < 40) if mirror else (left > 180 and right < 40)
    assert not list(tmp_path.glob("*.part.mp4"))


def test_report_lists_the_clips_that_read_differently():
    label = {"file": "a.mp4", "view": "side", "reps": 1, "faults": {"lumbar_rounding": "absent"}}

    def clip(reps: int, rounded: bool) -> ClipResult:
        faults = [{"type": "lumbar_rounding", "confidence": 0.95, "peak_s": 1.0}]
        report = {
            "view": {"camera": "side"},
            "reps": [{"complete": True}] * reps,
            "faults": faults if rounded else [],
            "exercise": {"name": "deadlift"},
        }
        return score_clip(label, report)

    text = robustness.report(
        {"original": tally([clip(1, False)]), "mirror": tally([clip(2, True)])}
    )
    assert "mirror: 1 of 1 clips read differently" in text
    assert "a.mp4: side, 1 reps, no faults, deadlift  ->  side, 2 reps, lumbar_rounding" in text
    assert "lumbar_rounding.false_alarm_rate" in text  # the figures, side by side
