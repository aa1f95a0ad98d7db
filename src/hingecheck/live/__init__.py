"""Live coaching: the newest frame through the same stages, run causally, with a cue window."""
