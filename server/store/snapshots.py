"""The readiness snapshot: one row per device with its verdict as last evaluated, read by the
lists, the sites' counts and the scheduler (which visits the rows whose `due_at` has passed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .conflicts import upsert
from .models import Device, ReadinessSnapshot


@dataclass(frozen=True)
class Snapshot:
    site: str
    readiness: str
    reasons: list[dict[str, Any]]  # [{key, id, params}] in the verdict's order
    last_seen: datetime | None
    last_selftest_at: datetime | None
    pads_expiry: date | None
    battery_expiry: date | None
    located_lat: float | None
    located_lon: float | None
    located_at: datetime | None
    due_at: datetime


def save(session: Session, device_id: str, snapshot: Snapshot, now: datetime) -> None:
    """Keep the device's snapshot (in the caller's transaction: with the evaluation that made it)."""
    upsert(
        session,
        ReadinessSnapshot,
        "device_id",
        device_id=device_id,
        evaluated_at=now,
        **snapshot.__dict__,
    )


def as_snapshot(row: ReadinessSnapshot) -> Snapshot:
    return Snapshot(
        site=row.site,
        readiness=row.readiness,
        reasons=list(row.reasons),
        last_seen=row.last_seen,
        last_selftest_at=row.last_selftest_at,
        pads_expiry=row.pads_expiry,
        battery_expiry=row.battery_expiry,
        located_lat=row.located_lat,
        located_lon=row.located_lon,
        located_at=row.located_at,
        due_at=row.due_at,
    )


def of_devices(session: Session, device_ids: Sequence[str]) -> dict[str, ReadinessSnapshot]:
    rows = session.scalars(select(ReadinessSnapshot).where(ReadinessSnapshot.device_id.in_(device_ids)))
    return {row.device_id: row for row in rows}


def due(session: Session, now: datetime, limit: int) -> Sequence[str]:
    """Devices in service whose snapshot time may have changed (through the due_at index),
    and those with none yet; the earliest first."""
    stale = session.scalars(
        select(ReadinessSnapshot.device_id)
        .join(Device, Device.id == ReadinessSnapshot.device_id)
        .where(ReadinessSnapshot.due_at <= now, Device.retired_at.is_(None))
        .order_by(ReadinessSnapshot.due_at)
        .limit(limit)
    ).all()
    missing = session.scalars(
        select(Device.id)
        .outerjoin(ReadinessSnapshot, ReadinessSnapshot.device_id == Device.id)
        .where(ReadinessSnapshot.device_id.is_(None), Device.retired_at.is_(None))
        .limit(limit)
    ).all()
    return [*stale, *missing][:limit]


def counts_by_site(session: Session, sites: frozenset[str] | None) -> dict[str, dict[str, int]]:
    """How many devices in service each site has of each readiness, from one aggregate query
    (a device not evaluated yet counts as unknown)."""
    readiness = func.coalesce(ReadinessSnapshot.readiness, "unknown")
    query = (
        select(Device.site, readiness, func.count())
        .outerjoin(ReadinessSnapshot, ReadinessSnapshot.device_id == Device.id)
        .where(Device.retired_at.is_(None), Device.kind != "bridge")
        .group_by(Device.site, readiness)
    )
    if sites is not None:
        query = query.where(Device.site.in_(sorted(sites)))
    counts: dict[str, dict[str, int]] = {}
    for site, said, count in session.execute(query):
        counts.setdefault(site, {})[said] = int(count)
    return counts
