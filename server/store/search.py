"""Search in text columns: case folded on every engine, with `%` and `_` taken literally."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import QueryableAttribute


def containing(text: str, *columns: QueryableAttribute[Any]) -> ColumnElement[bool]:
    """Any of `columns` holds `text`, whatever its case (SQLite's own `lower` folds only ASCII:
    `database.make_engine` gives it Python's)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(func.lower(column).like(f"%{escaped}%", escape="\\") for column in columns))
