"""The rules' read model: what the store knows of one device (its newest readings of each
type, as the server placed them, and its bridge's last word) as `DeviceFacts`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, ReadingType
from server.rules.facts import DeviceFacts, DeviceInfo, ProblemReport
from server.rules.findings import AlertType

from .models import Alert, AlertState, Device, StoredReading, User


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


# How far back the rules look for "since when" and for consecutive fixes, in readings of each
# type; one newest reading of the others.
RECENT_STATES = 200
RECENT_EVENTS = 200
RECENT_LOCATIONS = 20
_DEEPER = {
    ReadingType.HEARTBEAT: RECENT_STATES,
    ReadingType.STATUS: RECENT_STATES,
    ReadingType.EVENT: RECENT_EVENTS,
    ReadingType.LOCATION: RECENT_LOCATIONS,
}
LOOK_BACK = {reading_type: _DEEPER.get(reading_type, 1) for reading_type in ReadingType}
# What says a device was heard: anything but availability, which the broker may say for it.
HEARD = tuple(t for t in ReadingType if t is not ReadingType.AVAILABILITY)
_BODY = cast(StoredReading.body, Text)

Row = tuple[datetime, int, Reading]  # (placed at, row id, reading): the store's own order


def placed(reading: Reading, at: datetime) -> Reading:
    """The reading as the rules see it: at the time the server placed it (its device time when
    believed). The device's own time stays in the stored body, which the API shows."""
    return reading if reading.device_time == at else reading.model_copy(update={"device_time": at})


def _newest(session: Session, device_id: str, reading_type: ReadingType, limit: int) -> list[Row]:
    """The newest `limit` readings of one type, newest first, by where the server placed them.
    One type at a time, so that the (device, type, at) index yields them in order without
    sorting the device's history."""
    rows = session.execute(
        select(StoredReading.at, StoredReading.id, _BODY)
        .where(StoredReading.device_id == device_id, StoredReading.type == reading_type.value)
        .order_by(StoredReading.at.desc(), StoredReading.id.desc())
        .limit(limit)
    )
    return [(at, row_id, placed(Reading.model_validate_json(body), at)) for at, row_id, body in rows]


def _oldest_first(rows: Iterable[Row], limit: int) -> tuple[Reading, ...]:
    """The newest `limit` of these rows, oldest first."""
    newest = sorted(rows, key=lambda row: (row[0], row[1]), reverse=True)[:limit]
    return tuple(reading for _, _, reading in reversed(newest))


def _newest_of(rows: list[Row]) -> Reading | None:
    return rows[0][2] if rows else None


def latest_reading(session: Session, device_id: str, reading_type: ReadingType) -> Reading | None:
    return _newest_of(_newest(session, device_id, reading_type, 1))


def last_seen(session: Session, device_id: str) -> datetime | None:
    """When the device was last heard (see HEARD)."""
    times = [
        session.scalar(
            select(StoredReading.at)
            .where(StoredReading.device_id == device_id, StoredReading.type == reading_type.value)
            .order_by(StoredReading.at.desc())
            .limit(1)
        )
        for reading_type in HEARD
    ]
    return max((t for t in times if t is not None), default=None)


def device_facts(
    session: Session, device: Device, bridges_seen: dict[str, datetime | None] | None = None
) -> DeviceFacts:
    """What the store knows of the device; `bridges_seen` remembers bridges' last words across
    the devices of one request, so a fleet heard through one bridge asks for it once."""
    newest = {t: _newest(session, device.id, t, limit) for t, limit in LOOK_BACK.items()}
    heard = [newest[t][0] for t in HEARD if newest[t]]
    latest = max(heard, key=lambda row: (row[0], row[1]), default=None)
    states = _oldest_first(newest[ReadingType.HEARTBEAT] + newest[ReadingType.STATUS], RECENT_STATES)
    locations = _oldest_first(newest[ReadingType.LOCATION], RECENT_LOCATIONS)
    bridge = session.get(Device, device.bridge_id) if device.bridge_id else None
    bridge_last_seen = None
    if bridge is not None:
        seen = {} if bridges_seen is None else bridges_seen
        if bridge.id not in seen:
            seen[bridge.id] = last_seen(session, bridge.id)
        bridge_last_seen = seen[bridge.id]
    return DeviceFacts(
        device=device_info(device),
        latest_selftest=_newest_of(newest[ReadingType.SELFTEST]),
        latest_location=locations[-1] if locations else None,
        latest_state=states[-1] if states else None,
        latest_availability=_newest_of(newest[ReadingType.AVAILABILITY]),
        known_since=device.created_at,
        bridge_id=device.bridge_id,
        bridge_last_seen=bridge_last_seen,
        bridge_report_interval_s=30 if bridge is None else bridge.report_interval_s,
        serviced_at=device.serviced_at,
        recent_locations=locations,
        recent_states=states,
        recent_events=_oldest_first(newest[ReadingType.EVENT], RECENT_EVENTS),
        last_seen=None if latest is None else latest[0],
        last_site=None if latest is None else latest[2].site,
        clock_offset_s=device.clock_offset_s,
        reported=problem_report(session, device.id),
    )


def problem_report(session: Session, device_id: str) -> ProblemReport | None:
    """The device's open `reported_problem` alert as the pages say it, with the name of the
    person on it (never their e-mail, which a public page must not show)."""
    alert = session.scalars(
        select(Alert).where(
            Alert.device_id == device_id,
            Alert.type == AlertType.REPORTED_PROBLEM.value,
            Alert.state != AlertState.RESOLVED.value,
        )
    ).first()
    if alert is None:
        return None
    person = None
    if alert.acknowledged_by:
        person = session.scalars(select(User.name).where(User.email == alert.acknowledged_by)).first()
    return ProblemReport(alert.last_opened_at, alert.acknowledged_at, person)
