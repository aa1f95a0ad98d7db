"""Small H.264 test videos written from RGB frames (shared by the tests that need a file)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

MS = Fraction(1, 1000)


def write_video(path: Path, frames, fps: float = 10, times_s=None, faststart=False) -> Path:
    """H.264 mp4 from RGB frames, a keyframe every 10 frames (so a seek lands near any time);
    `times_s` gives each frame's own time (variable frame rate)."""
    frames = list(frames)
    opts = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=opts) as out:
        stream = out.add_stream("libx264", rate=int(round(fps)))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "10"}
        if times_s is not None:
            stream.codec_context.time_base = MS
        for i, img in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            if times_s is not None:
                vf.pts, vf.time_base = int(round(times_s[i] * 1000)), MS
            out.mux(stream.encode(vf))
        out.mux(stream.encode(None))
    return path
