"""Upgrades and rollback: a database made by every earlier schema version, with rows in every
table, upgrades to this one; `aedmon migrate` runs on its own and `--check` says whether one
is due; a database newer than the code is refused, never written."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from server.store.database import create_schema, make_engine
from server.store.migrate import SchemaNewer, alembic_config, schema, upgrade
from server.store.models import Base

from ..conftest import run_aedmon

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def value_for(table: Table, column: Any, batch: int, made: dict[str, dict[str, Any]]) -> Any:
    """A value of the column's type for the batch-th row: unique per batch, within any length,
    and the parent's own value for a foreign key."""
    for key in column.foreign_keys:
        parent = made.get(key.column.table.name)
        if parent is not None:
            return parent[key.column.name]
    kind = column.type
    if isinstance(kind, Enum) and kind.enums:
        return kind.enums[0]
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime):
        moment = AT - timedelta(hours=batch)
        return moment if kind.timezone else moment.replace(tzinfo=None)
    if isinstance(kind, Date):
        return date(2027, 6, 1)
    if isinstance(kind, Integer):
        return batch + 1
    if isinstance(kind, Float | Numeric):
        return 1.5
    if isinstance(kind, JSON | JSONB):
        return [] if column.name.endswith("s") else {}
    if isinstance(kind, LargeBinary):
        return bytes([batch]) * 8
    if isinstance(kind, String):
        word = f"v{batch}x{table.name[:3]}"
        return word[: kind.length] if kind.length else word
    raise AssertionError(f"no value for {table.name}.{column.name} of type {kind!r}")


def own_tables(connection: Connection) -> list[Table]:
    """The schema's tables now, parents first: not Alembic's, not PostgreSQL's partitions (their
    rows are the parent's)."""
    partitions = set()
    if connection.dialect.name == "postgresql":
        partitions = set(connection.scalars(text("SELECT relname FROM pg_class WHERE relispartition")))
    tables = MetaData()
    tables.reflect(connection)
    return [t for t in tables.sorted_tables if t.name != "alembic_version" and t.name not in partitions]


def numbered_by_the_database(connection: Connection, table: Table, column: Any) -> bool:
    """A key the database numbers itself: a serial or identity column on PostgreSQL, SQLite's
    INTEGER PRIMARY KEY (its row id)."""
    if not (column.primary_key and isinstance(column.type, Integer) and len(table.primary_key) == 1):
        return False
    if connection.dialect.name == "sqlite":
        return True
    return column.server_default is not None or column.identity is not None


def fill(connection: Connection, batch: int) -> dict[str, int]:
    """A row in every table the schema has now (parents first); how many rows each then holds."""
    made: dict[str, dict[str, Any]] = {}
    tables = own_tables(connection)
    for table in tables:
        row = {
            column.name: value_for(table, column, batch, made)
            for column in table.columns
            if not numbered_by_the_database(connection, table, column)
        }
        result = connection.execute(table.insert().values(row).returning(*table.primary_key.columns))
        made[table.name] = {**row, **result.one()._asdict()}
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in tables
    }


def test_a_database_of_every_earlier_schema_version_with_rows_in_every_table_upgrades(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    revisions = [r.revision for r in scripts.walk_revisions("base", "heads")]
    counts: dict[str, int] = {}
    for batch, revision in enumerate(reversed(revisions)):
        upgrade(engine, to=revision)  # as the server does it (on SQLite, keys checked after)
        with engine.begin() as connection:
            counts = fill(connection, batch)
    # every table of today's schema held rows from every version it lived through
    assert set(counts) == set(Base.metadata.tables)
    with engine.connect() as connection:
        final = fill(connection, len(revisions))
        connection.rollback()
    for name, held in counts.items():
        assert final[name] == held + 1, name
    engine.dispose()


def aedmon(*args: str) -> subprocess.CompletedProcess[str]:
    return run_aedmon(*args, timeout=120)


def test_migrate_runs_on_its_own_and_check_says_whether_one_is_due(empty_database_url: str) -> None:
    due = aedmon("migrate", "--check", "--database-url", empty_database_url)
    assert due.returncode == 1, due.stderr
    assert "no schema (empty)" in due.stdout
    done = aedmon("migrate", "--database-url", empty_database_url)
    assert done.returncode == 0, done.stderr
    assert "migrated: the database is at schema" in done.stdout
    current = aedmon("migrate", "--check", "--database-url", empty_database_url)
    assert current.returncode == 0, current.stderr
    assert "this aedmon's own" in current.stdout


def test_a_database_newer_than_the_code_is_refused_and_left_as_it_was(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    with pytest.raises(SchemaNewer, match="newer than this aedmon"):
        schema(engine)
    checked = aedmon("migrate", "--check", "--database-url", empty_database_url)
    assert checked.returncode == 2
    assert "schema 0099_from_the_future, newer than this aedmon" in checked.stderr
    tokens = tmp_path / "tokens"
    tokens.write_text("admin:an-admin-token-long-enough\nbridge:a-bridge-token-long-enough\n")
    started = aedmon(
        "server", "--database-url", empty_database_url, "--tokens-file", str(tokens), "--port", "0"
    )
    assert started.returncode == 2
    refusals = [line for line in started.stderr.splitlines() if line.startswith("aedmon server:")]
    assert len(refusals) == 1
    assert "newer than this aedmon" in refusals[0]
    assert "server ready" not in started.stderr
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0099_from_the_future"
    engine.dispose()
