"""Alert types, severities and findings: what a rule says when its condition holds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aedmon.reading import CODES


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
    CLOCK_FAULT = "clock_fault"  # the device's clock cannot be believed
    REPORTED_PROBLEM = "reported_problem"  # from the public page; no rule clears it, a technician does


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    type: AlertType
    severity: Severity
    message: str


def describe_codes(codes: tuple[str, ...]) -> str:
    """Codes in words, unknown ones as they came: 'pads expired (P02), X99'."""
    return ", ".join(f"{CODES[c].meaning} ({c})" if c in CODES else c for c in codes)
