"""Build the PoseLandmarker Tasks bundle from the mediapipe 0.10.21 wheel, offline.

Current mediapipe releases download their `.task` bundle at run time; this project ships one
instead (see ../shared/MODEL.md in the project's workspace for the checked facts). This script
reproduces `pose_landmarker_full.task` byte for byte:

1. `pip download --no-deps mediapipe==0.10.21` (the only wheel that carries the *full* models);
2. in a throwaway virtual environment with that wheel, add the TFLite image-normalisation
   metadata the landmark model lacks (input in [0, 1]: mean 0, std 255) with mediapipe's own
   MetadataWriter (its compiled helper is missing from the current releases);
3. store both models in an *uncompressed* zip with fixed timestamps, as the Tasks API requires.

Usage: python models/build_pose_bundle.py [--check]   (--check: rebuild and compare the sha256)
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "pose_landmarker_full.task"
SHA_FILE = HERE / "pose_landmarker_full.task.sha256"
WHEEL_SPEC = "mediapipe==0.10.21"
# What mediapipe 0.10.21 imports on the metadata-writer path (its jax/sentencepiece deps are not).
INNER_DEPS = [
    "protobuf>=4.25.3,<5",
    "absl-py",
    "attrs",
    "flatbuffers",
    "numpy<2",
    "opencv-python-headless<4.12",
    "matplotlib",
]
DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARKS = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
# A fixed date keeps the zip reproducible; 1980-01-01 is the earliest a zip can hold.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _inner(wheel: Path, out: Path) -> None:
    """Runs inside the throwaway environment that has mediapipe 0.10.21."""
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    with zipfile.ZipFile(wheel) as whl:
        detector = whl.read(DETECTOR)
        landmarks = whl.read(LANDMARKS)
    writer = metadata_writer.MetadataWriter.create(bytearray(landmarks))
    writer.add_general_info("pose_landmarks_detector", "BlazePose GHUM 3D full")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for _ in range(5):  # the full landmark model has five output tensors
        writer.add_feature_output()
    landmarks_with_meta, _ = writer.populate()

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as bundle:
        for name, data in (
            ("pose_detector.tflite", detector),
            ("pose_landmarks_detector.tflite", bytes(landmarks_with_meta)),
        ):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            bundle.writestr(info, data)


def _build(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "download", "--no-deps", WHEEL_SPEC, "-d", str(tmp)], check=True)
        wheel = next(tmp.glob("mediapipe-*.whl"))
        venv.create(tmp / "env", with_pip=True)
        py = str(tmp / "env" / "bin" / "python")
        inner_pip = [py, "-m", "pip", "--disable-pip-version-check", "-q", "install"]
        subprocess.run([*inner_pip, "--no-deps", str(wheel)], check=True)
        subprocess.run([*inner_pip, *INNER_DEPS], check=True)
        subprocess.run([py, __file__, "--inner", str(wheel), str(out)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild to a temp file and compare")
    parser.add_argument("--inner", nargs=2, metavar=("WHEEL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        _inner(Path(args.inner[0]), Path(args.inner[1]))
        return
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / BUNDLE.name
            _build(out)
            got, want = _sha256(out), SHA_FILE.read_text().split()[0]
        print(f"rebuilt {got}\nrecorded {want}\n{'MATCH' if got == want else 'DIFFERENT'}")
        sys.exit(0 if got == want else 1)
    _build(BUNDLE)
    SHA_FILE.write_text(f"{_sha256(BUNDLE)}  {BUNDLE.name}\n")
    print(SHA_FILE.read_text().strip())


if __name__ == "__main__":
    main()
