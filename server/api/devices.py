"""Devices: register, list with readiness, change, recent readings."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from aedmon.fields import FIELD_BY_KEY, FIELDS
from aedmon.reading import ID_PATTERN, ID_RE, DeviceKind, Reading, ReadingType, metric_values
from server import evaluation, store
from server.access import Access
from server.evaluation import BridgesSeen
from server.i18n import Words
from server.rules.findings import Phrase
from server.rules.readiness import Readiness
from server.store.devices import DeviceFilter, NewDevice
from server.store.models import AlertState, Device
from server.store.snapshots import Snapshot

from . import audit
from .caching import etagged
from .deps import (
    AdminRole,
    NowDep,
    PolicyDep,
    SessionDep,
    SiteQuery,
    SpeakerDep,
    TechnicianRole,
    ViewerRole,
    access_of,
)
from .paging import NOT_OURS, key_of, link_next
from .schemas import DeviceIn, DeviceOut, DevicePatch, OnIt, SeriesOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


def device_out(
    device: Device, snapshot: Snapshot, words: Words, area: str | None, on_it: list[OnIt] | None = None
) -> DeviceOut:
    """The device as the API shows it: its settings, what was last heard, its verdict, and who
    is on its acknowledged alerts."""
    reasons = [(str(reason["key"]), Phrase.from_json(reason)) for reason in snapshot.reasons]
    return DeviceOut(
        **asdict(store.facts.device_info(device, words.zone.key)),
        area=area,
        manufacturer=device.manufacturer,
        model=device.model,
        firmware=device.firmware,
        last_seen=snapshot.last_seen,
        located_lat=snapshot.located_lat,
        located_lon=snapshot.located_lon,
        located_at=snapshot.located_at,
        last_selftest_at=snapshot.last_selftest_at,
        pads_expiry=snapshot.pads_expiry,
        battery_expiry=snapshot.battery_expiry,
        serviced_at=device.serviced_at,
        public=device.public,
        access=device.access,
        indoor=device.indoor,
        opening_hours=device.opening_hours,
        level=device.level,
        osm_ref=device.osm_ref,
        profile=device.profile,
        retired_at=device.retired_at,
        public_key=device.public_key,
        readiness=Readiness(snapshot.readiness),
        reasons=[words.phrase(detail) for _, detail in reasons],
        reason_keys=[key for key, _ in reasons],
        on_it=on_it or [],
    )


def _answer(
    session: Session,
    devices: Sequence[Device],
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
) -> list[DeviceOut]:
    """Each device from its readiness snapshot; one whose verdict time may have changed since
    (or that has none yet) is assessed afresh, as the scheduler's next pass will store it."""
    sites = store.sites.by_ids(session, sorted({d.site for d in devices}))
    zones = {site_id: site.time_zone for site_id, site in sites.items()}
    snapshots = store.snapshots.of_devices(session, [d.id for d in devices])
    taken: dict[str, list[OnIt]] = defaultdict(list)  # one look at the alerts for the whole list
    for alert in store.alerts.open_of_devices(session, [d.id for d in devices]):
        if alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_at is not None:
            by = alert.acknowledged_by or ""
            taken[alert.device_id].append(OnIt(key=alert.type, by=by, since=alert.acknowledged_at))
    seen: BridgesSeen = {}  # one look at each bridge for the whole list
    out = []
    for device in devices:
        stored = snapshots.get(device.id)
        if stored is not None and stored.due_at > now and stored.site == device.site:
            snapshot = store.snapshots.as_snapshot(stored)
        else:
            found = evaluation.assess(session, device, now, policy, seen)
            snapshot = evaluation.snapshot_of(device, found, now, policy)
        area = sites[device.site].area_id if device.site in sites else None
        out.append(device_out(device, snapshot, speaker.at(zones, device.site), area, taken.get(device.id)))
    return out


def visible_device(session: Session, access: Access, device_id: str) -> Device:
    """The device, if the caller sees its site; else 404, as if it did not exist."""
    device = store.devices.get(session, device_id)
    if device is None or not access.sees(device.site):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device_id[:64]}")
    return device


def may_place(session: Session, access: Access, site_id: str, area: str | None) -> bool:
    """Whether the caller may put a device at this site (and the site in this area): an existing
    site it sees, a new one it was given, or a new one in an area it holds."""
    principal = access.principal
    holds_area = area is None or principal.everything or area in principal.areas
    if store.sites.get(session, site_id) is not None:
        allowed = access.sees(site_id)
    else:
        allowed = principal.everything or site_id in principal.sites or (area is not None and holds_area)
    return allowed and holds_area


def place(session: Session, access: Access, site_id: str, area: str | None, now: datetime) -> Access:
    """Make the site (and put it in the area) if the caller may; else 404. Answers the caller's
    access again, since a new site of its area is now its own."""
    if not may_place(session, access, site_id, area):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such site or area")
    if area is not None:
        store.areas.ensure(session, area, now)
    store.sites.ensure(session, site_id, now)
    if area is not None:
        store.sites.set_area(session, site_id, area, now)
    return access_of(session, access.principal)


def _after(cursor: str) -> tuple[str, str]:
    """The (site, id) a cursor of ours names; 400 for anything else."""
    key = key_of(cursor)
    if len(key) == 2 and all(isinstance(part, str) and ID_RE.match(part) for part in key):
        return key[0], key[1]
    raise HTTPException(status.HTTP_400_BAD_REQUEST, NOT_OURS)


@router.get("", response_model=list[DeviceOut])
def list_devices(
    request: Request,
    response: Response,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    access: ViewerRole,
    site: SiteQuery = None,
    area: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    readiness: Annotated[
        list[Readiness] | None, Query(description="any of these (repeat the parameter)")
    ] = None,
    kind: DeviceKind | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="in the id, name, place, or site's id, name, area")
    ] = None,
    retired: Annotated[bool, Query(description="list the retired devices too")] = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    cursor: Annotated[str | None, Query(max_length=200, description="from a Link header's next page")] = None,
) -> Response:
    """Devices in (site, id) order, a page at a time: when there may be more, the `Link`
    header names the next page (`rel="next"`). Each is read from its readiness snapshot."""
    wanted = DeviceFilter(
        sites=access.visible,
        site=site,
        area=area,
        kind=kind.value if kind else None,
        readiness=frozenset(r.value for r in readiness) if readiness else None,
        q=q.strip() if q and q.strip() else None,
        retired=retired,
        after=_after(cursor) if cursor else None,
        limit=limit,
    )
    found = store.devices.page(session, wanted, now)
    if len(found) == limit:
        link_next(request, response, [found[-1].site, found[-1].id])
    answered = _answer(session, found, now, policy, speaker)
    if wanted.readiness is not None:  # those assessed afresh may have left the filter
        answered = [device for device in answered if device.readiness.value in wanted.readiness]
    return etagged(request, answered, DEVICES, response)


DEVICES = TypeAdapter(list[DeviceOut])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_device(
    body: DeviceIn,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    access: AdminRole,
) -> DeviceOut:
    fields = body.model_dump(exclude={"id", "site", "kind", "access", "area"})
    osm_access = body.access.value if body.access else None
    access = place(session, access, body.site, body.area, now)
    new = NewDevice(
        id=body.id,
        site=body.site,
        kind=body.kind,
        access=osm_access,
        created_at=now,
        confirmed=True,
        **fields,
    )
    if not store.devices.insert_if_new(session, new):
        existing = visible_device(session, access, body.id)
        if existing.confirmed:
            raise HTTPException(status.HTTP_409_CONFLICT, f"device {body.id} exists")
        # An auto-registered device is confirmed by registering it properly.
        changes = {**fields, "site": body.site, "kind": body.kind.value, "access": osm_access}
        for name, value in changes.items():
            setattr(existing, name, value)
        existing.report_interval_s = body.report_interval_s or store.devices.default_interval(body.kind)
        existing.confirmed = True
        existing.retired_at = None
    session.flush()
    device = visible_device(session, access, body.id)
    evaluation.evaluate(session, device, now, policy)
    audit_device(session, access, device, "created", body.model_dump(mode="json", exclude_unset=True), now)
    session.commit()
    return _answer(session, [device], now, policy, speaker)[0]


@router.get("/{device_id}")
def get_device(
    device_id: str,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    access: ViewerRole,
) -> DeviceOut:
    return _answer(session, [visible_device(session, access, device_id)], now, policy, speaker)[0]


@router.patch("/{device_id}")
def patch_device(
    device_id: str,
    body: DevicePatch,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    access: AdminRole,
) -> DeviceOut:
    device = visible_device(session, access, device_id)
    changes = body.model_dump(exclude_unset=True)
    required = ("site", "kind", "name", "place", "report_interval_s", "confirmed", "public")
    for name in required:
        if name in changes and changes[name] is None:
            raise HTTPException(422, f"{name} cannot be null")
    area = changes.pop("area", None)
    retired = changes.pop("retired", None)
    if changes.get("site") or area is not None:
        access = place(session, access, changes.get("site") or device.site, area, now)
    for name, value in changes.items():
        setattr(device, name, value.value if isinstance(value, StrEnum) else value)
    if retired is not None:
        device.retired_at = (device.retired_at or now) if retired else None
    evaluation.evaluate(session, device, now, policy)
    audit_device(session, access, device, "changed", body.model_dump(mode="json", exclude_unset=True), now)
    session.commit()
    return _answer(session, [device], now, policy, speaker)[0]


@router.delete("/{device_id}")
def retire_device(
    device_id: str,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    access: AdminRole,
) -> DeviceOut:
    """Retire the device: its history and compliance record stay, its open alerts resolve, and
    it leaves the lists and the rules (`PATCH {"retired": false}` puts it back)."""
    device = visible_device(session, access, device_id)
    if device.retired_at is None:
        device.retired_at = now
        evaluation.evaluate(session, device, now, policy)
        audit_device(session, access, device, "retired", {}, now)
        session.commit()
        log.info("device retired", extra={"device": device_id, "by": access.name})
    return _answer(session, [device], now, policy, speaker)[0]


def audit_device(
    session: Session, access: Access, device: Device, action: str, changes: dict[str, object], now: datetime
) -> None:
    audit.note(session, access, audit.Subject.DEVICE, device.id, action, now, changes, site=device.site)


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
    device = visible_device(session, role, device_id)
    device.serviced_at = now
    evaluation.evaluate(session, device, now, policy)
    session.commit()
    log.info("device back in service", extra={"device": device_id, "by": role.name})
    return _answer(session, [device], now, policy, speaker)[0]


@router.get("/{device_id}/series")
def device_series(
    device_id: str,
    session: SessionDep,
    speaker: SpeakerDep,
    access: ViewerRole,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[SeriesOut]:
    """The device's recent history of every charted field of the fields table that it has."""
    device = visible_device(session, access, device_id)
    words = speaker.at(store.sites.time_zones(session, [device.site]), device.site)
    charted = {reading_type for row in FIELDS for reading_type in row.charts}
    points: dict[str, list[tuple[datetime, float]]] = {}
    for reading_type in sorted(charted):
        for reading in store.readings.recent(session, device_id, limit, ReadingType(reading_type)):
            for key, value in metric_values(reading).items():
                if reading_type in FIELD_BY_KEY[key].charts:
                    points.setdefault(key, []).append((reading.device_time, value))
    return [
        SeriesOut(
            key=row.key,
            label=words(row.label),
            unit=row.unit,
            points=sorted(points[row.key]),
            steps=bool(row.levels) or row.type is bool or row.charts == {ReadingType.SELFTEST},
            levels=dict(row.levels) if row.levels else None,
            level_words={str(level): words(said) for level, said in row.level_labels().items()} or None,
            range=(0.0, 100.0) if row.unit == "%" else None,
        )
        for row in FIELDS
        if row.key in points
    ]


@router.get("/{device_id}/readings")
def device_readings(
    device_id: str,
    session: SessionDep,
    access: ViewerRole,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: ReadingType | None = None,  # noqa: A002  (the API's own word)
) -> list[Reading]:
    visible_device(session, access, device_id)
    return store.readings.recent(session, device_id, limit, type)
