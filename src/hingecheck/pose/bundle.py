"""The pose model's file: where the shipped bundle is, whether a file is a PoseLandmarker
bundle MediaPipe can load, and keeping the model's native log lines off the terminal."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from hingecheck.errors import InputError

MODEL_NAME = "pose_landmarker_full.task"
# A PoseLandmarker .task bundle is an uncompressed zip of these two TFLite models.
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


def default_model_path() -> Path:
    """The bundle shipped with the package (wheel) or in the source tree's models/ folder."""
    packaged = resources.files("hingecheck").joinpath("models", MODEL_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "models" / MODEL_NAME


def check_model(path: str | Path) -> Path:
    """Refuse, before any work, a model file that is missing or not a pose bundle (MediaPipe
    itself would print a native traceback, or abort): InputError on one line."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"pose model not found: {path}")
    if not path.is_file():
        raise InputError(f"pose model {path} is a folder, not a .task file")
    try:
        with zipfile.ZipFile(path) as bundle:
            members = {i.filename: i for i in bundle.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a zip bundle"
        raise InputError(f"{path} is not a PoseLandmarker .task bundle ({why})") from None
    missing = [m for m in BUNDLE_MEMBERS if m not in members]
    if missing:
        raise InputError(f"{path} is not a PoseLandmarker .task bundle (no {missing[0]} in it)")
    if any(members[m].compress_type != zipfile.ZIP_STORED for m in BUNDLE_MEMBERS):
        raise InputError(
            f"{path}: the bundle's models are compressed (MediaPipe reads them "
            "only stored; re-zip with zip -0)"
        )
    return path


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence the C++ runtime's log lines (fd 2) while keeping Python's sys.stderr working."""
    try:
        saved = os.dup(2)
        sys.stderr.flush()
    except (OSError, ValueError, io.UnsupportedOperation):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    old_stderr = sys.stderr
    os.dup2(devnull, 2)
    sys.stderr = open(saved, "w", closefd=False, buffering=1, encoding="utf-8")  # noqa: SIM115
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
