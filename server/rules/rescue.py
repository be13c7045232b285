"""A rescue: in_use while it lasts (holding the device's other alerts back), then
needs_service until a technician confirms the device is back in service.

A rescue ends with RESCUE_END or a state other than IN_USE; and, since either can be lost on
the way, with the device's next self-test (a device testing itself is not in a rescue; the
power-on test that starts a rescue excepted) or
`in_use_max_h` after it began: in_use never holds the other alerts back for good."""

from __future__ import annotations

from datetime import datetime, timedelta

from aedmon.reading import DeviceState, EventType, Reading, TestType

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


def rescue_since(facts: DeviceFacts, now: datetime, policy: Policy) -> datetime | None:
    """When the rescue still going on began; None if there is none, or it has ended."""
    since = run_since(facts.recent_states + facts.recent_events, rescuing)
    if since is None:
        return None
    test = facts.latest_selftest
    if test is not None and test.device_time > since and test.test is not TestType.POWER_ON:
        return None  # the device has tested itself since (not as it was switched on): the end was lost
    if now > since + timedelta(hours=policy.in_use_max_h):
        return None
    return since


def in_use(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    since = rescue_since(facts, now, policy)
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
    if rescue_since(facts, now, policy) is not None or run_since(signals, aed_absent) is not None:
        return None  # still out or in use: in_use and aed_removed speak for now
    return Finding(
        AlertType.NEEDS_SERVICE,
        Severity.MAJOR,
        Phrase("detail.needs_service", {"used_at": used}),
    )
