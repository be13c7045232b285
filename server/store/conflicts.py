"""Inserts that may race across server processes: INSERT … ON CONFLICT DO NOTHING (or DO
UPDATE), so the database, not the process, decides which one goes in."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session) -> Any:
    """The engine's own `insert`, the one that has ON CONFLICT."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_or_skip(session: Session, model: type[Any], **values: Any) -> Any:
    """The new row's id, or None if a row with the same unique key is there already.
    RETURNING tells, where rowcount does not on every driver (psycopg 3 reports -1)."""
    statement = dialect_insert(session)(model).values(**values).on_conflict_do_nothing().returning(model.id)
    return session.execute(statement).scalar_one_or_none()


def upsert(session: Session, model: type[Any], key: str, **values: Any) -> None:
    """Insert the row, or replace its other columns if a row with the same `key` is there."""
    statement = dialect_insert(session)(model).values(**values)
    changed = {name: value for name, value in values.items() if name != key}
    session.execute(statement.on_conflict_do_update(index_elements=[key], set_=changed))
