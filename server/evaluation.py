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
from server.rules.deadlines import next_change
from server.rules.facts import DeviceFacts, Policy
from server.rules.location import distance_m
from server.rules.readiness import Readiness, Verdict
from server.rules.readiness import assess as judge
from server.store.models import Device
from server.store.snapshots import Snapshot

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


def evaluate(
    session: Session, device: Device, now: datetime, policy: Policy, bridges_seen: BridgesSeen | None = None
) -> Assessment:
    """Assess the device, make its open alerts match the findings and keep its readiness
    snapshot (the caller commits, so all three go in together). `bridges_seen` remembers the
    bridges' last words across the devices of one batch."""
    found = assess(session, device, now, policy, bridges_seen)
    # A retired device raises nothing; its open alerts resolve.
    evaluation = Evaluation({}, frozenset()) if device.retired_at else found.evaluation
    alerts.reconcile(session, device.id, evaluation, now)
    counted = device.retired_at is None and device.kind != DeviceKind.BRIDGE.value
    store.snapshots.save(session, device.id, snapshot_of(device, found, now, policy), counted, now)
    return found


def snapshot_of(device: Device, found: Assessment, now: datetime, policy: Policy) -> Snapshot:
    facts, verdict = found.facts, found.verdict
    test, fix = facts.latest_selftest, facts.latest_location
    return Snapshot(
        site=device.site,
        readiness=verdict.readiness.value,
        reasons=[{"key": reason.key.value, **reason.detail.to_json()} for reason in verdict.reasons],
        last_seen=facts.last_seen,
        last_selftest_at=test.device_time if test else None,
        pads_expiry=test.pads_expiry if test else None,
        battery_expiry=test.battery_expiry if test else None,
        located_lat=fix.lat if fix else None,
        located_lon=fix.lon if fix else None,
        located_at=fix.device_time if fix else None,
        due_at=next_change(facts, now, policy),
    )


DUE_BATCH = 500  # devices evaluated per transaction of a scheduler pass


def evaluate_due(session: Session, now: datetime, policy: Policy) -> int:
    """Run the rules over the devices that time alone may have changed since their last
    evaluation (their snapshot's `due_at` has passed, or they have none yet), a batch per
    transaction; the rest of the fleet is not visited. Commits."""
    count = 0
    while due := store.snapshots.due(session, now, DUE_BATCH):
        for device in store.devices.by_ids(session, due):
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
