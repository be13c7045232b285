"""Alerts and their audit trail. One open alert per (device, type) is the database's rule
(a partial unique index), so two servers evaluating one device cannot both open it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.rules.findings import AlertType, Severity

from .conflicts import insert_or_skip
from .models import Action, Alert, AlertEvent, AlertState, Device


def insert_if_none_open(
    session: Session,
    *,
    device_id: str,
    alert_type: AlertType,
    severity: Severity,
    detail: dict[str, Any],
    message: str,
    now: datetime,
) -> Alert | None:
    """Open a new alert; None when one of its (device, type) is open already."""
    new_id = insert_or_skip(
        session,
        Alert,
        device_id=device_id,
        type=alert_type.value,
        severity=severity.value,
        state=AlertState.OPEN.value,
        params=detail,
        message=message,
        opened_at=now,
        last_opened_at=now,
        occurrences=1,
    )
    return None if new_id is None else session.get(Alert, new_id)


def get(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def open_of(session: Session, device_id: str) -> Sequence[Alert]:
    """The device's alerts not resolved (open or acknowledged)."""
    return session.scalars(
        select(Alert).where(Alert.device_id == device_id, Alert.state != AlertState.RESOLVED.value)
    ).all()


def open_of_devices(session: Session, device_ids: Sequence[str]) -> Sequence[Alert]:
    return session.scalars(
        select(Alert)
        .where(Alert.device_id.in_(device_ids), Alert.state != AlertState.RESOLVED.value)
        .order_by(Alert.id)
    ).all()


def resolved_since(session: Session, device_id: str, alert_type: AlertType, since: datetime) -> Alert | None:
    """The newest alert of this device and type resolved at or after `since`."""
    return session.scalars(
        select(Alert)
        .where(
            Alert.device_id == device_id,
            Alert.type == alert_type.value,
            Alert.state == AlertState.RESOLVED.value,
            Alert.resolved_at >= since,
        )
        .order_by(Alert.resolved_at.desc())
        .limit(1)
    ).first()


def critical_open_since(session: Session, before: datetime) -> Sequence[Alert]:
    """Critical alerts open (not acknowledged) since `before` or earlier."""
    return session.scalars(
        select(Alert).where(
            Alert.state == AlertState.OPEN.value,
            Alert.severity == Severity.CRITICAL.value,
            Alert.last_opened_at <= before,
        )
    ).all()


def listed(
    session: Session,
    *,
    state: AlertState | None,
    device_id: str | None,
    limit: int,
    sites: frozenset[str] | None = None,
) -> Sequence[Alert]:
    """Alerts, newest opened first; only of devices at `sites` if given."""
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    if sites is not None:
        query = query.join(Device, Device.id == Alert.device_id).where(Device.site.in_(sorted(sites)))
    if state is not None:
        query = query.where(Alert.state == state.value)
    if device_id is not None:
        query = query.where(Alert.device_id == device_id)
    return session.scalars(query).all()


def add_event(
    session: Session, alert: Alert, action: Action, actor: str, now: datetime, note: str | None
) -> None:
    session.add(
        AlertEvent(
            alert_id=alert.id,
            at=now,
            action=action.value,
            actor=actor,
            occurrence=alert.occurrences,
            note=note,
        )
    )


def history(session: Session, alert_id: int) -> Sequence[AlertEvent]:
    return session.scalars(
        select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    ).all()


def last_event_at(session: Session, device_id: str, alert_type: AlertType) -> datetime | None:
    """When an alert of this device and type last changed (a report added, say)."""
    return session.scalars(
        select(AlertEvent.at)
        .join(Alert, Alert.id == AlertEvent.alert_id)
        .where(Alert.device_id == device_id, Alert.type == alert_type.value)
        .order_by(AlertEvent.at.desc())
        .limit(1)
    ).first()
