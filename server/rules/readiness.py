"""Readiness: is this device ready for a rescue? A pure verdict with reasons in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aedmon.reading import DeviceState, is_after

from .facts import DeviceFacts, Policy, bridge_silent
from .findings import AlertType, Finding, Severity


class Readiness(StrEnum):
    READY = "ready"
    ATTENTION = "attention"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"


_ORDER = [Readiness.READY, Readiness.ATTENTION, Readiness.UNKNOWN, Readiness.NOT_READY]
_BY_SEVERITY = {
    Severity.CRITICAL: Readiness.NOT_READY,
    Severity.MAJOR: Readiness.ATTENTION,
    Severity.MINOR: Readiness.ATTENTION,
    Severity.INFO: Readiness.ATTENTION,
}
# Silence says nothing of the device itself: we do not know.
_LEVEL_OF = {AlertType.DEVICE_SILENT: Readiness.UNKNOWN}


@dataclass(frozen=True)
class Verdict:
    readiness: Readiness
    reasons: tuple[str, ...]


def assess(
    facts: DeviceFacts, findings: dict[AlertType, Finding], now: datetime, policy: Policy | None = None
) -> Verdict:
    """The verdict from the rules' findings and the device's own word on its state."""
    level = Readiness.READY
    reasons: list[str] = []

    def raise_to(new: Readiness, reason: str) -> None:
        nonlocal level
        if _ORDER.index(new) > _ORDER.index(level):
            level = new
        reasons.append(reason)

    if facts.last_seen is None:
        return Verdict(Readiness.UNKNOWN, ("Nothing has been heard from this device yet.",))

    online = facts.latest_availability
    if online is not None and online.online is False and online.device_time >= facts.last_seen:
        raise_to(Readiness.UNKNOWN, f"The device went offline at {online.device_time:%Y-%m-%d %H:%M} UTC.")

    if facts.bridge_id and bridge_silent(facts, now, policy or Policy()):
        raise_to(Readiness.UNKNOWN, f"Its bridge {facts.bridge_id} is offline: nothing can be heard from it.")

    for finding in findings.values():
        raise_to(_LEVEL_OF.get(finding.type, _BY_SEVERITY[finding.severity]), finding.message)

    state = facts.latest_state
    test = facts.latest_selftest
    if state is not None and test is not None and state.state is not None and is_after(test, state):
        state = None  # a self-test made since the heartbeat is the newer word on the device's state
    if state is not None:
        if state.state is DeviceState.NOT_READY:
            raise_to(Readiness.NOT_READY, "The device reports it is not ready.")
        elif state.state is DeviceState.SERVICE:
            raise_to(Readiness.ATTENTION, "The device is in service mode.")
        if state.aed_present is False and AlertType.AED_REMOVED not in findings:
            raise_to(Readiness.NOT_READY, "The AED is not in its cabinet.")
        if state.door_open is True and AlertType.DOOR_OPEN not in findings:
            raise_to(Readiness.ATTENTION, "The cabinet door is open.")

    if level is Readiness.READY:
        reasons.insert(0, "Ready: nothing wrong reported.")
    if not facts.device.confirmed:
        reasons.append("Registered automatically; an administrator has not confirmed it yet.")
    return Verdict(level, tuple(reasons))
