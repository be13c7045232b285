"""Device clocks: where a reading stands in its device's history, whatever its clock says. Pure.

Device time is kept and shown, but which reading is newest never depends on a clock the
server cannot trust. Each reading is placed at a server time `at`, and the device's
history is ordered by it:

- A device time is *trusted* when it is not ahead of the reading's arrival (by more than
  the tolerance), not behind the device's last trusted time in this epoch (by more than the
  tolerance), and, for a heartbeat (sent live, never resent), not behind its arrival by more
  than the tolerance. A trusted reading stands at its device time; an untrusted one at its
  arrival.
- Newer or older is the device's own sequence (`seq`, mod 65536) within an *epoch*: a step
  forward of less than half the range is newer, whatever the dates say. So a FAIL sent
  after a PASS is a failure even if the PASS was dated 2099 or the FAIL 2000-01-01.
- A resend of a reading already stored never reaches this rule: it is a duplicate by its
  identity (the message itself, aedmon.reading.Reading.key). So a reading that steps back
  is one never heard before: an older reading that arrived late (the device's resend buffer,
  or the network's reordering), or the device starting again (a reset, a new battery, a
  counter that started over). Which, depends on what it can be told by:
  - under the same `boot` as the newest (mqtt.md 1.1: a device's sequence only steps
    forward within one power-up) it arrived late: it enters the history before the newest
    and does not override it;
  - under another `boot`, it is a new power-up: a new epoch, newest;
  - with no `boot` to tell, it may be taken as late only when its time says so: believable,
    before the device's last trusted time and at most `RESEND_HORIZON` before it; and only
    if it brings no bad news (`bad_news`: a self-test that is not a clean PASS, anything
    else that could open an alert). A late PASS then cannot override a FAIL, and a FAIL
    after a silent restart is always the newest, however far the clock ran ahead before:
    the one ambiguity left is settled towards being heard. Anything else is a new epoch.
- A new `boot`, an identity (the serial protocol's AEDID at power-up) and a reading without
  a seq start a new epoch too: arrival order holds. A newest reading that names no `boot`
  leaves the head naming none, for it cannot say which power-up it came from (a reading
  of an earlier one, overtaken on the way, would otherwise lend its seq to the new one and
  hide the new one's next reading as late). A new boot also forgets the old epoch's
  trusted time, so a clock set back at power-up is judged afresh.
- A newer reading never stands before the newest one, an older one never after it.

A device whose newest numbered reading's time was not trusted, off by more than the
tolerance, has `clock_fault` (minor) until a reading with a believable time comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aedmon.reading import SEQ_MAX, Reading, ReadingType, TestResult

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity

RESEND_HORIZON = timedelta(days=7)  # older than this before the newest: a restart, not late
_TICK = timedelta(microseconds=1)
_HALF = (SEQ_MAX + 1) // 2


@dataclass(frozen=True)
class ClockHead:
    """What the server holds of a device's clock: its newest reading's seq and place, and the
    device time of its newest trusted reading."""

    seq: int | None = None
    at: datetime | None = None
    trusted: datetime | None = None
    boot: str | None = None  # the power-up the newest reading named, if it named one


@dataclass(frozen=True)
class Placement:
    at: datetime  # where the reading stands in the device's history
    trusted: bool  # whether its device time was believed
    newer: bool  # whether it is now the device's newest reading
    head: ClockHead  # the device's clock after it


def _forward(reading: Reading, head: ClockHead) -> bool:
    """Whether the seq steps forward from the head (or there is nothing to compare)."""
    if reading.seq is None or head.seq is None or reading.type is ReadingType.IDENTITY:
        return True
    return 0 < (reading.seq - head.seq) % (SEQ_MAX + 1) < _HALF


def bad_news(reading: Reading) -> bool:
    """Whether the reading, were it the newest, could make its device less ready: a self-test
    that is not a clean PASS, or another reading that may open an alert."""
    if reading.type is ReadingType.SELFTEST:
        return reading.result is not TestResult.PASS or bool(reading.codes)
    return reading.may_alert


def _late(reading: Reading, head: ClockHead, believable: bool) -> bool:
    """Whether a reading is an older one that arrived late rather than the device starting
    again (see the module's docstring)."""
    if _forward(reading, head):
        return False
    if reading.boot is not None and head.boot is not None:
        return reading.boot == head.boot
    said = reading.device_time
    return (
        believable
        and head.trusted is not None
        and head.trusted - RESEND_HORIZON <= said < head.trusted
        and not bad_news(reading)
    )


def place(reading: Reading, head: ClockHead, tolerance: timedelta) -> Placement:
    """Where the reading stands in its device's history, and the device's clock after it.
    Arrival is the bridge's clock, a computer's that keeps time (NTP), unlike a device's."""
    arrival = reading.arrival_time
    said = reading.device_time
    ahead = said > arrival + tolerance
    stale_beat = reading.type is ReadingType.HEARTBEAT and said < arrival - tolerance
    believable = not (ahead or stale_beat)
    if _late(reading, head, believable):
        at = said if believable else arrival
        at = at if head.at is None else min(at, head.at - _TICK)
        return Placement(at, trusted=believable, newer=False, head=head)
    rebooted = reading.boot is not None and reading.boot != head.boot
    last_trusted = None if rebooted else head.trusted
    behind = last_trusted is not None and said < last_trusted - tolerance
    trusted = not (ahead or behind or stale_beat)
    at = said if trusted else arrival
    if head.at is not None:
        at = max(at, head.at + _TICK)
    # powered up (an identity): arrival order holds until its next numbered reading
    seq = None if reading.type is ReadingType.IDENTITY else (head.seq if reading.seq is None else reading.seq)
    numbered = reading.seq is not None
    return Placement(
        at,
        trusted,
        newer=True,
        head=ClockHead(
            seq=seq,
            at=at,
            trusted=said if trusted and numbered else last_trusted,
            boot=reading.boot,  # a reading without one cannot say it belongs to the head's power-up
        ),
    )


def clock_fault(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    """The device's newest reading carried a time the server could not believe."""
    offset = facts.clock_offset_s
    if offset is None or abs(offset) <= policy.clock_tolerance_s:
        return None
    direction = "ahead" if offset > 0 else "behind"
    return Finding(
        AlertType.CLOCK_FAULT,
        Severity.MINOR,
        Phrase(f"detail.clock_fault.{direction}", {"offset_s": abs(offset)}),
    )
