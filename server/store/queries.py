"""Queries over the store. Inserts that may race across server processes use
INSERT … ON CONFLICT DO NOTHING, so the database, not the process, decides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, ReadingType
from server.rules.facts import DEFAULT_REPORT_INTERVAL_S, DeviceFacts, DeviceInfo

from .models import Alert, Device, Notification, StoredReading


def _insert(session: Session, model: type[Any]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _inserted(session: Session, model: type[Any], values: dict[str, Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING; the new row's id, or None if it did not go in.
    RETURNING tells, where rowcount does not on every driver (psycopg 3 reports -1)."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing().returning(model.id)
    return session.execute(statement).scalar_one_or_none()


def insert_device_if_new(session: Session, values: dict[str, Any]) -> bool:
    return _inserted(session, Device, values) is not None


def insert_reading_if_new(session: Session, reading: Reading, received_at: datetime) -> bool:
    """Store the reading unless its idempotency key is already stored; True if stored."""
    values = {
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
    return _inserted(session, StoredReading, values) is not None


def insert_alert_if_none_open(session: Session, values: dict[str, Any]) -> int | None:
    """The new alert's id, or None when one of its (device, type) is open already."""
    alert_id: int | None = _inserted(session, Alert, values)
    return alert_id


def insert_notification_once(session: Session, values: dict[str, Any]) -> bool:
    """Plan a notification unless the same one for the same contact is already planned."""
    return _inserted(session, Notification, values) is not None


def device_info(device: Device) -> DeviceInfo:
    return DeviceInfo(
        id=device.id,
        site=device.site,
        kind=DeviceKind(device.kind),
        name=device.name,
        place=device.place,
        lat=device.lat,
        lon=device.lon,
        geofence_m=device.geofence_m,
        report_interval_s=device.report_interval_s,
        confirmed=device.confirmed,
    )


def default_interval(kind: DeviceKind) -> int:
    return DEFAULT_REPORT_INTERVAL_S[kind]


# How far back the rules look for "since when" and for consecutive fixes, in readings.
RECENT_STATES = 200
RECENT_EVENTS = 200
RECENT_LOCATIONS = 20


def _newest(
    session: Session, device_id: str, types: Sequence[ReadingType], limit: int
) -> tuple[Reading, ...]:
    """The newest `limit` readings of these types, returned oldest first."""
    rows = session.scalars(
        select(StoredReading)
        .where(StoredReading.device_id == device_id, StoredReading.type.in_([t.value for t in types]))
        .order_by(StoredReading.device_time.desc(), StoredReading.id.desc())
        .limit(limit)
    ).all()
    return tuple(Reading.model_validate(row.body) for row in reversed(rows))


def _latest(session: Session, device_id: str, types: Sequence[ReadingType]) -> Reading | None:
    newest = _newest(session, device_id, types, 1)
    return newest[0] if newest else None


def _newest_row(session: Session, device_id: str) -> StoredReading | None:
    """The device's newest reading but availability (which the broker may say for it)."""
    return session.scalars(
        select(StoredReading)
        .where(StoredReading.device_id == device_id, StoredReading.type != ReadingType.AVAILABILITY.value)
        .order_by(StoredReading.device_time.desc(), StoredReading.id.desc())
        .limit(1)
    ).first()


def last_seen(session: Session, device_id: str) -> datetime | None:
    row = _newest_row(session, device_id)
    return None if row is None else row.device_time


def device_facts(session: Session, device: Device) -> DeviceFacts:
    newest = _newest_row(session, device.id)
    bridge = session.get(Device, device.bridge_id) if device.bridge_id else None
    states = _newest(session, device.id, [ReadingType.HEARTBEAT, ReadingType.STATUS], RECENT_STATES)
    locations = _newest(session, device.id, [ReadingType.LOCATION], RECENT_LOCATIONS)
    return DeviceFacts(
        device=device_info(device),
        latest_selftest=_latest(session, device.id, [ReadingType.SELFTEST]),
        latest_location=locations[-1] if locations else None,
        latest_state=states[-1] if states else None,
        latest_availability=_latest(session, device.id, [ReadingType.AVAILABILITY]),
        known_since=device.created_at,
        bridge_id=device.bridge_id,
        bridge_last_seen=None if bridge is None else last_seen(session, bridge.id),
        bridge_report_interval_s=30 if bridge is None else bridge.report_interval_s,
        serviced_at=device.serviced_at,
        recent_locations=locations,
        recent_states=states,
        recent_events=_newest(session, device.id, [ReadingType.EVENT], RECENT_EVENTS),
        last_seen=None if newest is None else newest.device_time,
        last_site=None if newest is None else newest.site,
    )


def recent_readings(
    session: Session, device_id: str, limit: int, reading_type: ReadingType | None
) -> list[Reading]:
    query = select(StoredReading).where(StoredReading.device_id == device_id)
    if reading_type is not None:
        query = query.where(StoredReading.type == reading_type.value)
    rows = session.scalars(
        query.order_by(StoredReading.device_time.desc(), StoredReading.id.desc()).limit(limit)
    )
    return [Reading.model_validate(row.body) for row in rows]


def open_alerts(session: Session, device_id: str) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.device_id == device_id, Alert.state != "resolved")))


def count_readings(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(StoredReading)) or 0)
