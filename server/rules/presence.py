"""Silence: no message at all from a device within its expected interval; a bridge that
stops reporting is one alert, and the silence of its devices is put down to it."""

from __future__ import annotations

from datetime import datetime

from aedmon.reading import DeviceKind

from . import sensor
from .facts import DeviceFacts, Policy, bridge_silent, silent_after
from .findings import AlertType, Finding, Phrase, Severity


def _silent(facts: DeviceFacts, now: datetime, policy: Policy) -> bool:
    return facts.last_seen is not None and now - facts.last_seen > silent_after(facts, policy)


def device_silent(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    if facts.device.kind is DeviceKind.BRIDGE or not _silent(facts, now, policy):
        return None
    if bridge_silent(facts, now, policy):
        return None  # put down to its bridge: one bridge_offline alert, not one per device
    assert facts.last_seen is not None  # silent means heard once, and not since
    if sensor.sensor_offline(facts, now, policy) is not None:
        return None  # its network already said it is gone: one alert, sensor_offline
    which = "detail.sensor_silent" if sensor.is_sensor(facts) else "detail.device_silent"
    return Finding(
        AlertType.DEVICE_SILENT,
        Severity.MAJOR,
        Phrase(which, {"since_at": facts.last_seen, "n": facts.device.report_interval_s}),
    )


def bridge_offline(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    if facts.device.kind is not DeviceKind.BRIDGE or not _silent(facts, now, policy):
        return None
    assert facts.last_seen is not None
    return Finding(
        AlertType.BRIDGE_OFFLINE,
        Severity.MAJOR,
        Phrase(
            "detail.bridge_offline",
            {"bridge": facts.device.id, "site": facts.device.site, "since_at": facts.last_seen},
        ),
    )
