"""Durable local outbox: every reading is committed here before its source is acknowledged.

SQLite in WAL mode with `synchronous=FULL`, so a commit survives `kill -9` and power loss.
Each sink drains the outbox with its own cursor (the id of the last row it delivered);
rows every sink has passed are deleted. Row ids come from AUTOINCREMENT and are never
reused, so a cursor can never skip a row.

At the bound (`max_rows`) the oldest routine reading (one that cannot raise an alert:
a PASS self-test, a READY heartbeat, a closed-door status, an identity) is dropped to make
room and counted in `dropped`. Readings that may raise an alert are never dropped; if
nothing routine is left they are kept beyond the bound and counted in `over_bound`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aedmon.reading import Reading

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    may_alert INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_routine ON outbox (may_alert, id);
CREATE TABLE IF NOT EXISTS cursor (
    sink TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    id: int
    reading: Reading


class Outbox:
    def __init__(
        self, path: str | Path, *, sinks: Iterable[str], max_rows: int = 500_000, bridge: str | None = None
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_rows = max_rows
        self.sinks = tuple(sinks)
        self.bridge = bridge  # stamped on every reading, so the server knows which bridge hears it
        self.dropped = 0
        self.over_bound = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for sink in self.sinks:
            self._db.execute(
                "INSERT OR IGNORE INTO cursor (sink, position) "
                "VALUES (?, (SELECT COALESCE(MIN(id) - 1, (SELECT seq FROM sqlite_sequence "
                "WHERE name = 'outbox'), 0) FROM outbox))",
                (sink,),
            )
        self._rows = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def append(self, reading: Reading) -> bool:
        """Commit one reading durably; False when its key is already waiting here."""
        if self.bridge is not None and reading.bridge is None:
            reading = reading.model_copy(update={"bridge": self.bridge})
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._rows >= self.max_rows:
                    self._make_room()
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (key, may_alert, body) VALUES (?, ?, ?)",
                    (reading.key, int(reading.may_alert), reading.model_dump_json()),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            added = cur.rowcount == 1
            if added:
                self._rows += 1
                self._changed.notify_all()
            return added

    def _make_room(self) -> None:
        row = self._db.execute("SELECT id FROM outbox WHERE may_alert = 0 ORDER BY id LIMIT 1").fetchone()
        if row is None:
            self.over_bound += 1
            return
        self._db.execute("DELETE FROM outbox WHERE id = ?", (row[0],))
        self._rows -= 1
        self.dropped += 1

    def batch(self, sink: str, limit: int) -> list[Entry]:
        """The next rows this sink has not delivered, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, body FROM outbox WHERE id > "
                "(SELECT position FROM cursor WHERE sink = ?) ORDER BY id LIMIT ?",
                (sink, limit),
            ).fetchall()
        return [Entry(row_id, Reading.model_validate_json(body)) for row_id, body in rows]

    def advance(self, sink: str, position: int) -> None:
        """Record that `sink` has delivered every row up to `position`; prune what all passed."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "UPDATE cursor SET position = MAX(position, ?) WHERE sink = ?", (position, sink)
                )
                placeholders = ",".join("?" * len(self.sinks))
                cur = self._db.execute(
                    "DELETE FROM outbox WHERE id <= (SELECT MIN(position) FROM cursor "
                    f"WHERE sink IN ({placeholders}))",
                    self.sinks,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._rows -= max(cur.rowcount, 0)

    def depth(self, sink: str) -> int:
        """How many rows wait for this sink: its lag."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE id > (SELECT position FROM cursor WHERE sink = ?)",
                (sink,),
            ).fetchone()
        return int(row[0])

    @property
    def rows(self) -> int:
        return int(self._rows)

    def wait(self, timeout: float) -> None:
        """Block until something is appended or the timeout passes."""
        with self._changed:
            self._changed.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self._db.close()
