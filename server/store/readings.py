"""Readings: stored once by their idempotency key, ordered by where the server placed them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aedmon.reading import Reading, ReadingType

from .conflicts import dialect_insert, insert_or_skip
from .models import StoredReading


def _row(reading: Reading, received_at: datetime, at: datetime, trusted: bool) -> dict[str, Any]:
    return {
        "at": at,
        "clock_trusted": trusted,
        "key": reading.key,
        "device_id": reading.device_id,
        "site": reading.site,
        "type": reading.type.value,
        "seq": reading.seq,
        "device_time": reading.device_time,
        "arrival_time": reading.arrival_time,
        "received_at": received_at,
        "body": reading.model_dump(mode="json"),
    }


def insert_if_new(
    session: Session, reading: Reading, received_at: datetime, at: datetime, trusted: bool
) -> int | None:
    """Store the reading, placed at `at` in its device's history (see server.rules.clock), unless
    its idempotency key is already stored; its row id if stored."""
    new_id = insert_or_skip(session, StoredReading, **_row(reading, received_at, at, trusted))
    return None if new_id is None else int(new_id)


Placed = tuple[Reading, datetime, bool]  # a reading, where it was placed, and whether its time is believed
CHUNK = 500  # rows to an INSERT statement (12 parameters each, well inside every engine's limit)


def insert_many(session: Session, placed: Sequence[Placed], received_at: datetime) -> dict[str, int]:
    """Store the readings as `insert_if_new` does, a few statements for all of them: the row id
    of each stored, by key; a key stored already (by another server a moment ago) is left out."""
    if not placed:
        return {}
    table = StoredReading.__table__
    statement = dialect_insert(session)(table).on_conflict_do_nothing().returning(table.c.key, table.c.id)
    rows = [_row(reading, received_at, at, trusted) for reading, at, trusted in placed]
    # many parameter sets to one statement: the engine sends them as multi-row INSERTs
    return {key: int(row_id) for key, row_id in session.execute(statement, rows)}


def stored_keys(session: Session, readings: Sequence[Reading]) -> set[str]:
    """Which of these readings' idempotency keys are stored already. Their types and device
    times are asked too: what a key holds, and on PostgreSQL what the readings' tables are cut
    by, so that only the tables these could be in are looked into (server.store.partitions)."""
    found: set[str] = set()
    row = StoredReading
    for start in range(0, len(readings), CHUNK):
        chunk = readings[start : start + CHUNK]
        found.update(
            session.scalars(
                select(row.key).where(
                    row.key.in_([r.key for r in chunk]),
                    row.type.in_(sorted({r.type.value for r in chunk})),
                    row.device_time.in_(sorted({r.device_time for r in chunk})),
                )
            )
        )
    return found


def recent(session: Session, device_id: str, limit: int, reading_type: ReadingType | None) -> list[Reading]:
    """The newest readings of a device, newest first, as the device sent them."""
    query = select(StoredReading).where(StoredReading.device_id == device_id)
    if reading_type is not None:
        query = query.where(StoredReading.type == reading_type.value)
    rows = session.scalars(query.order_by(StoredReading.at.desc(), StoredReading.id.desc()).limit(limit))
    return [Reading.model_validate(row.body) for row in rows]


def selftests_between(
    session: Session, device_ids: Sequence[str], start: datetime, end: datetime
) -> Sequence[StoredReading]:
    """Every self-test of these devices dated from `start` to before `end` by the device."""
    return session.scalars(
        select(StoredReading)
        .where(
            StoredReading.device_id.in_(device_ids),
            StoredReading.type == ReadingType.SELFTEST.value,
            StoredReading.device_time >= start,
            StoredReading.device_time < end,
        )
        .order_by(StoredReading.device_time, StoredReading.id)
    ).all()


def states_between(
    session: Session, device_id: str, start: datetime, end: datetime, limit: int = 5000
) -> list[Reading]:
    """The device's heartbeats and statuses placed from `start` to `end`, newest first, at most
    `limit` of them (a unit reporting every minute sends 720 in 12 hours)."""
    rows = session.scalars(
        select(StoredReading)
        .where(
            StoredReading.device_id == device_id,
            StoredReading.type.in_((ReadingType.STATUS.value, ReadingType.HEARTBEAT.value)),
            StoredReading.at >= start,
            StoredReading.at <= end,
        )
        .order_by(StoredReading.at.desc(), StoredReading.id.desc())
        .limit(limit)
    )
    return [Reading.model_validate(row.body) for row in rows]


def fixes_between(
    session: Session, device_id: str, start: datetime, end: datetime
) -> Iterator[tuple[datetime, float, float, float | None]]:
    """The device's fixes (time, lat, lon, speed) placed from `start` to before `end`, oldest
    first, read a thousand rows at a time: a unit's year of fixes for the programme's report,
    never held at once and never cut short."""
    lat, lon = StoredReading.body["lat"].as_float(), StoredReading.body["lon"].as_float()
    rows = session.execute(
        select(StoredReading.at, lat, lon, StoredReading.body["speed_kmh"].as_float())
        .where(
            StoredReading.device_id == device_id,
            StoredReading.type == ReadingType.LOCATION.value,
            StoredReading.at >= start,
            StoredReading.at < end,
            lat.is_not(None),
            lon.is_not(None),
        )
        .order_by(StoredReading.at, StoredReading.id)
        .execution_options(yield_per=1000)
    )  # the three numbers taken out by the database: parsing each whole body cost 18 µs a fix
    for at, north, east, speed in rows:
        yield at, float(north), float(east), None if speed is None else float(speed)
