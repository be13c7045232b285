"""The simulated mobile unit's oxygen leak, as its MQTT payloads say it through Mosquitto: it
parks, and its pressure falls report by report."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.clock import utc_now
from simulators.faults import Fault
from simulators.mqtt_devices import MobileUnit, Place

from ..conftest import Mosquitto, wait_until


def heard(broker: Mosquitto) -> tuple[mqtt.Client, list[tuple[str, dict[str, object]]]]:
    said: list[tuple[str, dict[str, object]]] = []
    lock = threading.Lock()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-listener")

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        if message.payload.startswith(b"{"):  # not the plain `online` of its availability
            with lock:
                said.append((message.topic, json.loads(message.payload)))

    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.subscribe("aedmon/v1/#", qos=1)
    client.loop_start()
    return client, said


def test_a_leaking_unit_parks_and_its_oxygen_falls_and_a_low_one_is_below_its_minimum(
    mosquitto: Mosquitto,
) -> None:
    listener, said = heard(mosquitto)
    base = Place(42.6062, 23.0379)
    unit = MobileUnit(mosquitto.url, "unit-base", "MU-01", utc_now, place=base, interval_s=0.2,
                      faults=[Fault("o2-leak", 0.5)]).start()  # fmt: skip

    def fallen() -> bool:
        return len([p for t, p in said if t.endswith("/status") and float(p["o2_pressure_bar"]) < 170]) >= 2

    try:
        wait_until(fallen, timeout=20, what="a falling pressure")
    finally:
        unit.close()
        listener.loop_stop()
    pressures = [p["o2_pressure_bar"] for t, p in said if t.endswith("/status")]
    falling = [bar for bar in pressures if bar < 182.0]
    assert falling == sorted(falling, reverse=True)  # report by report, never back up
    fixes = [(p["lat"], p["lon"]) for t, p in said if t.endswith("/location")]
    assert len(set(fixes[-3:])) == 1  # parked: the same place
