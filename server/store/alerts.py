"""Alerts and their audit trail. One open alert per (device, type) is the database's rule
(a partial unique index), so two servers evaluating one device cannot both open it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

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


class Order(StrEnum):
    """How a list of alerts is sorted."""

    NEWEST = "newest"  # newest opened first
    WORST = "worst"  # most severe, then longest open, first
    SITE = "site"  # by site, then as WORST within each


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a list holds and in what order; `after` is the previous page's last sort key
    (as `key_of` gives it), `sites` the reader's scope (None: every site)."""

    sites: frozenset[str] | None = None
    states: frozenset[str] | None = None
    device_id: str | None = None
    site: str | None = None
    severities: frozenset[str] | None = None
    types: frozenset[str] | None = None
    order: Order = Order.NEWEST
    after: tuple[Any, ...] | None = None
    limit: int = 200


Sortable = ColumnElement[Any] | QueryableAttribute[Any]
RANK = {severity.value: rank for rank, severity in enumerate(Severity)}  # most severe first
UNRANKED = len(RANK)  # a severity no longer known (a hand-edited row) comes after every other
_RANK = case(RANK, value=Alert.severity, else_=UNRANKED)


def _sort_columns(order: Order) -> list[Sortable]:
    if order is Order.NEWEST:
        return [Alert.opened_at, Alert.id]
    worst: list[Sortable] = [_RANK, Alert.last_opened_at, Alert.id]
    return [Device.site, *worst] if order is Order.SITE else worst


def key_of(alert: Alert, site: str, order: Order) -> tuple[Any, ...]:
    """The alert's sort key in a list of this order: what `AlertFilter.after` takes."""
    if order is Order.NEWEST:
        return (alert.opened_at, alert.id)
    worst = (RANK.get(alert.severity, UNRANKED), alert.last_opened_at, alert.id)
    return (site, *worst) if order is Order.SITE else worst


def _beyond(columns: Sequence[Sortable], key: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    """Rows after `key` in the order of `columns` (all one direction): (a, b) > (x, y) spelled
    out, so that each value is bound with its own column's type."""
    terms = []
    for depth, column in enumerate(columns):
        equal = [columns[i] == key[i] for i in range(depth)]
        terms.append(and_(*equal, column < key[depth] if descending else column > key[depth]))
    return or_(*terms)


def _conditions(wanted: AlertFilter) -> list[ColumnElement[bool]]:
    """What `wanted` asks of an alert joined with its device."""
    found: list[ColumnElement[bool]] = []
    if wanted.sites is not None:
        found.append(Device.site.in_(sorted(wanted.sites)))
    if wanted.states is not None:
        found.append(Alert.state.in_(sorted(wanted.states)))
    if wanted.device_id is not None:
        found.append(Alert.device_id == wanted.device_id)
    if wanted.site is not None:
        found.append(Device.site == wanted.site)
    if wanted.severities is not None:
        found.append(Alert.severity.in_(sorted(wanted.severities)))
    if wanted.types is not None:
        found.append(Alert.type.in_(sorted(wanted.types)))
    return found


def listed(session: Session, wanted: AlertFilter) -> list[tuple[Alert, str]]:
    """A page of alerts with each one's site, in the order asked, after `wanted.after`."""
    columns = _sort_columns(wanted.order)
    descending = wanted.order is Order.NEWEST
    conditions = _conditions(wanted)
    if wanted.after is not None:
        conditions.append(_beyond(columns, wanted.after, descending))
    query = select(Alert, Device.site).join(Device, Device.id == Alert.device_id).where(*conditions)
    query = query.order_by(*(column.desc() if descending else column for column in columns))
    return [(alert, site) for alert, site in session.execute(query.limit(wanted.limit))]


def counted(session: Session, wanted: AlertFilter) -> list[tuple[str, str, str, int]]:
    """How many alerts `wanted` holds, by (site, severity, type): one aggregate query."""
    found = session.execute(
        select(Device.site, Alert.severity, Alert.type, func.count())
        .join(Device, Device.id == Alert.device_id)
        .where(*_conditions(wanted))
        .group_by(Device.site, Alert.severity, Alert.type)
    )
    return [(site, severity, kind, count) for site, severity, kind, count in found]


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


def opened_between(
    session: Session, device_ids: Sequence[str], start: datetime, end: datetime
) -> Sequence[Alert]:
    """The devices' alerts first opened in [start, end) (the programme's response times)."""
    return session.scalars(
        select(Alert).where(Alert.device_id.in_(device_ids), Alert.opened_at >= start, Alert.opened_at < end)
    ).all()
