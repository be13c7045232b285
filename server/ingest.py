"""Ingest: validate each reading, place it in its device's history, store it once, register
unknown devices; then have each touched device evaluated (server.evaluation).

Every reading has its own outcome: stored, duplicate (its key is stored already), or
rejected with a reason. Each is validated on its own and stored inside a savepoint of its
own, so neither bad data nor a store that refuses one value costs the rest of the batch,
and the answer is never a 5xx for bad data. Where a reading stands among its device's
readings is decided by server.rules.clock, never by a device clock alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, infer_kind
from server import evaluation, store
from server.metrics import DEVICES_REGISTERED, READINGS_DUPLICATE, READINGS_INGESTED, READINGS_REJECTED
from server.rules.clock import ClockHead, place
from server.rules.facts import Policy
from server.store.devices import NewDevice
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


def ingest(
    session: Session, items: list[Any], now: datetime, policy: Policy, *, sites: frozenset[str] | None = None
) -> IngestResult:
    """Store each reading of the batch on its own; with `sites`, only readings of those sites."""
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
        if sites is not None and reading.site not in sites:
            reason = f"site {reading.site} is outside the sites of this key"
            result.outcomes.append(_rejected(index, reading.key, "scope", reason))
            continue
        try:
            with session.begin_nested():
                stored = _store(session, reading, now, tolerance)
        except OperationalError:
            raise  # the database busy or away: the whole batch is tried again, nothing refused
        except (DBAPIError, StatementError) as exc:
            # The boundary should make this impossible; if a store still refuses a value, that
            # reading alone is rejected and said loudly, and the batch goes on.
            log.error(
                "store refused a reading",
                extra={"key": reading.key[:200], "error": f"{exc.__class__.__name__}: {str(exc.orig)[:200]}"},
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
    seen: evaluation.BridgesSeen = {}  # each bridge looked up once for the batch
    for device_id in sorted(touched):
        known = store.devices.get(session, device_id)
        if known is None:
            continue
        try:
            with session.begin_nested():
                evaluation.evaluate(session, known, now, policy, seen)
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
    device = store.devices.get(session, reading.device_id, lock=True) or _register(session, reading, now)
    _keep_current(device, reading)
    head = ClockHead(device.clock_seq, device.clock_at, device.clock_trusted)
    placement = place(reading, head, tolerance)
    if not store.readings.insert_if_new(session, reading, now, placement.at, placement.trusted):
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
    kind = infer_kind(reading) or DeviceKind.OTHER
    store.sites.ensure(session, reading.site, now)
    created = store.devices.insert_if_new(
        session,
        NewDevice(id=reading.device_id, site=reading.site, kind=kind, created_at=now, confirmed=False),
    )
    if created:
        DEVICES_REGISTERED.inc()
        log.info(
            "unknown device registered unconfirmed", extra={"device": reading.device_id, "site": reading.site}
        )
    device = store.devices.get(session, reading.device_id)
    assert device is not None  # inserted just now, or by another server a moment ago
    return device


def _keep_current(device: Device, reading: Reading) -> None:
    """An unconfirmed device learns its kind; identity fields and the bridge follow the newest word."""
    kind = infer_kind(reading)
    if not device.confirmed and device.kind == DeviceKind.OTHER and kind is not None:
        device.kind = kind.value
        device.report_interval_s = store.devices.default_interval(kind)
    if reading.bridge and reading.bridge != reading.device_id:
        device.bridge_id = reading.bridge
    for name in ("manufacturer", "model", "firmware"):
        value = getattr(reading, name)
        if value:
            setattr(device, name, value)
