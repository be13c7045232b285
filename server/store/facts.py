"""The rules' read model: what the store knows of one device (its newest readings of each
type, as the server placed them, and its bridge's last word) as `DeviceFacts`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, ReadingType
from server.rules.facts import DeviceFacts, DeviceInfo, ProblemReport
from server.rules.findings import AlertType
from server.rules.memory import HEARD, RECENT_EVENTS, RECENT_LOCATIONS, RECENT_STATES, Memory, Row

from . import inspections, sites
from .models import Alert, AlertState, Device, StoredReading, User


def device_info(device: Device, time_zone: str | None = None) -> DeviceInfo:
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
        time_zone=time_zone,
    )


# How far back the rules look for "since when" and for consecutive fixes, in readings of each
# type; one newest reading of the others.
_DEEPER = {
    ReadingType.HEARTBEAT: RECENT_STATES,
    ReadingType.STATUS: RECENT_STATES,
    ReadingType.EVENT: RECENT_EVENTS,
    ReadingType.LOCATION: RECENT_LOCATIONS,
}
LOOK_BACK = {reading_type: _DEEPER.get(reading_type, 1) for reading_type in ReadingType}
_BODY = cast(StoredReading.body, Text)


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


def remembered(session: Session, device_id: str) -> Memory:
    """The rules' memory of the device (server.rules.memory) built afresh from its history."""
    return Memory.of(row for t, limit in LOOK_BACK.items() for row in _newest(session, device_id, t, limit))


def remembered_all(session: Session, device_ids: Sequence[str]) -> dict[str, Memory]:
    """`remembered` for each of these devices, asking only those with any history: a device
    never heard from (just imported, say) remembers nothing."""
    heard: set[str] = set()
    for start in range(0, len(device_ids), 500):
        chunk = list(device_ids[start : start + 500])
        heard.update(
            session.scalars(
                select(StoredReading.device_id).where(StoredReading.device_id.in_(chunk)).distinct()
            )
        )
    return {
        device_id: remembered(session, device_id) if device_id in heard else Memory.of(())
        for device_id in device_ids
    }


def device_facts(
    session: Session,
    device: Device,
    bridges_seen: dict[str, datetime | None] | None = None,
    memory: Memory | None = None,
    reported: ProblemReport | None | Literal["ask"] = "ask",
) -> DeviceFacts:
    """What the store knows of the device: from `memory` when the caller has it (else from its
    history), and `reported` when the caller looked. `bridges_seen` remembers bridges' last
    words across the devices of one request, so a fleet heard through one bridge asks for it
    once."""
    memory = memory or remembered(session, device.id)
    bridge = session.get(Device, device.bridge_id) if device.bridge_id else None
    bridge_last_seen = None
    if bridge is not None:
        seen = {} if bridges_seen is None else bridges_seen
        if bridge.id not in seen:
            seen[bridge.id] = last_seen(session, bridge.id)
        bridge_last_seen = seen[bridge.id]
    mobile = device.kind == DeviceKind.MOBILE_UNIT.value  # only a unit has shifts: one query each
    zone = sites.time_zones(session, [device.site]).get(device.site) if mobile else None
    return memory.facts(
        device_info(device, zone),
        last_shift_check=inspections.last_shift_check(session, device.id) if mobile else None,
        unchecked_since=_opened(session, device.id, AlertType.SHIFT_UNCHECKED) if mobile else None,
        known_since=device.created_at,
        bridge_id=device.bridge_id,
        bridge_last_seen=bridge_last_seen,
        bridge_report_interval_s=30 if bridge is None else bridge.report_interval_s,
        serviced_at=device.serviced_at,
        clock_offset_s=device.clock_offset_s,
        reported=problem_report(session, device.id) if reported == "ask" else reported,
    )


def _opened(session: Session, device_id: str, alert_type: AlertType) -> datetime | None:
    """When the device's open alert of this type last opened; None if none is open."""
    return session.scalar(
        select(Alert.last_opened_at).where(
            Alert.device_id == device_id,
            Alert.type == alert_type.value,
            Alert.state != AlertState.RESOLVED.value,
        )
    )


def problem_report(session: Session, device_id: str) -> ProblemReport | None:
    """The device's open `reported_problem` alert as the pages say it (see `reported_in`)."""
    alert = session.scalars(
        select(Alert).where(
            Alert.device_id == device_id,
            Alert.type == AlertType.REPORTED_PROBLEM.value,
            Alert.state != AlertState.RESOLVED.value,
        )
    ).first()
    return reported_in(session, [] if alert is None else [alert])


def reported_in(session: Session, open_alerts: Iterable[Alert]) -> ProblemReport | None:
    """The open `reported_problem` alert among a device's open alerts, with the name of the
    person on it (never their e-mail, which a public page must not show)."""
    alert = next((a for a in open_alerts if a.type == AlertType.REPORTED_PROBLEM.value), None)
    if alert is None:
        return None
    person = None
    if alert.acknowledged_by:
        person = session.scalars(select(User.name).where(User.email == alert.acknowledged_by)).first()
    return ProblemReport(alert.last_opened_at, alert.acknowledged_at, person)
