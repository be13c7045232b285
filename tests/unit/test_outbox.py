"""The outbox: per-sink cursors, pruning, dedupe, the bound, and reopening after a crash."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aedmon.reading import DeviceState, Reading, ReadingType, TestResult
from firmware_bridge.outbox import Outbox

from .. import factories

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def beat(seq: int, state: DeviceState = DeviceState.READY, device: str = "SN1") -> Reading:
    return factories.heartbeat(
        state, site="s", device=device, at=T0 + timedelta(seconds=seq), arrived=T0, seq=seq % 65536
    )


def failed_test(seq: int, device: str = "SN1") -> Reading:
    return factories.selftest(
        TestResult.FAIL, site="s", device=device, at=T0 + timedelta(seconds=seq), arrived=T0, seq=seq,
        codes=("C02",),
    )  # fmt: skip


def test_each_sink_drains_with_its_own_cursor_and_rows_go_when_all_passed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    for seq in range(5):
        assert box.append(beat(seq))
    first = box.batch("server", 3)
    assert [e.reading.seq for e in first] == [0, 1, 2]
    box.advance("server", [e.id for e in first])
    assert box.depth("server") == 2
    assert box.depth("influx") == 5
    assert box.rows == 5  # influx has not passed them yet
    box.advance("influx", [e.id for e in box.batch("influx", 10)])
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
    box.advance("server", [e.id for e in box.batch("server", 2)])
    box.close()  # as after kill -9: everything committed is on disk
    again = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    assert [e.reading.seq for e in again.batch("server", 10)] == [2, 3]
    assert [e.reading.seq for e in again.batch("influx", 10)] == [0, 1, 2, 3]


def test_ids_are_not_reused_after_pruning(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    box.append(beat(1))
    last = box.batch("server", 1)[-1].id
    box.advance("server", [last])
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


def test_an_alerting_reading_goes_ahead_of_a_routine_backlog_and_the_backlog_still_moves(
    tmp_path: Path,
) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    box.append_many([beat(seq, device=f"CAB{seq % 500}") for seq in range(4_000)])  # routine, 500 devices
    box.append(failed_test(1, device="AED-X"))
    first = box.batch("server", 100)
    assert first[-1].reading.device_id == "AED-X"  # in the first batch, not the fortieth
    assert [e.reading.seq for e in first[:-1]] == list(range(5))  # and a few of the oldest routine ones
    box.advance("server", [e.id for e in first])
    assert box.depth("server") == 4_001 - 6
    assert len(box.batch("server", 100)) == 100  # nothing alerting waits: a whole batch of routine
    seen = [e.reading.seq for e in first[:-1]]
    while entries := box.batch("server", 500):
        seen += [e.reading.seq for e in entries]
        box.advance("server", [e.id for e in entries])
    assert sorted(seen) == list(range(4_000))  # nothing lost, nothing twice
    assert box.depth("server") == 0
    assert box.rows == 4_001  # the other sink has delivered none
    while entries := box.batch("influx", 10_000):
        box.advance("influx", [e.id for e in entries])
    assert box.rows == 0


def test_an_alerting_reading_brings_its_own_devices_earlier_readings_along(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    box.append_many([beat(seq, device=f"CAB{seq % 50}") for seq in range(1_000)])
    box.append_many([beat(seq, device="AED-X") for seq in range(5_000, 5_003)])
    box.append(failed_test(5_003, device="AED-X"))
    first = box.batch("server", 10)
    mine = [e.reading.seq for e in first if e.reading.device_id == "AED-X"]
    assert mine == [5_000, 5_001, 5_002, 5_003]  # in its own order, all in one batch


def test_what_was_delivered_ahead_survives_reopening(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    box.append_many([beat(seq) for seq in range(20)])
    box.append(failed_test(99, device="AED-X"))
    box.advance("server", [e.id for e in box.batch("server", 2) if e.reading.device_id == "AED-X"])
    box.close()
    again = Outbox(tmp_path / "o.db", sinks=["server"])
    assert [e.reading.seq for e in again.batch("server", 100)] == list(range(20))


@st.composite
def resent_lives(draw: st.DrawFn) -> list[Reading]:
    """What a device whose clock and counter restart at every power-up sends, with resends: few
    seqs and times, so that different readings share them, and copies of what went before
    arriving later through another bridge."""
    sent: list[Reading] = []
    for _ in range(draw(st.integers(1, 40))):
        if sent and draw(st.booleans()):
            again = draw(st.sampled_from(sent))
            sent.append(again.model_copy(update={"arrival_time": again.arrival_time + timedelta(minutes=5),
                                                 "bridge": draw(st.sampled_from(["b1", "b2"]))}))  # fmt: skip
            continue
        seq, second = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        said = {"site": "s", "seq": seq, "boot": draw(st.sampled_from([None, "a", "b"])),
                "at": datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=second)}  # fmt: skip
        if draw(st.booleans()):
            reading = factories.selftest(draw(st.sampled_from(list(TestResult))), **said)
        else:
            reading = factories.heartbeat(draw(st.sampled_from(list(DeviceState))), **said)
        sent.append(reading)
    return sent


@settings(max_examples=60, deadline=None)
@given(resent_lives())
def test_every_distinct_reading_is_kept_once_whatever_its_seq_and_time(sent: list[Reading]) -> None:
    """For any sequence of reboots (counter and clock back to the start), resends and readings
    that share a seq and a time, the outbox keeps each distinct message once."""
    with tempfile.TemporaryDirectory() as work:
        box = Outbox(Path(work) / "o.db", sinks=["server"])
        for reading in sent:
            box.append(reading)
        said = {r.model_dump_json(exclude={"arrival_time", "bridge"}) for r in sent}
        assert box.rows == len(said)
        kept = {
            e.reading.model_dump_json(exclude={"arrival_time", "bridge"}) for e in box.batch("server", 1000)
        }
        assert kept == said
        box.close()


def test_an_outbox_of_an_earlier_bridge_gains_its_rows_devices_at_its_first_open(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, "
        "may_alert INTEGER NOT NULL, body TEXT NOT NULL);"
        "CREATE TABLE cursor (sink TEXT PRIMARY KEY, position INTEGER NOT NULL);"
    )
    for reading in (beat(1, device="CAB1"), beat(2, device="CAB1"), failed_test(3, device="AED-X")):
        old.execute("INSERT INTO outbox (key, may_alert, body) VALUES (?, ?, ?)",
                    (reading.key, int(reading.may_alert), reading.model_dump_json()))  # fmt: skip
    old.commit()
    old.close()
    box = Outbox(path, sinks=["server"])
    devices = dict(box._db.execute("SELECT id, device_id FROM outbox").fetchall())
    assert sorted(devices.values()) == ["AED-X", "CAB1", "CAB1"]
    assert [e.reading.seq for e in box.batch("server", 2)] == [1, 3]  # the FAIL first, with a routine one
