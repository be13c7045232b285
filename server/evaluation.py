"""One evaluation service: facts → findings → verdict, for one device or for all.

Ingest, the API, the pages and the scheduler all come here: `assess` answers "is it ready,
and why" without changing anything; `evaluate` also makes the device's alerts match what
the rules find (opening, resolving, notifying in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from server import alerts, store
from server.rules.alerting import Evaluation
from server.rules.alerting import evaluate as run_rules
from server.rules.facts import DeviceFacts, Policy
from server.rules.readiness import Verdict
from server.rules.readiness import assess as judge
from server.store.models import Device

BridgesSeen = dict[str, datetime | None]  # bridges' last words, looked up once per request


@dataclass(frozen=True)
class Assessment:
    facts: DeviceFacts
    evaluation: Evaluation
    verdict: Verdict


def assess(
    session: Session, device: Device, now: datetime, policy: Policy, bridges_seen: BridgesSeen | None = None
) -> Assessment:
    """What the store knows of the device, what the rules find, and whether it is ready now."""
    facts = store.facts.device_facts(session, device, bridges_seen)
    evaluation = run_rules(facts, now, policy)
    return Assessment(facts, evaluation, judge(facts, evaluation.findings, now, policy))


def evaluate(session: Session, device: Device, now: datetime, policy: Policy) -> Assessment:
    """Assess the device and make its open alerts match the findings (the caller commits)."""
    found = assess(session, device, now, policy)
    alerts.reconcile(session, device.id, found.evaluation, now)
    return found


def evaluate_all(session: Session, now: datetime, policy: Policy) -> int:
    """Run the rules over every device: what time alone changes (pads expiring). Commits."""
    count = 0
    for device_id in store.devices.all_ids(session):
        device = store.devices.get(session, device_id)
        if device is not None:
            evaluate(session, device, now, policy)
            count += 1
    session.commit()
    return count
