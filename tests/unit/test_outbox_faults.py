"""The outbox under damage and a full disk, and the drain's dead letters: real SQLite files,
and sinks of our own seam that refuse as a server or a TSDB would."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aedmon.errors import BatchRefused, SinkUnavailable, StorageUnavailable
from aedmon.reading import Reading
from firmware_bridge.outbox import Outbox
from firmware_bridge.sinks.base import Drain

from .. import factories

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def beat(seq: int, note: str = "") -> Reading:
    moment = T0 + timedelta(seconds=seq)
    return factories.heartbeat(site="s", at=moment, seq=seq, extra={"note": note} if note else {})


def filled(path: Path, count: int, note: str) -> Path:
    """An outbox file left behind with `count` heartbeats waiting."""
    box = Outbox(path, sinks=["server"])
    for seq in range(count):
        box.append(beat(seq, note))
    box.close()
    return path


def test_a_zeroed_outbox_is_moved_aside_and_a_fresh_one_started(tmp_path: Path) -> None:
    path = filled(tmp_path / "o.db", 1, "")
    path.write_bytes(b"\0" * 8192)
    again = Outbox(path, sinks=["server"])
    assert again.damaged == 1
    assert list(tmp_path.glob("o.db.damaged-*"))
    assert again.append(beat(2))


def test_a_truncated_outbox_is_salvaged_as_far_as_it_reads(tmp_path: Path) -> None:
    path = filled(tmp_path / "o.db", 300, "x" * 300)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    again = Outbox(path, sinks=["server"])
    assert again.damaged == 1
    assert 0 < again.salvaged < 300
    assert [e.reading.seq for e in again.batch("server", 1000)][:3] == [0, 1, 2]


def test_a_damaged_page_in_the_middle_loses_only_that_page(tmp_path: Path) -> None:
    path = filled(tmp_path / "o.db", 2000, "x" * 200)
    with path.open("r+b") as f:  # a page in the middle of the table's leaves
        f.seek(4096 * 60)
        f.write(b"\xa5" * 4096)
    again = Outbox(path, sinks=["server"])
    assert again.damaged == 1
    seqs = [e.reading.seq for e in again.batch("server", 5000)]
    assert len(seqs) >= 2000 - 40, len(seqs)  # one page holds about a dozen rows
    assert seqs == sorted(seqs)
    assert seqs[-1] == 1999


def test_a_full_outbox_raises_storage_unavailable_and_takes_again_when_space_returns(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"], max_bytes=200_000)
    stored = 0
    while stored < 10_000:
        try:
            box.append(beat(stored, "y" * 1000))
        except StorageUnavailable:
            break
        stored += 1
    assert 0 < stored < 10_000
    assert box.rows == stored
    assert box.storage_errors == 1
    box.advance("server", [e.id for e in box.batch("server", 10_000)])  # delivered: space returns
    assert box.append(beat(stored, "y" * 1000))
    assert [e.reading.seq for e in box.batch("server", 10)] == [stored]


class Refusing:
    """A sink that refuses some readings for good and fails on others, as servers do."""

    name = "server"

    def __init__(self, refuse: set[int], poison: set[int], too_large: int = 10_000) -> None:
        self.refuse, self.poison, self.too_large = refuse, poison, too_large
        self.delivered: list[int] = []

    def deliver(self, readings: Sequence[Reading]) -> list[tuple[int, str]]:
        seqs = [r.seq or 0 for r in readings]
        if any(s in self.poison for s in seqs):
            raise SinkUnavailable("server answered 500")
        if len(readings) > self.too_large:
            raise BatchRefused("server answered 413")
        self.delivered += [s for s in seqs if s not in self.refuse]
        return [(i, "rejected: bad field") for i, s in enumerate(seqs) if s in self.refuse]


def drain_all(box: Outbox, sink: Refusing) -> None:
    stop = threading.Event()
    drain = Drain(box, sink, stop, batch_size=50, min_backoff=0.01, max_backoff=0.02)
    drain.start()
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while box.depth("server") and datetime.now(UTC) < deadline:
        stop.wait(0.05)
    stop.set()
    drain.join(5)


def test_refused_readings_become_dead_letters_and_a_poison_head_is_isolated(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    for seq in range(200):
        box.append(beat(seq))
    sink = Refusing(refuse={5, 77}, poison={0}, too_large=7)
    drain_all(box, sink)
    assert box.depth("server") == 0
    assert sink.delivered == [s for s in range(200) if s not in {0, 5, 77}]
    letters = {(d.key.split("|")[2], d.reason.split(":")[0]) for d in box.dead_letters()}
    assert letters == {("0", "failed 3 times while readings behind it went through"),
                       ("5", "rejected"), ("77", "rejected")}  # fmt: skip
    # re-queued, they are delivered again once the sink takes them
    sink.refuse, sink.poison = set(), set()
    assert box.requeue() == 3
    drain_all(box, sink)
    assert sorted(sink.delivered) == list(range(200))
    assert box.dead_letters() == []


def test_an_outage_is_never_mistaken_for_a_poison_reading(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", sinks=["server"])
    for seq in range(20):
        box.append(beat(seq))
    sink = Refusing(refuse=set(), poison=set(range(20)))
    stop = threading.Event()
    drain = Drain(box, sink, stop, batch_size=5, min_backoff=0.01, max_backoff=0.02)
    drain.start()
    stop.wait(1.0)
    stop.set()
    drain.join(5)
    assert box.dead_letters() == []
    assert box.depth("server") == 20


def test_a_row_no_sink_can_read_leaves_the_queue_as_every_sinks_dead_letter(tmp_path: Path) -> None:
    """A row written by an older bridge with looser bounds never stalls a cursor."""
    box = Outbox(tmp_path / "o.db", sinks=["server", "influx"])
    box.append(beat(1))
    loose = beat(2).model_dump_json().replace('"site":"s"', '"site":"bad site"')
    box._db.execute("INSERT INTO outbox (key, may_alert, body) VALUES ('old', 0, ?)", (loose,))
    box.append(beat(3))
    assert [e.reading.seq for e in box.batch("server", 10)] == [1, 3]
    assert {(d.sink, d.key) for d in box.dead_letters()} == {("server", "old"), ("influx", "old")}
    assert [e.reading.seq for e in box.batch("influx", 10)] == [1, 3]
    assert len(box.dead_letters()) == 2
