"""Alerts: list by state, history, acknowledge, resolve."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from aedmon.reading import ID_PATTERN, ID_RE
from server import alerts, evaluation, store
from server.access import Access
from server.rules.alerting import RULES
from server.rules.facts import Policy
from server.rules.findings import AlertType, Severity
from server.store.alerts import UNRANKED, AlertFilter, Order
from server.store.models import INT32_MAX, Alert, AlertState

from .caching import etagged
from .deps import (
    AlertId,
    NowDep,
    PolicyDep,
    SessionDep,
    SiteQuery,
    Speaker,
    SpeakerDep,
    TechnicianRole,
    ViewerRole,
)
from .paging import NOT_OURS, key_of, link_next
from .schemas import AckIn, AlertEventOut, AlertOut, AlertSummaryOut, SiteAlertsOut

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


def alerts_out(session: Session, found: Sequence[Alert], speaker: Speaker) -> list[AlertOut]:
    """Alerts with their device's name, place and site, and what their rules found said in the
    language asked for, in each site's zone."""
    devices = {d.id: d for d in store.devices.by_ids(session, sorted({a.device_id for a in found}))}
    zones = store.sites.time_zones(session, sorted({d.site for d in devices.values()}))
    out = []
    for alert in found:
        device = devices.get(alert.device_id)
        site = device.site if device else ""
        fields = {name: getattr(alert, name) for name in AlertOut.model_fields if name in Alert.__table__.c}
        out.append(
            AlertOut.model_validate(
                {
                    **fields,
                    "detail": speaker.at(zones, site).phrase(alert.detail),
                    "site": site,
                    "device_name": device.name if device else "",
                    "place": device.place if device else "",
                }
            )
        )
    return out


def _after(cursor: str, order: Order) -> tuple[Any, ...]:
    """The sort key a cursor of ours names for a list in this order; 400 for anything else."""
    key = key_of(cursor)
    site = key.pop(0) if order is Order.SITE and key else None
    shape = 2 if order is Order.NEWEST else 3
    if len(key) != shape or (order is Order.SITE and not (isinstance(site, str) and ID_RE.match(site))):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, NOT_OURS)
    *rank, moment, alert_id = key
    at = _moment(moment)
    if (
        all(type(n) is int and 0 <= n <= UNRANKED for n in rank)
        and at is not None
        and type(alert_id) is int
        and 0 <= alert_id <= INT32_MAX
    ):
        return (*([site] if order is Order.SITE else []), *rank, at, alert_id)
    raise HTTPException(status.HTTP_400_BAD_REQUEST, NOT_OURS)


def _moment(said: Any) -> datetime | None:
    """An aware moment in ISO 8601, as cursors hold them; None for anything else."""
    if not isinstance(said, str) or len(said) > 40:
        return None
    try:
        at = datetime.fromisoformat(said)
        return at.astimezone(UTC) if at.tzinfo is not None else None
    except (ValueError, OverflowError):  # not a moment, or one beyond the calendar in UTC
        return None


def _cursor_key(alert: Alert, site: str, order: Order) -> list[Any]:
    key = store.alerts.key_of(alert, site, order)
    return [part.isoformat() if isinstance(part, datetime) else part for part in key]


ANY = "any of these (repeat the parameter)"
States = Annotated[list[AlertState] | None, Query(description=ANY)]
SiteId = SiteQuery
DeviceIdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]
Severities = Annotated[list[Severity] | None, Query(description=ANY)]
Types = Annotated[list[AlertType] | None, Query(alias="type", description=ANY)]


def _values(chosen: Sequence[StrEnum] | None) -> frozenset[str] | None:
    return frozenset(choice.value for choice in chosen) if chosen else None


def _filtered(
    access: ViewerRole,
    state: States = None,
    site: SiteId = None,
    severity: Severities = None,
    types: Types = None,
) -> AlertFilter:
    """The filters the list and its summary share, within the reader's sites."""
    return AlertFilter(
        sites=access.visible,
        states=_values(state),
        site=site,
        severities=_values(severity),
        types=_values(types),
    )


Filtered = Annotated[AlertFilter, Depends(_filtered)]


@router.get("", response_model=list[AlertOut])
def list_alerts(
    request: Request,
    response: Response,
    session: SessionDep,
    speaker: SpeakerDep,
    filtered: Filtered,
    device_id: DeviceIdQuery = None,
    order: Annotated[Order, Query(description="newest, worst or site (worst first in each)")] = Order.NEWEST,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Annotated[str | None, Query(max_length=300, description="from a Link header's next page")] = None,
) -> Response:
    """Alerts in the reader's sites, filtered by state, device, site, severity and type, a page
    at a time: when there may be more, the `Link` header names the next page (`rel="next"`)."""
    wanted = replace(
        filtered,
        device_id=device_id,
        order=order,
        after=_after(cursor, order) if cursor else None,
        limit=limit,
    )
    found = store.alerts.listed(session, wanted)
    if len(found) == limit:
        link_next(request, response, _cursor_key(*found[-1], order))
    return etagged(request, alerts_out(session, [alert for alert, _ in found], speaker), ALERTS, response)


ALERTS = TypeAdapter(list[AlertOut])


@router.get("/summary")
def summary(session: SessionDep, wanted: Filtered) -> AlertSummaryOut:
    """How many alerts the same filters as the list hold, by severity, by type and by site
    (sites worst first: most critical, then major, minor, info), from one aggregate query."""
    by_site: dict[str, dict[str, int]] = {}
    by_type: Counter[str] = Counter()
    for site_id, severity_of, kind, count in store.alerts.counted(session, wanted):
        counts = by_site.setdefault(site_id, dict.fromkeys(Severity, 0))
        counts[severity_of] = counts.get(severity_of, 0) + count
        by_type[kind] += count
    names = store.sites.by_ids(session, sorted(by_site))
    sites = [
        SiteAlertsOut(
            site=site_id,
            name=names[site_id].name if site_id in names else "",
            total=sum(counts.values()),
            severities=counts,
        )
        for site_id, counts in by_site.items()
    ]
    sites.sort(key=lambda s: (*(-s.severities.get(level, 0) for level in Severity), s.site))
    totals = {level.value: sum(s.severities.get(level, 0) for s in sites) for level in Severity}
    return AlertSummaryOut(
        total=sum(totals.values()), severities=totals, types=dict(by_type.most_common()), sites=sites
    )


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
