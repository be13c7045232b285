"""Alert types, severities and findings: what a rule says when its condition holds.

A finding says nothing in words: it names a message (`Phrase.id`, looked up in the
catalogues of server.i18n) and its parameters. Parameter names carry their kind, so a
catalogue can format them for the reader: `at` and `*_at` a moment, `*_on` a day, `*_s` a duration
in seconds, `*_m` metres, `*_km` kilometres, `*_c` degrees Celsius, `n` the count that picks a
plural form, `codes` self-test codes; anything else is said as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class AlertType(StrEnum):
    SELF_TEST_FAILED = "self_test_failed"
    SELF_TEST_WARNING = "self_test_warning"
    SELF_TEST_OVERDUE = "self_test_overdue"
    DEVICE_SILENT = "device_silent"
    BRIDGE_OFFLINE = "bridge_offline"
    PADS_EXPIRED = "pads_expired"
    PADS_EXPIRING = "pads_expiring"
    BATTERY_LOW = "battery_low"
    BATTERY_EXPIRING = "battery_expiring"
    BATTERY_EXPIRED = "battery_expired"
    RELOCATED = "relocated"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    AED_REMOVED = "aed_removed"
    AED_NOT_RETURNED = "aed_not_returned"
    DOOR_OPEN = "door_open"
    TEMPERATURE_OUT_OF_RANGE = "temperature_out_of_range"
    IN_USE = "in_use"
    NEEDS_SERVICE = "needs_service"
    SENSOR_BATTERY_LOW = "sensor_battery_low"  # a cabinet sensor's own battery, never the AED's
    CABINET_TAMPER = "cabinet_tamper"
    SENSOR_OFFLINE = "sensor_offline"  # its network lost the sensor (Zigbee2MQTT availability)
    CLOCK_FAULT = "clock_fault"  # the device's clock cannot be believed
    O2_LOW = "o2_low"  # a mobile unit's oxygen below its minimum
    O2_LEAK = "o2_leak"  # its pressure falling while the unit is parked
    SHIFT_UNCHECKED = "shift_unchecked"  # a mobile unit on the road with no check that day
    REPORTED_PROBLEM = "reported_problem"  # from the public page; no rule clears it, a technician does


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"


Param = str | int | float | date | datetime | tuple[str, ...] | tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Phrase:
    """A message of the catalogues by id, with its parameters."""

    id: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """As stored beside an alert: moments and days in ISO 8601, lists as lists."""
        values: dict[str, Any] = {}
        for key, value in self.params.items():
            if isinstance(value, date):  # a datetime is a date too
                values[key] = value.isoformat()
            elif isinstance(value, tuple):
                values[key] = list(value)
            else:
                values[key] = value
        return {"id": self.id, "params": values}

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> Phrase:
        params: dict[str, Param] = {}
        for key, value in dict(stored.get("params") or {}).items():
            if (key == "at" or key.endswith("_at")) and isinstance(value, str):
                params[key] = datetime.fromisoformat(value)
            elif key.endswith("_on") and isinstance(value, str):
                params[key] = date.fromisoformat(value)
            elif isinstance(value, list):
                params[key] = tuple(value)
            else:
                params[key] = value
        return cls(str(stored.get("id", "")), params)


@dataclass(frozen=True)
class Finding:
    type: AlertType
    severity: Severity
    detail: Phrase
