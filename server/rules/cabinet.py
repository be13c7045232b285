"""A cabinet and its AED: removed, not returned, door open too long, temperature.

"Since when" is read from the recent status reports and events together: the start of
the newest unbroken run of reports that say the same thing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from aedmon.reading import DeviceKind, EventType, Reading, is_after

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Severity

Signal = Callable[[Reading], bool | None]


def run_since(readings: Iterable[Reading], signal: Signal) -> datetime | None:
    """When the newest run of readings saying True began; None if the newest says False."""
    said = [(r, value) for r in readings if (value := signal(r)) is not None]
    said.sort(key=lambda pair: (pair[0].device_time, pair[0].seq or 0))
    since = None
    for reading, value in reversed(said):
        if not value:
            break
        since = reading.device_time
    return since


def aed_absent(reading: Reading) -> bool | None:
    if reading.event is EventType.AED_REMOVED:
        return True
    if reading.event is EventType.AED_RETURNED:
        return False
    return None if reading.aed_present is None else not reading.aed_present


def door_open(reading: Reading) -> bool | None:
    if reading.event is EventType.DOOR_OPEN:
        return True
    if reading.event is EventType.DOOR_CLOSED:
        return False
    return reading.door_open


def _signals(facts: DeviceFacts) -> tuple[Reading, ...]:
    return facts.recent_states + facts.recent_events


def _ago(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def aed_removed(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    since = run_since(_signals(facts), aed_absent)
    if since is None:
        return None
    return Finding(
        AlertType.AED_REMOVED,
        Severity.CRITICAL,
        f"The AED was taken out of its cabinet at {since:%H:%M} UTC: it may be in use in a rescue. "
        "Check on site and call the emergency number if no one has.",
    )


def _lasting(facts: DeviceFacts, now: datetime, signal: Signal, limit: timedelta) -> str | None:
    """How long the signal has said True, in words, once that is longer than `limit`."""
    since = run_since(_signals(facts), signal)
    if since is None or now - since <= limit:
        return None
    return _ago(since, now)


def aed_not_returned(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    out_for = _lasting(facts, now, aed_absent, timedelta(hours=policy.aed_not_returned_h))
    if out_for is None:
        return None
    return Finding(
        AlertType.AED_NOT_RETURNED,
        Severity.MAJOR,
        f"The AED has been out of its cabinet for {out_for}. Bring it back with new pads; "
        "used pads must be replaced.",
    )


def door_open_too_long(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    open_for = _lasting(facts, now, door_open, timedelta(minutes=policy.door_open_max_min))
    if open_for is None:
        return None
    return Finding(
        AlertType.DOOR_OPEN,
        Severity.MAJOR,
        f"The cabinet door has been open for {open_for}; close it so the AED stays dry and warm.",
    )


def temperature_out_of_range(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    problems = []
    fridge_low, fridge_high = policy.fridge_temp_c
    state, test = facts.latest_state, facts.latest_selftest
    fridge = None if state is None else state.fridge_temp_c
    if fridge is not None and not fridge_low <= fridge <= fridge_high:
        problems.append(f"medicine fridge at {fridge:.1f} °C (allowed {fridge_low:g}–{fridge_high:g} °C)")
    newest = state if state is not None and state.temp_c is not None else None
    if test is not None and test.temp_c is not None and (newest is None or is_after(test, newest)):
        newest = test
    if newest is not None and newest.temp_c is not None:
        low, high = policy.fridge_temp_c if facts.device.kind is DeviceKind.FRIDGE else policy.storage_temp_c
        if not low <= newest.temp_c <= high:
            problems.append(f"temperature {newest.temp_c:.1f} °C (allowed {low:g}–{high:g} °C)")
    if not problems:
        return None
    return Finding(
        AlertType.TEMPERATURE_OUT_OF_RANGE, Severity.MAJOR, "Out of range: " + "; ".join(problems) + "."
    )
