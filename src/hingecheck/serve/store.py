"""The server's store: one SQLite file in the data folder (trainer, clients, sets, verdicts).

Each call opens its own connection (WAL mode), so request handlers and the queue's threads never
share one. Times are Unix seconds (REAL).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

STATES = ("queued", "running", "done", "failed")
VERDICTS = ("agree", "disagree")

# The tables, created at every start if missing (kept as SQL beside this module).
_SCHEMA = resources.files("hingecheck.serve").joinpath("schema.sql").read_text("utf-8")


@dataclass(frozen=True)
class Client:
    """A lifter the trainer coaches; `token` is the secret in their private link."""

    id: int
    name: str
    token: str
    created: float


@dataclass(frozen=True)
class SetRow:
    """One uploaded set and where its analysis stands."""

    id: int
    public_id: str
    client_id: int
    stored_name: str
    original_name: str
    size_bytes: int
    video_s: float
    exercise: str | None
    note: str
    state: str
    uploaded: float
    started: float | None
    finished: float | None
    attempts: int
    status: str
    reason: str
    reps: int | None
    faults_json: str | None
    seconds: float | None
    seen: float | None
    reviewed: float | None
    reply: str
    reply_at: float | None
    overlay_id: int | None = None  # the tuned version it was judged with (None: defaults)

    @property
    def stem(self) -> str:
        """The generated name every output of the set is written under."""
        return Path(self.stored_name).stem

    @property
    def fault_counts(self) -> dict[str, int]:
        """Faults per type, as the analysis found them (empty until done)."""
        return dict(json.loads(self.faults_json)) if self.faults_json else {}

    @property
    def fault_total(self) -> int:
        return sum(self.fault_counts.values())


@dataclass(frozen=True)
class Missed:
    """A fault the trainer saw that the checker did not report."""

    id: int
    set_id: int
    type: str
    time_s: float


@dataclass
class Review:
    """The trainer's verdicts on one set: per reported fault, and the missed ones."""

    verdicts: dict[int, str] = field(default_factory=dict)
    missed: list[Missed] = field(default_factory=list)


class Store:
    """All reads and writes of the server's SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self._db() as db:
            db.executescript(_SCHEMA)
            if "overlay_id" not in {r[1] for r in db.execute("PRAGMA table_info(sets)")}:
                db.execute("ALTER TABLE sets ADD COLUMN overlay_id INTEGER")  # an older file

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    connect = _db  # one transaction, for the tables of tuning_store.py

    # -- the trainer ---------------------------------------------------------------------
    def password_hash(self) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT password_hash FROM trainer WHERE id = 1").fetchone()
        return row["password_hash"] if row else None

    def set_password_hash(self, value: str, *, first: bool = False) -> bool:
        """Store the hash; with `first`, only if none is set yet (False if one was)."""
        with self._db() as db:
            if first:
                cur = db.execute(
                    "INSERT OR IGNORE INTO trainer (id, password_hash, created) VALUES (1, ?, ?)",
                    (value, time.time()),
                )
                return cur.rowcount == 1
            db.execute(
                "UPDATE trainer SET password_hash = ?, session_epoch = session_epoch + 1 "
                "WHERE id = 1",
                (value,),
            )
        return True

    def session_epoch(self) -> int:
        with self._db() as db:
            row = db.execute("SELECT session_epoch FROM trainer WHERE id = 1").fetchone()
        return int(row["session_epoch"]) if row else 0

    def end_sessions(self) -> None:
        """Invalidate every trainer session (logout ends them everywhere)."""
        with self._db() as db:
            db.execute("UPDATE trainer SET session_epoch = session_epoch + 1 WHERE id = 1")

    def record_login_failure(self, ip: str) -> None:
        with self._db() as db:
            db.execute("INSERT INTO login_failures (ip, at) VALUES (?, ?)", (ip, time.time()))
            db.execute("DELETE FROM login_failures WHERE at < ?", (time.time() - 86400,))

    def login_failures(self, since: float, ip: str | None = None) -> tuple[int, float]:
        """Failures since `since` (from `ip`, an address or a `device:` key; or from every
        address, the trainer's devices left out) and the oldest one's time."""
        q = "SELECT COUNT(*) AS n, MIN(at) AS first FROM login_failures WHERE at >= ?"
        args: tuple[Any, ...] = (since,)
        if ip is not None:
            q, args = q + " AND ip = ?", (since, ip)
        else:
            q += " AND ip NOT LIKE 'device:%'"
        with self._db() as db:
            row = db.execute(q, args).fetchone()
        return int(row["n"]), float(row["first"] or since)

    def clear_login_failures(self, ip: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM login_failures WHERE ip = ?", (ip,))

    # -- clients -------------------------------------------------------------------------
    def add_client(self, name: str) -> Client:
        token = secrets.token_urlsafe(24)  # 192 bits: the link is the lifter's only key
        now = time.time()
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO clients (name, token, created) VALUES (?, ?, ?)", (name, token, now)
            )
        return Client(int(cur.lastrowid or 0), name, token, now)

    def new_token(self, client_id: int) -> None:
        """A fresh private link; the old one stops working at once."""
        with self._db() as db:
            db.execute(
                "UPDATE clients SET token = ? WHERE id = ?",
                (secrets.token_urlsafe(24), client_id),
            )

    def clients(self) -> list[Client]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM clients ORDER BY name COLLATE NOCASE").fetchall()
        return [Client(**dict(r)) for r in rows]

    def client(self, client_id: int) -> Client | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM clients WHERE id = ?", (client_id,)).fetchone()
        return Client(**dict(row)) if row else None

    def client_by_token(self, token: str) -> Client | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM clients WHERE token = ?", (token,)).fetchone()
        # The lookup is by index; compare again in constant time to be safe from timing.
        if row and secrets.compare_digest(row["token"], token):
            return Client(**dict(row))
        return None

    # -- sets ----------------------------------------------------------------------------
    def add_set(
        self,
        public_id: str,
        client_id: int,
        stored_name: str,
        original_name: str,
        size_bytes: int,
        video_s: float,
        exercise: str | None,
        note: str,
    ) -> SetRow:
        """Queue an uploaded set (its file is already stored under `stored_name`)."""
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO sets (public_id, client_id, stored_name, original_name, size_bytes, "
                "video_s, exercise, note, state, uploaded) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                (public_id, client_id, stored_name, original_name, size_bytes, video_s,
                 exercise, note, time.time()),
            )  # fmt: skip
            row = db.execute("SELECT * FROM sets WHERE id = ?", (cur.lastrowid,)).fetchone()
        return SetRow(**dict(row))

    def get_set(self, public_id: str, client_id: int | None = None) -> SetRow | None:
        """The set by its public id; with `client_id`, only if it belongs to that client."""
        q = "SELECT * FROM sets WHERE public_id = ?"
        args: list[Any] = [public_id]
        if client_id is not None:
            q += " AND client_id = ?"
            args.append(client_id)
        with self._db() as db:
            row = db.execute(q, args).fetchone()
        return SetRow(**dict(row)) if row else None

    def sets(
        self, client_id: int | None = None, state: str | None = None, limit: int = 500
    ) -> list[SetRow]:
        """Sets, newest first, optionally of one client or in one state."""
        q = "SELECT * FROM sets WHERE 1 = 1"
        args: list[Any] = []
        if client_id is not None:
            q += " AND client_id = ?"
            args.append(client_id)
        if state is not None:
            q += " AND state = ?"
            args.append(state)
        q += " ORDER BY uploaded DESC, id DESC LIMIT ?"
        with self._db() as db:
            rows = db.execute(q, [*args, limit]).fetchall()
        return [SetRow(**dict(r)) for r in rows]

    def queue_position(self, row: SetRow) -> int:
        """How many queued sets go before this one (0: next)."""
        with self._db() as db:
            r = db.execute(
                "SELECT COUNT(*) AS n FROM sets WHERE state = 'queued' AND id < ?", (row.id,)
            ).fetchone()
        return int(r["n"])

    def requeue_running(self) -> int:
        """Sets left running by a server that stopped or was killed go back in the queue."""
        with self._db() as db:
            cur = db.execute(
                "UPDATE sets SET state = 'queued', started = NULL WHERE state = 'running'"
            )
        return cur.rowcount

    def claim_next(self) -> SetRow | None:
        """The oldest queued set, marked running (atomically)."""
        with self._db() as db:
            row = db.execute(
                "SELECT id FROM sets WHERE state = 'queued' ORDER BY id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE sets SET state = 'running', started = ?, attempts = attempts + 1 "
                "WHERE id = ? AND state = 'queued'",
                (time.time(), row["id"]),
            )
            got = db.execute("SELECT * FROM sets WHERE id = ?", (row["id"],)).fetchone()
        return SetRow(**dict(got))

    def finish(
        self,
        set_id: int,
        *,
        ok: bool,
        status: str,
        reason: str,
        reps: int,
        faults: dict[str, int],
        seconds: float,
    ) -> None:
        """Record an analysis' outcome: done (analysed or not judged) or failed with why."""
        with self._db() as db:
            db.execute(
                "UPDATE sets SET state = ?, status = ?, reason = ?, reps = ?, faults_json = ?, "
                "seconds = ?, finished = ? WHERE id = ?",
                ("done" if ok else "failed", status, reason, reps, json.dumps(faults),
                 seconds, time.time(), set_id),
            )  # fmt: skip

    def retry(self, set_id: int) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE sets SET state = 'queued', reason = '', started = NULL, finished = NULL "
                "WHERE id = ? AND state = 'failed'",
                (set_id,),
            )

    def speed(self) -> float | None:
        """Recent analysis seconds per second of video (median of the last ten), or None."""
        with self._db() as db:
            rows = db.execute(
                "SELECT seconds / video_s AS r FROM sets WHERE state = 'done' AND seconds > 0 "
                "AND video_s > 0 ORDER BY finished DESC LIMIT 10"
            ).fetchall()
        rates = sorted(float(r["r"]) for r in rows)
        return rates[len(rates) // 2] if rates else None

    # -- the trainer's review ------------------------------------------------------------
    def mark_seen(self, set_id: int) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE sets SET seen = ? WHERE id = ? AND seen IS NULL", (time.time(), set_id)
            )

    def set_reply(self, set_id: int, text: str) -> None:
        """The note to the lifter; sending it marks the set reviewed."""
        now = time.time()
        with self._db() as db:
            db.execute(
                "UPDATE sets SET reply = ?, reply_at = ?, reviewed = ? WHERE id = ?",
                (text, now, now, set_id),
            )

    def set_verdict(self, set_id: int, fault_index: int, verdict: str | None) -> None:
        """Agree / disagree with one reported fault (None withdraws the verdict)."""
        with self._db() as db:
            if verdict is None:
                db.execute(
                    "DELETE FROM verdicts WHERE set_id = ? AND fault_index = ?",
                    (set_id, fault_index),
                )
                return
            db.execute(
                "INSERT INTO verdicts (set_id, fault_index, verdict, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (set_id, fault_index) DO UPDATE SET verdict = excluded.verdict, "
                "at = excluded.at",
                (set_id, fault_index, verdict, time.time()),
            )
            db.execute("UPDATE sets SET reviewed = ? WHERE id = ?", (time.time(), set_id))

    def add_missed(self, set_id: int, fault_type: str, time_s: float) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO missed (set_id, type, time_s, at) VALUES (?, ?, ?, ?)",
                (set_id, fault_type, time_s, time.time()),
            )
            db.execute("UPDATE sets SET reviewed = ? WHERE id = ?", (time.time(), set_id))

    def remove_missed(self, set_id: int, missed_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM missed WHERE id = ? AND set_id = ?", (missed_id, set_id))

    def review(self, set_id: int) -> Review:
        with self._db() as db:
            v = db.execute(
                "SELECT fault_index, verdict FROM verdicts WHERE set_id = ?", (set_id,)
            ).fetchall()
            m = db.execute(
                "SELECT id, set_id, type, time_s FROM missed WHERE set_id = ? ORDER BY time_s",
                (set_id,),
            ).fetchall()
        return Review(
            {int(r["fault_index"]): r["verdict"] for r in v}, [Missed(**dict(r)) for r in m]
        )

    def reviewed_sets(self) -> list[SetRow]:
        """Every analysed set the trainer has given a verdict, a missed fault or a reply on."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM sets WHERE state = 'done' AND reviewed IS NOT NULL ORDER BY id"
            ).fetchall()
        return [SetRow(**dict(r)) for r in rows]
