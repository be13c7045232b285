"""A cabinet's own sensor (LoRaWAN, Zigbee): its battery, its tamper switch, and its network
losing it. Never confused with the AED's: the sensor's battery is its own field, and a sensor
that went quiet is told as the sensor, not as an AED.

A sensor is a device heard through a sensor network (ChirpStack, The Things Stack,
Zigbee2MQTT): its readings say so by their source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aedmon.reading import Reading

from .cabinet import run_since
from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity

SENSOR_SOURCES = frozenset({"chirpstack", "things-stack", "zigbee2mqtt"})


def is_sensor(facts: DeviceFacts) -> bool:
    """Whether the device is heard through a sensor network."""
    said = (facts.latest_state, facts.latest_availability, facts.latest_location, facts.latest_selftest)
    return any(reading is not None and reading.source in SENSOR_SOURCES for reading in said)


def _newest_saying(facts: DeviceFacts, says: Callable[[Reading], bool]) -> Reading | None:
    states = [*facts.recent_states, *([facts.latest_state] if facts.latest_state else [])]
    return max(
        (reading for reading in states if says(reading)),
        key=lambda reading: (reading.device_time, reading.seq or 0),
        default=None,
    )


def sensor_battery_low(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    """The sensor's own battery: the newest word on it is low (its own flag, or a percentage
    under the threshold)."""
    newest = _newest_saying(
        facts, lambda r: r.sensor_battery_pct is not None or r.sensor_battery_low is not None
    )
    if newest is None:
        return None
    pct = newest.sensor_battery_pct
    if pct is not None and pct < policy.sensor_battery_low_pct:
        return Finding(
            AlertType.SENSOR_BATTERY_LOW,
            Severity.MINOR,
            Phrase("detail.sensor_battery_low.percent", {"pct": pct}),
        )
    if newest.sensor_battery_low is True:
        return Finding(AlertType.SENSOR_BATTERY_LOW, Severity.MINOR, Phrase("detail.sensor_battery_low.flag"))
    return None


def cabinet_tamper(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    """The cabinet's sensor says it was tampered with (taken off its mount, its case opened)."""
    since = run_since(facts.recent_states, lambda r: r.tamper)
    if since is None:
        return None
    return Finding(
        AlertType.CABINET_TAMPER, Severity.MAJOR, Phrase("detail.cabinet_tamper", {"since_at": since})
    )


def sensor_offline(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    """Its network says the sensor is gone (Zigbee2MQTT's availability, or the coordinator down),
    at once, and nothing was heard from it since."""
    said = facts.latest_availability
    if said is None or said.online is not False or said.source not in SENSOR_SOURCES:
        return None
    if facts.last_seen is not None and said.device_time < facts.last_seen:
        return None
    which = "coordinator" if said.extra.get("reason") == "coordinator" else "sensor"
    return Finding(
        AlertType.SENSOR_OFFLINE,
        Severity.MAJOR,
        Phrase(f"detail.sensor_offline.{which}", {"since_at": said.device_time}),
    )
