"""The typed data passed between stages: VideoInfo -> Track -> Signals -> Rep -> Fault -> Report.

Per-frame data are numpy arrays shaped (frames, ...): every stage after the pose model works on
whole arrays. The report's JSON form is the contract other tools read (schema below)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from hingecheck import summary
from hingecheck.atomic import atomic_path

SCHEMA = "hingecheck.report/1"

# MediaPipe Pose landmark indices used by the analysis.
NOSE, L_EAR, R_EAR = 0, 7, 8
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 11, 12, 13, 14, 15, 16
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 23, 24, 25, 26, 27, 28
L_HEEL, R_HEEL, L_TOE, R_TOE = 29, 30, 31, 32
N_LANDMARKS = 33
# The back outline is sampled at this many evenly spaced points, mid-hip (0) to mid-shoulder (1).
PROFILE_POINTS = 21


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the video, after rotation is applied."""

    path: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    rotation: int = 0
    codec: str = ""
    recorded: str = ""  # when it was recorded (ISO), as the container's tags say; "": not said


@dataclass
class Track:
    """The pose model's output for every frame: the one expensive thing, cached beside outputs.

    Landmark coordinates are normalised to the (rotated) frame: x by width, y by height.
    `back_profile[i, k]` is the distance from the hip-shoulder line to the mask's edge on the
    back side, at fraction k/(PROFILE_POINTS-1) from hip to shoulder, divided by the
    hip-shoulder length (NaN where the mask gave no edge). Frames with no person have
    `present == False` and NaN landmarks. `cut` marks the first frame of each new take of an
    edited clip (video/cuts.py): nothing downstream joins movement across it.
    """

    t: np.ndarray  # (N,) float64, presentation time in seconds from the video's start
    landmarks: np.ndarray  # (N, 33, 3) float32, image x, y (normalised) and z
    visibility: np.ndarray  # (N, 33) float32
    world: np.ndarray  # (N, 33, 3) float32, metres, hip-centred
    present: np.ndarray  # (N,) bool
    back_profile: np.ndarray  # (N, PROFILE_POINTS) float32
    people: np.ndarray  # (N,) int16, how many people the model saw in the frame
    cut: np.ndarray  # (N,) bool, a jump cut (an edit) just before this frame: a new take
    info: VideoInfo
    # (N,) float32: the camera's roll in the frame's take (deg, video/level.py), and the share of
    # the picture changed since the frame before (video/cuts.py); NaN: not read (live, synthetic)
    roll: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    change: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def __post_init__(self) -> None:
        for name in (n for n in ("roll", "change") if len(getattr(self, n)) != len(self.t)):
            setattr(self, name, np.full(len(self.t), np.nan, dtype=np.float32))

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @staticmethod
    def frame_fields() -> tuple[str, ...]:
        """The per-frame arrays, in declaration order (every field but `info`)."""
        return tuple(f.name for f in fields(Track) if f.name != "info")

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-frame arrays by name."""
        return {name: getattr(self, name) for name in self.frame_fields()}

    def __getitem__(self, frames: slice | np.ndarray) -> Track:
        """The Track over some frames (a slice, a boolean mask or indices); same video info."""
        return Track(info=self.info, **{k: v[frames] for k, v in self.arrays().items()})

    @classmethod
    def empty(cls, info: VideoInfo) -> Track:
        """A Track of no frames (nothing decoded, or no sample taken yet)."""
        return cls(
            t=np.zeros(0, np.float64),
            landmarks=np.zeros((0, N_LANDMARKS, 3), np.float32),
            visibility=np.zeros((0, N_LANDMARKS), np.float32),
            world=np.zeros((0, N_LANDMARKS, 3), np.float32),
            present=np.zeros(0, bool),
            back_profile=np.zeros((0, PROFILE_POINTS), np.float32),
            people=np.zeros(0, np.int16),
            cut=np.zeros(0, bool),
            info=info,
        )

    @classmethod
    def concatenate(cls, tracks: list[Track], info: VideoInfo) -> Track:
        """The tracks one after the other (e.g. a video's time chunks), as one Track."""
        if not tracks:
            return cls.empty(info)
        return cls(
            info=info,
            **{k: np.concatenate([tr.arrays()[k] for tr in tracks]) for k in cls.frame_fields()},
        )

    def save(self, path: Path, key: str) -> None:
        """Write the Track as .npz atomically (temporary name, then rename), tagged with `key`
        (what it was made from), so a stale file is never read as current."""
        arrays: dict[str, Any] = {
            **self.arrays(),
            "info": np.array(json.dumps(asdict(self.info))),
            "key": np.array(key),
        }
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: Path, key: str | None = None) -> Track | None:
        """A saved Track, or None when absent, unreadable, damaged or made from something else
        (a different `key`). Never unpickles: the file may come from anywhere."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if key is not None and str(data["key"]) != key:
                    return None
                info = VideoInfo(**json.loads(str(data["info"])))
                track = cls(info=info, **{k: data[k] for k in cls.frame_fields()})
        except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile):
            return None
        n = len(track)
        if any(len(v) != n for v in track.arrays().values()):
            return None  # arrays of different lengths: not a Track this version wrote
        return track


@dataclass
class Signals:
    """Smoothed per-frame measures of the side facing the camera (all arrays shaped (N,)).

    Angles are in degrees. `hip_angle` and `knee_angle` are the inner joint angles
    (180 = straight). `trunk_lean` is the hip->shoulder line from vertical, positive when the
    shoulders are ahead of the hips (toward the lifter's front), negative when leaning back.
    `back_bow` is the lower back outline's bow (positive = convex/rounded, normalised by trunk
    length). `back_line_lean` is the back's outline from vertical (the line a wall behind the
    lifter would touch at buttocks and upper back), signed as `trunk_lean`.
    `hip_knee_height` is (knee y - hip y) / thigh length: 1 standing, ~0 with the hips at
    knee height. `valid` marks frames measured (or interpolated over a short gap).
    """

    t: np.ndarray
    hip_angle: np.ndarray
    knee_angle: np.ndarray
    trunk_lean: np.ndarray
    back_bow: np.ndarray
    back_line_lean: np.ndarray
    hip_knee_height: np.ndarray
    valid: np.ndarray
    side: str  # "left" | "right": the body side nearer the camera
    facing: int  # +1: the lifter faces +x in the image, -1: faces -x

    @property
    def hip_flexion(self) -> np.ndarray:
        """Hip flexion in degrees (0 standing tall)."""
        return 180.0 - self.hip_angle

    @property
    def knee_flexion(self) -> np.ndarray:
        """Knee flexion in degrees (0 straight)."""
        return 180.0 - self.knee_angle

    def __len__(self) -> int:
        return int(self.t.shape[0])


@dataclass(frozen=True)
class Rep:
    """One repetition, as frame indices into the Signals and as times."""

    index: int  # 1-based
    start: int
    bottom: int
    top: int
    end: int
    start_s: float
    bottom_s: float
    top_s: float
    end_s: float
    complete: bool = True  # False when the clip ends before the lifter stands back up


# Within one rep-to-rep spread of its threshold (rules.confidence): could read the other way.
BORDERLINE = 0.8413


def is_borderline(confidence: float) -> bool:
    """Compared at the 2 decimals the report's JSON keeps, so the terminal, a review page rebuilt
    from the JSON and the evaluation all call the same faults borderline."""
    return round(confidence, 2) < round(BORDERLINE, 2)


@dataclass(frozen=True)
class Fault:
    """One fault event inside a rep."""

    type: str
    rep: int
    start_s: float
    end_s: float
    peak_s: float
    severity: str  # "mild" | "moderate" | "severe"
    value: float
    threshold: float
    phase: str  # where in the rep: "descent", "bottom", "ascent", "top"
    message: str  # what happened, in a coach's words
    cue: str
    confidence: float = 1.0  # chance a repeat of the movement reads past the threshold too
    detail: str = ""  # the measured value behind the call ("bow 3.9 % of trunk length")

    @property
    def borderline(self) -> bool:
        """A call a repeat of the same movement could well read the other way."""
        return is_borderline(self.confidence)

    @property
    def grade(self) -> str:
        """Severity as people read it: "moderate", or "moderate, borderline"."""
        return f"{self.severity}, borderline" if self.borderline else self.severity

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as in the report's "faults" list."""
        return {
            "type": self.type,
            "rep": self.rep,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "peak_s": round(self.peak_s, 3),
            "severity": self.severity,
            "value": round(float(self.value), 3),
            "threshold": round(float(self.threshold), 3),
            "phase": self.phase,
            "confidence": round(float(self.confidence), 2),
            "message": self.message,
            "detail": self.detail,
            "cue": self.cue,
        }


@dataclass(frozen=True)
class View:
    """Where the camera stands relative to the lifter."""

    camera: str  # "side" | "oblique" | "front" | "unknown"
    side: str  # "left" | "right"
    judged: bool  # False: nothing is judged (no one in view, camera facing the lifter, ...)
    reason: str = ""
    # Faults this view can't carry, each with the reason it is not judged (reps still counted).
    not_judged: dict[str, str] = field(default_factory=dict)
    # The camera's roll read from the scene (deg, + clockwise as seen; None: not read), which
    # the leans were corrected for (video/level.py).
    roll_deg: float | None = None


@dataclass
class Report:
    """The result of analysing one set."""

    source: VideoInfo
    view: View
    reps: list[Rep]
    faults: list[Fault]
    warnings: list[str] = field(default_factory=list)
    exercise: str = "deadlift"
    exercise_source: str = "detected"  # or "given" (--exercise)
    config_hash: str = ""
    version: str = ""
    # When the set was recorded (ISO date or date and time) and who says so: "manifest" (a
    # batch manifest's date) or "recording" (the container's creation time); "" unknown.
    recorded: str = ""
    recorded_source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (schema hingecheck.report/1)."""
        src = asdict(self.source)
        return {
            "schema": SCHEMA,
            "version": self.version,
            "source": {
                "path": src["path"],
                "duration_s": round(src["duration_s"], 3),
                "fps": round(src["fps"], 3),
                "width": src["width"],
                "height": src["height"],
                "frames": src["frames"],
                "rotation": src["rotation"],
            },
            "view": {
                "camera": self.view.camera,
                "side": self.view.side,
                "judged": self.view.judged,
                "reason": self.view.reason,
                # Only where the view leaves faults unjudged: a side view's report is unchanged.
                **({"not_judged": dict(self.view.not_judged)} if self.view.not_judged else {}),
                "roll_deg": None if self.view.roll_deg is None else round(self.view.roll_deg, 1),
            },
            "exercise": {"name": self.exercise, "source": self.exercise_source},
            **(
                {"recorded": {"date": self.recorded, "source": self.recorded_source}}
                if self.recorded
                else {}
            ),
            "reps": [
                {
                    "index": r.index,
                    "start_s": round(r.start_s, 3),
                    "bottom_s": round(r.bottom_s, 3),
                    "top_s": round(r.top_s, 3),
                    "end_s": round(r.end_s, 3),
                    "complete": r.complete,
                    "faults": sorted({f.type for f in self.faults if f.rep == r.index}),
                }
                for r in self.reps
            ],
            # Partial pulls (cut by the video's start or end, or a jump cut) are listed with
            # the reps, "complete": false, and counted here: they are not in the rep count.
            "partial_pulls": sum(not r.complete for r in self.reps),
            "faults": [f.to_dict() for f in self.faults],
            "summary": summary.fault_summary(self.faults),
            "warnings": list(self.warnings),
            "config_hash": self.config_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The report read back from its JSON form (`to_dict`'s inverse: the round trip gives
        the same JSON). Keys that reports of earlier versions may lack take the value those
        versions meant. The JSON keeps times, not frame indices: a read-back rep's frame
        indices are -1. KeyError, TypeError or ValueError on anything that is not a report."""
        src, view, exercise = data["source"], data.get("view") or {}, data.get("exercise") or {}
        faults = [
            Fault(
                type=str(f["type"]),
                rep=int(f.get("rep") or 0),
                start_s=float(f["start_s"]),
                end_s=float(f["end_s"]),
                peak_s=float(f.get("peak_s", f["start_s"])),
                severity=str(f.get("severity", "")),
                value=float(f.get("value", 0.0)),
                threshold=float(f.get("threshold", 0.0)),
                phase=str(f.get("phase", "")),
                message=str(f.get("message", "")),
                cue=str(f.get("cue", "")),
                confidence=float(f.get("confidence", 1.0)),
                detail=str(f.get("detail", "")),
            )
            for f in data["faults"]
        ]
        reps = [  # frame indices -1: not in the JSON
            Rep(int(r["index"]), -1, -1, -1, -1, float(r["start_s"]),
                float(r.get("bottom_s", r["start_s"])), float(r.get("top_s", r["end_s"])),
                float(r["end_s"]), bool(r.get("complete", True)))
            for r in data["reps"]
        ]  # fmt: skip
        return cls(
            source=VideoInfo(
                str(src["path"]),
                int(src.get("width", 0)),
                int(src.get("height", 0)),
                float(src.get("fps", 0.0)),
                int(src.get("frames", 0)),
                float(src.get("duration_s", 0.0)),
                int(src.get("rotation", 0)),
            ),  # fmt: skip
            view=View(
                camera=str(view.get("camera", "")),
                side=str(view.get("side", "")),
                judged=bool(view.get("judged", True)),
                reason=str(view.get("reason", "")),
                not_judged={str(k): str(v) for k, v in (view.get("not_judged") or {}).items()},
                roll_deg=None if view.get("roll_deg") is None else float(view["roll_deg"]),
            ),
            reps=reps,
            faults=faults,
            warnings=[str(w) for w in data.get("warnings", [])],
            exercise=str(exercise.get("name", "")),
            exercise_source=str(exercise.get("source", "")),
            config_hash=str(data.get("config_hash", "")),
            version=str(data.get("version", "")),
            recorded=str((data.get("recorded") or {}).get("date", "")),
            recorded_source=str((data.get("recorded") or {}).get("source", "")),
        )
