"""Readiness: is this device ready for a rescue? A pure verdict with reasons in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from aedmon.reading import DeviceState, TestResult, is_after

from .alerting import AlertType, Finding, Severity, describe_codes
from .facts import DeviceFacts

# A device is "unknown" when nothing has come from it for this many report intervals.
STALE_INTERVALS = 3
MIN_STALE = timedelta(minutes=5)


class Readiness(StrEnum):
    READY = "ready"
    ATTENTION = "attention"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"


_ORDER = [Readiness.READY, Readiness.ATTENTION, Readiness.UNKNOWN, Readiness.NOT_READY]


@dataclass(frozen=True)
class Verdict:
    readiness: Readiness
    reasons: tuple[str, ...]


def assess(facts: DeviceFacts, findings: dict[AlertType, Finding], now: datetime) -> Verdict:
    level = Readiness.READY
    reasons: list[str] = []

    def raise_to(new: Readiness, reason: str) -> None:
        nonlocal level
        if _ORDER.index(new) > _ORDER.index(level):
            level = new
        reasons.append(reason)

    if facts.last_seen is None:
        return Verdict(Readiness.UNKNOWN, ("Nothing has been heard from this device yet.",))
    stale_after = max(MIN_STALE, timedelta(seconds=facts.device.report_interval_s * STALE_INTERVALS))
    silent = now - facts.last_seen
    if silent > stale_after:
        raise_to(Readiness.UNKNOWN, f"No report since {facts.last_seen:%Y-%m-%d %H:%M} UTC.")

    online = facts.latest_availability
    if online is not None and online.online is False and online.device_time >= facts.last_seen:
        raise_to(Readiness.UNKNOWN, f"The device went offline at {online.device_time:%Y-%m-%d %H:%M} UTC.")

    for finding in findings.values():
        raise_to(
            Readiness.NOT_READY if finding.severity is Severity.CRITICAL else Readiness.ATTENTION,
            finding.message,
        )

    test = facts.latest_selftest
    if test is not None and test.result is TestResult.WARN:
        why = describe_codes(test.codes) or "no code given"
        raise_to(Readiness.ATTENTION, f"Last self-test needs attention: {why}.")

    state = facts.latest_state
    if state is not None and test is not None and state.state is not None and is_after(test, state):
        state = None  # a self-test made since the heartbeat is the newer word on the device's state
    if state is not None:
        if state.state is DeviceState.NOT_READY:
            raise_to(Readiness.NOT_READY, "The device reports it is not ready.")
        elif state.state is DeviceState.IN_USE:
            raise_to(Readiness.ATTENTION, "The device is in use in a rescue.")
        elif state.state is DeviceState.SERVICE:
            raise_to(Readiness.ATTENTION, "The device is in service mode.")
        if state.aed_present is False:
            raise_to(Readiness.NOT_READY, "The AED is not in its cabinet.")
        if state.door_open is True:
            raise_to(Readiness.ATTENTION, "The cabinet door is open.")

    if level is Readiness.READY:
        reasons.insert(0, "Ready: nothing wrong reported.")
    if not facts.device.confirmed:
        reasons.append("Registered automatically; an administrator has not confirmed it yet.")
    return Verdict(level, tuple(reasons))
