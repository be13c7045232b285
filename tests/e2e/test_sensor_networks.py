"""A municipality's sensors end to end, on real Mosquitto: messages in ChirpStack's, The Things
Stack's and Zigbee2MQTT's own formats → `aedmon bridge --chirpstack|--things-stack|--zigbee2mqtt`
→ `aedmon server` on SQLite and PostgreSQL → the cabinet's alerts.

For each network: the door opening opens the cabinet's door alert, the sensor's battery low
opens sensor_battery_low, its going offline is told as the sensor's (Zigbee2MQTT's
availability: sensor_offline at once; a LoRaWAN sensor's silence: device_silent in the
sensor's words, by the interval its profile gives), and a message delivered twice is stored
once. The server's thresholds are shortened so the test takes seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from aedmon.clock import utc_now
from simulators.sensors import (
    chirpstack_join,
    chirpstack_uplink,
    em300_mcs,
    things_stack_join,
    things_stack_uplink,
    zigbee_devices,
    zigbee_state,
)

from ..conftest import Mosquitto, Publisher, ServerProcess, Tokens, wait_until
from ..fixtures.processes import Process
from ..fixtures.server import aedmon_args, start_server

EUI = "24e124136b316541"
IEEE = "0x00158d0001d82999"
FAST = {
    "AEDMON_DOOR_OPEN_MAX_MIN": "0.05",  # 3 s
    "AEDMON_EVALUATE_INTERVAL_S": "0.5",
    "AEDMON_MIN_SILENT_S": "4",
    "AEDMON_SILENT_INTERVALS": "0.001",  # silent after 4 s, whatever the sensor's interval
}


@pytest.fixture
def fast_server(tmp_path: Path, tokens: Tokens, server_database: str) -> Iterator[ServerProcess]:
    started = start_server(tmp_path, tokens, server_database, FAST)
    yield started
    started.process.stop()


def known(server: ServerProcess, device: str) -> bool:
    return any(d["id"] == device for d in server.get("/api/v1/devices", site="town-a"))  # type: ignore[attr-defined, index]


def open_types(server: ServerProcess, device: str) -> dict[str, dict[str, Any]]:
    alerts = server.get("/api/v1/alerts", state="open", device_id=device)
    return {a["type"]: a for a in alerts}  # type: ignore[attr-defined, index]


def bridge(tmp_path: Path, tokens: Tokens, server: ServerProcess, *args: str) -> Process:
    env = {**os.environ, "AEDMON_TOKEN": tokens.bridge}
    full = aedmon_args(
        "bridge", "--server", server.url, "--outbox", str(tmp_path / "outbox.db"), "--site", "town-a",
        "--heartbeat-interval-s", "0.5", *args,
    )  # fmt: skip
    return Process(full, tmp_path / "bridge.log", env).start()


def keep_sending(
    send: Callable[[], None], server: ServerProcess, device: str, condition: Callable[[], bool]
) -> None:
    """Send the sensor's report every half second until the condition holds (so silence never opens first)."""

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        send()
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{device}'s alert did not come within 30 s")


def stored_once(server: ServerProcess, device: str, this: Callable[[dict[str, Any]], bool]) -> None:
    """The one message sent twice is among the device's readings, once, and stays once."""

    def found() -> int:
        readings = server.get(f"/api/v1/devices/{device}/readings", type="status", limit=1000)
        return sum(1 for reading in readings if this(reading))  # type: ignore[union-attr]

    wait_until(lambda: found() >= 1, timeout=20, what="the message sent twice stored")
    time.sleep(1.5)  # time for a second copy to land, were it kept
    assert found() == 1


LORAWAN = {
    "chirpstack": (chirpstack_join, chirpstack_uplink),
    "things-stack": (things_stack_join, things_stack_uplink),
}


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("network", ["chirpstack", "things-stack"])
def test_a_lorawan_cabinet_sensor_opens_its_alerts_and_its_silence_is_the_sensors(
    network: str, fast_server: ServerProcess, mosquitto: Mosquitto, tmp_path: Path, tokens: Tokens
) -> None:
    join, uplink = LORAWAN[network]
    process = bridge(tmp_path, tokens, fast_server, f"--{network}", mosquitto.url)
    try:
        wait_until(lambda: "subscribed" in process.output(), timeout=20, what="the bridge's subscription")
        device = Publisher(mosquitto, client_id=f"network-server-{network}")
        f_cnt = iter(range(1, 10_000))
        device.send(*join(EUI, "260b0001", utc_now()))

        def report(door_open: bool, battery: int) -> Callable[[], None]:
            return lambda: device.send(
                *uplink(EUI, next(f_cnt), "260b0001", utc_now(), em300_mcs(door_open, 8.0, battery))
            )

        report(False, 87)()
        wait_until(lambda: known(fast_server, EUI), timeout=20, what="the sensor")
        registered = fast_server.get(f"/api/v1/devices/{EUI}")
        assert registered["kind"] == "cabinet"  # type: ignore[index]
        assert registered["report_interval_s"] == 600  # type: ignore[index]  # its profile's, not a cabinet's 300

        keep_sending(report(True, 87), fast_server, EUI, lambda: "door_open" in open_types(fast_server, EUI))
        keep_sending(
            report(True, 9), fast_server, EUI, lambda: "sensor_battery_low" in open_types(fast_server, EUI)
        )
        low = open_types(fast_server, EUI)["sensor_battery_low"]
        assert low["severity"] == "minor"
        assert "sensor's battery" in low["detail"]

        # one uplink delivered twice (a network server's resend, or a QoS 1 redelivery) is stored once
        resent = next(f_cnt)
        twice = uplink(EUI, resent, "260b0001", utc_now(), em300_mcs(True, 8.0, 9))
        device.send(*twice)
        device.send(*twice)
        stored_once(fast_server, EUI, lambda r: r["seq"] == resent)
        # the sensor goes quiet: silence, said as the sensor's, not an AED's
        wait_until(lambda: "device_silent" in open_types(fast_server, EUI), timeout=30, what="device_silent")
        silent = open_types(fast_server, EUI)["device_silent"]
        assert silent["params"]["id"] == "detail.sensor_silent"
        assert "sensor" in silent["detail"]
        stored_once(fast_server, EUI, lambda r: r["seq"] == resent)
        device.close()
    finally:
        process.stop()
    assert "Traceback" not in process.output()


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_a_zigbee_cabinet_sensor_opens_its_alerts_and_going_offline_is_told_at_once(
    fast_server: ServerProcess, mosquitto: Mosquitto, tmp_path: Path, tokens: Tokens
) -> None:
    z2m = Publisher(mosquitto, client_id="zigbee2mqtt")
    name = "school/aed cabinet"
    z2m.send("zigbee2mqtt/bridge/devices", json.dumps(zigbee_devices(IEEE, name)).encode(), retain=True)
    z2m.send("zigbee2mqtt/bridge/state", b'{"state":"online"}', retain=True)
    z2m.send(f"zigbee2mqtt/{name}/availability", b'{"state":"online"}', retain=True)
    z2m.send("zigbee2mqtt/bridge/logging", b'{"level":"info","message":"MQTT publish"}')
    process = bridge(tmp_path, tokens, fast_server, "--zigbee2mqtt", mosquitto.url)
    try:
        wait_until(lambda: known(fast_server, IEEE), timeout=20, what="the sensor")

        def report(door_open: bool, battery: int) -> Callable[[], None]:
            return lambda: z2m.send(f"zigbee2mqtt/{name}", zigbee_state(door_open, 19.5, battery, utc_now()))

        report(False, 91)()
        wait_until(
            lambda: fast_server.get(f"/api/v1/devices/{IEEE}")["name"] == name,  # type: ignore[index]
            timeout=20,
            what="the sensor named by its friendly name",
        )
        assert fast_server.get(f"/api/v1/devices/{IEEE}")["kind"] == "cabinet"  # type: ignore[index]
        keep_sending(
            report(True, 91), fast_server, IEEE, lambda: "door_open" in open_types(fast_server, IEEE)
        )
        keep_sending(
            report(True, 9), fast_server, IEEE, lambda: "sensor_battery_low" in open_types(fast_server, IEEE)
        )

        moment = utc_now()
        twice = zigbee_state(True, 19.5, 9, moment)  # with last_seen: one message, delivered twice
        z2m.send(f"zigbee2mqtt/{name}", twice)
        z2m.send(f"zigbee2mqtt/{name}", twice)
        stored_once(fast_server, IEEE, lambda r: datetime.fromisoformat(r["device_time"]) == moment)
        z2m.send(f"zigbee2mqtt/{name}/availability", b'{"state":"offline"}', retain=True)
        wait_until(
            lambda: "sensor_offline" in open_types(fast_server, IEEE), timeout=10, what="sensor_offline"
        )
        offline = open_types(fast_server, IEEE)["sensor_offline"]
        assert offline["params"]["id"] == "detail.sensor_offline.sensor"  # type: ignore[index]
        assert "device_silent" not in open_types(fast_server, IEEE)
        stored_once(fast_server, IEEE, lambda r: datetime.fromisoformat(r["device_time"]) == moment)
        # junk retained on bridge/devices is counted and refused; the sensor stays known
        z2m.send("zigbee2mqtt/bridge/devices", b"[1, 2, 3]", retain=True)
        z2m.send(f"zigbee2mqtt/{name}/availability", b'{"state":"online"}', retain=True)
        report(False, 91)()
        wait_until(
            lambda: "sensor_offline" not in open_types(fast_server, IEEE), timeout=20, what="back online"
        )
        z2m.close()
    finally:
        process.stop()
    output = process.output()
    assert "bad_devices" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_a_profile_chosen_at_enrolment_reads_a_sensor_its_network_does_not_name(
    fast_server: ServerProcess, mosquitto: Mosquitto, tmp_path: Path, tokens: Tokens
) -> None:
    sensor = "a81758fffe0a1b2c"
    with fast_server.client("admin") as admin:
        enrolled = {"id": sensor, "site": "town-a", "kind": "cabinet", "name": "Library cabinet",
                    "profile": "netvox/r311a"}  # fmt: skip
        admin.post("/api/v1/devices", json=enrolled).raise_for_status()
    process = bridge(tmp_path, tokens, fast_server, "--chirpstack", mosquitto.url)
    try:
        wait_until(lambda: "subscribed" in process.output(), timeout=20, what="the bridge's subscription")
        assert "sensor profiles chosen at enrolment" in process.output()
        network = Publisher(mosquitto, client_id="chirpstack")
        topic, payload = chirpstack_uplink(
            sensor, 5, "260b0002", utc_now(), {"Device": "R311A", "Volt": "2.3(low battery)", "OnOff": 1}
        )
        data = json.loads(payload)
        data["deviceInfo"]["deviceProfileName"] = "Class A OTAA"  # names no profile aedmon knows
        network.send(topic, json.dumps(data).encode())
        wait_until(
            lambda: fast_server.get(f"/api/v1/devices/{sensor}/readings", type="status"),
            timeout=20,
            what="the uplink stored",
        )
        [stored] = fast_server.get(f"/api/v1/devices/{sensor}/readings", type="status")  # type: ignore[misc]
        assert stored["door_open"] is True
        assert stored["sensor_battery_low"] is True
        assert stored["extra"]["profile"] == "netvox/r311a"
        network.close()
    finally:
        process.stop()
