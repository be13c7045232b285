"""The demo's embedded broker (amqtt), for machines without Mosquitto, carries the protocol."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.protocols.broker import BrokerAddress
from firmware_bridge.outbox import Outbox
from firmware_bridge.sources.mqtt import MqttSource

from ..conftest import Process, free_port, port_open, wait_until


def test_bridge_reads_a_device_through_the_embedded_broker(tmp_path: Path) -> None:
    port = free_port()
    broker = Process(
        [sys.executable, "-m", "simulators.broker", "--port", str(port)], tmp_path / "b.log"
    ).start()
    try:
        wait_until(lambda: port_open(port), what="amqtt")
        outbox = Outbox(tmp_path / "o.db", sinks=["server"])
        source = MqttSource(
            BrokerAddress("127.0.0.1", port, False, None, None),
            outbox,
            lambda: datetime.now(UTC),
            client_id="aedmon-bridge-demo",
        )
        source.start()
        assert source.connected.wait(15)
        device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="CAB-9")
        device.connect("127.0.0.1", port)
        device.loop_start()
        device.publish(
            "aedmon/v1/street/CAB-9/status", b'{"ts":"2026-11-23T06:00:00Z","seq":1,"door_open":true}', qos=1
        ).wait_for_publish(10)
        wait_until(lambda: outbox.rows == 1, what="the reading")
        device.disconnect()
        device.loop_stop()
        source.stop()
        assert outbox.batch("server", 1)[0].reading.door_open is True
    finally:
        broker.stop()
