"""The outbox: per-sink cursors, pruning, dedupe, the bound, and reopening after a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from aedmon.reading import DeviceState, Reading, ReadingType, TestResult
from firmware_bridge.outbox import Outbox

from .. import factories

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def beat(seq: int, state: DeviceState = DeviceState.READY) -> Reading:
    return factories.heartbeat(state, site="s", at=T0 + timedelta(seconds=seq), arrived=T0, seq=seq)


def failed_test(seq: int) -> Reading:
    return factories.selftest(
        TestResult.FAIL, site="s", at=T0 + timedelta(seconds=seq), arrived=T0, seq=seq, codes=("C02",)
    )


def test_each_sink_drains_with_its_own_cursor_and_rows_go_when_all_passed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    for seq in range(5):
        assert box.append(beat(seq))
    first = box.batch("server", 3)
    assert [e.reading.seq for e in first] == [0, 1, 2]
    box.advance("server", first[-1].id)
    assert box.depth("server") == 2
    assert box.depth("influx") == 5
    assert box.rows == 5  # influx has not passed them yet
    box.advance("influx", box.batch("influx", 10)[-1].id)
    assert box.rows == 2
    assert [e.reading.seq for e in box.batch("server", 10)] == [3, 4]


def test_repeat_of_a_waiting_key_is_not_stored_twice(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    assert box.append(beat(7))
    assert not box.append(beat(7))
    assert box.rows == 1


def test_contents_and_cursors_survive_reopening(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    for seq in range(4):
        box.append(beat(seq))
    box.advance("server", box.batch("server", 2)[-1].id)
    box.close()  # as after kill -9: everything committed is on disk
    again = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    assert [e.reading.seq for e in again.batch("server", 10)] == [2, 3]
    assert [e.reading.seq for e in again.batch("influx", 10)] == [0, 1, 2, 3]


def test_ids_are_not_reused_after_pruning(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    box.append(beat(1))
    last = box.batch("server", 1)[-1].id
    box.advance("server", last)
    box.append(beat(2))
    assert box.batch("server", 1)[0].id > last


def test_at_the_bound_routine_readings_go_first_and_alerting_ones_never(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"], max_rows=100)
    box.append(failed_test(0))
    for seq in range(1, 150):
        box.append(beat(seq))
    assert box.rows == 100
    assert box.dropped == 50
    kept = box.batch("server", 200)
    assert kept[0].reading.type is ReadingType.SELFTEST  # the oldest, but it may raise an alert
    assert [e.reading.seq for e in kept[1:]][:1] == [51]  # the oldest heartbeats went


def test_beyond_the_bound_alerting_readings_are_kept_and_counted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"], max_rows=100)
    for seq in range(120):
        box.append(failed_test(seq))
    assert box.rows == 120
    assert box.dropped == 0
    assert box.over_bound == 20
    box.append(beat(500, DeviceState.NOT_READY))  # a NOT_READY heartbeat may alert too
    assert box.rows == 121


def test_a_different_reading_under_a_waiting_seq_and_time_is_kept_beside_it(tmp_path: Path) -> None:
    """A device whose clock and counter restart at each power-up: PASS and FAIL share (seq, time)."""
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    reset = datetime(2000, 1, 1, 0, 0, 5, tzinfo=UTC)
    passed = factories.selftest(TestResult.PASS, at=reset, seq=1)
    failed = factories.selftest(TestResult.FAIL, at=reset, seq=1, codes=("P02",))
    assert box.append(passed)
    assert box.append(failed)
    assert not box.append(failed)  # its resend is still a repeat
    assert [entry.reading.result for entry in box.batch("server", 10)] == [TestResult.PASS, TestResult.FAIL]
