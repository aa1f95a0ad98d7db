"""`hingecheck serve`: the trainer's workspace on the web.

Lifters upload sets from the phone through a private link; the sets are analysed in the
background (the batch engine, through a queue kept in SQLite); the trainer reviews each set,
gives a verdict per fault, marks missed ones, answers the lifter, and exports the verdicts as
labels the project's evaluation reads. Needs the `serve` extra (`pip install 'hingecheck[serve]'`).
"""

from __future__ import annotations

from hingecheck.serve.app import create_app
from hingecheck.serve.settings import Settings, default_data_dir

__all__ = ["Settings", "create_app", "default_data_dir"]
