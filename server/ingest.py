"""Ingest: validate each reading, store it once, register unknown devices, run the rules.

Each reading of a batch is validated on its own, so one bad reading is a counted
rejection, not the loss of the batch. A repeat of a stored key is counted and dropped.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aedmon.reading import DeviceKind, Reading, infer_kind
from server import alerts
from server.metrics import DEVICES_REGISTERED, READINGS_DUPLICATE, READINGS_INGESTED, READINGS_REJECTED
from server.rules.alerting import evaluate
from server.rules.facts import DeviceFacts, Policy
from server.rules.readiness import Verdict, assess
from server.store import queries
from server.store.models import Device

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def ingest(session: Session, items: list[Any], now: datetime, policy: Policy) -> IngestResult:
    result = IngestResult()
    touched: set[str] = set()
    for index, item in enumerate(items):
        try:
            reading = Reading.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "reading"
            result.rejected.append({"index": index, "error": f"{where}: {err['msg']}"})
            READINGS_REJECTED.labels("invalid").inc()
            continue
        device = session.get(Device, reading.device_id) or _register(session, reading, now)
        _keep_current(device, reading)
        if queries.insert_reading_if_new(session, reading, now):
            result.accepted += 1
            touched.add(reading.device_id)
            READINGS_INGESTED.labels(reading.type.value).inc()
        else:
            result.duplicates += 1
            READINGS_DUPLICATE.inc()
    for device_id in sorted(touched):
        known = session.get(Device, device_id)
        if known is not None:
            evaluate_device(session, known, now, policy)
    session.commit()
    if result.rejected:
        log.warning("ingest rejected readings", extra={"rejected": len(result.rejected)})
    return result


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
