"""The MQTT source against a real Mosquitto: QoS 1, persistent session, manual ack."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from aedmon.clock import utc_now
from aedmon.protocols.broker import BrokerAddress
from aedmon.reading import DeviceKind, Reading, ReadingType
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox
from firmware_bridge.sources import mqtt as mqtt_source
from firmware_bridge.sources.mqtt import MqttSource

from .. import factories
from ..conftest import Mosquitto, Publisher, free_port, wait_until
from ..fixtures.mqtt import start_mosquitto


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[Publisher]:
    pub = Publisher(mosquitto)
    yield pub
    pub.close()


def status(seq: int, **fields: object) -> dict[str, object]:
    return factories.mqtt_payload("status", seq, factories.T0 + timedelta(seconds=seq), **fields)


def hold_commits(outbox: Outbox, gate: threading.Event, committed: Callable[[list[Reading]], None]) -> None:
    """Every commit to the outbox waits for `gate`; `committed` is told of each once it is made."""
    original_append = outbox.append_many

    def held_append(readings: list[Reading]) -> list[bool]:
        gate.wait(20)
        added = original_append(readings)
        committed(readings)
        return added

    outbox.append_many = held_append  # type: ignore[method-assign]


def record_acks(source: MqttSource, acked: Callable[[int], None]) -> None:
    """`acked` is told of each acknowledgement's message id as it goes out."""
    original_ack = source._client.ack

    def recording_ack(mid: int, qos: int) -> Any:
        acked(mid)
        return original_ack(mid, qos)

    source._client.ack = recording_ack  # type: ignore[method-assign]


def start_source(broker: Mosquitto, outbox: Outbox) -> MqttSource:
    source = MqttSource(BrokerAddress.parse(broker.url), outbox, utc_now, client_id="aedmon-bridge-test")
    source.start()
    assert source.connected.wait(10)
    return source


def test_messages_are_stored_and_bad_ones_counted(
    mosquitto: Mosquitto, publisher: Publisher, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    source = start_source(mosquitto, outbox)
    rejected_before = metrics.REJECTED.labels("mqtt", "bad_field")._value.get()
    try:
        publisher.send("aedmon/v1/street/CAB-1/status", status(1, door_open=False, aed_present=True))
        publisher.send("aedmon/v1/street/CAB-1/status", b'{"ts":"yesterday","seq":2}')
        publisher.send("aedmon/v1/street/CAB-1/location", status(3, lat=42.6, lon=23.0))
        wait_until(lambda: outbox.rows == 2, what="two readings")
        wait_until(lambda: metrics.REJECTED.labels("mqtt", "bad_field")._value.get() == rejected_before + 1)
    finally:
        source.stop()
    readings = [e.reading for e in outbox.batch("server", 10)]
    assert [r.type for r in readings] == [ReadingType.STATUS, ReadingType.LOCATION]
    assert all(r.kind is DeviceKind.CABINET for r in readings)  # the location inherits the cabinet's kind


def test_messages_published_while_the_bridge_is_away_arrive_when_it_returns(
    mosquitto: Mosquitto, publisher: Publisher, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    start_source(mosquitto, outbox).stop()  # registers the persistent session and its subscription
    for seq in range(20):
        publisher.send("aedmon/v1/street/CAB-1/status", status(seq, door_open=False))
    source = start_source(mosquitto, outbox)
    try:
        wait_until(lambda: outbox.rows == 20, what="the 20 queued messages")
    finally:
        source.stop()
    assert sorted(e.reading.seq for e in outbox.batch("server", 100)) == list(range(20))


def test_a_message_is_acknowledged_only_after_the_outbox_write(
    mosquitto: Mosquitto, publisher: Publisher, tmp_path: Path
) -> None:
    """While the outbox write is held, the broker has no PUBACK: a crash then means redelivery."""
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    gate = threading.Event()
    hold_commits(outbox, gate, lambda readings: None)
    source = start_source(mosquitto, outbox)
    acked: list[int] = []
    record_acks(source, acked.append)
    try:
        publisher.send("aedmon/v1/street/CAB-1/status", status(1, door_open=True))
        threading.Event().wait(0.5)
        assert acked == []  # the reading is not yet durable, so no PUBACK has gone out
        gate.set()
        wait_until(lambda: len(acked) == 1, what="the ack after the write")
        assert outbox.rows == 1
    finally:
        gate.set()
        source.stop()


def test_messages_arriving_together_are_committed_together_and_each_acknowledged_after(
    mosquitto: Mosquitto, publisher: Publisher, tmp_path: Path
) -> None:
    """A group commit: while one write is held, what arrives meanwhile waits and then goes to
    the outbox in one transaction; no message is acknowledged before the write holding it."""
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    gate = threading.Event()
    happened: list[tuple[str, int]] = []
    hold_commits(outbox, gate, lambda readings: happened.append(("committed", len(readings))))
    source = start_source(mosquitto, outbox)
    record_acks(source, lambda mid: happened.append(("acked", mid)))
    try:
        for seq in range(1, 41):
            publisher.send(f"aedmon/v1/street/CAB-{seq % 4}/status", status(seq, door_open=False))
        publisher.send("aedmon/v1/street/CAB-9/status", b"{not json")  # rejected, acknowledged with its group
        threading.Event().wait(0.5)
        assert all(kind == "committed" for kind, _ in happened)  # nothing acknowledged yet
        gate.set()
        wait_until(lambda: sum(1 for kind, _ in happened if kind == "acked") == 41, what="41 acks")
        assert outbox.rows == 40
        groups = [size for kind, size in happened if kind == "committed"]
        assert sum(groups) == 40
        assert max(groups) > 1  # what arrived while the first write was held went in together
        committed = acked = 0
        for kind, size in happened:
            committed += size if kind == "committed" else 0
            acked += kind == "acked"
            assert acked <= committed + 1  # the one rejected message is acknowledged without a row
    finally:
        gate.set()
        source.stop()


def test_an_unreachable_broker_is_said_at_once_with_its_backoff(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    address = BrokerAddress.parse(f"mqtt://127.0.0.1:{free_port()}")  # nothing listens there
    source = MqttSource(address, outbox, utc_now, client_id="aedmon-bridge-unreachable")
    with caplog.at_level("WARNING"):
        source.start()
        try:
            wait_until(lambda: "broker unreachable" in caplog.text, timeout=5, what="the warning")
        finally:
            source.stop()
    assert "backoff" in caplog.text


@pytest.mark.parametrize("bound", [mqtt_source.QUEUED, 500])
def test_a_fail_behind_a_flood_goes_first_memory_stays_bounded_and_acks_keep_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: int
) -> None:
    """A broker that sends many messages unacknowledged (max_inflight_messages raised, as the
    README advises) while the first commit is held: the worker's queue never holds more than its
    bound (the broker keeps the rest); a FAIL behind 3,000 routine statuses that fit in it is in
    the first group committed after the held one; every acknowledgement goes in arrival order."""
    monkeypatch.setattr(mqtt_source, "QUEUED", bound)
    broker = start_mosquitto(tmp_path, "max_inflight_messages 0\nmax_queued_messages 0\n")
    publisher = Publisher(broker)
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    gate = threading.Event()
    groups: list[list[str]] = []
    hold_commits(outbox, gate, lambda readings: groups.append([r.device_id for r in readings]))
    source = start_source(broker, outbox)
    acked: list[int] = []
    record_acks(source, acked.append)
    longest = 0
    try:
        for seq in range(3_000):
            publisher.send(f"aedmon/v1/street/CAB-{seq % 50}/status", status(seq % 65536, door_open=False))
        publisher.send("aedmon/v1/street/AED-1/selftest", factories.mqtt_payload(
            "selftest", 1, factories.T0, result="FAIL", codes=["C02"]))  # fmt: skip
        for _ in range(40):  # the first group is held; the rest pile up against the bound
            longest = max(longest, len(source._lanes))
            threading.Event().wait(0.05)
        gate.set()
        wait_until(lambda: outbox.rows == 3_001, timeout=60, what="every message in the outbox")
        wait_until(lambda: len(acked) == 3_001, timeout=30, what="every message acknowledged")
    finally:
        gate.set()
        source.stop()
        publisher.close()
        broker.process.stop()
    assert longest <= bound
    if bound > 3_001:
        assert longest > 2_000  # the flood did arrive while the first commit was held
        assert next(i for i, group in enumerate(groups) if "AED-1" in group) <= 1  # not behind the 3,000
    assert acked == sorted(acked)  # mids rise with arrival: acknowledged in arrival order
