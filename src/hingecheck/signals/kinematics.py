"""From a Track to Signals: the side in use, joint angles, trunk lean and the back's bow."""

from __future__ import annotations

from typing import Any

import numpy as np

from hingecheck.body import pixel_points
from hingecheck.config import SignalConfig
from hingecheck.pose.outline import (
    back_line_slope,
    back_normal,
    bow,
    foot_direction,
    frame_facing,
)
from hingecheck.records import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    Signals,
    Track,
)
from hingecheck.signals.filters import clean, frame_rate, running_median, runs, takes
from hingecheck.video.level import level_points

ARM_JOINTS = [L_ELBOW, R_ELBOW, L_WRIST, R_WRIST]
CHAIN = {
    "left": (L_SHOULDER, L_HIP, L_KNEE, L_ANKLE),
    "right": (R_SHOULDER, R_HIP, R_KNEE, R_ANKLE),
}


def choose_side(track: Track) -> str:
    """The body side nearer the camera: the one the model sees better over the whole set."""
    if not track.present.any():
        return "left"
    vis = track.visibility[track.present]
    left = vis[:, list(CHAIN["left"])].mean()
    right = vis[:, list(CHAIN["right"])].mean()
    return "left" if left >= right else "right"


def facing_direction(track: Track) -> int:
    """+1 when the lifter faces +x in the image over most of the set (toes ahead of heels)."""
    # A frame with no reading of the feet abstains here (frame_facing falls back to the nose).
    votes = np.sign(foot_direction(track.landmarks, track.visibility))[track.present]
    return 1 if votes.sum() >= 0 else -1


def segment_angle(lower: np.ndarray, upper: np.ndarray, facing: int | np.ndarray) -> np.ndarray:
    """Angle (deg) of the segment lower->upper from straight up, + when tilted toward the front.

    Signed, so that a hip pushed past straight (leaning back at lockout) reads past 180.
    Arrays (N, 2) in pixels with y down.
    """
    d = upper - lower
    return np.degrees(np.arctan2(facing * d[:, 0], -d[:, 1]))


def wrap_deg(deg: np.ndarray) -> np.ndarray:
    """Angles folded into [-180, 180)."""
    return (deg + 180.0) % 360.0 - 180.0


def chain_points(track: Track, cfg: SignalConfig) -> tuple[np.ndarray, str, int]:
    """The near side's shoulder, hip, knee and ankle in pixels, (N, 4, 2), NaN where unseen;
    with the side ("left"/"right") and the facing (+1/-1)."""
    side = choose_side(track)
    facing = facing_direction(track)
    size = (track.info.width, track.info.height)
    ids = list(CHAIN[side])
    pts = pixel_points(track.landmarks, ids, size)
    # A landmark outside the picture is the model's guess (a head cut off at lockout).
    inside = ((pts >= 0) & (pts <= np.asarray(size, dtype=np.float64))).all(-1)
    seen = track.present[:, None] & (track.visibility[:, ids] >= cfg.min_visibility) & inside
    # Leans and heights as a level camera would read them (a rolled phone tilts them all).
    pts = level_points(pts, track.roll, size)
    pts[~seen] = np.nan
    return pts, side, facing


def misplaced_joints(
    t: np.ndarray, pts: np.ndarray, window_s: float, tolerance: float
) -> np.ndarray:
    """Frames where the thigh or the trunk suddenly changes length: a joint put in the wrong
    place (a plate over the hips, a head cut off), since bones keep their length.

    pts: (N, 4, 2) shoulder, hip, knee, ankle. A length further than `tolerance` (a share of
    its median over the set) from its running median over `window_s` is flagged; the slow
    change of a limb turning toward an oblique camera follows the running median.
    """
    window = max(3, int(round(window_s * frame_rate(t))) | 1)
    out = np.zeros(len(t), dtype=bool)
    for a, b in ((1, 2), (0, 1)):  # hip-knee, shoulder-hip
        length = np.linalg.norm(pts[:, a] - pts[:, b], axis=1)
        if not np.isfinite(length).any():
            continue
        jump = np.abs(length - running_median(length, window))
        with np.errstate(invalid="ignore"):
            out |= jump > tolerance * np.nanmedian(length)
    return out


def back_line_lean(
    landmarks: np.ndarray,
    visibility: np.ndarray,
    profile: np.ndarray,
    size: tuple[int, int],
    cfg: SignalConfig,
    facing: np.ndarray | None = None,
    roll: np.ndarray | None = None,
) -> np.ndarray:
    """Per frame, the lean from vertical (deg, + toward the lifter's front) of the back line:
    the line touching the traced outline over the pelvis and the upper back (outline.py).

    The model puts the hip landmark on the front of the pelvis when the hands and bar cover
    it at lockout (20-30 px of a 210 px trunk on a real clip), which tilts the hip-shoulder
    line back by 5-8 deg; the outline behind the body does not move with it, because the line
    it was traced along cancels out. landmarks: (N, 33, >=2) as the model gave them (the
    outline was traced along their mid-hip -> mid-shoulder line), profile: (N, K); facing:
    each frame's `outline.frame_facing`, computed here if not given; roll: the camera's per
    frame (Track.roll), read level with it (None: level)."""
    if facing is None:
        facing = frame_facing(landmarks, visibility)
    ids = [L_HIP, R_HIP, L_SHOULDER, R_SHOULDER, *ARM_JOINTS]
    xy = pixel_points(landmarks, ids, size)
    if roll is not None:
        xy = level_points(xy, roll, size)
    hip, shoulder = 0.5 * (xy[:, 0] + xy[:, 1]), 0.5 * (xy[:, 2] + xy[:, 3])
    slope = back_line_slope(profile, cfg.back_line_pelvis, cfg.back_line_upper)
    lean = segment_angle(hip, shoulder, facing) - np.degrees(np.arctan(slope))
    # An elbow or wrist far behind the hip-shoulder line puts the arm in the traced edge.
    length = np.linalg.norm(shoulder - hip, axis=1)
    behind = back_normal(hip, shoulder, facing[:, None])
    depth = np.einsum("nji,ni->nj", xy[:, 4:] - hip[:, None, :], behind)
    seen = visibility[:, ARM_JOINTS] >= cfg.min_visibility
    with np.errstate(invalid="ignore", divide="ignore"):
        arm_in_outline = seen & (depth > cfg.back_line_max_arm * length[:, None])
    lean[arm_in_outline.any(axis=1)] = np.nan
    return lean


def signals_from_points(
    t: np.ndarray,
    pts: np.ndarray,
    back_bow: np.ndarray,
    back_line: np.ndarray,
    side: str,
    facing: int,
) -> Signals:
    """Angles from (already cleaned) chain points (N, 4, 2): the one definition of each angle,
    shared by the offline and the live paths."""
    shoulder, hip, knee, ankle = (pts[:, j] for j in range(4))
    thigh_len = np.linalg.norm(knee - hip, axis=1)
    trunk = segment_angle(hip, shoulder, facing)
    thigh = segment_angle(knee, hip, facing)  # hips behind the knees: negative
    shin = segment_angle(ankle, knee, facing)  # knees ahead of the ankles: positive
    hip_angle = 180.0 - wrap_deg(trunk - thigh)
    return Signals(
        t=t,
        hip_angle=hip_angle,
        knee_angle=180.0 - wrap_deg(shin - thigh),
        trunk_lean=trunk,
        back_bow=back_bow,
        back_line_lean=back_line,
        hip_knee_height=(knee[:, 1] - hip[:, 1]) / np.where(thigh_len > 0, thigh_len, np.nan),
        valid=np.isfinite(hip_angle),
        side=side,
        facing=facing,
    )


def compute_signals(track: Track, cfg: SignalConfig) -> Signals:
    """Clean and smooth the chosen side's landmarks, then measure angles and the back's bow."""
    t = track.t
    pts, side, facing = chain_points(track, cfg)
    # Each take of an edited clip apart: another framing gives the bones other lengths.
    for s in takes(track.cut, len(t)):
        bad = misplaced_joints(t[s], pts[s], cfg.bone_window_s, cfg.bone_tolerance)
        pts[s][bad] = np.nan
    opts: dict[str, Any] = dict(
        window_s=cfg.outlier_window_s,
        n_mads=cfg.outlier_mads,
        max_gap_s=cfg.max_gap_s,
        cutoff_hz=cfg.lowpass_hz,
        cut=track.cut,
    )
    smooth = np.empty_like(pts)
    for j in range(pts.shape[1]):  # 4 joints x 2 coordinates: each a 1-D series
        for k in range(2):
            smooth[:, j, k] = clean(t, pts[:, j, k], **opts)
    # A few frames seen between long gaps are the model guessing as the lifter re-enters the
    # frame: distrust islands shorter than the longest gap we would bridge.
    core = np.isfinite(smooth[:, :3]).all(axis=(1, 2))  # shoulder, hip, knee
    for a, b in runs(core):
        if t[b - 1] - t[a] < cfg.max_gap_s and (a > 0 or b < len(t)):
            b_drop = b
        elif a > 0:
            # After a gap the model re-acquires the lifter over a few frames: skip them.
            b_drop = int(np.searchsorted(t, t[a] + cfg.reacquire_s))
        else:
            continue
        smooth[a:b_drop] = np.nan
        core[a:b_drop] = False
    # The outline is read only where it was traced on the back of the set's facing: a frame
    # whose toes misread traced the lifter's front.
    traced_on = frame_facing(track.landmarks, track.visibility)
    traced = track.present & (traced_on == facing)
    size = (track.info.width, track.info.height)
    outline = {
        "bow": bow(track.back_profile, cfg.bow_t0, cfg.bow_t1),
        "line": back_line_lean(
            track.landmarks, track.visibility, track.back_profile, size, cfg, traced_on, track.roll
        ),
    }
    for key, raw in outline.items():
        raw[~traced] = np.nan
        outline[key] = clean(t, raw, **opts)
        outline[key][~core] = np.nan
    return signals_from_points(t, smooth, outline["bow"], outline["line"], side, facing)
