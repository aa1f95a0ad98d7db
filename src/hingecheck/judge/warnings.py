"""What a report warns about: what the view can't carry, edits, stretches out of view, partial
pulls, a tilted camera, a damaged file. Each said once, in words a lifter can act on."""

from __future__ import annotations

import numpy as np

from hingecheck.records import Rep, Signals, Track, View
from hingecheck.signals.filters import runs
from hingecheck.summary import rep_list

# A roll this large is worth telling (the rules correct for it either way): most level phones
# read within 1.4 deg on the shared clips, the one propped at an angle 4-5.4.
ROLL_WARN_DEG = 2.0


def set_warnings(track: Track, signals: Signals, view: View, reps: list[Rep]) -> list[str]:
    """The report's warnings for a judged Track."""
    out: list[str] = []
    n = len(track)
    if view.reason:
        out.append(view.reason)
    if view.camera == "oblique":
        out.append(
            "camera at an angle to the lifter: angles are less precise, so faults are "
            "judged with wider margins, and lower-back rounding and leaning back at lockout "
            "are not judged (the back's outline can't be seen, and a lean reads shortened); "
            "film from the side for the best reading"
        )
    if view.roll_deg is not None and abs(view.roll_deg) >= ROLL_WARN_DEG:
        out.append(
            f"the camera is tilted {abs(view.roll_deg):.0f}° (the phone was not level): leans "
            "were read against the room's verticals, not the picture's edges"
        )
    if n and (track.people > 1).mean() > 0.1:
        out.append(
            f"{int(track.people.max())} people in view: followed the one performing "
            "the lift (the largest, most central)"
        )
    for i in np.flatnonzero(track.cut)[:5]:
        out.append(
            f"jump cut at {track.t[i]:.1f} s: the clip is edited; reps across it are not counted"
        )
    if n and track.present.any():
        gaps = [
            (a, b)
            for a, b in runs(~signals.valid)
            if a > 0 and b < n and track.t[b] - track.t[a - 1] > 0.5
        ]
        for a, b in gaps[:5]:
            topped = [r.index for r in reps if a <= r.top < b or a <= r.bottom < b]
            what = (
                f"{rep_list(topped)} counted across it (its top was not seen), with no fault "
                "judged in it (missing lockout and leaning back need the top)"
                if topped
                else "no fault was judged in it"
            )
            out.append(
                f"lifter out of view from {track.t[a]:.1f} s to {track.t[b - 1]:.1f} s: {what}"
            )
    partial = [r for r in reps if not r.complete]
    for r in partial:
        # A partial pull is one the picture cuts: the video's end or start, or a jump cut.
        if r is reps[-1] and r.end >= n - 2:
            where = "ends during"
        else:
            where = "opens during" if r is reps[0] else "is cut during"
        out.append(
            f"the video {where} rep {r.index}: a partial pull, not counted (judged only on what "
            "was seen)"
        )
    if n < 2:
        out.append("the video is too short to judge")
    expected = track.info.duration_s * track.info.fps
    if n and n < 0.95 * expected - 2:
        out.append(
            f"only {n} of about {expected:.0f} frames could be decoded (a truncated or "
            "damaged file): analysed what was there"
        )
    return out
