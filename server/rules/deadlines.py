"""When time alone may next change what the rules say of a device. Pure.

Readings change a device's findings when they arrive; between them only the clock does: a
device or its bridge falls silent, a self-test becomes overdue, pads or a battery enter their
lead time or expire (and the days left change at each midnight), a door stays open or an
AED away too long (and how long is said to the minute). `next_change` is the earliest such
moment after `now`, so that the scheduler visits a device only when something may change,
and no later than `CEILING` in any case.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from .cabinet import aed_absent, door_open, run_since
from .facts import DeviceFacts, Policy, silent_after
from .rescue import rescue_since
from .shift import day_ends

CEILING = timedelta(hours=24)
MINUTE = timedelta(minutes=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _expiry_moments(expiry: date | None, lead_days: int, now: datetime) -> list[datetime]:
    """Where the rules' day count crosses a bound: the lead time's start, each midnight inside
    it (the days left change), and the day after the date (expired)."""
    if expiry is None:
        return []
    starts, ends = _midnight(expiry - timedelta(days=lead_days)), _midnight(expiry + timedelta(days=1))
    moments = [starts, ends]
    if starts <= now < ends:
        moments.append(_midnight(now.date() + timedelta(days=1)))
    return moments


def _lasting_moments(
    since: datetime | None, limit: timedelta, now: datetime
) -> tuple[list[datetime], list[datetime]]:
    """A signal held since `since`: just after it passes `limit`, and then at each whole minute
    of it (its length is said in whole minutes). As (just after, at)."""
    if since is None:
        return [], []
    passes = since + limit
    if now <= passes:
        return [passes], []
    return [], [now + MINUTE - (now - since) % MINUTE]


def next_change(facts: DeviceFacts, now: datetime, policy: Policy) -> datetime:
    """The earliest moment after `now` at which the device's verdict or findings may change
    with no new reading; `now + CEILING` at the latest."""
    # Durations are compared with `>`: they change just after their moment. Days change at
    # midnight itself.
    after = [now + CEILING]
    if facts.last_seen is not None:
        after.append(facts.last_seen + silent_after(facts, policy))
    if facts.bridge_last_seen is not None:
        interval = timedelta(seconds=facts.bridge_report_interval_s * policy.silent_intervals)
        after.append(facts.bridge_last_seen + max(policy.min_silent, interval))
    interval_h = policy.selftest_interval_h.get(facts.device.kind)
    test = facts.latest_selftest
    since = test.device_time if test is not None else facts.known_since
    if interval_h and since is not None:
        after.append(since + timedelta(hours=interval_h + policy.selftest_grace_h))
    signals = facts.recent_states + facts.recent_events
    at: list[datetime] = []
    limits = ((door_open, timedelta(minutes=policy.door_open_max_min)),
              (aed_absent, timedelta(hours=policy.aed_not_returned_h)))  # fmt: skip
    for signal, limit in limits:
        passing, ticking = _lasting_moments(run_since(signals, signal), limit, now)
        after += passing
        at += ticking
    rescue = rescue_since(facts, now, policy)
    if rescue is not None:  # a rescue whose end is lost ends at its limit
        after.append(rescue + timedelta(hours=policy.in_use_max_h))
    if test is not None:
        at += _expiry_moments(test.pads_expiry, policy.pads_expiring_days, now)
        at += _expiry_moments(test.battery_expiry, policy.battery_expiring_days, now)
    midnight = day_ends(facts, now, policy)  # a mobile unit's day, and so its shift, ends
    if midnight is not None:
        at.append(midnight)
    tick = timedelta(microseconds=1)
    return min([m + tick for m in after if m >= now] + [m for m in at if m > now])
