"""One evaluation service: facts → findings → verdict, for one device or for all.

Ingest, the API, the pages and the scheduler all come here: `assess` answers "is it ready,
and why" without changing anything; `evaluate` also makes the device's alerts match what
the rules find (opening, resolving, notifying in the same transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind
from server import alerts, store
from server.rules import cabinet
from server.rules.alerting import Evaluation
from server.rules.alerting import evaluate as run_rules
from server.rules.deadlines import next_change
from server.rules.facts import DeviceFacts, Policy
from server.rules.location import distance_m
from server.rules.memory import Memory, Row
from server.rules.readiness import Readiness, Verdict
from server.rules.readiness import assess as judge
from server.store.models import Alert, Device, ReadinessSnapshot
from server.store.snapshots import Snapshot

log = logging.getLogger(__name__)

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
    memory = recall(store.snapshots.with_memory(session, [device.id]).get(device.id), ())
    return _judged(store.facts.device_facts(session, device, bridges_seen, memory), now, policy)


def _judged(facts: DeviceFacts, now: datetime, policy: Policy) -> Assessment:
    evaluation = run_rules(facts, now, policy)
    return Assessment(facts, evaluation, judge(facts, evaluation.findings, now, policy))


def recall(stored: ReadinessSnapshot | None, fresh: Iterable[Row]) -> Memory | None:
    """What the rules remember of a device, with its `fresh` rows (stored in this transaction)
    merged in; None when it must be built afresh from the device's readings."""
    memory = None if stored is None else Memory.from_json(stored.memory)
    return None if memory is None else memory.merged(fresh)


RETRY = timedelta(minutes=5)  # a device whose rules failed is evaluated again after this


def evaluate(session: Session, device: Device, now: datetime, policy: Policy) -> Assessment | None:
    """Assess the device, make its open alerts match the findings and keep its readiness
    snapshot (the caller commits, so all go in together); None when its rules failed."""
    return evaluate_many(session, [device], now, policy).get(device.id)


def evaluate_many(
    session: Session,
    devices: Sequence[Device],
    now: datetime,
    policy: Policy,
    fresh: Mapping[str, Sequence[Row]] | None = None,
) -> dict[str, Assessment]:
    """Evaluate each device as `evaluate` does, from what the rules remember of it and its
    `fresh` rows (stored in this transaction), with a few statements for all of them. One
    device's failing rules cost only that device: it is logged, its readings stay stored, and it
    is evaluated afresh later. The caller commits."""
    ids = sorted({device.id for device in devices})
    store.snapshots.lock(session, ids)
    before = store.snapshots.with_memory(session, ids)
    open_alerts: dict[str, list[Alert]] = {device_id: [] for device_id in ids}
    for alert in store.alerts.open_of_devices(session, ids):
        open_alerts[alert.device_id].append(alert)
    recalled = {
        device.id: recall(before.get(device.id), (fresh or {}).get(device.id, ())) for device in devices
    }
    rebuilt = store.facts.remembered_all(
        session, [device_id for device_id, memory in recalled.items() if memory is None]
    )
    memories = {device_id: memory or rebuilt[device_id] for device_id, memory in recalled.items()}
    seen = _bridges_seen(session, devices, memories)
    found: dict[str, Assessment] = {}
    kept: list[store.snapshots.Kept] = []
    failed: list[str] = []
    for device in devices:
        try:
            reported = store.facts.reported_in(session, open_alerts[device.id])
            facts = store.facts.device_facts(session, device, seen, memories[device.id], reported)
            assessment = _judged(facts, now, policy)
            # A retired device raises nothing; its open alerts resolve.
            evaluation = Evaluation({}, frozenset()) if device.retired_at else assessment.evaluation
            if planned := alerts.planned_changes(open_alerts[device.id], evaluation):
                with session.begin_nested():
                    alerts.reconcile(session, device.id, planned, now)
        except OperationalError:
            raise  # the database busy or away: the caller's whole transaction is tried again
        except Exception:  # noqa: BLE001  one device's rules may fail only that device
            log.exception("rules failed for a device", extra={"device": device.id})
            failed.append(device.id)
            continue
        found[device.id] = assessment
        counted = device.retired_at is None and device.kind != DeviceKind.BRIDGE.value
        snapshot = snapshot_of(device, assessment, now, policy)
        kept.append(store.snapshots.Kept(device.id, snapshot, counted, memories[device.id].to_json()))
    store.snapshots.save(session, kept, before, now)
    if failed:
        store.snapshots.forget(session, failed, now + RETRY)
    return found


def _bridges_seen(session: Session, devices: Sequence[Device], memories: dict[str, Memory]) -> BridgesSeen:
    """When each bridge these devices are heard through was last heard: from what the rules
    remember of it (this batch's, else its snapshot's), else from its readings."""
    bridges = {device.bridge_id for device in devices if device.bridge_id}
    seen: BridgesSeen = {
        b: heard[0] if (heard := memories[b].heard) else None for b in bridges & set(memories)
    }
    others = sorted(bridges - set(seen))
    for bridge_id, stored in store.snapshots.with_memory(session, others).items():
        if stored.memory is not None:
            seen[bridge_id] = stored.last_seen
    return seen  # the rest are looked up by store.facts.device_facts


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
        door_open=_door(facts),
        temp_c=_temperature(facts),
    )


def _door(facts: DeviceFacts) -> bool | None:
    """The newest word on the door: a state's, or an event's."""
    said = [r for r in (*facts.recent_states, *facts.recent_events) if cabinet.door_open(r) is not None]
    newest = max(said, key=lambda r: (r.device_time, r.seq or 0), default=None)
    return None if newest is None else cabinet.door_open(newest)


def _temperature(facts: DeviceFacts) -> float | None:
    """The newest temperature: the newest state's, else the newest self-test's."""
    state, test = facts.latest_state, facts.latest_selftest
    if state is not None and state.temp_c is not None:
        return state.temp_c
    return None if test is None else test.temp_c


DUE_BATCH = 500  # devices evaluated per transaction of a scheduler pass


def evaluate_due(session: Session, now: datetime, policy: Policy) -> int:
    """Run the rules over the devices that time alone may have changed since their last
    evaluation (their snapshot's `due_at` has passed, or they have none yet), a batch per
    transaction; the rest of the fleet is not visited. Commits."""
    count = 0
    failed: set[str] = set()  # due still (their rules failed): not visited twice in one pass
    while due := [d for d in store.snapshots.due(session, now, DUE_BATCH + len(failed)) if d not in failed]:
        batch = due[:DUE_BATCH]
        found = evaluate_many(session, store.devices.by_ids(session, batch), now, policy)
        failed.update(set(batch) - set(found))
        count += len(batch)
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
