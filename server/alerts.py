"""Alert lifecycle over the store: open what the rules find, resolve what they no longer find.

One open alert per (device, type) is enforced by a partial unique index, so two server
processes evaluating the same device at once cannot both open it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from server.metrics import ALERTS_OPENED, ALERTS_RESOLVED
from server.rules.alerting import RULES, Evaluation
from server.store import queries
from server.store.models import Alert

log = logging.getLogger(__name__)


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


def reconcile(session: Session, device_id: str, evaluation: Evaluation, now: datetime) -> None:
    """Make the device's open alerts match the rules' findings; held types stay as they are."""
    findings = evaluation.findings
    current = {alert.type: alert for alert in queries.open_alerts(session, device_id)}
    found = {alert_type.value: finding for alert_type, finding in findings.items()}
    managed = {alert_type.value for alert_type in RULES} - {t.value for t in evaluation.held}
    for alert_type, alert in current.items():
        if alert_type in managed and alert_type not in found:
            alert.state = AlertState.RESOLVED
            alert.resolved_at = now
            ALERTS_RESOLVED.labels(alert_type).inc()
            log.info("alert resolved", extra={"alert": alert.id, "device": device_id, "type": alert_type})
        elif alert_type in found and alert.message != found[alert_type].message:
            alert.message = found[alert_type].message
    for alert_type, finding in findings.items():
        if alert_type in current:
            continue
        opened = queries.insert_alert_if_none_open(
            session,
            {
                "device_id": device_id,
                "type": alert_type.value,
                "severity": finding.severity.value,
                "state": AlertState.OPEN.value,
                "message": finding.message,
                "opened_at": now,
            },
        )
        if opened:
            ALERTS_OPENED.labels(alert_type.value, finding.severity.value).inc()
            log.info(
                "alert opened",
                extra={"device": device_id, "type": alert_type.value, "severity": finding.severity.value},
            )


def acknowledge(session: Session, alert: Alert, who: str, note: str | None, now: datetime) -> bool:
    """Acknowledge an open alert; False when it was not open."""
    if alert.state != AlertState.OPEN:
        return False
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = who
    alert.ack_note = note
    log.info("alert acknowledged", extra={"alert": alert.id, "by": who})
    return True
