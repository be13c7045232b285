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
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, ReadingType, infer_kind, keepable_extra
from server import evaluation, store
from server.metrics import (
    BRIDGE_HEARD,
    DEVICES_REGISTERED,
    FIELDS_DROPPED,
    READINGS_DUPLICATE,
    READINGS_INGESTED,
    READINGS_REJECTED,
)
from server.rules.clock import ClockHead, place
from server.rules.facts import Policy
from server.rules.memory import Row
from server.store import facts
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
    outcomes: dict[int, ReadingOutcome] = {}
    valid: list[tuple[int, Reading]] = []
    for index, item in enumerate(items):
        try:
            reading = Reading.model_validate(_keepable(item))
        except ValidationError as exc:
            err = exc.errors(include_input=False)[0]
            where = ".".join(str(p) for p in err["loc"]) or "reading"
            outcomes[index] = _rejected(index, None, "invalid", f"{where}: {err['msg']}")
            continue
        if sites is not None and reading.site not in sites:
            reason = f"site {reading.site} is outside the sites of this key"
            outcomes[index] = _rejected(index, reading.key, "scope", reason)
            continue
        valid.append((index, reading))
    tolerance = timedelta(seconds=policy.clock_tolerance_s)
    try:
        with session.begin_nested():
            stored, strangers = _store_all(session, valid, now, tolerance, sites)
    except OperationalError:
        raise  # the database busy or away: the whole batch is tried again, nothing refused
    except (DBAPIError, StatementError):
        # The boundary should make this impossible; if a store still refuses a value, each
        # reading is stored on its own, so that only the one refused is rejected.
        stored, strangers = _store_each(session, valid, now, tolerance, outcomes, sites)
    for index, reading, _ in strangers:  # where it is registered is not this key's to know
        reason = f"device {reading.device_id} is registered at a site outside the sites of this key"
        outcomes[index] = _rejected(index, reading.key, "scope", reason)
    fresh: dict[str, list[Row]] = {}
    for index, reading, row in stored:
        if row is None:
            READINGS_DUPLICATE.inc()
            outcomes[index] = ReadingOutcome(index, Outcome.DUPLICATE, reading.key)
        else:
            READINGS_INGESTED.labels(reading.type.value).inc()
            outcomes[index] = ReadingOutcome(index, Outcome.STORED, reading.key)
            fresh.setdefault(reading.device_id, []).append(row)
    touched = store.devices.by_ids(session, sorted(fresh))
    evaluation.evaluate_many(session, touched, now, policy, fresh)
    session.commit()
    for _, reading, _ in stored:
        if reading.kind is DeviceKind.BRIDGE and reading.type is ReadingType.HEARTBEAT:
            BRIDGE_HEARD.labels(reading.device_id).set(time.time())
    result = IngestResult([outcomes[index] for index in sorted(outcomes)])
    if result.rejected:
        log.warning("ingest rejected readings", extra={"rejected": len(result.rejected)})
    return result


Stored = tuple[int, Reading, Row | None]  # index in the batch, the reading, its row (None: a repeat)
# A reading of a device registered at a site outside the key's: index, reading, that site.
Stranger = tuple[int, Reading, str]


def _belongs(device: Device, sites: frozenset[str] | None) -> bool:
    """Whether a key of `sites` may speak for the device: scope is the site the device is
    registered at, never only the one a reading names (device ids are global)."""
    return sites is None or device.site in sites


def _store_all(
    session: Session,
    valid: list[tuple[int, Reading]],
    now: datetime,
    tolerance: timedelta,
    sites: frozenset[str] | None,
) -> tuple[list[Stored], list[Stranger]]:
    """Place and store the batch's readings with a few statements for all of them: their
    devices locked (registered first if unknown), the keys already stored asked at once, the
    new readings inserted in bulk. Readings of devices outside `sites` are left out, returned."""
    devices = store.devices.locked(session, [reading.device_id for _, reading in valid])
    unknown = {
        reading.device_id: reading for _, reading in reversed(valid) if reading.device_id not in devices
    }
    if unknown:
        for reading in unknown.values():
            _register(session, reading, now)
        devices.update(store.devices.locked(session, list(unknown)))
    strangers = [
        (index, reading, devices[reading.device_id].site)
        for index, reading in valid
        if not _belongs(devices[reading.device_id], sites)
    ]
    if strangers:
        refused = {index for index, _, _ in strangers}
        valid = [(index, reading) for index, reading in valid if index not in refused]
    repeated = store.readings.stored_keys(session, [reading for _, reading in valid])
    placed: list[tuple[int, Reading, datetime, bool]] = []
    for index, reading in valid:
        device = devices[reading.device_id]
        _keep_current(device, reading)
        if reading.key in repeated:
            continue
        repeated.add(reading.key)
        at, trusted = _place(device, reading, tolerance)
        placed.append((index, reading, at, trusted))
    ids = store.readings.insert_many(session, [(r, at, trusted) for _, r, at, trusted in placed], now)
    rows = {index: (at, ids[r.key], facts.placed(r, at)) for index, r, at, _ in placed if r.key in ids}
    return [(index, reading, rows.get(index)) for index, reading in valid], strangers


def _store_each(
    session: Session,
    valid: list[tuple[int, Reading]],
    now: datetime,
    tolerance: timedelta,
    outcomes: dict[int, ReadingOutcome],
    sites: frozenset[str] | None,
) -> tuple[list[Stored], list[Stranger]]:
    """Store each reading in a savepoint of its own; one the store refuses is rejected (in
    `outcomes`) and said loudly, and the rest go on."""
    stored: list[Stored] = []
    strangers: list[Stranger] = []
    for index, reading in valid:
        try:
            with session.begin_nested():
                device = store.devices.get(session, reading.device_id, lock=True) or _register(
                    session, reading, now
                )
                if not _belongs(device, sites):
                    strangers.append((index, reading, device.site))
                    continue
                row = _store(session, device, reading, now, tolerance)
        except OperationalError:
            raise
        except (DBAPIError, StatementError) as exc:
            log.error(
                "store refused a reading",
                extra={"key": reading.key[:200], "error": f"{exc.__class__.__name__}: {str(exc.orig)[:200]}"},
            )
            outcomes[index] = _rejected(index, reading.key, "store", "the store refused a value")
            continue
        stored.append((index, reading, row))
    return stored, strangers


def _keepable(item: Any) -> Any:
    """The reading as posted, less the unknown fields that cannot be kept (counted): a cosmetic
    field never costs the reading it came with."""
    if not isinstance(item, dict) or not isinstance(item.get("extra"), dict) or not item["extra"]:
        return item
    extra, dropped = keepable_extra(item["extra"])
    if not dropped:
        return item
    FIELDS_DROPPED.inc(len(dropped))
    return {**item, "extra": extra}


def _rejected(index: int, key: str | None, label: str, reason: str) -> ReadingOutcome:
    READINGS_REJECTED.labels(label).inc()
    return ReadingOutcome(index, Outcome.REJECTED, key, reason)


def _store(
    session: Session, device: Device, reading: Reading, now: datetime, tolerance: timedelta
) -> Row | None:
    """Place the reading in its (locked) device's history and store it; None for a repeat."""
    _keep_current(device, reading)
    if store.readings.stored_keys(session, [reading]):
        return None
    at, trusted = _place(device, reading, tolerance)
    row_id = store.readings.insert_if_new(session, reading, now, at, trusted)
    return None if row_id is None else (at, row_id, facts.placed(reading, at))


def _place(device: Device, reading: Reading, tolerance: timedelta) -> tuple[datetime, bool]:
    """Where the new reading stands in its device's history, and whether its device time is
    believed; the device's clock head moves on when it is the newest."""
    head = ClockHead(device.clock_seq, device.clock_at, device.clock_trusted, device.clock_boot)
    placement = place(reading, head, tolerance)
    if placement.newer:
        device.clock_seq, device.clock_at = placement.head.seq, placement.head.at
        device.clock_trusted, device.clock_boot = placement.head.trusted, placement.head.boot
        if reading.seq is not None:
            offset = 0.0 if placement.trusted else (reading.device_time - placement.at).total_seconds()
            device.clock_offset_s = offset
        if not placement.trusted:
            log.info(
                "device time not believed; placed by sequence and arrival",
                extra={"device": reading.device_id, "device_time": reading.device_time.isoformat()},
            )
    return placement.at, placement.trusted


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


SENSOR_INTERVAL_S = (60, 7 * 24 * 3600)  # a sensor's own report interval, as its bridge says it


def _learn_sensor(device: Device, reading: Reading) -> None:
    """A sensor heard through its network (aedmon.protocols.sensors) brings its network name, for
    a device not yet named, and its report interval, for one whose interval nobody chose (its
    kind's default): a door sensor that reports every two hours is not silent after fifteen
    minutes."""
    name = reading.extra.get("sensor_name")
    if isinstance(name, str) and name.strip() and not device.name:
        device.name = name.strip()[:200]
    interval = reading.extra.get("report_interval_s")
    if (
        isinstance(interval, int)
        and not isinstance(interval, bool)
        and SENSOR_INTERVAL_S[0] <= interval <= SENSOR_INTERVAL_S[1]
        and device.report_interval_s == store.devices.default_interval(DeviceKind(device.kind))
    ):
        device.report_interval_s = interval


def _keep_current(device: Device, reading: Reading) -> None:
    """An unconfirmed device learns its kind; identity fields and the bridge follow the newest word."""
    kind = infer_kind(reading)
    if not device.confirmed and device.kind == DeviceKind.OTHER and kind is not None:
        device.kind = kind.value
        device.report_interval_s = store.devices.default_interval(kind)
    _learn_sensor(device, reading)
    if reading.bridge and reading.bridge != reading.device_id:
        device.bridge_id = reading.bridge
    for name in ("manufacturer", "model", "firmware"):
        value = getattr(reading, name)
        if value:
            setattr(device, name, value)
