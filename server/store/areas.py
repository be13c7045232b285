"""Areas: a municipality's or a programme's sites, made when a device first names one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .conflicts import insert_or_skip
from .models import Area


def ensure(session: Session, area_id: str, now: datetime) -> None:
    if session.get(Area, area_id) is None:
        insert_or_skip(session, Area, id=area_id, name="", created_at=now)


def listed(session: Session) -> Sequence[Area]:
    return session.scalars(select(Area).order_by(Area.id)).all()
