"""The feed of verdict and alert changes the pages' event streams read: appended in the
transaction of the change itself, read by id by every server, pruned after an hour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import Change


def add(session: Session, kind: str, device_id: str, site: str, body: dict[str, Any], now: datetime) -> None:
    session.add(Change(at=now, kind=kind, device_id=device_id, site=site, body=body))


ACCESS = "access"  # a person's or key's right changed: every server re-authorises its streams


def access_changed(session: Session, now: datetime) -> None:
    """Tell every server's streams that someone's access changed (a person disabled or changed,
    a session ended, a key revoked, a site moved to another area), in the change's own
    transaction; each re-authorises its readers and ends those no longer allowed."""
    session.add(Change(at=now, kind=ACCESS, device_id="", site="", body={}))


def since(session: Session, after_id: int, limit: int = 1000) -> Sequence[Change]:
    return session.scalars(select(Change).where(Change.id > after_id).order_by(Change.id).limit(limit)).all()


def newest_id(session: Session) -> int:
    found = session.scalars(select(Change.id).order_by(Change.id.desc()).limit(1)).first()
    return int(found or 0)


def prune(session: Session, before: datetime) -> None:
    session.execute(delete(Change).where(Change.at < before))
