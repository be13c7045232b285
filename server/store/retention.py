"""Retention: raw readings are kept a setting's number of days; self-tests, events and
inspections (the compliance record's matter) for the compliance period, in years. Both are
pruned by whole UTC days, a chunk of rows a transaction, and the horizon each has reached is
kept (`Pruned`), so that a record asked of a pruned period is refused with the reason rather
than printed short: a compliance record of any period after the horizon hashes as it did
before the pruning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import Session

from aedmon.reading import ReadingType

from . import partitions
from .conflicts import dialect_insert
from .database import yield_to_writers
from .models import Inspection, Pruned, ShiftCheck, StoredReading, Verdict

RECORD = (ReadingType.SELFTEST.value, ReadingType.EVENT.value)  # kept for the compliance period
RAW = tuple(t.value for t in ReadingType if t.value not in RECORD)  # kept `readings_days`
CHUNK = 5000  # rows deleted a transaction, so that ingest never waits long on a prune
# PostgreSQL's tables of readings made back to the horizon, but no further than this: older
# rows (a retention of years) stay in the default tables, deleted row by row
RAW_TABLES_BACK = 62  # days
RECORD_TABLES_BACK = 30  # years


@dataclass(frozen=True)
class Retention:
    readings_days: int
    compliance_years: int


def horizons(now: datetime, retention: Retention) -> dict[str, datetime]:
    """Where each kind of data now begins: the midnight (UTC) before which it goes."""
    today = now.astimezone(UTC).date()
    years_ago = today.year - retention.compliance_years
    try:
        record = today.replace(year=years_ago)
    except ValueError:  # 29 February, in a year without one
        record = today.replace(year=years_ago, day=28)
    return {
        "readings": partitions.midnight(date.fromordinal(today.toordinal() - retention.readings_days)),
        "compliance": partitions.midnight(record),
    }


def prune(session: Session, now: datetime, retention: Retention) -> dict[str, int]:
    """Delete what has passed its horizon, committing each chunk: on PostgreSQL first the
    readings' tables wholly past it, then row by row what is left. How many tables were
    dropped, and how many rows of each kind deleted one by one."""
    limits = horizons(now, retention)
    tables = 0
    if make_tables(session, now, retention) is not None:
        tables = len(partitions.drop_before(session, limits["readings"], limits["compliance"]))
    reading = StoredReading
    raw = and_(reading.type.in_(RAW), reading.at < limits["readings"])
    record = and_(reading.type.in_(RECORD), reading.device_time < limits["compliance"])
    done = {
        "readings": _in_chunks(session, reading, raw),
        "records": _in_chunks(session, reading, record),
        "inspections": _in_chunks(session, Inspection, Inspection.at < limits["compliance"]),
        "shift_checks": _in_chunks(session, ShiftCheck, ShiftCheck.at < limits["compliance"]),
        "verdicts": _in_chunks(session, Verdict, Verdict.at < limits["compliance"]),
        "tables": tables,
    }
    for name, before in limits.items():
        _reached(session, name, before)
    session.commit()
    return done


def make_tables(session: Session, now: datetime, retention: Retention) -> list[str] | None:
    """On PostgreSQL, make the readings' tables from the horizons to ahead of `now` that are
    missing (at start, and with each prune); the names of those made. None where the readings
    are one table (SQLite)."""
    if not partitions.is_partitioned(session):
        return None
    limits = horizons(now, retention)
    today = now.astimezone(UTC).date()
    raw_from = max(limits["readings"].date(), today - timedelta(days=RAW_TABLES_BACK))
    record_from = max(limits["compliance"].year, today.year - RECORD_TABLES_BACK)
    return partitions.ensure(session, now, raw_from, record_from)


PrunedModel = type[StoredReading] | type[Inspection] | type[ShiftCheck] | type[Verdict]


def _in_chunks(session: Session, model: PrunedModel, gone: ColumnElement[bool]) -> int:
    count = 0
    while ids := session.scalars(select(model.id).where(gone).limit(CHUNK)).all():
        session.execute(delete(model).where(model.id.in_(ids)))
        session.commit()
        yield_to_writers(session)
        count += len(ids)
    return count


def _reached(session: Session, name: str, before: datetime) -> None:
    """Keep the horizon reached, never moving it back (what went is gone, even if the period
    is lengthened later)."""
    known = session.get(Pruned, name)
    if known is None:
        first = dialect_insert(session)(Pruned).values(name=name, before=before)
        session.execute(first.on_conflict_do_nothing())
    elif known.before < before:
        known.before = before


def pruned_before(session: Session, name: str) -> datetime | None:
    """Where the data called `name` ("readings" or "compliance") now begins, if ever pruned."""
    found = session.scalar(select(Pruned.before).where(Pruned.name == name))
    return None if found is None else found
