"""Device clocks: which reading is newest never depends on a clock the server cannot trust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aedmon.reading import Reading, ReadingType, TestResult
from server.rules.clock import ClockHead, place

from .. import factories

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)


def selftest(
    seq: int | None,
    said: datetime,
    arrived: datetime = NOW,
    kind: ReadingType = ReadingType.SELFTEST,
    boot: str | None = None,
) -> Reading:
    return factories.reading(kind, site="s", at=said, arrived=arrived, seq=seq, boot=boot)


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


def test_an_older_reading_of_the_same_boot_arriving_late_does_not_override_a_newer_one() -> None:
    placed = run(
        selftest(11, NOW, boot="b1"),
        selftest(10, NOW - timedelta(minutes=1), NOW + timedelta(seconds=5), boot="b1"),
    )
    assert placed[1][1] is False
    assert placed[1][0] < placed[0][0]


@pytest.mark.parametrize("stepped", [timedelta(seconds=250), timedelta(hours=1), timedelta(days=3)])
def test_a_device_restarting_without_a_word_after_its_clock_ran_ahead_is_heard_at_once(
    stepped: timedelta,
) -> None:
    """Its clock ran ahead (inside the tolerance, or beyond it), it rebooted without an AEDID or
    a boot, and counts from 0 at the true time: each FAIL is the newest, not an old resend."""
    before = [selftest(seq, NOW - timedelta(minutes=105 - seq) + stepped, NOW - timedelta(minutes=105 - seq))
              for seq in range(100, 105)]  # fmt: skip
    later = NOW + timedelta(minutes=1)
    after = [
        failing(seq, later + timedelta(seconds=seq), later + timedelta(seconds=seq)) for seq in (0, 1, 2)
    ]
    placed = run(*before, *after)
    assert all(newer for _, newer in placed)
    assert newest(*before, *after) == len(before) + 2


@pytest.mark.parametrize("boot", [None, "b1"])
def test_a_late_pass_of_the_same_power_up_never_overrides_a_fail(boot: str | None) -> None:
    """The network or a resend buffer delivers PASS seq 17 after FAIL seq 19."""
    fail = failing(19, NOW, NOW + timedelta(minutes=1), boot=boot)
    late = selftest(17, NOW - timedelta(seconds=2), NOW + timedelta(minutes=2), boot=boot)
    assert newest(selftest(16, NOW - timedelta(seconds=3), NOW, boot=boot), fail, late) == 1


def failing(seq: int, said: datetime, arrived: datetime = NOW, boot: str | None = None) -> Reading:
    return factories.reading(ReadingType.SELFTEST, site="s", at=said, arrived=arrived, seq=seq, boot=boot,
                             result=TestResult.FAIL, codes=("C02",))  # fmt: skip


def test_a_new_boot_is_a_new_epoch_and_its_clock_is_judged_afresh() -> None:
    first = selftest(40, NOW + timedelta(minutes=4), NOW, boot="a")  # ran 4 minutes ahead: believed
    later = NOW + timedelta(minutes=2)
    rebooted = selftest(41, later - timedelta(hours=2), later, boot="b")  # its clock set back at power-up
    then = selftest(
        42, later - timedelta(hours=2) + timedelta(minutes=1), later + timedelta(minutes=1), boot="b"
    )
    head = place(first, ClockHead(), TOLERANCE).head
    after_boot = place(rebooted, head, TOLERANCE)
    assert after_boot.newer
    assert after_boot.trusted  # two hours behind the old epoch's clock, but the old epoch is over
    assert after_boot.at > head.at  # and it still stands after everything before it
    following = place(then, after_boot.head, TOLERANCE)
    assert following.newer
    assert following.at > after_boot.at


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


@st.composite
def device_lives(draw: st.DrawFn) -> list[Reading]:
    """What one device sends, in the order it sends it: power-ups (with or without a boot id, an
    AEDID or nothing, the counter restarting anywhere or going on), clocks that reset, run
    ahead or step back, resends of what was sent before; the last message a FAIL."""
    sent: list[Reading] = []
    arrived = NOW
    seq, clock, boot = draw(st.integers(0, 65535)), timedelta(0), None
    for power_up in range(draw(st.integers(1, 6))):
        way = draw(st.sampled_from(["boot", "aedid", "silent"]))
        seq = draw(st.one_of(st.just(seq), st.integers(0, 5), st.integers(0, 65535)))
        clock = timedelta(seconds=draw(st.one_of(st.integers(-900, 900), st.integers(-(10**9), 10**8))))
        if way == "boot":
            boot = f"{draw(st.text('abc0123', max_size=3))}-{power_up}"  # drawn anew at each power-up
        elif way == "aedid":
            sent.append(
                factories.reading(ReadingType.IDENTITY, site="s", at=arrived, arrived=arrived, seq=None)
            )
        for _ in range(draw(st.integers(0, 8))):
            arrived += timedelta(seconds=draw(st.integers(0, 3600)))
            clock += timedelta(seconds=draw(st.integers(-600, 600)))  # a clock that drifts and steps
            said = min(
                max(arrived + clock, datetime(1971, 1, 1, tzinfo=UTC)), datetime(2199, 1, 1, tzinfo=UTC)
            )
            seq = (seq + 1) % 65536
            kind = draw(st.sampled_from([ReadingType.SELFTEST, ReadingType.HEARTBEAT]))
            sent.append(selftest(seq, said, arrived, kind, boot if way == "boot" else None))
            if sent and draw(st.booleans()):
                sent.append(draw(st.sampled_from(sent)))  # a resend of something sent before
            if len(sent) > 1 and way == "boot" and draw(st.booleans()):
                sent[-1], sent[-2] = sent[-2], sent[-1]  # overtaken on the way
    arrived += timedelta(seconds=1)
    said = min(max(arrived + clock, datetime(1971, 1, 1, tzinfo=UTC)), datetime(2199, 1, 1, tzinfo=UTC))
    failed = factories.reading(
        ReadingType.SELFTEST, site="s", at=said, arrived=arrived, seq=(seq + 1) % 65536,
        boot=boot if way == "boot" else None, result=TestResult.FAIL,
    )  # fmt: skip
    return [*sent, failed]


@given(device_lives())
def test_no_sequence_of_reboots_resends_and_clocks_hides_the_newest_fail(sent: list[Reading]) -> None:
    """The device's newest self-test by its own sequence and epoch is the history's newest,
    whatever its clock and counter did: resends are dropped by their identity (as the store
    does), every other reading is placed."""
    head, stored, placed = ClockHead(), set(), []
    for reading in sent:
        if reading.key in stored:
            continue  # a duplicate: the store keeps the first
        stored.add(reading.key)
        placement = place(reading, head, TOLERANCE)
        head = placement.head if placement.newer else head
        placed.append((placement.at, reading))
    assert max(placed, key=lambda item: item[0])[1] is sent[-1]


def test_a_reading_without_a_boot_overtaken_on_the_way_does_not_hide_the_next_of_a_new_boot() -> None:
    """Found by the property above: a power-up that named no boot, then one that does (new
    firmware); the old power-up's seq 2 arrives after the new one's seq 1, and the new
    power-up's FAIL seq 2 must still be the newest."""
    old = selftest(1, NOW)
    new = selftest(1, NOW, boot="b")
    overtaken = selftest(2, NOW)
    fail = failing(2, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1), boot="b")
    assert newest(old, new, overtaken, fail) == 3
