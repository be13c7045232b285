"""Faults while readings flow: the bridge killed with -9 and restarted, the TSDB down for a
while, the broker restarted. Afterwards every self-test the AED made and every status the
cabinet published is at the server and in the TSDB exactly once."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from pathlib import Path

import httpx

from aedmon.clock import utc_now
from aedmon.protocols.mqtt_payloads import encode_message
from aedmon.reading import Reading, TestType
from simulators.aed import AedModel, AedSimulator
from simulators.mqtt_devices import Cabinet, Place

from ..conftest import (
    BridgeStarter,
    Mosquitto,
    ServerProcess,
    VictoriaMetrics,
    free_port,
    wait_until,
)


class RecordingAed(AedModel):
    """The firmware model, noting the seq of every self-test it makes."""

    made: list[int]

    def selftest(self, now: datetime, test: TestType = TestType.DAILY) -> bytes:
        line = super().selftest(now, test)
        self.made.append((self.seq - 1) % 65536)
        return line


class RecordingCabinet(Cabinet):
    """The cabinet, noting each status it published and each PUBACK the broker gave it.
    paho keeps a QoS 1 message made while the broker is away and sends it on reconnect."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sent: dict[int, int] = {}  # mid → seq
        self.acked: set[int] = set()
        self.client.on_publish = lambda client, userdata, mid, reason, props: self.acked.add(mid)

    def publish(self, reading: Reading, elapsed: float, *, retain: bool = False) -> None:
        topic, payload = encode_message(reading)
        if reading.type == "status":
            self.sent[self.client.publish(topic, payload, qos=1).mid] = reading.seq or 0


def lag(metrics_port: int, sink: str) -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return -1
    match = re.search(rf'aedmon_bridge_sink_lag{{sink="{sink}"}} ([0-9.e+]+)', text)
    return float(match.group(1)) if match else -1


def test_every_reading_arrives_once_through_kill_9_tsdb_outage_and_broker_restart(
    server: ServerProcess,
    victoria: VictoriaMetrics,
    mosquitto: Mosquitto,
    tmp_path: Path,
    start_bridge: BridgeStarter,
) -> None:
    model = RecordingAed("SN-FAULT")
    model.made = []
    aed = AedSimulator(
        model, utc_now, selftest_interval_s=1.1, heartbeat_interval_s=1.1, link=tmp_path / "ttyAED"
    )
    metrics_port = free_port()
    args = (
        "--site", "town-hall", "--serial", str(tmp_path / "ttyAED"), "--mqtt", mosquitto.url,
        "--metrics-port", str(metrics_port), "--influx-url", victoria.url,
        "--influx-org", "aedmon", "--influx-bucket", "aedmon", "--influx-token", "x",
    )  # fmt: skip
    bridge = start_bridge(*args)
    wait_until(lambda: "broker connected" in bridge.output(), timeout=20, what="bridge subscription")
    cabinet = RecordingCabinet(
        mosquitto.url, "street", "CAB-F", utc_now, place=Place(42.6, 23.0), interval_s=0.3
    )
    aed.start()
    cabinet.start()
    pause = threading.Event().wait

    def stored_count() -> int:
        return len(server.get("/api/v1/devices/SN-FAULT/readings", type="selftest", limit=1000))  # type: ignore[arg-type]

    try:
        wait_until(lambda: len(model.made) >= 3, what="self-tests flowing")
        bridge.kill9()  # mid-stream: no goodbye, no flush
        pause(1.5)
        bridge = start_bridge(*args)
        pause(2)
        victoria.process.stop()  # the TSDB goes away for a while
        at_server_before = stored_count()
        pause(3)
        at_server_during = stored_count()
        victoria.start()
        pause(2)
        mosquitto.restart()
        pause(3)
    finally:
        cabinet.stop.set()
        cabinet.thread.join(5)
        aed.selftest_interval_s = aed.heartbeat_interval_s = 1e9
        pause(1.5)  # a self-test already scheduled under the old interval still comes
    wait_until(
        lambda: set(cabinet.sent) <= cabinet.acked, timeout=30, what="every status acknowledged by the broker"
    )
    wait_until(lambda: not model.unacked, timeout=30, what="every self-test acknowledged by the bridge")
    wait_until(
        lambda: lag(metrics_port, "server") == 0 and lag(metrics_port, "influx") == 0,
        timeout=60,
        what="both sinks drained",
    )
    aed.close()
    cabinet.close()

    made_tests = sorted(model.made)
    sent_status = sorted(cabinet.sent.values())
    assert len(made_tests) >= 8
    assert len(sent_status) >= 20

    stored_tests = [
        r["seq"] for r in server.get("/api/v1/devices/SN-FAULT/readings", type="selftest", limit=1000)
    ]  # type: ignore[attr-defined, index]
    stored_status = [
        r["seq"] for r in server.get("/api/v1/devices/CAB-F/readings", type="status", limit=1000)
    ]  # type: ignore[attr-defined, index]
    assert sorted(stored_tests) == made_tests
    assert sorted(stored_status) == sent_status

    tsdb_tests = [v for s in victoria.samples('aedmon_selftest_seq{device="SN-FAULT"}') for v in s["values"]]  # type: ignore[attr-defined]
    tsdb_status = [v for s in victoria.samples('aedmon_status_seq{device="CAB-F"}') for v in s["values"]]  # type: ignore[attr-defined]
    assert sorted(tsdb_tests) == made_tests
    assert sorted(tsdb_status) == sent_status
    assert at_server_during > at_server_before  # the TSDB outage did not hold up the server
    log = bridge.output()
    assert "sink unavailable" in log
    assert "sink back" in log
    scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    assert 'aedmon_bridge_readings_total{source="mqtt",type="status"}' in scrape
    assert re.search(r'aedmon_bridge_sink_errors_total\{sink="influx"\} [1-9]', scrape)
