"""Alerts: list by state, acknowledge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from server import alerts
from server.alerts import AlertState
from server.rules.alerting import RULES
from server.store.models import Alert

from .deps import AlertId, NowDep, SessionDep, TechnicianRole, ViewerRole
from .schemas import AckIn, AlertEventOut, AlertOut

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


@router.get("")
def list_alerts(
    session: SessionDep,
    _: ViewerRole,
    state: AlertState | None = None,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Alert.state == state.value)
    if device_id is not None:
        query = query.where(Alert.device_id == device_id)
    return [AlertOut.model_validate(alert) for alert in session.scalars(query)]


def _get(session: SessionDep, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return alert


@router.get("/{alert_id}/history")
def alert_history(alert_id: AlertId, session: SessionDep, _: ViewerRole) -> list[AlertEventOut]:
    """Every change of the alert, oldest first: opened, acknowledged, resolved, reopened."""
    _get(session, alert_id)
    return [AlertEventOut.model_validate(event) for event in alerts.history(session, alert_id)]


@router.post("/{alert_id}/resolve")
def resolve(alert_id: AlertId, session: SessionDep, now: NowDep, role: TechnicianRole) -> AlertOut:
    """Close an alert no rule clears (a reported problem); the others resolve by themselves."""
    alert = _get(session, alert_id)
    if alert.state == AlertState.RESOLVED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert {alert_id} is resolved already")
    if alert.type in {t.value for t in RULES}:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{alert.type} resolves by itself when its condition clears"
        )
    alerts.resolve(session, alert, now, role.value)
    session.commit()
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/ack")
def acknowledge(
    alert_id: AlertId, session: SessionDep, now: NowDep, role: TechnicianRole, body: AckIn | None = None
) -> AlertOut:
    alert = _get(session, alert_id)
    if not alerts.acknowledge(session, alert, role.value, body.note if body else None, now):
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert {alert_id} is {alert.state}, not open")
    session.commit()
    return AlertOut.model_validate(alert)
