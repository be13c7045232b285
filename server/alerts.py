"""Alert lifecycle over the store: open what the rules find, resolve what they no longer find,
acknowledge on a technician's word, and write every change to the audit trail.

States: open → acknowledged → resolved. A condition that comes back within
`REOPEN_WINDOW` of its alert resolving reopens that alert as a new occurrence, so a
flapping device makes one row with a count, not a row per flap. One open alert per
(device, type) is enforced by a partial unique index, so two server processes evaluating
the same device at once cannot both open it.

An alert keeps what its rule found as a phrase (`params`: message id and parameters), said
in each reader's language; `message` holds it in English for the API's machine readers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server import store
from server.i18n import english
from server.metrics import ALERTS_OPENED, ALERTS_RESOLVED
from server.notify import planning
from server.rules.alerting import RULES, Evaluation
from server.rules.findings import AlertType, Finding, Phrase, Severity
from server.store.models import Action, Alert, AlertState, Purpose

log = logging.getLogger(__name__)

REOPEN_WINDOW = timedelta(hours=24)
SYSTEM = "system"
REPORTS_MAX = 20  # a reported problem keeps its newest reports, each at most 500 characters

__all__ = ["AlertState", "acknowledge", "reconcile", "report_problem", "resolve"]

# which changes people are told of, and as what
NOTIFIED = {Action.OPENED: Purpose.ALERT, Action.REOPENED: Purpose.ALERT, Action.RESOLVED: Purpose.RESOLVED}


def _say(alert: Alert, detail: Phrase) -> None:
    alert.params = detail.to_json()
    alert.message = english(detail)


def record(
    session: Session, alert: Alert, action: Action, actor: str, now: datetime, note: str | None = None
) -> None:
    """Write the change to the audit trail and plan its notifications, in the same transaction."""
    store.alerts.add_event(session, alert, action, actor, now, note)
    device = store.devices.get(session, alert.device_id)
    if device is not None:  # for the pages' event streams
        body = {
            "alert_id": alert.id,
            "device_id": alert.device_id,
            "type": alert.type,
            "action": action.value,
        }
        store.changes.add(session, "alert", alert.device_id, device.site, body, now)
    if action in NOTIFIED:
        planning.plan(session, alert, NOTIFIED[action], now)


@dataclass(frozen=True)
class Changes:
    """What making a device's open alerts match the findings takes."""

    resolve: list[Alert]  # open, no longer found (and not held)
    say: list[tuple[Alert, Phrase]]  # open and found, now saying something else
    open: list[Finding]  # found, not open

    def __bool__(self) -> bool:
        return bool(self.resolve or self.say or self.open)


def planned_changes(open_alerts: Sequence[Alert], evaluation: Evaluation) -> Changes:
    """What `reconcile` is to change (nothing, for most devices at most evaluations). Pure."""
    findings = evaluation.findings
    current = {AlertType(alert.type): alert for alert in open_alerts}
    managed = set(RULES) - set(evaluation.held)
    return Changes(
        resolve=[alert for kind, alert in current.items() if kind in managed and kind not in findings],
        say=[
            (alert, findings[kind].detail)
            for kind, alert in current.items()
            if kind in findings and alert.params != findings[kind].detail.to_json()
        ],
        open=[finding for kind, finding in findings.items() if kind not in current],
    )


def reconcile(session: Session, device_id: str, planned: Changes, now: datetime) -> None:
    """Make the device's open alerts (as read in this transaction) match the rules' findings,
    as `planned_changes` found; held types stay as they are."""
    for alert in planned.resolve:
        resolve(session, alert, now)
    for alert, detail in planned.say:
        _say(alert, detail)
    for finding in planned.open:
        _open(session, device_id, finding, now)


def resolve(session: Session, alert: Alert, now: datetime, actor: str = SYSTEM) -> None:
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    record(session, alert, Action.RESOLVED, actor, now)
    ALERTS_RESOLVED.labels(alert.type).inc()
    log.info("alert resolved", extra={"alert": alert.id, "device": alert.device_id, "type": alert.type})


def _open(session: Session, device_id: str, finding: Finding, now: datetime) -> Alert | None:
    """Open or reopen the alert; None when another server process opened it a moment ago."""
    recent = store.alerts.resolved_since(session, device_id, finding.type, now - REOPEN_WINDOW)
    if recent is not None and _reopen(session, recent, finding, now):
        return recent
    alert = store.alerts.insert_if_none_open(
        session,
        device_id=device_id,
        alert_type=finding.type,
        severity=finding.severity,
        detail=finding.detail.to_json(),
        message=english(finding.detail),
        now=now,
    )
    if alert is None:
        return None
    record(session, alert, Action.OPENED, SYSTEM, now)
    ALERTS_OPENED.labels(finding.type.value, finding.severity.value).inc()
    log.info(
        "alert opened",
        extra={"device": device_id, "type": finding.type.value, "severity": finding.severity.value},
    )
    return alert


def _reopen(session: Session, alert: Alert, finding: Finding, now: datetime) -> bool:
    try:
        with session.begin_nested():
            alert.state = AlertState.OPEN
            alert.severity = finding.severity.value
            _say(alert, finding.detail)
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


def report_problem(session: Session, device_id: str, text: str, contact: str, now: datetime) -> Alert:
    """A problem reported from the device's public page: opens `reported_problem`, or adds
    the report to the one already open. No rule clears it; a technician resolves it."""
    report = {"text": text[:500], "contact": contact[:120]}
    current = {a.type: a for a in store.alerts.open_of(session, device_id)}
    alert = current.get(AlertType.REPORTED_PROBLEM.value)
    if alert is not None:
        earlier = alert.detail.params.get("reports")
        reports = tuple(r for r in earlier if isinstance(r, dict)) if isinstance(earlier, tuple) else ()
        _say(alert, Phrase("detail.reported_problem", {"reports": (*reports, report)[-REPORTS_MAX:]}))
        record(session, alert, Action.REPORTED, "public", now, text)
        return alert
    detail = Phrase("detail.reported_problem", {"reports": (report,)})
    opened = _open(session, device_id, Finding(AlertType.REPORTED_PROBLEM, Severity.MAJOR, detail), now)
    if opened is not None:
        return opened
    # opened by another server process a moment ago: add this report to that one
    return report_problem(session, device_id, text, contact, now)


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
