"""Device clocks: where a reading stands in its device's history, whatever its clock says. Pure.

Device time is kept and shown, but which reading is newest never depends on a clock the
server cannot trust. Each reading is placed at a server time `at`, and the device's
history is ordered by it:

- A device time is *trusted* when it is not ahead of the reading's arrival (by more than
  the tolerance), not behind the device's last trusted time (by more than the tolerance),
  and, for a heartbeat (sent live, never resent), not behind its arrival by more than the
  tolerance. A trusted reading stands at its device time; an untrusted one at its arrival.
- Newer or older is the device's own sequence (`seq`, mod 65536): a step forward of less
  than half the range is newer, whatever the dates say. So a FAIL sent after a PASS is a
  failure even if the PASS was dated 2099 or the FAIL 2000-01-01.
- A step back is an older reading resent (it does not override the newer one) when its
  device time is trusted, earlier than the last trusted time and at most `RESEND_HORIZON`
  before it. Any other step back is the device starting again (a reset, a new battery, a
  counter that started over): a new epoch in which arrival order holds.
- A device that powers up (an identity, the serial protocol's AEDID) starts a new epoch too,
  and so does a reading without a seq: arrival order holds for it.
- A newer reading never stands before the newest one, an older one never after it.

A device whose newest numbered reading's time was not trusted, off by more than the
tolerance, has `clock_fault` (minor) until a reading with a believable time comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aedmon.reading import SEQ_MAX, Reading, ReadingType

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity

RESEND_HORIZON = timedelta(days=7)  # older than this before the newest: a reset, not a resend
_TICK = timedelta(microseconds=1)
_HALF = (SEQ_MAX + 1) // 2


@dataclass(frozen=True)
class ClockHead:
    """What the server holds of a device's clock: its newest reading's seq and place, and the
    device time of its newest trusted reading."""

    seq: int | None = None
    at: datetime | None = None
    trusted: datetime | None = None


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


def place(reading: Reading, head: ClockHead, tolerance: timedelta) -> Placement:
    """Where the reading stands in its device's history, and the device's clock after it.
    Arrival is the bridge's clock, a computer's that keeps time (NTP), unlike a device's."""
    arrival = reading.arrival_time
    said = reading.device_time
    ahead = said > arrival + tolerance
    stale_beat = reading.type is ReadingType.HEARTBEAT and said < arrival - tolerance
    if (
        not _forward(reading, head)
        and not (ahead or stale_beat)
        and head.trusted is not None
        and head.trusted - RESEND_HORIZON <= said < head.trusted
    ):
        at = said if head.at is None else min(said, head.at - _TICK)
        return Placement(at, trusted=True, newer=False, head=head)
    behind = head.trusted is not None and said < head.trusted - tolerance
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
        head=ClockHead(seq=seq, at=at, trusted=said if trusted and numbered else head.trusted),
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
