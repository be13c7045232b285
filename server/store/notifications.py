"""The notification outbox: one row per (alert event, contact), planned once, claimed to send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .conflicts import insert_or_skip
from .models import Notification, NotificationState, Purpose


def insert_once(
    session: Session,
    *,
    dedupe_key: str,
    contact_id: int,
    alert_id: int | None,
    site: str,
    purpose: Purpose,
    state: NotificationState,
    body: dict[str, Any],
    now: datetime,
) -> bool:
    """Plan a notification unless the same one (key) for the same contact is already planned."""
    new_id = insert_or_skip(
        session,
        Notification,
        dedupe_key=dedupe_key,
        contact_id=contact_id,
        alert_id=alert_id,
        site=site,
        purpose=purpose.value,
        state=state.value,
        due_at=now,
        attempts=0,
        body=body,
        created_at=now,
    )
    return new_id is not None


def candidates(session: Session, now: datetime, lease: timedelta, limit: int = 500) -> Sequence[Notification]:
    """Rows that may be due: pending ones, and ones a server claimed but did not finish within `lease`."""
    return session.scalars(
        select(Notification)
        .where(
            or_(
                Notification.state == NotificationState.PENDING.value,
                (Notification.state == NotificationState.SENDING.value) & (Notification.due_at < now - lease),
            )
        )
        .where(Notification.due_at <= now)
        .order_by(Notification.id)
        .limit(limit)
    ).all()


def claim(
    session: Session, pending: Sequence[int], stale: Mapping[timedelta, Sequence[int]], now: datetime
) -> Sequence[int]:
    """Mark rows as being sent by this server, and answer the ids it got: of `pending`, those
    still pending; of `stale` (by lease), those still claimed by a server that has not
    finished within the lease. A row another server claimed meanwhile fails both tests (its
    claim made it `sending` and moved `due_at` to then), and one it is claiming right now is
    locked and skipped (SELECT … FOR UPDATE SKIP LOCKED, where the engine has row locks)."""
    still = [(Notification.id.in_(pending)) & (Notification.state == NotificationState.PENDING.value)]
    for lease, ids in stale.items():
        still.append(
            Notification.id.in_(ids)
            & (Notification.state == NotificationState.SENDING.value)
            & (Notification.due_at < now - lease)
        )
    locked = session.scalars(
        select(Notification.id).where(or_(*still)).order_by(Notification.id).with_for_update(skip_locked=True)
    ).all()
    if locked:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(locked))
            .values(state=NotificationState.SENDING.value, due_at=now)
        )
    return locked


def by_ids(session: Session, ids: Sequence[int]) -> Sequence[Notification]:
    return session.scalars(
        select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
    ).all()


def listed(
    session: Session, *, alert_id: int | None, limit: int, sites: frozenset[str] | None = None
) -> Sequence[Notification]:
    """What was told to whom, newest first; only of `sites` if given."""
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if sites is not None:
        query = query.where(Notification.site.in_(sorted(sites)))
    if alert_id is not None:
        query = query.where(Notification.alert_id == alert_id)
    return session.scalars(query).all()
