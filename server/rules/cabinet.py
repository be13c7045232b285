"""A cabinet and its AED: removed, not returned, door open too long, temperature.

"Since when" is read from the recent status reports and events together: the start of
the newest unbroken run of reports that say the same thing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from aedmon.reading import DeviceKind, EventType, Reading, is_after

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Param, Phrase, Severity

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


def aed_removed(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    since = run_since(_signals(facts), aed_absent)
    if since is None:
        return None
    return Finding(
        AlertType.AED_REMOVED,
        Severity.CRITICAL,
        Phrase("detail.aed_removed", {"since_at": since}),
    )


def _lasting(facts: DeviceFacts, now: datetime, signal: Signal, limit: timedelta) -> float | None:
    """How long the signal has said True, in whole minutes' seconds, once that is longer than `limit`."""
    since = run_since(_signals(facts), signal)
    if since is None or now - since <= limit:
        return None
    return float((now - since).total_seconds() // 60 * 60)


def aed_not_returned(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    out_for = _lasting(facts, now, aed_absent, timedelta(hours=policy.aed_not_returned_h))
    if out_for is None:
        return None
    return Finding(
        AlertType.AED_NOT_RETURNED,
        Severity.MAJOR,
        Phrase("detail.aed_not_returned", {"out_s": out_for}),
    )


def door_open_too_long(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    open_for = _lasting(facts, now, door_open, timedelta(minutes=policy.door_open_max_min))
    if open_for is None:
        return None
    return Finding(
        AlertType.DOOR_OPEN,
        Severity.MAJOR,
        Phrase("detail.door_open", {"open_s": open_for}),
    )


def temperature_out_of_range(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    problems: dict[str, Param] = {}
    fridge_low, fridge_high = policy.fridge_temp_c
    state, test = facts.latest_state, facts.latest_selftest
    fridge = None if state is None else state.fridge_temp_c
    if fridge is not None and not fridge_low <= fridge <= fridge_high:
        problems.update(fridge_c=fridge, fridge_low_c=fridge_low, fridge_high_c=fridge_high)
    newest = state if state is not None and state.temp_c is not None else None
    if test is not None and test.temp_c is not None and (newest is None or is_after(test, newest)):
        newest = test
    if newest is not None and newest.temp_c is not None:
        low, high = policy.fridge_temp_c if facts.device.kind is DeviceKind.FRIDGE else policy.storage_temp_c
        if not low <= newest.temp_c <= high:
            problems.update(temp_c=newest.temp_c, low_c=low, high_c=high)
    if not problems:
        return None
    places = [name for name, key in (("fridge", "fridge_c"), ("storage", "temp_c")) if key in problems]
    which = "both" if len(places) == 2 else places[0]
    return Finding(
        AlertType.TEMPERATURE_OUT_OF_RANGE,
        Severity.MAJOR,
        Phrase(f"detail.temperature_out_of_range.{which}", problems),
    )
