"""Areas: a municipality's or a programme's sites, made when a device first names one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from .conflicts import insert_or_skip
from .models import Area


def ensure(session: Session, area_id: str, now: datetime) -> None:
    if session.get(Area, area_id) is None:
        insert_or_skip(session, Area, id=area_id, name="", created_at=now)


def get(session: Session, area_id: str) -> Area | None:
    return session.get(Area, area_id)
