"""Bring a database to the current schema with Alembic: the server does it at start, and
`aedmon migrate` on its own (`--check` says whether one is due). A database newer than this
code (a later aedmon used it, and this one was put back) is refused, never written."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from aedmon import __version__

from .database import lock_key

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


class SchemaNewer(Exception):
    """The database was brought to a schema this code does not know: a later aedmon's."""


@dataclass(frozen=True)
class Schema:
    current: str | None  # None: an empty database
    head: str
    due: tuple[str, ...]  # the migrations not yet applied, oldest first

    def describe(self) -> str:
        if not self.due:
            return f"the database is at schema {self.head}, this aedmon's own"
        at = f"schema {self.current}" if self.current else "no schema (empty)"
        due = ", ".join(self.due)
        return f"the database is at {at}; {len(self.due)} migration(s) due, to {self.head}: {due}"


def schema(engine: Engine) -> Schema:
    """Where the database stands against this code's migrations; SchemaNewer when it is past them."""
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    head = scripts.get_current_head()
    assert head is not None  # noqa: S101  (the package ships its migrations)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = [r.revision for r in scripts.walk_revisions("base", "heads")]  # newest first
    if current is not None and current not in known:
        raise SchemaNewer(
            f"the database is at schema {current}, newer than this aedmon {__version__} knows (at most "
            f"{head}): a later aedmon used it. Run that version again, or restore the backup taken before "
            "the upgrade"
        )
    due = known[: known.index(current)] if current is not None else known
    return Schema(current, head, tuple(reversed(due)))


def upgrade(engine: Engine, to: str = "head") -> None:
    """Apply every migration not yet applied, in one transaction per run. On PostgreSQL the
    run holds an advisory lock, so servers started at once migrate one after another: the
    first does the work, the others find the schema current; on a SQLite file, a lock file
    does the same."""
    config = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    schema(engine)  # a newer database is refused before anything is written
    with _sqlite_file_lock(engine), engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        if sqlite and raw is not None:
            # SQLite alters a table by copying it and dropping the old one, which rows of other
            # tables still refer to: the keys are checked once the migration is done instead
            # (this pragma works only outside a transaction).
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    key = {"key": lock_key("migrations")}
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)
                config.attributes["connection"] = connection
                command.upgrade(config, to)
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if dangling:
                        raise RuntimeError(
                            f"the migration would leave {len(dangling)} rows referring to none"
                        )
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """On a SQLite file, the same one-at-a-time through a lock file beside it (SQLite's own
    transactions let two processes both find the schema missing)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrating", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
