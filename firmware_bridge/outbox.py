"""Durable local outbox: every reading is committed here before its source is acknowledged.

SQLite in WAL mode with `synchronous=FULL`, so a commit survives `kill -9` and power loss.
Each sink drains the outbox with its own cursor (every row up to it delivered) and the rows
it delivered ahead of the cursor; rows every sink has delivered are deleted. Row ids come
from AUTOINCREMENT and are never reused, so a cursor can never skip a row.

Alerting readings first: a batch takes the oldest readings that may raise an alert (up to
half the batch) ahead of the routine backlog, each with the undelivered readings of its own
device before it (so one device's readings still go in its order, as far as the batch has
room), and a few of the oldest routine readings (1/ROUTINE_SHARE of a batch), so that the
batch is small and quick and the backlog still moves under a flood of alerts; with nothing
alerting waiting, a batch is the oldest routine readings. A FAIL behind 40,000 routine
readings goes in the first, small batch, not the fortieth.

At the bound (`max_rows`) the oldest routine reading (one that cannot raise an alert:
a PASS self-test, a READY heartbeat, a closed-door status, an identity) is dropped to make
room and counted in `dropped`. Readings that may raise an alert are never dropped; if
nothing routine is left they are kept beyond the bound and counted in `over_bound`.

What a sink refuses for good goes to the dead letters, per sink, with the reason: counted,
listed and re-queued by `aedmon bridge dead-letters`.

Failures: a commit that cannot be made (disk full, I/O error, `max_bytes` reached) raises
StorageUnavailable and nothing is acknowledged; the next commit tries again, so the outbox
recovers by itself when space returns. A damaged file (at start or in use) is moved aside,
every row that can still be read is salvaged into a fresh outbox and delivered again to
every sink (delivery is idempotent), and the loss is counted, never a traceback.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from aedmon.clock import Clock, utc_now
from aedmon.errors import StorageUnavailable
from aedmon.reading import Reading

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    may_alert INTEGER NOT NULL,
    body TEXT NOT NULL,
    device_id TEXT
);
CREATE INDEX IF NOT EXISTS outbox_routine ON outbox (may_alert, id);
CREATE TABLE IF NOT EXISTS cursor (
    sink TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ahead (
    sink TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (sink, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sink TEXT NOT NULL,
    key TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
"""
INSERT = "INSERT OR IGNORE INTO outbox (key, may_alert, body, device_id) VALUES (?, ?, ?, ?)"
ROUTINE_SHARE = 20  # a batch with alerting readings carries 1/20 of a batch of routine ones
# The rows a sink has yet to deliver: past its cursor and not delivered ahead of it.
_PENDING = "o.id > ? AND NOT EXISTS (SELECT 1 FROM ahead a WHERE a.sink = ? AND a.id = o.id)"
PAGE_SIZE = 4096
# SQLite's primary result codes that mean the file itself is damaged.
_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
# How many unreadable ids past the highest known one a salvage probes before it gives up.
_PROBE_GAP = 50_000

T = TypeVar("T")


@dataclass(frozen=True)
class Entry:
    id: int
    reading: Reading


@dataclass(frozen=True)
class DeadLetter:
    id: int
    sink: str
    key: str
    reason: str
    at: str
    body: str


def is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _DAMAGED
    return not isinstance(exc, sqlite3.OperationalError)


class Outbox:
    def __init__(
        self,
        path: str | Path,
        *,
        sinks: Iterable[str],
        max_rows: int = 500_000,
        bridge: str | None = None,
        max_bytes: int | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.clock = clock
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.sinks = tuple(sinks)
        self.bridge = bridge  # stamped on every reading, so the server knows which bridge hears it
        self.dropped = 0
        self.over_bound = 0
        self.salvaged = 0  # rows read back from a damaged file
        self.damaged = 0  # times a damaged file was moved aside
        self.storage_errors = 0  # commits that could not be made (disk full, I/O)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._db = self._open_checked()
        self._rows = self._count()

    # opening, checking, salvaging

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            if self.max_bytes is not None:
                db.execute(f"PRAGMA max_page_count={max(self.max_bytes // PAGE_SIZE, 16)}")
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
            if "device_id" not in columns:  # an outbox made by an earlier bridge: once, at its first open
                db.execute("ALTER TABLE outbox ADD COLUMN device_id TEXT")
                db.execute("UPDATE outbox SET device_id = substr(key, 1, instr(key, '|') - 1)")
            db.execute("CREATE INDEX IF NOT EXISTS outbox_device ON outbox (device_id, id)")
            for sink in self.sinks:
                db.execute(
                    "INSERT OR IGNORE INTO cursor (sink, position) "
                    "VALUES (?, (SELECT COALESCE(MIN(id) - 1, (SELECT seq FROM sqlite_sequence "
                    "WHERE name = 'outbox'), 0) FROM outbox))",
                    (sink,),
                )
        except BaseException:
            db.close()
            raise
        return db

    def _open_checked(self) -> sqlite3.Connection:
        """Open the outbox; a damaged one is moved aside and salvaged into a fresh file."""
        try:
            db = self._connect()
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict == "ok":
                return db
            db.close()
            problem = f"quick_check: {str(verdict)[:200]}"
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise StorageUnavailable(f"outbox {self.path} cannot be opened: {exc}") from exc
            problem = str(exc)
        return self._replace_damaged(problem)

    def _replace_damaged(self, problem: str) -> sqlite3.Connection:
        stamp = self.clock().strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.rename(Path(f"{aside}{suffix}"))
        bodies, letters = salvage(aside)
        db = self._connect()
        kept = 0
        db.execute("BEGIN IMMEDIATE")
        for body in bodies:
            try:
                reading = Reading.model_validate_json(body)
            except ValidationError:
                continue
            cur = db.execute(INSERT, (reading.key, int(reading.may_alert), body, reading.device_id))
            kept += cur.rowcount
        db.executemany(
            "INSERT INTO dead_letter (sink, key, reason, at, body) VALUES (?, ?, ?, ?, ?)",
            [(d.sink, d.key, d.reason, d.at, d.body) for d in letters],
        )
        # every sink delivers every salvaged row again: a repeat is harmless, a gap is not
        db.execute("UPDATE cursor SET position = 0")
        db.execute("DELETE FROM ahead")
        db.execute("COMMIT")
        self.damaged += 1
        self.salvaged += kept
        log.error(
            "outbox was damaged: moved aside, readable rows salvaged into a fresh one",
            extra={"outbox": str(self.path), "moved_to": str(aside), "problem": problem, "salvaged": kept},
        )
        return db

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def _guarded(self, action: Callable[[], T], *, writing: bool) -> T:
        """Run `action` under the lock; storage failures become StorageUnavailable, and a
        damaged file is replaced by its salvage and the action tried once more."""
        for attempt in (1, 2):
            try:
                if writing:
                    self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = action()
                    if writing:
                        self._db.execute("COMMIT")
                    return result
                finally:
                    if self._db.in_transaction:  # a failed COMMIT may already have rolled back
                        self._db.execute("ROLLBACK")
            except sqlite3.DatabaseError as exc:
                if is_damage(exc) and attempt == 1:
                    self._db.close()
                    self._db = self._replace_damaged(str(exc))
                    self._rows = self._count()
                    continue
                self.storage_errors += 1
                raise StorageUnavailable(f"outbox: {exc}") from exc
        raise AssertionError("unreachable")

    # the queue

    def append(self, reading: Reading) -> bool:
        """Commit one reading durably; False when its key is already waiting here.
        Raises StorageUnavailable when it cannot be committed: then acknowledge nothing."""
        return self.append_many([reading])[0]

    def append_many(self, readings: list[Reading]) -> list[bool]:
        """Commit these readings durably in one transaction (one sync to disk for all: a group
        commit); for each, False when its key is already waiting here. Raises
        StorageUnavailable when they cannot be committed: then acknowledge none of them."""
        if self.bridge is not None:
            readings = [r if r.bridge else r.model_copy(update={"bridge": self.bridge}) for r in readings]
        rows = [
            (reading.key, int(reading.may_alert), reading.model_dump_json(), reading.device_id)
            for reading in readings
        ]

        def insert() -> list[bool]:
            added = []
            for row in rows:
                if self._rows >= self.max_rows:
                    self._make_room()
                cur = self._db.execute(INSERT, row)
                added.append(cur.rowcount == 1)
                self._rows += cur.rowcount
            return added

        with self._lock:
            counts = self._rows, self.dropped, self.over_bound
            try:
                added = self._guarded(insert, writing=True)
            except StorageUnavailable:
                self._rows, self.dropped, self.over_bound = counts  # rolled back with the rest
                raise
            if any(added):
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
        """The next rows this sink has not delivered, in id order: alerting readings first, each
        with its device's undelivered readings before it, then the oldest of the rest (see the
        module's docstring). A row that no longer reads as a Reading can be delivered to no
        sink: it leaves the queue as a dead letter of every sink at once."""

        def select() -> list[tuple[int, str, str]]:
            position = self._position(sink)
            pending = (position, sink)
            chosen: dict[int, tuple[int, str, str]] = {}
            urgent = self._db.execute(
                f"SELECT o.id, o.device_id FROM outbox o WHERE o.may_alert = 1 AND {_PENDING} "
                "ORDER BY o.id LIMIT ?",
                (*pending, max(limit // 2, 1)),
            ).fetchall()
            upto: dict[str | None, int] = {}
            for row_id, device_id in urgent:
                upto[device_id] = max(row_id, upto.get(device_id, 0))
            budget = limit - len(urgent)
            for device_id, last in sorted(upto.items(), key=lambda item: item[1]):
                if device_id is not None and budget > 0:  # its own earlier readings, oldest first
                    for row in self._db.execute(
                        f"SELECT o.id, o.key, o.body FROM outbox o WHERE o.device_id = ? AND o.id < ? "
                        f"AND {_PENDING} ORDER BY o.id LIMIT ?",
                        (device_id, last, *pending, budget),
                    ):
                        if row[0] not in chosen:
                            chosen[row[0]] = row
                            budget -= 1
            ids = [row_id for row_id, _ in urgent]
            for row in self._db.execute(
                f"SELECT o.id, o.key, o.body FROM outbox o WHERE o.id IN ({','.join('?' * len(ids))})", ids
            ):
                chosen[row[0]] = row
            # The rest from the oldest, so the backlog always moves: a whole batch of them when
            # nothing alerting waits, else a few, so the alerting ones go in a small, quick batch.
            fill = min(limit, len(chosen) + max(limit // ROUTINE_SHARE, 1)) if chosen else limit
            if len(chosen) < fill:
                for row in self._db.execute(
                    f"SELECT o.id, o.key, o.body FROM outbox o WHERE {_PENDING} ORDER BY o.id LIMIT ?",
                    (*pending, fill),
                ):
                    if len(chosen) >= fill:
                        break
                    chosen.setdefault(row[0], row)
            return [chosen[row_id] for row_id in sorted(chosen)]

        with self._lock:
            rows = self._guarded(select, writing=False)
        entries: list[Entry] = []
        for row_id, key, body in rows:
            try:
                entries.append(Entry(row_id, Reading.model_validate_json(body)))
            except ValidationError as exc:
                # Written by an older bridge with looser bounds: it cannot be delivered as it is.
                self._bury(row_id, key, body, f"unreadable: {exc.errors()[0]['msg']}")
        return entries

    def _position(self, sink: str) -> int:
        row = self._db.execute("SELECT position FROM cursor WHERE sink = ?", (sink,)).fetchone()
        return int(row[0]) if row is not None else 0

    def _bury(self, row_id: int, key: str, body: str, reason: str) -> None:
        def move() -> None:
            for sink in self.sinks:
                self._insert_dead(sink, [(key, body, reason)])
            self._db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

        with self._lock:
            self._guarded(move, writing=True)
            self._rows -= 1

    def _insert_dead(self, sink: str, rows: list[tuple[str, str, str]]) -> None:
        """Dead letters of `sink`: (key, body, reason) each."""
        at = self.clock().isoformat()
        self._db.executemany(
            "INSERT INTO dead_letter (sink, key, reason, at, body) VALUES (?, ?, ?, ?, ?)",
            [(sink, key, reason[:500], at, body) for key, body, reason in rows],
        )

    def advance(self, sink: str, delivered: Iterable[int], dead: Iterable[tuple[Entry, str]] = ()) -> None:
        """Record that `sink` has delivered the rows of these ids, except `dead`, which it
        refused for good (entry, reason) and which go to its dead letters; its cursor moves to
        just before its oldest row still undelivered, and what every sink has delivered goes."""
        refused = [(entry.reading.key, entry.reading.model_dump_json(), reason) for entry, reason in dead]
        ids = sorted(set(delivered))

        def move() -> int:
            self._insert_dead(sink, refused)
            position = self._position(sink)
            self._db.executemany(
                "INSERT OR IGNORE INTO ahead (sink, id) VALUES (?, ?)",
                [(sink, i) for i in ids if i > position],
            )
            oldest = self._db.execute(
                f"SELECT MIN(o.id) FROM outbox o WHERE {_PENDING}", (position, sink)
            ).fetchone()[0]
            if oldest is None:  # everything delivered: past the newest row there is
                newest = self._db.execute("SELECT MAX(id) FROM outbox").fetchone()[0]
                moved = max(position, newest or 0, *ids)
            else:
                moved = max(position, int(oldest) - 1)
            self._db.execute("UPDATE cursor SET position = ? WHERE sink = ?", (moved, sink))
            self._db.execute("DELETE FROM ahead WHERE sink = ? AND id <= ?", (sink, moved))
            placeholders = ",".join("?" * len(self.sinks))
            gone = self._db.execute(
                "DELETE FROM outbox WHERE id <= (SELECT MIN(position) FROM cursor "
                f"WHERE sink IN ({placeholders}))",
                self.sinks,
            ).rowcount
            for start in range(0, len(ids), 500):  # delivered ahead by every sink
                chunk = ids[start : start + 500]
                gone += self._db.execute(
                    f"DELETE FROM outbox WHERE id IN ({','.join('?' * len(chunk))}) AND NOT EXISTS "
                    f"(SELECT 1 FROM cursor c WHERE c.sink IN ({placeholders}) AND c.position < outbox.id "
                    "AND NOT EXISTS (SELECT 1 FROM ahead a WHERE a.sink = c.sink AND a.id = outbox.id))",
                    (*chunk, *self.sinks),
                ).rowcount
            return max(gone, 0)

        with self._lock:
            self._rows -= self._guarded(move, writing=True)

    def depth(self, sink: str) -> int:
        """How many rows wait for this sink: its lag."""

        def count() -> int:
            row = self._db.execute(
                f"SELECT COUNT(*) FROM outbox o WHERE {_PENDING}", (self._position(sink), sink)
            ).fetchone()
            return int(row[0])

        with self._lock:
            return self._guarded(count, writing=False)

    # dead letters

    def dead_letters(self, sink: str | None = None) -> list[DeadLetter]:
        def select() -> list[DeadLetter]:
            query = "SELECT id, sink, key, reason, at, body FROM dead_letter"
            args: tuple[str, ...] = ()
            if sink is not None:
                query, args = query + " WHERE sink = ?", (sink,)
            return [DeadLetter(*row) for row in self._db.execute(query + " ORDER BY id", args)]

        with self._lock:
            return self._guarded(select, writing=False)

    def dead_letter_count(self) -> int:
        with self._lock:
            return self._guarded(
                lambda: int(self._db.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0]),
                writing=False,
            )

    def requeue(self, ids: Iterable[int] | None = None) -> int:
        """Put dead letters (all, or these ids) back in the queue for every sink; their old
        row, if still waiting for another sink, is replaced. Returns how many went back."""
        wanted = None if ids is None else list(ids)

        def move() -> int:
            query = "SELECT id, key, body FROM dead_letter"
            rows = self._db.execute(query).fetchall()
            moved = 0
            for letter_id, key, body in rows:
                if wanted is not None and letter_id not in wanted:
                    continue
                try:
                    reading = Reading.model_validate_json(body)
                except ValidationError:
                    continue  # still unreadable: it stays where a person can see it
                self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))
                self._db.execute(
                    "INSERT INTO outbox (key, may_alert, body, device_id) VALUES (?, ?, ?, ?)",
                    (reading.key, int(reading.may_alert), body, reading.device_id),
                )
                self._db.execute("DELETE FROM dead_letter WHERE id = ?", (letter_id,))
                moved += 1
            return moved

        with self._lock:
            moved = self._guarded(move, writing=True)
            self._rows = self._count()
            self._changed.notify_all()
        return moved

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


def salvage(path: Path) -> tuple[list[str], list[DeadLetter]]:
    """Every outbox body and dead letter that can still be read from a damaged file: rows past
    the lowest cursor (the others were delivered everywhere), by ranges where the table reads,
    one id at a time across a damaged page."""
    readable = _padded_copy(path)
    try:
        db = sqlite3.connect(f"file:{readable}?mode=ro", uri=True)
    except sqlite3.Error:
        readable.unlink(missing_ok=True)
        return [], []
    try:
        floor = _read_int(db, "SELECT MIN(position) FROM cursor")
        bodies = [row[1] for row in _readable_rows(db, "outbox", "body", floor)]
        letters = [
            DeadLetter(0, *row[1:])
            for row in _readable_rows(db, "dead_letter", "sink, key, reason, at, body", 0)
        ]
        return bodies, letters
    finally:
        db.close()
        readable.unlink(missing_ok=True)


def _padded_copy(path: Path) -> Path:
    """A copy of a damaged file, padded with zeros to the size its header declares: a file cut
    short otherwise fails whole, its schema naming pages that are gone, where padded it fails
    only on the pages that are."""
    copy = path.with_name(path.name + ".reading")
    data = path.read_bytes() if path.exists() else b""
    if len(data) >= 32 and data.startswith(b"SQLite format 3\0"):
        page_size = int.from_bytes(data[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        declared = int.from_bytes(data[28:32], "big") * page_size
        if len(data) < declared <= 1 << 34:
            data += bytes(declared - len(data))
    copy.write_bytes(data)
    return copy


def _read_int(db: sqlite3.Connection, query: str) -> int:
    try:
        row = db.execute(query).fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row is not None and row[0] is not None else 0


def _readable_rows(db: sqlite3.Connection, table: str, columns: str, after: int) -> Iterator[tuple[Any, ...]]:
    """(id, columns…) of the rows with id > after, oldest first, stepping over what cannot be read."""
    top = max(
        _read_int(db, f"SELECT MAX(id) FROM {table}"),
        _read_int(db, f"SELECT seq FROM sqlite_sequence WHERE name = '{table}'"),
    )
    last, probing = after, 0
    while True:
        try:
            rows = db.execute(
                f"SELECT id, {columns} FROM {table} WHERE id > ? ORDER BY id LIMIT 500", (last,)
            ).fetchall()
        except sqlite3.Error:
            # a damaged page: read the next id alone and step over it
            last, probing = last + 1, probing + 1
            if last > top and probing > _PROBE_GAP:
                return
            try:
                row = db.execute(f"SELECT id, {columns} FROM {table} WHERE id = ?", (last,)).fetchone()
            except sqlite3.Error:
                continue
            if row is not None:
                yield tuple(row)
            continue
        if not rows:
            return
        probing = 0
        yield from (tuple(row) for row in rows)
        last = rows[-1][0]
