"""Ingest: validate each reading, place it in its device's history, store it once, register
unknown devices, run the rules.

Every reading has its own outcome: stored, duplicate (its key is stored already), or
rejected with a reason. Each is validated on its own and stored inside a savepoint of its
own, so neither bad data nor a store that refuses one value costs the rest of the batch,
and the answer is never a 5xx for bad data. Where a reading stands among its device's
readings is decided by server.rules.clock, never by a device clock alone.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, infer_kind
from server import alerts
from server.metrics import DEVICES_REGISTERED, READINGS_DUPLICATE, READINGS_INGESTED, READINGS_REJECTED
from server.rules.alerting import evaluate
from server.rules.clock import ClockHead, place
from server.rules.facts import DeviceFacts, Policy
from server.rules.readiness import Verdict, assess
from server.store import queries
from server.store.models import Device

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ReadingOutcome:
    index: int
    status: Outcome
    key: str | None = None
    reason: str | None = None


@dataclass
class IngestResult:
    outcomes: list[ReadingOutcome] = field(default_factory=list)

    def count(self, status: Outcome) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is status)

    @property
    def rejected(self) -> list[ReadingOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status is Outcome.REJECTED]


def ingest(session: Session, items: list[Any], now: datetime, policy: Policy) -> IngestResult:
    result = IngestResult()
    touched: set[str] = set()
    tolerance = timedelta(seconds=policy.clock_tolerance_s)
    for index, item in enumerate(items):
        try:
            reading = Reading.model_validate(item)
        except ValidationError as exc:
            err = exc.errors(include_input=False)[0]
            where = ".".join(str(p) for p in err["loc"]) or "reading"
            result.outcomes.append(_rejected(index, None, "invalid", f"{where}: {err['msg']}"))
            continue
        try:
            with session.begin_nested():
                stored = _store(session, reading, now, tolerance)
        except (DBAPIError, StatementError) as exc:
            # The boundary should make this impossible; if a store still refuses a value, that
            # reading alone is rejected and said loudly, and the batch goes on.
            log.error(
                "store refused a reading",
                extra={"key": reading.key[:200], "error": exc.__class__.__name__},
            )
            result.outcomes.append(_rejected(index, reading.key, "store", "the store refused a value"))
            continue
        if stored:
            touched.add(reading.device_id)
            READINGS_INGESTED.labels(reading.type.value).inc()
            result.outcomes.append(ReadingOutcome(index, Outcome.STORED, reading.key))
        else:
            READINGS_DUPLICATE.inc()
            result.outcomes.append(ReadingOutcome(index, Outcome.DUPLICATE, reading.key))
    for device_id in sorted(touched):
        known = session.get(Device, device_id)
        if known is None:
            continue
        try:
            with session.begin_nested():
                evaluate_device(session, known, now, policy)
        except Exception:  # noqa: BLE001  one device's rules may fail only that device
            # Its readings are stored all the same; the scheduler's next pass evaluates it again.
            log.exception("rules failed for a device", extra={"device": device_id})
    session.commit()
    if result.rejected:
        log.warning("ingest rejected readings", extra={"rejected": len(result.rejected)})
    return result


def _rejected(index: int, key: str | None, label: str, reason: str) -> ReadingOutcome:
    READINGS_REJECTED.labels(label).inc()
    return ReadingOutcome(index, Outcome.REJECTED, key, reason)


def _store(session: Session, reading: Reading, now: datetime, tolerance: timedelta) -> bool:
    """Place the reading in its device's history and store it; False for a repeat."""
    device = session.get(Device, reading.device_id, with_for_update=True) or _register(session, reading, now)
    _keep_current(device, reading)
    head = ClockHead(device.clock_seq, device.clock_at, device.clock_trusted)
    placement = place(reading, head, tolerance)
    if not queries.insert_reading_if_new(session, reading, now, placement.at, placement.trusted):
        return False
    if placement.newer:
        device.clock_seq, device.clock_at = placement.head.seq, placement.head.at
        device.clock_trusted = placement.head.trusted
        if reading.seq is not None:
            offset = 0.0 if placement.trusted else (reading.device_time - placement.at).total_seconds()
            device.clock_offset_s = offset
        if not placement.trusted:
            log.info(
                "device time not believed; placed by sequence and arrival",
                extra={"device": reading.device_id, "device_time": reading.device_time.isoformat()},
            )
    return True


def _register(session: Session, reading: Reading, now: datetime) -> Device:
    """Register an unknown device as unconfirmed (another server may do so at the same moment)."""
    kind = infer_kind(reading)
    created = queries.insert_device_if_new(
        session,
        {
            "id": reading.device_id,
            "site": reading.site,
            "kind": (kind or DeviceKind.OTHER).value,
            "name": "",
            "place": "",
            "report_interval_s": queries.default_interval(kind or DeviceKind.OTHER),
            "confirmed": False,
            "created_at": now,
            "public_key": secrets.token_urlsafe(16),
        },
    )
    if created:
        DEVICES_REGISTERED.inc()
        log.info(
            "unknown device registered unconfirmed", extra={"device": reading.device_id, "site": reading.site}
        )
    device = session.get(Device, reading.device_id)
    assert device is not None  # inserted just now, or by another server a moment ago
    return device


def _keep_current(device: Device, reading: Reading) -> None:
    """An unconfirmed device learns its kind; identity fields and the bridge follow the newest word."""
    kind = infer_kind(reading)
    if not device.confirmed and device.kind == DeviceKind.OTHER and kind is not None:
        device.kind = kind.value
        device.report_interval_s = queries.default_interval(kind)
    if reading.bridge and reading.bridge != reading.device_id:
        device.bridge_id = reading.bridge
    for name in ("manufacturer", "model", "firmware"):
        value = getattr(reading, name)
        if value:
            setattr(device, name, value)


def device_verdict(
    session: Session,
    device: Device,
    now: datetime,
    policy: Policy,
    bridges_seen: dict[str, datetime | None] | None = None,
) -> tuple[DeviceFacts, Verdict]:
    """What the store knows of the device, and whether it is ready now."""
    facts = queries.device_facts(session, device, bridges_seen)
    return facts, assess(facts, evaluate(facts, now, policy).findings, now, policy)


def evaluate_device(session: Session, device: Device, now: datetime, policy: Policy) -> None:
    facts = queries.device_facts(session, device)
    alerts.reconcile(session, device.id, evaluate(facts, now, policy), now)


def evaluate_all(session: Session, now: datetime, policy: Policy) -> int:
    """Run the rules over every device: what time alone changes (pads expiring)."""
    devices = list(session.scalars(select(Device)))
    for device in devices:
        evaluate_device(session, device, now, policy)
    session.commit()
    return len(devices)
