"""Live decisions: count reps and decide faults as frames arrive, with the offline stages.

The offline stages run unchanged on a sliding window that ends at the newest frame: the
window's landmarks are smoothed causally (causal.OneEuro) and measured (causal.measure), then
`reps.find_reps` and `rules.judge` run on it with the same Config. Because the smoothing is
causal, the window's past never changes, so a rep found in it stays put as the window moves on.

A rep is decided at the end of each phase. Its bottom is confirmed when hip flexion has fallen
back by the reps' prominence (the test `find_peaks` applies offline): the pull's faults
(rounding, squatting the hinge) are decided then, during the pull. Its top is confirmed when the
next descent starts or the lockout has been held `max_hold_s`: every fault is decided then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from hingecheck.config import Config
from hingecheck.faults import FAULTS
from hingecheck.judge.reps import find_reps
from hingecheck.judge.rules import judge
from hingecheck.judge.view import classify_view
from hingecheck.pose.landmarker import FramePose
from hingecheck.pose.outline import bow
from hingecheck.records import (
    N_LANDMARKS,
    PROFILE_POINTS,
    Fault,
    Rep,
    Signals,
    Track,
    VideoInfo,
    View,
)
from hingecheck.signals.causal import (
    BOW_EURO,
    LANDMARK_EURO,
    LINE_EURO,
    EuroParams,
    OneEuro,
    measure,
)
from hingecheck.signals.kinematics import back_line_lean

# Decided during the pull; the others wait for the top (or its absence).
PULL_FAULTS = tuple(k.key for k in FAULTS if k.decided == "pull")


@dataclass
class LiveFault:
    """A fault as decided live: the offline Fault plus when (stream time) it was decided."""

    fault: Fault
    decided_s: float


@dataclass
class LiveState:
    """What the newest frame shows: the smoothed pose, its angles and the decisions so far."""

    t: float
    points: np.ndarray  # (33, 2) smoothed normalised x, y; NaN where not seen
    present: bool
    hip_angle: float
    knee_angle: float
    side: str
    reps: int
    new_faults: list[LiveFault] = field(default_factory=list)


class _Window:
    """The last `window_s` seconds of smoothed per-frame data in preallocated arrays."""

    def __init__(self, window_s: float, capacity: int = 4096) -> None:
        self.window_s = window_s
        self.t = np.zeros(capacity)
        self.lm = np.full((capacity, N_LANDMARKS, 3), np.nan, np.float32)
        self.vis = np.zeros((capacity, N_LANDMARKS), np.float32)
        self.profile = np.full((capacity, PROFILE_POINTS), np.nan, np.float32)
        self.present = np.zeros(capacity, bool)
        self.people = np.zeros(capacity, np.int16)
        self.outline = np.full((capacity, 2), np.nan)  # smoothed bow, back line lean
        self.start = 0
        self.n = 0

    def append(self, t: float, lm: np.ndarray, pose: FramePose, outline: np.ndarray) -> None:
        if self.n == len(self.t):  # full: move the live part to the front (amortised O(1))
            keep = slice(self.start, self.n)
            for arr in (
                self.t,
                self.lm,
                self.vis,
                self.profile,
                self.present,
                self.people,
                self.outline,
            ):
                arr[: self.n - self.start] = arr[keep]
            self.n -= self.start
            self.start = 0
        i = self.n
        self.t[i], self.lm[i], self.vis[i] = t, lm, pose.visibility
        self.profile[i], self.present[i], self.people[i] = pose.profile, pose.present, pose.people
        self.outline[i] = outline
        self.n += 1
        self.start += int(np.searchsorted(self.t[self.start : self.n], t - self.window_s))

    def track(self, info: VideoInfo) -> Track:
        """The window as a Track (views, no copies); world coordinates are not kept live."""
        s = slice(self.start, self.n)
        n = self.n - self.start
        return Track(
            t=self.t[s],
            landmarks=self.lm[s],
            visibility=self.vis[s],
            world=np.broadcast_to(np.float32(np.nan), (n, N_LANDMARKS, 3)),
            present=self.present[s],
            back_profile=self.profile[s],
            people=self.people[s],
            # A camera's frames are one take: no jump cut can happen live.
            cut=np.zeros(n, bool),
            info=info,
        )

    def readings(self) -> tuple[np.ndarray, np.ndarray]:
        """The smoothed outline readings of each frame in the window: bow, back line lean."""
        part = self.outline[self.start : self.n]
        return part[:, 0], part[:, 1]


class CausalJudge:
    """Feed it each processed frame's pose; it smooths, counts reps and decides faults causally.

    Same thresholds (Config) and the same stage functions as the offline analysis.
    """

    def __init__(
        self,
        config: Config,
        info: VideoInfo,
        window_s: float = 15.0,
        landmark_euro: EuroParams = LANDMARK_EURO,
        bow_euro: EuroParams = BOW_EURO,
    ) -> None:
        self.config = config
        self.info = info
        gap = config.signals.max_gap_s
        self._lm_filter = OneEuro(landmark_euro, gap)
        self._bow_filter = OneEuro(bow_euro, gap)
        self._line_filter = OneEuro(LINE_EURO, gap)
        self._win = _Window(window_s)
        self._bottoms: list[float] = []  # every rep's bottom time, in order: index = rep - 1
        self._stage: dict[int, int] = {}  # rep -> 1 pull decided, 2 fully decided
        self._announced: set[tuple[int, str]] = set()
        self._t_first: float | None = None
        self.faults: list[LiveFault] = []

    @property
    def reps(self) -> int:
        """Reps counted so far (a rep counts once its bottom is confirmed)."""
        return len(self._bottoms)

    def rep_times(self) -> list[float]:
        """Each counted rep's bottom time (s), in order."""
        return list(self._bottoms)

    def update(self, t: float, pose: FramePose) -> LiveState:
        """Take one frame's pose (time t, s); return the frame's state and any new faults."""
        if self._t_first is None:
            self._t_first = t
        lm = np.asarray(pose.landmarks, np.float64).copy()
        seen = pose.present & (pose.visibility >= self.config.signals.min_visibility)
        lm[~seen] = np.nan
        smooth = self._lm_filter(t, lm[:, :2])
        lm3 = np.concatenate([smooth, lm[:, 2:]], axis=1)
        self._win.append(t, lm3, pose, self._outline(t, pose))
        track = self._win.track(self.info)
        signals = measure(track, *self._win.readings(), self.config.signals)
        new = self._decide(track, signals, final=False)
        return LiveState(
            t=t,
            points=smooth,
            present=bool(pose.present),
            hip_angle=float(signals.hip_angle[-1]),
            knee_angle=float(signals.knee_angle[-1]),
            side=signals.side,
            reps=self.reps,
            new_faults=new,
        )

    def finish(self) -> list[LiveFault]:
        """At the end of the session: decide the reps still open, with what was seen."""
        if self._win.n - self._win.start < 3:
            return []
        track = self._win.track(self.info)
        signals = measure(track, *self._win.readings(), self.config.signals)
        return self._decide(track, signals, final=True)

    def _outline(self, t: float, pose: FramePose) -> np.ndarray:
        """This frame's outline readings (bow, back line lean), causally smoothed."""
        cfg = self.config.signals
        raw = np.full(2, np.nan)
        if pose.present:
            raw[0] = bow(pose.profile[None], cfg.bow_t0, cfg.bow_t1)[0]
            size = (self.info.width, self.info.height)
            # The outline was traced along the model's own landmarks, not the smoothed ones.
            raw[1] = back_line_lean(
                pose.landmarks[None], pose.visibility[None], pose.profile[None], size, cfg
            )[0]
        return np.array([self._bow_filter(t, raw[:1])[0], self._line_filter(t, raw[1:])[0]])

    def _rep_number(self, bottom_s: float, window_t0: float) -> int | None:
        """The session-wide number of the rep with this bottom; a new one counts a rep.

        None for what can't be a new rep: one before the last counted (reps are confirmed in
        order), or one at the start of a window that has dropped its past, where the peak
        finder sees only half a rep.
        """
        tol = 0.5 * self.config.reps.min_rep_s
        for i, b in enumerate(self._bottoms):
            if abs(b - bottom_s) <= tol:
                return i + 1
        cut = self._t_first is not None and window_t0 > self._t_first
        if (self._bottoms and bottom_s < self._bottoms[-1]) or (
            cut and bottom_s < window_t0 + 2.0 * self.config.reps.min_rep_s
        ):
            return None
        self._bottoms.append(bottom_s)
        return len(self._bottoms)

    def _decide(self, track: Track, signals: Signals, final: bool) -> list[LiveFault]:
        reps = find_reps(signals, self.config.reps)
        if not reps:
            return []
        t = signals.t
        now = float(t[-1])
        last = len(t) - 1
        new: list[LiveFault] = []
        view = None
        done: list[Rep] = []  # the window's reps so far, numbered as in the set
        for rep in reps:
            number = self._rep_number(rep.bottom_s, float(t[0]))
            if number is None:
                continue
            done.append(replace(rep, index=number))
            stage = self._stage.get(number, 0)
            # The top is settled once the rep ends before the newest frame (the next descent
            # began or the hold ran out) and 0.2 s stand after it, as missing_lockout needs.
            top_done = rep.complete and rep.end < last and now - rep.top_s >= 0.2
            if stage == 2 or (stage == 1 and not (top_done or final)):
                continue
            types = None if (top_done or final) else PULL_FAULTS
            view = view or classify_view(track, signals, self.config.view)
            new += self._judge(signals, done, view, types, now)
            self._stage[number] = 2 if types is None else 1
        self.faults += new
        return new

    def _judge(
        self,
        signals: Signals,
        reps: list[Rep],
        view: View,
        types: tuple[str, ...] | None,
        now: float,
    ) -> list[LiveFault]:
        """The offline rules on the window's reps up to the last, which is the one decided:
        the reps before it are its set so far, as rules that look across a set need (a lifter
        who has rounded clearly is held to the release level on their other reps). Each
        (rep, type) is announced once."""
        out = []
        number = reps[-1].index  # numbered as in the set, not from the window's start
        for f in judge(signals, reps, view, self.config.rules):
            key = (number, f.type)
            if (
                f.rep == number
                and (types is None or f.type in types)
                and key not in self._announced
            ):
                self._announced.add(key)
                out.append(LiveFault(f, now))
        return out
