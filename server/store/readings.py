"""Readings: stored once by their idempotency key, ordered by where the server placed them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aedmon.reading import Reading, ReadingType

from .conflicts import insert_or_skip
from .models import StoredReading


def insert_if_new(
    session: Session, reading: Reading, received_at: datetime, at: datetime, trusted: bool
) -> bool:
    """Store the reading, placed at `at` in its device's history (see server.rules.clock), unless
    its idempotency key is already stored; True if stored."""
    new_id = insert_or_skip(
        session,
        StoredReading,
        at=at,
        clock_trusted=trusted,
        key=reading.key,
        device_id=reading.device_id,
        site=reading.site,
        type=reading.type.value,
        seq=reading.seq,
        device_time=reading.device_time,
        arrival_time=reading.arrival_time,
        received_at=received_at,
        body=reading.model_dump(mode="json"),
    )
    return new_id is not None


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
