"""The pose model (MediaPipe PoseLandmarker) run over frames into a Track, and its cache."""
