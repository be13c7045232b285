"""Monthly visual inspections, part of the compliance record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Inspection


def add(session: Session, inspection: Inspection) -> Inspection:
    session.add(inspection)
    session.flush()
    return inspection


def of_device(session: Session, device_id: str) -> Sequence[Inspection]:
    """The device's inspections, newest first."""
    return session.scalars(
        select(Inspection).where(Inspection.device_id == device_id).order_by(Inspection.at.desc())
    ).all()


def between(
    session: Session, device_ids: Sequence[str], start: datetime, end: datetime
) -> Sequence[Inspection]:
    return session.scalars(
        select(Inspection)
        .where(Inspection.device_id.in_(device_ids), Inspection.at >= start, Inspection.at < end)
        .order_by(Inspection.at, Inspection.id)
    ).all()
