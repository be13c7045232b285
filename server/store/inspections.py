"""Monthly visual inspections and mobile units' shift checks, part of the compliance record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Inspection, ShiftCheck


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


def add_shift_check(session: Session, check: ShiftCheck) -> ShiftCheck:
    session.add(check)
    session.flush()
    return check


def shift_checks_of(session: Session, device_id: str, limit: int = 50) -> Sequence[ShiftCheck]:
    """The unit's newest shift checks, newest first."""
    return session.scalars(
        select(ShiftCheck)
        .where(ShiftCheck.device_id == device_id)
        .order_by(ShiftCheck.at.desc(), ShiftCheck.id.desc())
        .limit(limit)
    ).all()


def last_shift_check(session: Session, device_id: str) -> datetime | None:
    return session.scalar(
        select(ShiftCheck.at).where(ShiftCheck.device_id == device_id).order_by(ShiftCheck.at.desc()).limit(1)
    )


def shift_checks_between(
    session: Session, device_ids: Sequence[str], start: datetime, end: datetime
) -> Sequence[ShiftCheck]:
    return session.scalars(
        select(ShiftCheck)
        .where(ShiftCheck.device_id.in_(device_ids), ShiftCheck.at >= start, ShiftCheck.at < end)
        .order_by(ShiftCheck.at, ShiftCheck.id)
    ).all()
