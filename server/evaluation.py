"""One evaluation service: facts → findings → verdict, for one device or for all.

Ingest, the API, the pages and the scheduler all come here: `assess` answers "is it ready,
and why" without changing anything; `evaluate` also makes the device's alerts match what
the rules find (opening, resolving, notifying in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind
from server import alerts, store
from server.rules.alerting import Evaluation
from server.rules.alerting import evaluate as run_rules
from server.rules.facts import DeviceFacts, Policy
from server.rules.location import distance_m
from server.rules.readiness import Readiness, Verdict
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
    # A retired device raises nothing; its open alerts resolve.
    evaluation = Evaluation({}, frozenset()) if device.retired_at else found.evaluation
    alerts.reconcile(session, device.id, evaluation, now)
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


NEAREST_TRIED = 20  # the closest public devices assessed before giving up on finding a ready one


def nearest_ready(
    session: Session, lat: float, lon: float, now: datetime, policy: Policy, exclude: str
) -> tuple[Device, float] | None:
    """The nearest public AED that is ready now, and how far it is (metres), for a page whose own
    AED is not; None when none of the closest few is ready."""
    candidates = [
        (distance_m(lat, lon, device.lat, device.lon), device.id, device)
        for device in store.devices.public_located(session)
        if device.id != exclude
        and device.kind == DeviceKind.AED.value
        and device.lat is not None
        and device.lon is not None
    ]
    for away, _, device in sorted(candidates)[:NEAREST_TRIED]:
        if assess(session, device, now, policy).verdict.readiness is Readiness.READY:
            return device, away
    return None
