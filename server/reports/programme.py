"""What a programme achieved, from the verdict and alert history: pure functions.

- `ready_share`: the share of a period each device was ready (or needed only attention: it
  would have worked in a rescue), from its changes of readiness
  (never from samples), and the time it was not ready by cause (the verdict's first reason,
  its worst, so the causes add up to the downtime). Time before the device's history begins
  is no record, not downtime: the share is of the time on record, and `begins` says where
  that starts when it is after the period's start.
- `response_times`: per severity, how long alerts opened in the period took to be
  acknowledged and to be repaired (resolved): median and 90th percentile. An alert is counted
  once, whatever the order or repetition of its rows.
- `uses`: each rescue and how long until the device was usable again; `replaced`: how often
  pads or a battery were replaced, from the dates the self-tests said.
- `Round`: a mobile unit's days in service (the local days it moved) and its stops of ten
  minutes or more inside the communities it serves, from its fixes one at a time (`moving_days`
  and `visits` say the same of fixes in any order).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from server.rules.location import EARTH_RADIUS_M, distance_m
from server.rules.shift import moving

# Usable in a rescue: ready, or needing attention soon (pads expiring, a battery warning): the
# share counts both; not ready and unknown are downtime.
READY = frozenset({"ready", "attention"})
UNKNOWN_CAUSE = "unknown"  # not ready (or not known to be) with no reason given


@dataclass(frozen=True)
class Change:
    """A device's readiness from `at` on, and why (reason keys, worst first); `seq` (the
    history row's id) orders changes of one instant."""

    at: datetime
    readiness: str
    reasons: tuple[str, ...] = ()
    seq: int = 0


@dataclass(frozen=True)
class Share:
    ready_s: float  # on record and ready
    on_record_s: float  # on record (the history had begun)
    period_s: float
    downtime_by_cause: dict[str, float] = field(default_factory=dict)
    begins: datetime | None = None  # where the history begins, when inside the period

    @property
    def ready_share(self) -> float | None:
        """0–1 of the time on record; None when none of the period is on record."""
        return self.ready_s / self.on_record_s if self.on_record_s > 0 else None

    @property
    def downtime_s(self) -> float:
        return self.on_record_s - self.ready_s


def ready_share(changes: Iterable[Change], start: datetime, end: datetime) -> Share:
    """The share of [start, end) the device was ready, from all its changes (any order; those
    after `end` are ignored, the newest at or before `start` says how the period began)."""
    if end <= start:
        return Share(0.0, 0.0, 0.0)
    ordered = sorted(changes, key=lambda change: (change.at, change.seq))
    before = [c for c in ordered if c.at <= start]
    inside = [c for c in ordered if start < c.at < end]
    current = before[-1] if before else None
    cursor = start
    ready = on_record = timedelta(0)  # summed exactly (in microseconds), said in seconds
    downtime: dict[str, timedelta] = {}
    for change in [*inside, None]:
        until = change.at if change is not None else end
        span = until - cursor
        if current is not None and span > timedelta(0):
            on_record += span
            if current.readiness in READY:
                ready += span
            else:
                cause = current.reasons[0] if current.reasons else UNKNOWN_CAUSE
                downtime[cause] = downtime.get(cause, timedelta(0)) + span
        if change is not None:
            current, cursor = change, change.at
    begins = None if before else (inside[0].at if inside else None)
    by_cause = {cause: span.total_seconds() for cause, span in downtime.items()}
    return Share(
        ready.total_seconds(), on_record.total_seconds(), (end - start).total_seconds(), by_cause, begins
    )


@dataclass(frozen=True)
class AlertTimes:
    id: int
    severity: str
    opened_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Spread:
    count: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class Response:
    to_acknowledge: Spread
    to_repair: Spread


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0–100) of the values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, None, None)
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Spread(len(ordered), median, percentile(ordered, 90))


def response_times(alerts: Iterable[AlertTimes], start: datetime, end: datetime) -> dict[str, Response]:
    """Per severity, for the alerts opened in [start, end): time to acknowledge (of those
    acknowledged) and time to repair (of those resolved). Each alert counted once by its id."""
    once = {alert.id: alert for alert in alerts if start <= alert.opened_at < end}
    by_severity: dict[str, tuple[list[float], list[float]]] = {}
    for alert in once.values():
        acknowledged, repaired = by_severity.setdefault(alert.severity, ([], []))
        if alert.acknowledged_at is not None and alert.acknowledged_at >= alert.opened_at:
            acknowledged.append((alert.acknowledged_at - alert.opened_at).total_seconds())
        if alert.resolved_at is not None and alert.resolved_at >= alert.opened_at:
            repaired.append((alert.resolved_at - alert.opened_at).total_seconds())
    return {
        severity: Response(_spread(acknowledged), _spread(repaired))
        for severity, (acknowledged, repaired) in sorted(by_severity.items())
    }


# --- uses: rescues and the time back in service ---------------------------------------------


@dataclass(frozen=True)
class Use:
    at: datetime  # the rescue began (its in_use alert opened)
    back_at: datetime | None  # the device usable again; None if not yet

    @property
    def back_in_service_s(self) -> float | None:
        return None if self.back_at is None else (self.back_at - self.at).total_seconds()


def uses(rescues: Iterable[datetime], changes: Iterable[Change]) -> list[Use]:
    """Each rescue (counted once by its start), and when the device was next usable after it:
    the first change to a usable readiness that follows a change to not usable after the
    rescue began (its in_use, then service, then ready)."""
    ordered = sorted(changes, key=lambda change: (change.at, change.seq))
    out = []
    for at in sorted(set(rescues)):
        down = next((c for c in ordered if c.at >= at and c.readiness not in READY), None)
        back = None
        if down is not None:
            back = next(
                (c.at for c in ordered if (c.at, c.seq) > (down.at, down.seq) and c.readiness in READY), None
            )
        out.append(Use(at, back))
    return out


# --- consumables: replaced and due -------------------------------------------------------------


def replaced(said: Iterable[tuple[datetime, date | None]]) -> int:
    """How many times a consumable was replaced, from the expiry date each self-test said of it
    (any order): each time the date moves later. A test that said none says nothing."""
    count, last = 0, None
    for _, expiry in sorted(said, key=lambda pair: pair[0]):
        if expiry is None:
            continue
        if last is not None and expiry > last:
            count += 1
        last = expiry
    return count


# --- a mobile unit: its days in service, its visits ---------------------------------------------

Fix = tuple[datetime, float, float, float | None]  # when, lat, lon, speed km/h (None: not said)


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    radius_m: float

    def holds(self, lat: float, lon: float) -> bool:
        """Whether a fix is inside the circle. Its latitude alone rules out most fixes: on the
        sphere haversine measures, no path is shorter than the difference in latitude."""
        if abs(math.radians(lat - self.lat)) * EARTH_RADIUS_M > self.radius_m + 0.001:  # a mm for rounding
            return False
        return distance_m(self.lat, self.lon, lat, lon) <= self.radius_m


@dataclass(frozen=True)
class Visit:
    community: str
    arrived: datetime
    left: datetime


VISIT_MIN = timedelta(minutes=10)


class Round:
    """A mobile unit's days in service and its visits, from its fixes given one at a time in
    time order, none of them kept: a year of a fix every ten seconds is three million.

    A day in service is a local day the unit moved: a fix at speed, or further from the fix
    before it than a parked unit wanders. A visit is a run of consecutive fixes inside a
    community's circle, from the first to the last, lasting `least` or more."""

    def __init__(self, zone: tzinfo, communities: Iterable[Place] = (), least: timedelta = VISIT_MIN) -> None:
        self.zone, self.places, self.least = zone, list(communities), least
        self.days: set[date] = set()
        self._before: tuple[float, float] | None = None
        self._runs: list[tuple[datetime, datetime] | None] = [None] * len(self.places)
        self._found: list[Visit] = []

    def add(self, fix: Fix) -> None:
        at, lat, lon, speed = fix
        if moving((lat, lon), speed, self._before):
            self.days.add(at.astimezone(self.zone).date())
        self._before = (lat, lon)
        for n, place in enumerate(self.places):
            run = self._runs[n]
            if place.holds(lat, lon):
                self._runs[n] = (at if run is None else run[0], at)
            elif run is not None:
                self._close(n)

    def _close(self, n: int) -> None:
        run, self._runs[n] = self._runs[n], None
        if run is not None and run[1] - run[0] >= self.least:
            self._found.append(Visit(self.places[n].name, *run))

    def visits(self) -> list[Visit]:
        """The visits, in time order, a run still going at the last fix included."""
        for n in range(len(self.places)):
            self._close(n)
        return sorted(self._found, key=lambda visit: (visit.arrived, visit.community))


def _round(fixes: Iterable[Fix], zone: tzinfo, communities: Iterable[Place], least: timedelta) -> Round:
    made = Round(zone, communities, least)
    for fix in sorted(fixes, key=lambda fix: fix[0]):
        made.add(fix)
    return made


def moving_days(fixes: Iterable[Fix], zone: tzinfo) -> set[date]:
    """The local days the unit moved (a shift each), from its fixes in any order."""
    return _round(fixes, zone, (), VISIT_MIN).days


def visits(fixes: Iterable[Fix], communities: Iterable[Place], least: timedelta = VISIT_MIN) -> list[Visit]:
    """The unit's stops of `least` or more inside a community's circle, from its fixes in any
    order; in time order."""
    return _round(fixes, UTC, communities, least).visits()
