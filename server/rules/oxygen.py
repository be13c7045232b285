"""A mobile medical unit's oxygen: a cylinder below its minimum (o2_low), and pressure falling
while the unit is parked (o2_leak: nobody drives it, so the gas goes somewhere it should not;
a patient given oxygen at a stop falls it too, which the crew then acknowledges).

Both read only the unit's own readings, never the clock: the leak's window is the hour and a
half before its newest pressure, so time alone changes neither finding."""

from __future__ import annotations

from datetime import datetime, timedelta

from aedmon.reading import Reading

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity
from .location import distance_m

PARKED_WITHIN_M = 150.0  # fixes all this close together: the unit did not move


def _pressures(facts: DeviceFacts) -> list[Reading]:
    """The unit's states that say its oxygen pressure, oldest first."""
    states = [*facts.recent_states, *([facts.latest_state] if facts.latest_state else [])]
    said = {(r.device_time, r.seq): r for r in states if r.o2_pressure_bar is not None}
    return [said[key] for key in sorted(said, key=lambda k: (k[0], k[1] or 0))]


def o2_low(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    pressures = _pressures(facts)
    if not pressures:
        return None
    bar = pressures[-1].o2_pressure_bar
    if bar is None or bar >= policy.o2_min_bar:
        return None
    return Finding(
        AlertType.O2_LOW, Severity.MAJOR, Phrase("detail.o2_low", {"bar": bar, "min_bar": policy.o2_min_bar})
    )


def _parked(facts: DeviceFacts, start: datetime, end: datetime) -> bool:
    """Whether the unit's fixes of [start, end] (and the newest before it) are all close together."""
    fixes = [
        f for f in facts.recent_locations if f.lat is not None and f.lon is not None and f.device_time <= end
    ]
    before = [f for f in fixes if f.device_time < start][-1:]
    during = before + [f for f in fixes if f.device_time >= start]
    if len(during) < 1:
        return False  # where it was is not known: no leak is claimed
    first = during[0]
    return all(
        distance_m(first.lat, first.lon, f.lat, f.lon) <= PARKED_WITHIN_M  # type: ignore[arg-type]
        for f in during
    )


def o2_leak(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    pressures = _pressures(facts)
    if len(pressures) < 2:
        return None
    newest = pressures[-1]
    window = timedelta(minutes=policy.o2_leak_window_min)
    start = newest.device_time - window
    inside = [r for r in pressures if r.device_time >= start]
    highest = max(inside, key=lambda r: r.o2_pressure_bar or 0.0)
    drop = (highest.o2_pressure_bar or 0.0) - (newest.o2_pressure_bar or 0.0)
    if drop < policy.o2_leak_bar or highest.device_time >= newest.device_time:
        return None
    if not _parked(facts, highest.device_time, newest.device_time):
        return None
    within = float((newest.device_time - highest.device_time).total_seconds() // 60 * 60)
    now_bar = newest.o2_pressure_bar or 0.0
    said = Phrase("detail.o2_leak", {"drop_bar": round(drop, 1), "within_s": within, "bar": now_bar})
    return Finding(AlertType.O2_LEAK, Severity.MAJOR, said)
