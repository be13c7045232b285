"""Devices: one row each, registered by an admin or, unconfirmed, by their first reading."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind
from server.rules.facts import DEFAULT_REPORT_INTERVAL_S

from .conflicts import dialect_insert
from .models import Device, ReadinessSnapshot, Site
from .search import containing


@dataclass(frozen=True)
class NewDevice:
    """What a new device row holds; the rest (clock head, bridge, identity) it learns later."""

    id: str
    site: str
    kind: DeviceKind
    created_at: datetime
    confirmed: bool
    name: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    geofence_m: float | None = None
    report_interval_s: int | None = None  # None: the kind's default
    public: bool = False
    access: str | None = None
    indoor: bool | None = None
    opening_hours: str | None = None
    level: str | None = None
    osm_ref: str | None = None
    profile: str | None = None  # its sensor profile (aedmon.profiles), when a person chose one


def profiles(session: Session, sites: frozenset[str] | None) -> dict[str, str]:
    """The sensor profile chosen for each device in service that has one, of these sites (None: all)."""
    query = select(Device.id, Device.profile).where(Device.profile.is_not(None), Device.retired_at.is_(None))
    if sites is not None:
        query = query.where(Device.site.in_(sites))
    return {device: str(profile) for device, profile in session.execute(query)}


def default_interval(kind: DeviceKind) -> int:
    return DEFAULT_REPORT_INTERVAL_S[kind]


def insert_if_new(session: Session, device: NewDevice) -> bool:
    """Insert the device unless its id is taken (another server may register it at once)."""
    return bool(insert_many_if_new(session, [device]))


def insert_many_if_new(session: Session, devices: Sequence[NewDevice]) -> set[str]:
    """Insert each device unless its id is taken, with one statement for all; the ids inserted."""
    if not devices:
        return set()
    rows = []
    for device in devices:
        values = asdict(device)
        values["kind"] = device.kind.value
        values["report_interval_s"] = device.report_interval_s or default_interval(device.kind)
        rows.append({**values, "public_key": secrets.token_urlsafe(16)})
    statement = dialect_insert(session)(Device).on_conflict_do_nothing().returning(Device.id)
    return set(session.scalars(statement, rows))


def get(session: Session, device_id: str, *, lock: bool = False) -> Device | None:
    """The device; with `lock`, held for this transaction (FOR UPDATE where the engine has it)."""
    return session.get(Device, device_id, with_for_update=lock or None)


def locked(session: Session, device_ids: Sequence[str]) -> dict[str, Device]:
    """Those of the devices that exist, held for this transaction and taken in id order (so that
    two batches of the same devices take turns rather than deadlock)."""
    found = session.scalars(
        select(Device)
        .where(Device.id.in_(sorted(device_ids)))
        .order_by(Device.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {device.id: device for device in found}


def listed(
    session: Session,
    *,
    site: str | None = None,
    device_id: str | None = None,
    sites: frozenset[str] | None = None,
    retired: bool = False,
) -> Sequence[Device]:
    """Devices in service by site and id, optionally of one site or one id, only of `sites` if
    given; with `retired`, the retired ones too."""
    query = select(Device).order_by(Device.site, Device.id)
    if not retired:
        query = query.where(Device.retired_at.is_(None))
    if sites is not None:
        query = query.where(Device.site.in_(sorted(sites)))
    if site is not None:
        query = query.where(Device.site == site)
    if device_id is not None:
        query = query.where(Device.id == device_id)
    return session.scalars(query).all()


def all_ids(session: Session) -> Sequence[str]:
    """The devices in service."""
    return session.scalars(select(Device.id).where(Device.retired_at.is_(None)).order_by(Device.id)).all()


def sites(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(Device.site).where(Device.retired_at.is_(None)))))


def public_located(session: Session) -> Sequence[Device]:
    """The devices whose owner opted in to the open-data feed and that have a place on the map."""
    return session.scalars(
        select(Device)
        .where(Device.public.is_(True), Device.lat.is_not(None), Device.lon.is_not(None))
        .where(Device.retired_at.is_(None))
        .order_by(Device.id)
    ).all()


def by_ids(session: Session, device_ids: Sequence[str]) -> Sequence[Device]:
    return session.scalars(select(Device).where(Device.id.in_(device_ids))).all()


def by_osm_refs(session: Session, refs: Sequence[str]) -> dict[str, Device]:
    """Devices imported from these OpenStreetMap objects (node/123, way/45), by reference."""
    found = session.scalars(select(Device).where(Device.osm_ref.in_(sorted(set(refs))))).all()
    return {device.osm_ref: device for device in found if device.osm_ref}


@dataclass(frozen=True)
class DeviceFilter:
    """Which devices a list shows (all given conditions hold), after which (site, id), how many."""

    sites: frozenset[str] | None = None  # the caller's scope; None: every site
    site: str | None = None
    area: str | None = None
    kind: str | None = None
    readiness: frozenset[str] | None = None
    q: str | None = None
    retired: bool = False
    after: tuple[str, str] | None = None
    limit: int = 1000


def page(session: Session, wanted: DeviceFilter, now: datetime) -> Sequence[Device]:
    """A page of devices in (site, id) order. Readiness is the snapshot's where it is current;
    a device whose snapshot is due or missing is included for the caller to assess."""
    query = select(Device).order_by(Device.site, Device.id).limit(wanted.limit)
    if not wanted.retired:
        query = query.where(Device.retired_at.is_(None))
    if wanted.sites is not None:
        query = query.where(Device.site.in_(sorted(wanted.sites)))
    if wanted.site is not None:
        query = query.where(Device.site == wanted.site)
    if wanted.area is not None:
        query = query.where(Device.site.in_(select(Site.id).where(Site.area_id == wanted.area)))
    if wanted.kind is not None:
        query = query.where(Device.kind == wanted.kind)
    if wanted.q:  # in the device's id, name or place, or its site's id, name or area
        named = select(Site.id).where(containing(wanted.q, Site.name, Site.area_id))
        own = containing(wanted.q, Device.id, Device.name, Device.place, Device.site)
        query = query.where(or_(own, Device.site.in_(named)))
    if wanted.readiness is not None:
        query = query.outerjoin(ReadinessSnapshot, ReadinessSnapshot.device_id == Device.id).where(
            or_(
                ReadinessSnapshot.readiness.in_(sorted(wanted.readiness)),
                ReadinessSnapshot.device_id.is_(None),
                ReadinessSnapshot.due_at <= now,
            )
        )
    if wanted.after is not None:
        site, device_id = wanted.after
        query = query.where(or_(Device.site > site, and_(Device.site == site, Device.id > device_id)))
    return session.scalars(query).all()
