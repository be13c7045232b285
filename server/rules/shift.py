"""A mobile unit's shift: a day (the site's own local day) on which the unit moves. The crew
checks the unit before it sets out (`server.api.inspections`: its AED, its oxygen, its fridge
and the programme's checklist); a unit that moves on a day with no check is told to its
contacts (shift_unchecked), and the alert ends with the check or with the day. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aedmon.reading import DeviceKind

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity
from .location import distance_m
from .oxygen import PARKED_WITHIN_M

MOVING_KMH = 10.0  # a fix this fast says the unit is on the road, whatever its neighbours say


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def zone_of(facts: DeviceFacts, policy: Policy) -> str:
    return facts.device.time_zone or policy.time_zone


def moving(here: tuple[float, float], speed_kmh: float | None, before: tuple[float, float] | None) -> bool:
    """Whether a fix says the unit is on the road: at speed, or further from the fix before it
    than a parked unit wanders. The shift rule and the programme's days in service both ask."""
    if speed_kmh is not None and speed_kmh >= MOVING_KMH:
        return True
    return before is not None and distance_m(*before, *here) > PARKED_WITHIN_M


def moved_on(facts: DeviceFacts, day: date, zone: str) -> datetime | None:
    """When the unit was first seen moving on this local day; None if it did not move."""
    fixes = [(f.device_time, f.lat, f.lon, f.speed_kmh) for f in facts.recent_locations]
    placed = [(at, (lat, lon), speed) for at, lat, lon, speed in fixes if lat is not None and lon is not None]
    for before, (at, here, speed) in zip([None, *placed], placed, strict=False):
        if local_day(at, zone) == day and moving(here, speed, None if before is None else before[1]):
            return at
    return None


def shift_unchecked(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    if facts.device.kind is not DeviceKind.MOBILE_UNIT:
        return None
    zone = zone_of(facts, policy)
    today = local_day(now, zone)
    since = moved_on(facts, today, zone)
    held = facts.unchecked_since
    if since is None and held is not None and local_day(held, zone) == today:
        since = held  # it moved today: parking since (its moving fixes out of sight) undoes nothing
    if since is None:
        return None
    checked = facts.last_shift_check
    if checked is not None and local_day(checked, zone) == today:
        return None
    return Finding(AlertType.SHIFT_UNCHECKED, Severity.MAJOR, Phrase("detail.shift_unchecked", {"at": since}))


def day_ends(facts: DeviceFacts, now: datetime, policy: Policy) -> datetime | None:
    """For a mobile unit, the next local midnight: a day's shift, checked or not, ends there."""
    if facts.device.kind is not DeviceKind.MOBILE_UNIT:
        return None
    zone = ZoneInfo(zone_of(facts, policy))
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone)


# What says the unit's AED itself cannot be used now (its cabinet, fridge and oxygen are
# judged apart).
AED_FAULTS = frozenset({
    AlertType.SELF_TEST_FAILED, AlertType.SELF_TEST_OVERDUE, AlertType.PADS_EXPIRED,
    AlertType.BATTERY_EXPIRED, AlertType.BATTERY_LOW, AlertType.IN_USE, AlertType.NEEDS_SERVICE,
    AlertType.AED_REMOVED, AlertType.AED_NOT_RETURNED, AlertType.DEVICE_SILENT,
})  # fmt: skip


@dataclass(frozen=True)
class ShiftSeen:
    """What the server sees of a unit before a shift, each with whether it is in order."""

    aed_faults: tuple[AlertType, ...]
    o2_bar: float | None
    o2_ok: bool
    fridge_min_c: float | None
    fridge_max_c: float | None
    fridge_ok: bool

    @property
    def aed_ready(self) -> bool:
        return not self.aed_faults


def seen_before_shift(
    found: Iterable[AlertType], o2_bar: float | None, fridge_c: Iterable[float], policy: Policy
) -> ShiftSeen:
    """From the unit's findings now, its newest oxygen pressure and its fridge's temperatures
    over the window: a fridge or oxygen that said nothing is not in order (nobody knows)."""
    temperatures = [t for t in fridge_c if math.isfinite(t)]
    low, high = policy.fridge_temp_c
    fridge_ok = bool(temperatures) and all(low <= t <= high for t in temperatures)
    return ShiftSeen(
        aed_faults=tuple(sorted(t for t in found if t in AED_FAULTS)),
        o2_bar=o2_bar,
        o2_ok=o2_bar is not None and o2_bar >= policy.o2_min_bar,
        fridge_min_c=min(temperatures, default=None),
        fridge_max_c=max(temperatures, default=None),
        fridge_ok=fridge_ok,
    )
