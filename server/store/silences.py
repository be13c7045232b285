"""Maintenance windows: a device's or a site's alerts inside one are recorded, not told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import Device, Silence


def add(session: Session, silence: Silence) -> Silence:
    session.add(silence)
    session.flush()
    return silence


def get(session: Session, silence_id: int) -> Silence | None:
    return session.get(Silence, silence_id)


def listed(
    session: Session,
    *,
    active_at: datetime | None,
    sites: frozenset[str] | None = None,
    ending_after: datetime | None = None,
) -> Sequence[Silence]:
    """Every window, newest first; with `active_at`, only those in force then; with
    `ending_after`, only those that end after it (in force or planned); with `sites`, only those
    of these sites or of their devices."""
    query = select(Silence).order_by(Silence.starts_at.desc())
    if sites is not None:
        devices = select(Device.id).where(Device.site.in_(sorted(sites)))
        query = query.where(or_(Silence.site.in_(sorted(sites)), Silence.device_id.in_(devices)))
    if active_at is not None:
        query = query.where(Silence.starts_at <= active_at, Silence.ends_at > active_at)
    if ending_after is not None:
        query = query.where(Silence.ends_at > ending_after)
    return session.scalars(query).all()


def covers(session: Session, device_id: str, site: str, now: datetime) -> bool:
    """Whether a window of the device or its site is in force now."""
    found = session.scalars(
        select(Silence.id)
        .where(Silence.starts_at <= now, Silence.ends_at > now)
        .where(or_(Silence.device_id == device_id, Silence.site == site))
        .limit(1)
    ).first()
    return found is not None
