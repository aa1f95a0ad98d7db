"""Frame sources: video files (with presentation times and rotation), cameras and streams."""
