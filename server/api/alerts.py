"""Alerts: list by state, history, acknowledge, resolve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.orm import Session

from server import alerts, evaluation, store
from server.access import Access
from server.rules.alerting import RULES
from server.rules.facts import Policy
from server.rules.findings import AlertType
from server.store.models import Alert, AlertState

from .deps import AlertId, NowDep, PolicyDep, SessionDep, Speaker, SpeakerDep, TechnicianRole, ViewerRole
from .schemas import AckIn, AlertEventOut, AlertOut

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


def alerts_out(session: Session, found: Sequence[Alert], speaker: Speaker) -> list[AlertOut]:
    """Alerts with what their rules found said in the language asked for, in each site's zone."""
    site_of = {d.id: d.site for d in store.devices.by_ids(session, sorted({a.device_id for a in found}))}
    zones = store.sites.time_zones(session, sorted(set(site_of.values())))
    out = []
    for alert in found:
        words = speaker.at(zones, site_of.get(alert.device_id, ""))
        fields = {name: getattr(alert, name) for name in AlertOut.model_fields if name != "detail"}
        out.append(AlertOut.model_validate({**fields, "detail": words.phrase(alert.detail)}))
    return out


@router.get("")
def list_alerts(
    session: SessionDep,
    speaker: SpeakerDep,
    access: ViewerRole,
    state: AlertState | None = None,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    found = store.alerts.listed(session, state=state, device_id=device_id, limit=limit, sites=access.visible)
    return alerts_out(session, found, speaker)


def _get(session: SessionDep, access: Access, alert_id: int) -> Alert:
    """The alert, if the caller sees its device's site; else 404, as if it did not exist."""
    alert = store.alerts.get(session, alert_id)
    device = store.devices.get(session, alert.device_id) if alert is not None else None
    if alert is None or device is None or not access.sees(device.site):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return alert


@router.get("/{alert_id}/history")
def alert_history(alert_id: AlertId, session: SessionDep, access: ViewerRole) -> list[AlertEventOut]:
    """Every change of the alert, oldest first: opened, acknowledged, resolved, reopened."""
    _get(session, access, alert_id)
    return [AlertEventOut.model_validate(event) for event in store.alerts.history(session, alert_id)]


@router.post("/{alert_id}/resolve")
def resolve(
    alert_id: AlertId,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    role: TechnicianRole,
) -> AlertOut:
    """Close an alert no rule clears (a reported problem); the others resolve by themselves."""
    alert = _get(session, role, alert_id)
    if alert.state == AlertState.RESOLVED:
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert {alert_id} is resolved already")
    if alert.type in {t.value for t in RULES}:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{alert.type} resolves by itself when its condition clears"
        )
    alerts.resolve(session, alert, now, role.name)
    _refresh(session, alert, now, policy)
    session.commit()
    return alerts_out(session, [alert], speaker)[0]


def _refresh(session: Session, alert: Alert, now: datetime, policy: Policy) -> None:
    """A reported problem is part of its device's verdict (who is on it, since when): keep the
    device's snapshot current with it."""
    if alert.type == AlertType.REPORTED_PROBLEM.value:
        device = store.devices.get(session, alert.device_id)
        if device is not None:
            evaluation.evaluate(session, device, now, policy)


@router.post("/{alert_id}/ack")
def acknowledge(
    alert_id: AlertId,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    speaker: SpeakerDep,
    role: TechnicianRole,
    body: AckIn | None = None,
) -> AlertOut:
    alert = _get(session, role, alert_id)
    if not alerts.acknowledge(session, alert, role.name, body.note if body else None, now):
        raise HTTPException(status.HTTP_409_CONFLICT, f"alert {alert_id} is {alert.state}, not open")
    _refresh(session, alert, now, policy)
    session.commit()
    return alerts_out(session, [alert], speaker)[0]
