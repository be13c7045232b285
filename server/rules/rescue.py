"""A rescue: in_use while it lasts (holding the device's other alerts back), then
needs_service until a technician confirms the device is back in service."""

from __future__ import annotations

from datetime import datetime

from aedmon.reading import DeviceState, EventType, Reading

from .cabinet import aed_absent, run_since
from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity

RESCUE_EVENTS = frozenset({EventType.RESCUE_START, EventType.SHOCK_DELIVERED, EventType.AED_REMOVED})


def rescuing(reading: Reading) -> bool | None:
    if reading.event is EventType.RESCUE_START:
        return True
    if reading.event is EventType.RESCUE_END:
        return False
    if reading.state is not None:
        return reading.state is DeviceState.IN_USE
    return None


def in_use(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    since = run_since(facts.recent_states + facts.recent_events, rescuing)
    if since is None:
        return None
    return Finding(
        AlertType.IN_USE,
        Severity.INFO,
        Phrase("detail.in_use", {"since_at": since}),
    )


def last_use(facts: DeviceFacts) -> datetime | None:
    """When the device was last used or taken out for a rescue, as far as the store recalls."""
    moments = [e.device_time for e in facts.recent_events if e.event in RESCUE_EVENTS]
    moments += [
        s.device_time for s in facts.recent_states if s.state is DeviceState.IN_USE or s.aed_present is False
    ]
    return max(moments, default=None)


def needs_service(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    used = last_use(facts)
    if used is None or (facts.serviced_at is not None and facts.serviced_at >= used):
        return None
    signals = facts.recent_states + facts.recent_events
    if run_since(signals, rescuing) is not None or run_since(signals, aed_absent) is not None:
        return None  # still out or in use: in_use and aed_removed speak for now
    return Finding(
        AlertType.NEEDS_SERVICE,
        Severity.MAJOR,
        Phrase("detail.needs_service", {"used_at": used}),
    )
