"""Engine and session factory for SQLite (default) or PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver begins nothing; _begin does
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
            # Case folding beyond ASCII, as PostgreSQL's: a search for "кмет" finds "Кметство".
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

        writers = _Writers()
        _WRITERS[engine] = writers

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # Each transaction takes SQLite's write lock as it begins, waiting (up to the busy
            # timeout) for the one before: a transaction that reads and then writes would
            # otherwise fail at once (SQLITE_BUSY) when another wrote in between, and two
            # requests at once (two bridges) would refuse readings.
            with writers.changed:
                writers.waiting += 1
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                with writers.changed:
                    writers.waiting -= 1
                    writers.begun += 1
                    writers.changed.notify_all()

        return engine
    return create_engine(url, pool_pre_ping=True)


class _Writers:
    """How many of a SQLite engine's transactions are waiting for its write lock, and how many
    have ended their wait (got it, or given up) so far."""

    def __init__(self) -> None:
        self.waiting = 0
        self.begun = 0
        self.changed = threading.Condition()


_WRITERS: weakref.WeakKeyDictionary[Engine, _Writers] = weakref.WeakKeyDictionary()


def yield_to_writers(session: Session, timeout: float = 5.0) -> None:
    """Between the chunks of a long job: let the transactions waiting for SQLite's write lock
    now go first (it is not fair: a job that commits and begins again at once would keep it,
    and ingest would wait its busy timeout out); those that come later take their turn with the
    job's next chunk. On PostgreSQL, whose row locks are taken and let go per chunk, nothing
    to do."""
    writers = _WRITERS.get(session.get_bind().engine)
    if writers is None:
        return
    with writers.changed:
        turn = writers.begun + writers.waiting
        writers.changed.wait_for(lambda: writers.begun >= turn, timeout)


def create_schema(engine: Engine) -> None:
    """Bring the database to the current schema through the Alembic migrations."""
    from .migrate import upgrade

    upgrade(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise unless the database answers a trivial query (the health check's question)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def lock_key(name: str) -> int:
    """A PostgreSQL advisory lock's key for a name: the first 8 bytes of its SHA-256."""
    return int.from_bytes(hashlib.sha256(f"aedmon {name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Whether this process may run the named job now: on PostgreSQL, True for the one server
    that holds its advisory lock while the block runs, False for the others (which skip this
    run); on SQLite, which one server keeps to itself, always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
