"""Judging the Signals: reps, the camera's view, the exercise, the fault rules, evaluation."""
