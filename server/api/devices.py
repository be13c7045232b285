"""Devices: register, list with readiness, change, recent readings."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.orm import Session

from aedmon.fields import FIELD_BY_KEY, FIELDS
from aedmon.reading import Reading, ReadingType, metric_values
from server import evaluation, store
from server.evaluation import Assessment, BridgesSeen
from server.i18n import Words
from server.store.devices import NewDevice
from server.store.models import Device

from .deps import AdminRole, NowDep, PolicyDep, SessionDep, SpeakerDep, TechnicianRole, ViewerRole
from .schemas import DeviceIn, DeviceOut, DevicePatch, SeriesOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


def device_out(device: Device, found: Assessment, words: Words) -> DeviceOut:
    """The device as the API shows it: its settings, what was last heard, and its verdict."""
    facts, verdict = found.facts, found.verdict
    test = facts.latest_selftest
    fix = facts.latest_location
    return DeviceOut(
        **asdict(facts.device),
        manufacturer=device.manufacturer,
        model=device.model,
        firmware=device.firmware,
        last_seen=facts.last_seen,
        located_lat=fix.lat if fix else None,
        located_lon=fix.lon if fix else None,
        located_at=fix.device_time if fix else None,
        last_selftest_at=test.device_time if test else None,
        pads_expiry=test.pads_expiry if test else None,
        battery_expiry=test.battery_expiry if test else None,
        serviced_at=device.serviced_at,
        public=device.public,
        access=device.access,
        indoor=device.indoor,
        opening_hours=device.opening_hours,
        public_key=device.public_key,
        time_zone=words.zone.key,
        readiness=verdict.readiness,
        reasons=[words.phrase(reason.detail) for reason in verdict.reasons],
        reason_keys=[reason.key.value for reason in verdict.reasons],
    )


def _answer(
    session: Session,
    devices: list[Device],
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
) -> list[DeviceOut]:
    zones = store.sites.time_zones(session, sorted({d.site for d in devices}))
    seen: BridgesSeen = {}  # one look at each bridge for the whole list
    return [
        device_out(d, evaluation.assess(session, d, now, policy, seen), speaker.at(zones, d.site))
        for d in devices
    ]


def _get(session: SessionDep, device_id: str) -> Device:
    device = store.devices.get(session, device_id)
    if device is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device_id}")
    return device


@router.get("")
def list_devices(
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    _: ViewerRole,
    site: str | None = None,
) -> list[DeviceOut]:
    return _answer(session, list(store.devices.listed(session, site=site)), now, policy, speaker)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_device(
    body: DeviceIn, session: SessionDep, now: NowDep, policy: PolicyDep, speaker: SpeakerDep, _: AdminRole
) -> DeviceOut:
    fields = body.model_dump(exclude={"id", "site", "kind", "access"})
    access = body.access.value if body.access else None
    store.sites.ensure(session, body.site, now)
    new = NewDevice(
        id=body.id, site=body.site, kind=body.kind, access=access, created_at=now, confirmed=True, **fields
    )
    if not store.devices.insert_if_new(session, new):
        existing = _get(session, body.id)
        if existing.confirmed:
            raise HTTPException(status.HTTP_409_CONFLICT, f"device {body.id} exists")
        # An auto-registered device is confirmed by registering it properly.
        for name, value in {**fields, "site": body.site, "kind": body.kind.value, "access": access}.items():
            setattr(existing, name, value)
        existing.report_interval_s = body.report_interval_s or store.devices.default_interval(body.kind)
        existing.confirmed = True
    session.flush()
    device = _get(session, body.id)
    evaluation.evaluate(session, device, now, policy)
    session.commit()
    return _answer(session, [device], now, policy, speaker)[0]


@router.get("/{device_id}")
def get_device(
    device_id: str, session: SessionDep, now: NowDep, policy: PolicyDep, speaker: SpeakerDep, _: ViewerRole
) -> DeviceOut:
    return _answer(session, [_get(session, device_id)], now, policy, speaker)[0]


@router.patch("/{device_id}")
def patch_device(
    device_id: str,
    body: DevicePatch,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    _: AdminRole,
) -> DeviceOut:
    device = _get(session, device_id)
    changes = body.model_dump(exclude_unset=True)
    required = ("site", "kind", "name", "place", "report_interval_s", "confirmed", "public")
    for name in required:
        if name in changes and changes[name] is None:
            raise HTTPException(422, f"{name} cannot be null")
    if changes.get("site"):
        store.sites.ensure(session, changes["site"], now)
    for name, value in changes.items():
        setattr(device, name, value.value if isinstance(value, StrEnum) else value)
    evaluation.evaluate(session, device, now, policy)
    session.commit()
    return _answer(session, [device], now, policy, speaker)[0]


@router.post("/{device_id}/service")
def confirm_service(
    device_id: str,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    role: TechnicianRole,
) -> DeviceOut:
    """A technician confirms the device is back in service (pads replaced, record downloaded)."""
    device = _get(session, device_id)
    device.serviced_at = now
    evaluation.evaluate(session, device, now, policy)
    session.commit()
    log.info("device back in service", extra={"device": device_id, "by": role.value})
    return _answer(session, [device], now, policy, speaker)[0]


@router.get("/{device_id}/series")
def device_series(
    device_id: str,
    session: SessionDep,
    speaker: SpeakerDep,
    _: ViewerRole,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[SeriesOut]:
    """The device's recent history of every charted field of the fields table that it has."""
    device = _get(session, device_id)
    words = speaker.at(store.sites.time_zones(session, [device.site]), device.site)
    charted = {reading_type for row in FIELDS for reading_type in row.charts}
    points: dict[str, list[tuple[datetime, float]]] = {}
    for reading_type in sorted(charted):
        for reading in store.readings.recent(session, device_id, limit, ReadingType(reading_type)):
            for key, value in metric_values(reading).items():
                if reading_type in FIELD_BY_KEY[key].charts:
                    points.setdefault(key, []).append((reading.device_time, value))
    return [
        SeriesOut(key=row.key, label=words(row.label), unit=row.unit, points=sorted(points[row.key]))
        for row in FIELDS
        if row.key in points
    ]


@router.get("/{device_id}/readings")
def device_readings(
    device_id: str,
    session: SessionDep,
    _: ViewerRole,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: ReadingType | None = None,  # noqa: A002  (the API's own word)
) -> list[Reading]:
    _get(session, device_id)
    return store.readings.recent(session, device_id, limit, type)
