"""On PostgreSQL the readings table is partitioned, so that retention drops whole tables
instead of deleting rows one by one: first by kind (raw readings, kept days; the compliance
record's self-tests and events, kept years; anything else), then by the device's time, a
day a table for raw readings and a year a table for the record, each with a default table
for times outside those made (a device whose clock is far off).

Partitioning by the device's time keeps the idempotency key unique: the key holds the type and
the device's time, so (key, type, device_time), the unique index every partition can carry,
is as unique as the key alone. Retention counts raw readings by where the server placed them
(`at`): a day's table goes whole only when none of its rows was placed after the horizon;
otherwise its rows go by the chunked delete, as on SQLite (`retention`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

AHEAD_DAYS = 7  # raw readings' tables made ahead of today: a device clock a little fast is placed
LOCK_TIMEOUT = "5s"  # a change of tables waits no longer than this on ingest; tried again next hour


@dataclass(frozen=True, order=True)
class Span:
    """One table of a parent: its rows' device times from `start` to before `end`."""

    start: datetime
    end: datetime
    name: str


def midnight(day: date) -> datetime:
    """The day's first moment, in UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def raw_day(day: date) -> Span:
    return Span(midnight(day), midnight(day + timedelta(days=1)), f"readings_raw_{day:%Y%m%d}")


def record_year(year: int) -> Span:
    return Span(midnight(date(year, 1, 1)), midnight(date(year + 1, 1, 1)), f"readings_record_{year}")


def _raw_named(digits: str) -> Span:
    return raw_day(date(int(digits[:4]), int(digits[4:6]), int(digits[6:])))


_NAMED = {  # a parent's tables by name: the pattern of their names, and the span a name says
    "readings_raw": (re.compile(r"readings_raw_(\d{8})"), _raw_named),
    "readings_record": (re.compile(r"readings_record_(\d{4})"), lambda digits: record_year(int(digits))),
}


def is_partitioned(session: Session) -> bool:
    """Whether the readings are partitioned here: on PostgreSQL, once migration 0015 ran."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass('readings')"))
    return bool(kind == "p")


def spans(session: Session, parent: str) -> list[Span]:
    """The tables of `parent` ("readings_raw" or "readings_record") by their time, oldest first;
    its default table is none of them."""
    pattern, span_of = _NAMED[parent]
    names = session.scalars(
        text(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "WHERE pg_inherits.inhparent = to_regclass(:parent)"
        ),
        {"parent": parent},
    )
    return sorted(span_of(found.group(1)) for name in names if (found := pattern.fullmatch(name)))


def _literal(moment: datetime) -> str:
    return f"'{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00'"  # made of dates: never of input


def make(session: Session, parent: str, span: Span) -> None:
    """Add a table for `span` to `parent`, moving into it what the default table holds of its
    times (readings of a device whose clock ran ahead of the tables made). Attaching takes no
    lock that stops ingest; the default table is held for the moment of the move."""
    bounds = {"start": span.start, "end": span.end}
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    session.execute(text(f"CREATE TABLE {span.name} (LIKE {parent} INCLUDING DEFAULTS)"))
    session.execute(
        text(
            f"WITH moved AS (DELETE FROM {parent}_default WHERE device_time >= :start AND device_time < :end "
            f"RETURNING *) INSERT INTO {span.name} SELECT * FROM moved"
        ),
        bounds,
    )
    session.execute(
        text(
            f"ALTER TABLE {parent} ATTACH PARTITION {span.name} "
            f"FOR VALUES FROM ({_literal(span.start)}) TO ({_literal(span.end)})"
        )
    )


def ensure(session: Session, now: datetime, raw_from: date, record_from: int) -> list[str]:
    """Make the tables from `raw_from` to a week ahead and from the year `record_from` to the
    next, those missing; each in its own transaction. The names of those made."""
    today = now.astimezone(UTC).date()
    wanted = {
        "readings_raw": [
            raw_day(raw_from + timedelta(days=n)) for n in range((today - raw_from).days + AHEAD_DAYS + 1)
        ],
        "readings_record": [record_year(year) for year in range(record_from, today.year + 2)],
    }
    made = []
    for parent, needed in wanted.items():
        have = {span.name for span in spans(session, parent)}
        for span in needed:
            if span.name not in have and _done(session, span.name, partial(make, session, parent, span)):
                made.append(span.name)
    return made


def _done(session: Session, name: str, change: Callable[[], None]) -> bool:
    """Make one change of tables and commit it; whether it was made. One that waits too long on
    ingest, or meets a reading stored meanwhile in the default table for its times, is logged
    and left for the next hour's run."""
    try:
        change()
        session.commit()
    except DBAPIError as error:
        session.rollback()
        log.warning("readings table left for the next run", extra={"table": name, "why": str(error.orig)})
        return False
    return True


def drop_before(session: Session, raw_horizon: datetime, record_horizon: datetime) -> list[str]:
    """Drop the tables wholly before the horizons: raw readings' days none of whose rows was
    placed at or after `raw_horizon`, and the record's years before `record_horizon` (the
    record is pruned by the device's time, as its tables are cut). The names of those dropped."""
    dropped = []
    for parent, horizon in (("readings_raw", raw_horizon), ("readings_record", record_horizon)):
        for span in spans(session, parent):
            if span.end > horizon:
                break
            if parent == "readings_raw" and session.scalar(
                text(f"SELECT EXISTS (SELECT 1 FROM {span.name} WHERE at >= :horizon)"), {"horizon": horizon}
            ):
                continue  # placed later than its device said: its rows go one by one
            if _done(session, span.name, partial(_drop, session, span.name)):
                dropped.append(span.name)
    return dropped


def _drop(session: Session, name: str) -> None:
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    session.execute(text(f"DROP TABLE {name}"))
