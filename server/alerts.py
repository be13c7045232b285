"""Alert lifecycle over the store: open what the rules find, resolve what they no longer find,
acknowledge on a technician's word, and write every change to the audit trail.

States: open → acknowledged → resolved. A condition that comes back within
`REOPEN_WINDOW` of its alert resolving reopens that alert as a new occurrence, so a
flapping device makes one row with a count, not a row per flap. One open alert per
(device, type) is enforced by a partial unique index, so two server processes evaluating
the same device at once cannot both open it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.metrics import ALERTS_OPENED, ALERTS_RESOLVED
from server.notify import outbox as notify
from server.rules.alerting import RULES, Evaluation
from server.rules.findings import AlertType, Finding, Severity
from server.store import queries
from server.store.models import Alert, AlertEvent

log = logging.getLogger(__name__)

REOPEN_WINDOW = timedelta(hours=24)
SYSTEM = "system"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(StrEnum):
    OPENED = "opened"
    REOPENED = "reopened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REPORTED = "reported"


# which changes people are told of, and as what
NOTIFIED = {Action.OPENED: "alert", Action.REOPENED: "alert", Action.RESOLVED: "resolved"}


def record(
    session: Session, alert: Alert, action: Action, actor: str, now: datetime, note: str | None = None
) -> None:
    """Write the change to the audit trail and plan its notifications, in the same transaction."""
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
    if action in NOTIFIED:
        notify.plan(session, alert, NOTIFIED[action], now)


def reconcile(session: Session, device_id: str, evaluation: Evaluation, now: datetime) -> None:
    """Make the device's open alerts match the rules' findings; held types stay as they are."""
    findings = evaluation.findings
    current = {alert.type: alert for alert in queries.open_alerts(session, device_id)}
    managed = {alert_type.value for alert_type in RULES} - {t.value for t in evaluation.held}
    found = {alert_type.value: finding for alert_type, finding in findings.items()}
    for alert_type, alert in current.items():
        if alert_type in managed and alert_type not in found:
            resolve(session, alert, now)
        elif alert_type in found and alert.message != found[alert_type].message:
            alert.message = found[alert_type].message
    for alert_type, finding in findings.items():
        if alert_type not in current:
            _open(session, device_id, alert_type, finding, now)


def resolve(session: Session, alert: Alert, now: datetime, actor: str = SYSTEM) -> None:
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    record(session, alert, Action.RESOLVED, actor, now)
    ALERTS_RESOLVED.labels(alert.type).inc()
    log.info("alert resolved", extra={"alert": alert.id, "device": alert.device_id, "type": alert.type})


def _open(
    session: Session, device_id: str, alert_type: AlertType, finding: Finding, now: datetime
) -> Alert | None:
    """Open or reopen the alert; None when another server process opened it a moment ago."""
    recent = session.scalars(
        select(Alert)
        .where(
            Alert.device_id == device_id,
            Alert.type == alert_type.value,
            Alert.state == AlertState.RESOLVED.value,
            Alert.resolved_at >= now - REOPEN_WINDOW,
        )
        .order_by(Alert.resolved_at.desc())
        .limit(1)
    ).first()
    if recent is not None and _reopen(session, recent, finding, now):
        return recent
    opened = queries.insert_alert_if_none_open(
        session,
        {
            "device_id": device_id,
            "type": alert_type.value,
            "severity": finding.severity.value,
            "state": AlertState.OPEN.value,
            "message": finding.message,
            "opened_at": now,
            "last_opened_at": now,
            "occurrences": 1,
        },
    )
    if opened is None:
        return None
    alert = session.get(Alert, opened)
    assert alert is not None
    record(session, alert, Action.OPENED, SYSTEM, now)
    ALERTS_OPENED.labels(alert_type.value, finding.severity.value).inc()
    log.info(
        "alert opened",
        extra={"device": device_id, "type": alert_type.value, "severity": finding.severity.value},
    )
    return alert


def _reopen(session: Session, alert: Alert, finding: Finding, now: datetime) -> bool:
    try:
        with session.begin_nested():
            alert.state = AlertState.OPEN
            alert.severity = finding.severity.value
            alert.message = finding.message
            alert.last_opened_at = now
            alert.occurrences += 1
            alert.resolved_at = None
            alert.acknowledged_at = alert.acknowledged_by = alert.ack_note = None
            session.flush()
    except IntegrityError:
        session.refresh(alert)
        return False  # another process opened a fresh one meanwhile: that one stands
    record(session, alert, Action.REOPENED, SYSTEM, now)
    ALERTS_OPENED.labels(alert.type, finding.severity.value).inc()
    log.info("alert reopened", extra={"alert": alert.id, "type": alert.type, "occurrence": alert.occurrences})
    return True


def report_problem(session: Session, device_id: str, text: str, now: datetime) -> Alert:
    """A problem reported from the device's public page: opens `reported_problem`, or adds
    the report to the one already open. No rule clears it; a technician resolves it."""
    current = {a.type: a for a in queries.open_alerts(session, device_id)}
    alert = current.get(AlertType.REPORTED_PROBLEM.value)
    if alert is not None:
        alert.message = (alert.message + "\n" + text)[-4000:]
        record(session, alert, Action.REPORTED, "public", now, text)
        return alert
    finding = Finding(AlertType.REPORTED_PROBLEM, Severity.MAJOR, text)
    opened = _open(session, device_id, AlertType.REPORTED_PROBLEM, finding, now)
    if opened is not None:
        return opened
    # opened by another server process a moment ago: add this report to that one
    return report_problem(session, device_id, text, now)


def acknowledge(session: Session, alert: Alert, who: str, note: str | None, now: datetime) -> bool:
    """Acknowledge an open alert; False when it was not open."""
    if alert.state != AlertState.OPEN:
        return False
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = who
    alert.ack_note = note
    record(session, alert, Action.ACKNOWLEDGED, who, now, note)
    log.info("alert acknowledged", extra={"alert": alert.id, "by": who})
    return True


def history(session: Session, alert_id: int) -> list[AlertEvent]:
    return list(
        session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id))
    )
