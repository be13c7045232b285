"""Device clocks: which reading is newest never depends on a clock the server cannot trust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aedmon.reading import Reading, ReadingType
from server.rules.clock import ClockHead, place

from .. import factories

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)


def selftest(
    seq: int | None, said: datetime, arrived: datetime = NOW, kind: ReadingType = ReadingType.SELFTEST
) -> Reading:
    return factories.reading(kind, site="s", at=said, arrived=arrived, seq=seq)


def run(*readings: Reading) -> list[tuple[datetime, bool]]:
    head, placed = ClockHead(), []
    for reading in readings:
        placement = place(reading, head, TOLERANCE)
        head = placement.head
        placed.append((placement.at, placement.newer))
    return placed


def newest(*readings: Reading) -> int:
    """The index of the reading the device's history ends with."""
    placed = run(*readings)
    return max(range(len(placed)), key=lambda i: placed[i][0])


def test_a_pass_dated_2099_does_not_outrank_a_fail_sent_after_it() -> None:
    assert (
        newest(selftest(10, datetime(2099, 1, 1, tzinfo=UTC)), selftest(11, NOW, NOW + timedelta(seconds=5)))
        == 1
    )


def test_a_fail_from_a_clock_reset_to_2000_is_newer_than_the_pass_before_it() -> None:
    assert (
        newest(selftest(10, NOW), selftest(11, datetime(2000, 1, 1, tzinfo=UTC), NOW + timedelta(seconds=5)))
        == 1
    )


def test_a_resent_older_reading_does_not_override_a_newer_one() -> None:
    placed = run(selftest(11, NOW), selftest(10, NOW - timedelta(minutes=1), NOW + timedelta(seconds=5)))
    assert placed[1][1] is False
    assert placed[1][0] < placed[0][0]


def test_a_device_that_powered_up_starts_a_new_epoch_in_arrival_order() -> None:
    later = NOW + timedelta(seconds=30)
    identity = factories.reading(ReadingType.IDENTITY, site="s", at=later, seq=None)
    # after its AEDID the device counts from 0 again, its clock at 2000: still the newest
    assert newest(selftest(500, NOW), identity, selftest(0, datetime(2000, 1, 1, tzinfo=UTC), later)) == 2


def test_a_sequence_that_jumps_back_far_is_a_restart_not_an_old_reading() -> None:
    assert newest(selftest(500, NOW), selftest(3, datetime(2000, 1, 1, 0, 1, tzinfo=UTC), NOW)) == 1


def test_the_sequence_wraps_at_65535() -> None:
    assert (
        newest(selftest(65535, NOW), selftest(0, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1))) == 1
    )


@pytest.mark.parametrize("ahead", [timedelta(minutes=6), timedelta(days=365 * 70)])
def test_a_time_ahead_of_arrival_is_not_believed(ahead: timedelta) -> None:
    placement = place(selftest(1, NOW + ahead), ClockHead(), TOLERANCE)
    assert placement.trusted is False
    assert placement.at == NOW


def test_a_heartbeat_far_behind_its_arrival_is_a_slow_clock() -> None:
    beat = selftest(1, NOW - timedelta(hours=1), NOW, ReadingType.HEARTBEAT)
    assert place(beat, ClockHead(), TOLERANCE).trusted is False


@given(
    st.lists(
        st.tuples(st.integers(0, 65535), st.integers(-(10**9), 10**9), st.integers(0, 10**6)),
        min_size=1,
        max_size=30,
    )
)
def test_each_reading_in_sequence_order_is_placed_after_the_one_before(
    steps: list[tuple[int, int, int]],
) -> None:
    """Whatever the clock says, readings that step forward in sequence are newest in turn."""
    seq, arrived, head = 0, NOW, ClockHead()
    for step, said_s, after_s in steps:
        seq = (seq + 1 + step % 100) % 65536
        arrived += timedelta(seconds=after_s)
        said = NOW + timedelta(seconds=said_s)
        placement = place(selftest(seq, said, arrived), head, TOLERANCE)
        assert placement.newer
        assert head.at is None or placement.at > head.at
        head = placement.head
