"""The server's tables for "tune to my verdicts" and rep corrections (beside store.py's): the
overlay versions and which one judges new sets, the re-judges of past sets, the verdicts on calls
a re-judge took away, and the trainer's corrections of a set's rep count."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from hingecheck.serve.store import Store

REP_MARKS = ("not_a_rep", "missed", "count_ok")


@dataclass(frozen=True)
class Overlay:
    """One version of the thresholds fitted to the trainer's verdicts."""

    id: int
    created: float
    toml: str  # as `hingecheck calibrate -o` writes it: every value says how it was chosen
    fits_json: str  # per fault: judge.calibrate.FaultFit as a dict
    sets: int
    clients: int
    tuned: str  # the faults it moves, comma-separated ("": nothing could be moved)

    @property
    def fits(self) -> list[dict[str, Any]]:
        return list(json.loads(self.fits_json))

    @property
    def tuned_faults(self) -> list[str]:
        return [f for f in self.tuned.split(",") if f]


@dataclass(frozen=True)
class Change:
    """The trainer switched new sets to a version (None: back to the defaults)."""

    overlay_id: int | None
    at: float


@dataclass(frozen=True)
class DroppedVerdict:
    """A verdict on a call that a re-judge took away (kept with the call's type, rep and time)."""

    id: int
    set_id: int
    type: str
    rep: int
    peak_s: float
    verdict: str


@dataclass(frozen=True)
class RepMark:
    """On the count: rep `rep` isn't one, a rep was missed at `time_s`, or the count is right."""

    id: int
    set_id: int
    kind: str
    rep: int | None
    time_s: float | None


@dataclass(frozen=True)
class Rejudge:
    """One re-judge of past sets: per set whose calls changed, the calls before and after."""

    id: int
    at: float
    overlay_id: int | None
    changes: list[dict[str, Any]]


class TuningStore:
    """Reads and writes of the tuning and rep-correction tables, in the store's SQLite file."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- overlay versions ----------------------------------------------------------------
    def add_overlay(
        self, toml: str, fits: list[dict[str, Any]], sets: int, clients: int, tuned: list[str]
    ) -> Overlay:
        with self.store.connect() as db:
            cur = db.execute(
                "INSERT INTO overlays (created, toml, fits_json, sets, clients, tuned) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), toml, json.dumps(fits), sets, clients, ",".join(tuned)),
            )
            row = db.execute("SELECT * FROM overlays WHERE id = ?", (cur.lastrowid,)).fetchone()
        return Overlay(**dict(row))

    def overlay(self, overlay_id: int) -> Overlay | None:
        with self.store.connect() as db:
            row = db.execute("SELECT * FROM overlays WHERE id = ?", (overlay_id,)).fetchone()
        return Overlay(**dict(row)) if row else None

    def overlays(self) -> list[Overlay]:
        """Every version, newest first."""
        with self.store.connect() as db:
            rows = db.execute("SELECT * FROM overlays ORDER BY id DESC").fetchall()
        return [Overlay(**dict(r)) for r in rows]

    def use(self, overlay_id: int | None) -> None:
        """New sets are judged with this version from now on (None: the defaults)."""
        with self.store.connect() as db:
            db.execute(
                "INSERT INTO overlay_changes (overlay_id, at) VALUES (?, ?)",
                (overlay_id, time.time()),
            )

    def changes(self) -> list[Change]:
        """Every switch, newest first."""
        with self.store.connect() as db:
            rows = db.execute(
                "SELECT overlay_id, at FROM overlay_changes ORDER BY id DESC"
            ).fetchall()
        return [Change(r["overlay_id"], r["at"]) for r in rows]

    def active(self) -> Overlay | None:
        """The version new sets are judged with (None: the defaults)."""
        changes = self.changes()
        return self.overlay(changes[0].overlay_id) if changes and changes[0].overlay_id else None

    def judged_with(self, set_id: int, overlay_id: int | None) -> None:
        """Record which version judged the set (its report holds the config's hash)."""
        with self.store.connect() as db:
            db.execute("UPDATE sets SET overlay_id = ? WHERE id = ?", (overlay_id, set_id))

    # -- re-judges -----------------------------------------------------------------------
    def add_rejudge(self, overlay_id: int | None, changes: list[dict[str, Any]]) -> None:
        with self.store.connect() as db:
            db.execute(
                "INSERT INTO rejudges (at, overlay_id, changes_json) VALUES (?, ?, ?)",
                (time.time(), overlay_id, json.dumps(changes)),
            )

    def last_rejudge(self) -> Rejudge | None:
        with self.store.connect() as db:
            row = db.execute("SELECT * FROM rejudges ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return Rejudge(row["id"], row["at"], row["overlay_id"], json.loads(row["changes_json"]))

    def rejudged(
        self,
        set_id: int,
        *,
        verdicts: dict[int, str],
        dropped: list[tuple[str, int, float, str]],
        reps: int,
        faults: dict[str, int],
        overlay_id: int | None,
    ) -> None:
        """A set judged again: its verdicts moved to the new calls' indices, those on calls no
        longer made kept as dropped (type, rep, peak_s, verdict), the row's counts updated."""
        now = time.time()
        with self.store.connect() as db:
            db.execute("DELETE FROM verdicts WHERE set_id = ?", (set_id,))
            db.execute("DELETE FROM dropped_verdicts WHERE set_id = ?", (set_id,))
            db.executemany(
                "INSERT INTO verdicts (set_id, fault_index, verdict, at) VALUES (?, ?, ?, ?)",
                [(set_id, i, v, now) for i, v in verdicts.items()],
            )
            db.executemany(
                "INSERT INTO dropped_verdicts (set_id, type, rep, peak_s, verdict, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(set_id, t, rep, peak, v, now) for t, rep, peak, v in dropped],
            )
            db.execute(
                "UPDATE sets SET reps = ?, faults_json = ?, overlay_id = ? WHERE id = ?",
                (reps, json.dumps(faults), overlay_id, set_id),
            )

    def dropped(self, set_id: int) -> list[DroppedVerdict]:
        with self.store.connect() as db:
            rows = db.execute(
                "SELECT id, set_id, type, rep, peak_s, verdict FROM dropped_verdicts "
                "WHERE set_id = ? ORDER BY peak_s",
                (set_id,),
            ).fetchall()
        return [DroppedVerdict(**dict(r)) for r in rows]

    # -- rep corrections -----------------------------------------------------------------
    def add_rep_mark(
        self, set_id: int, kind: str, rep: int | None = None, time_s: float | None = None
    ) -> None:
        """A correction of the count; a rep marked twice as not one is marked once."""
        with self.store.connect() as db:
            if (
                kind == "not_a_rep"
                and db.execute(
                    "SELECT 1 FROM rep_marks WHERE set_id = ? AND kind = ? AND rep = ?",
                    (set_id, kind, rep),
                ).fetchone()
            ):
                return
            db.execute(
                "INSERT INTO rep_marks (set_id, kind, rep, time_s, at) VALUES (?, ?, ?, ?, ?)",
                (set_id, kind, rep, time_s, time.time()),
            )
            db.execute("UPDATE sets SET reviewed = ? WHERE id = ?", (time.time(), set_id))

    def remove_rep_mark(self, set_id: int, mark_id: int) -> None:
        with self.store.connect() as db:
            db.execute("DELETE FROM rep_marks WHERE id = ? AND set_id = ?", (mark_id, set_id))

    def rep_marks(self, set_id: int) -> list[RepMark]:
        with self.store.connect() as db:
            rows = db.execute(
                "SELECT id, set_id, kind, rep, time_s FROM rep_marks WHERE set_id = ? "
                "ORDER BY COALESCE(time_s, 0), rep",
                (set_id,),
            ).fetchall()
        return [RepMark(**dict(r)) for r in rows]
