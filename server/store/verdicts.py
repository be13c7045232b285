"""The verdict history: each change of a device's readiness (written by `snapshots.save`),
read for the programme's reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Verdict


def of_period(
    session: Session, device_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Verdict]]:
    """Each device's changes in [start, end), after the newest at or before `start` (how the
    period began), oldest first."""
    found: dict[str, list[Verdict]] = {device_id: [] for device_id in device_ids}
    if not device_ids:
        return found
    began = (
        select(Verdict.device_id, func.max(Verdict.at).label("at"))
        .where(Verdict.device_id.in_(device_ids), Verdict.at <= start)
        .group_by(Verdict.device_id)
        .subquery()
    )
    first = select(Verdict).join(began, (Verdict.device_id == began.c.device_id) & (Verdict.at == began.c.at))
    inside = select(Verdict).where(Verdict.device_id.in_(device_ids), Verdict.at > start, Verdict.at < end)
    for verdict in [*session.scalars(first), *session.scalars(inside)]:
        found[verdict.device_id].append(verdict)
    for changes in found.values():
        changes.sort(key=lambda v: (v.at, v.id))
    return found
