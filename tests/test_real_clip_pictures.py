"""A real lifter's annotated video and review page, checked as the demo's are (overlay_checks):
text off the body and the limbs, phase words as the messages say, the page's charts and
stills; pictures kept for a person to look at (never committed, never in the repository).

Skipped when HINGECHECK_CLIPS is unset. HINGECHECK_CLIP_CACHE (as for test_clips) keeps the
clip's landmark track between runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_support import browser_or_skip
from overlay_checks import (
    assert_page_geometry,
    assert_phase_words_agree,
    assert_text_off_the_body,
    key_times,
    save_frames,
    screenshot_page,
    shots_dir,
    video_size,
)

from hingecheck.outputs.review import write_review
from hingecheck.outputs.video import render_video
from hingecheck.pipeline import analyze

CLIPS = os.environ.get("HINGECHECK_CLIPS")
# A side-on kettlebell set filmed upright on a phone, with rounding called on most reps.
CLIP = "tby66__0016r_1.mp4"

pytestmark = [
    pytest.mark.clips,
    pytest.mark.slow,
    pytest.mark.skipif(not CLIPS, reason="HINGECHECK_CLIPS is not set"),
]


def test_real_clip_overlay_and_page(tmp_path_factory):
    video = Path(CLIPS or ".") / CLIP
    if not video.is_file():
        pytest.skip(f"{CLIP} is not in {CLIPS}")
    cache = os.environ.get("HINGECHECK_CLIP_CACHE")
    folder = tmp_path_factory.mktemp("real-clip")
    track = (Path(cache) if cache else folder) / f"{video.stem}.track.npz"
    track.parent.mkdir(parents=True, exist_ok=True)
    model = os.environ.get("HINGECHECK_MODEL")
    result = analyze(video, None, model=Path(model) if model else None, cache_path=track)
    assert result.report.reps and result.report.faults
    render_video(video, result, folder / f"{video.stem}.annotated.mp4")
    page = write_review(result, video, folder, video.stem)
    w, h = video_size(folder / f"{video.stem}.annotated.mp4")
    ov = assert_text_off_the_body(result, w, h)
    assert_phase_words_agree(ov, result)
    shots = shots_dir(tmp_path_factory, video.stem)
    save_frames(folder / f"{video.stem}.annotated.mp4", key_times(result), shots)
    with browser_or_skip() as browser:
        geometry = screenshot_page(browser, page, shots)
    assert_page_geometry(geometry, ov.style.text_px)
