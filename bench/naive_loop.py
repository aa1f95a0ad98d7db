"""The plain loop hingecheck is measured against: decode every frame, run MediaPipe's
PoseLandmarker in VIDEO mode with the segmentation mask on it (one pose, full frame), keep the
landmarks. What a peer project runs; nothing of hingecheck's but the model bundle is used.

    python bench/naive_loop.py VIDEO

Run as a whole process (imports and model creation included), as `hingecheck analyze` is timed.
Prints the frames run and the seconds spent in the loop itself.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import av
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

MODEL = Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full.task"


def main() -> int:
    video = sys.argv[1]
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(MODEL)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
        output_segmentation_masks=True,
    )
    poses = []
    t0 = time.perf_counter()
    with vision.PoseLandmarker.create_from_options(options) as model, av.open(video) as box:
        stream = box.streams.video[0]
        stream.thread_type = "AUTO"
        last = -1
        for frame in box.decode(stream):
            ms = max(int(round(float(frame.time or 0.0) * 1000)), last + 1)
            last = ms
            rgb = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
            result = model.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms
            )
            poses.append(
                [(p.x, p.y) for p in result.pose_landmarks[0]] if result.pose_landmarks else None
            )
            if result.segmentation_masks:
                result.segmentation_masks[0].numpy_view()
    print(f"{len(poses)} frames in {time.perf_counter() - t0:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
