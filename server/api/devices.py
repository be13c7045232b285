"""Devices: register, list with readiness, change, recent readings."""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from aedmon.reading import Reading, ReadingType
from server.ingest import device_verdict, evaluate_device
from server.store import queries
from server.store.models import Device

from .deps import AdminRole, NowDep, PolicyDep, SessionDep, TechnicianRole, ViewerRole
from .schemas import DeviceIn, DeviceOut, DevicePatch

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


def _out(
    session: SessionDep,
    device: Device,
    now: NowDep,
    policy: PolicyDep,
    bridges_seen: dict[str, datetime | None] | None = None,
) -> DeviceOut:
    facts, verdict = device_verdict(session, device, now, policy, bridges_seen)
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
        readiness=verdict.readiness,
        reasons=list(verdict.texts),
        reason_keys=[reason.key.value for reason in verdict.reasons],
    )


def _get(session: SessionDep, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device_id}")
    return device


@router.get("")
def list_devices(
    session: SessionDep, now: NowDep, policy: PolicyDep, _: ViewerRole, site: str | None = None
) -> list[DeviceOut]:
    query = select(Device).order_by(Device.site, Device.id)
    if site is not None:
        query = query.where(Device.site == site)
    bridges_seen: dict[str, datetime | None] = {}  # one look at each bridge for the whole list
    return [_out(session, device, now, policy, bridges_seen) for device in session.scalars(query)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_device(
    body: DeviceIn, session: SessionDep, now: NowDep, policy: PolicyDep, _: AdminRole
) -> DeviceOut:
    values: dict[str, Any] = body.model_dump()
    values["kind"] = body.kind.value
    values["access"] = body.access.value if body.access else None
    values["report_interval_s"] = body.report_interval_s or queries.default_interval(body.kind)
    fresh = {**values, "confirmed": True, "created_at": now, "public_key": secrets.token_urlsafe(16)}
    if not queries.insert_device_if_new(session, fresh):
        existing = _get(session, body.id)
        if existing.confirmed:
            raise HTTPException(status.HTTP_409_CONFLICT, f"device {body.id} exists")
        # An auto-registered device is confirmed by registering it properly.
        for name, value in values.items():
            setattr(existing, name, value)
        existing.confirmed = True
    session.flush()
    device = _get(session, body.id)
    evaluate_device(session, device, now, policy)
    session.commit()
    return _out(session, device, now, policy)


@router.get("/{device_id}")
def get_device(
    device_id: str, session: SessionDep, now: NowDep, policy: PolicyDep, _: ViewerRole
) -> DeviceOut:
    return _out(session, _get(session, device_id), now, policy)


@router.patch("/{device_id}")
def patch_device(
    device_id: str, body: DevicePatch, session: SessionDep, now: NowDep, policy: PolicyDep, _: AdminRole
) -> DeviceOut:
    device = _get(session, device_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None and name in (
            "site",
            "kind",
            "name",
            "place",
            "report_interval_s",
            "confirmed",
            "public",
        ):
            raise HTTPException(422, f"{name} cannot be null")
        setattr(device, name, value.value if isinstance(value, StrEnum) else value)
    evaluate_device(session, device, now, policy)
    session.commit()
    return _out(session, device, now, policy)


@router.post("/{device_id}/service")
def confirm_service(
    device_id: str, session: SessionDep, now: NowDep, policy: PolicyDep, role: TechnicianRole
) -> DeviceOut:
    """A technician confirms the device is back in service (pads replaced, record downloaded)."""
    device = _get(session, device_id)
    device.serviced_at = now
    evaluate_device(session, device, now, policy)
    session.commit()
    log.info("device back in service", extra={"device": device_id, "by": role.value})
    return _out(session, device, now, policy)


@router.get("/{device_id}/readings")
def device_readings(
    device_id: str,
    session: SessionDep,
    _: ViewerRole,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: ReadingType | None = None,  # noqa: A002  (the API's own word)
) -> list[Reading]:
    _get(session, device_id)
    return queries.recent_readings(session, device_id, limit, type)
