"""The rule table and its evaluation: (device facts, now, policy) → findings. Pure.

Each rule answers for one alert type: a Finding when its condition holds, None when not.
The alert lifecycle opens what is found and resolves what is no longer found, except the
types an ongoing rescue holds back, which keep whatever state they had.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from . import cabinet, clock, location, oxygen, presence, rescue, selftest, sensor, shift
from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding

Rule = Callable[[DeviceFacts, datetime, Policy], Finding | None]

RULES: dict[AlertType, Rule] = {
    AlertType.SELF_TEST_FAILED: selftest.self_test_failed,
    AlertType.SELF_TEST_WARNING: selftest.self_test_warning,
    AlertType.SELF_TEST_OVERDUE: selftest.self_test_overdue,
    AlertType.DEVICE_SILENT: presence.device_silent,
    AlertType.BRIDGE_OFFLINE: presence.bridge_offline,
    AlertType.PADS_EXPIRED: selftest.pads_expired,
    AlertType.PADS_EXPIRING: selftest.pads_expiring,
    AlertType.BATTERY_LOW: selftest.battery_low,
    AlertType.BATTERY_EXPIRING: selftest.battery_expiring,
    AlertType.BATTERY_EXPIRED: selftest.battery_expired,
    AlertType.RELOCATED: location.relocated,
    AlertType.OUTSIDE_SERVICE_AREA: location.outside_service_area,
    AlertType.AED_REMOVED: cabinet.aed_removed,
    AlertType.AED_NOT_RETURNED: cabinet.aed_not_returned,
    AlertType.DOOR_OPEN: cabinet.door_open_too_long,
    AlertType.TEMPERATURE_OUT_OF_RANGE: cabinet.temperature_out_of_range,
    AlertType.IN_USE: rescue.in_use,
    AlertType.NEEDS_SERVICE: rescue.needs_service,
    AlertType.SENSOR_BATTERY_LOW: sensor.sensor_battery_low,
    AlertType.CABINET_TAMPER: sensor.cabinet_tamper,
    AlertType.SENSOR_OFFLINE: sensor.sensor_offline,
    AlertType.CLOCK_FAULT: clock.clock_fault,
    AlertType.O2_LOW: oxygen.o2_low,
    AlertType.O2_LEAK: oxygen.o2_leak,
    AlertType.SHIFT_UNCHECKED: shift.shift_unchecked,
}

# During a rescue only these may change; the rest wait until it ends.
DURING_RESCUE = frozenset({AlertType.IN_USE, AlertType.AED_REMOVED})


@dataclass(frozen=True)
class Evaluation:
    findings: dict[AlertType, Finding]
    held: frozenset[AlertType]  # types whose alerts must neither open nor resolve now


def evaluate(facts: DeviceFacts, now: datetime, policy: Policy) -> Evaluation:
    found = {}
    for alert_type, rule in RULES.items():
        finding = rule(facts, now, policy)
        if finding is not None:
            found[alert_type] = finding
    if AlertType.IN_USE not in found:
        return Evaluation(found, frozenset())
    held = frozenset(RULES) - DURING_RESCUE
    return Evaluation({t: f for t, f in found.items() if t in DURING_RESCUE}, held)
