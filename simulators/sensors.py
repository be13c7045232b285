"""Simulated sensors of the networks a municipality runs: a LoRaWAN street cabinet (a Milesight
EM300-MCS door, temperature and humidity sensor) through ChirpStack v4 or The Things Stack v3,
and a Zigbee school cabinet (an Aqara door sensor) through Zigbee2MQTT.

Each publishes what its network server publishes, in that network's format (ChirpStack's
protobuf JSON, The Things Stack's data formats, Zigbee2MQTT's topics), so the bridge reads
them as it reads the real thing. The builders are functions, for tests to use as well.
Faults: door, warm, battery-low, offline, rejoin (LoRaWAN) or coordinator-down (Zigbee),
undecoded (LoRaWAN: an uplink no codec decoded), tamper (Zigbee), recover.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import datetime
from typing import Any

from aedmon.clock import Clock

from .faults import Fault, Schedule
from .mqtt_devices import connect

log = logging.getLogger(__name__)

LORAWAN_FAULTS = frozenset({"door", "warm", "battery-low", "offline", "rejoin", "undecoded", "recover"})
ZIGBEE_FAULTS = frozenset({"door", "warm", "battery-low", "offline", "coordinator-down", "tamper", "recover"})
APPLICATION = "aed-cabinets"


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def em300_mcs(door_open: bool, temp_c: float, battery_pct: int) -> dict[str, Any]:
    """What the EM300-MCS codec decodes (vendor/milesight-iot/em300-mcs.js of lorawan-devices)."""
    return {"battery": battery_pct, "temperature": temp_c, "humidity": 48.5, "magnet": 1 if door_open else 0}


def chirpstack_uplink(
    dev_eui: str, f_cnt: int, dev_addr: str, at: datetime, decoded: dict[str, Any] | None, name: str = ""
) -> tuple[str, bytes]:
    """A ChirpStack v4 `up` event as its MQTT integration publishes it (fields at default left out)."""
    event: dict[str, Any] = {
        "deduplicationId": str(uuid.uuid4()),
        "time": stamp(at),
        "deviceInfo": {
            "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
            "tenantName": "Municipality",
            "applicationId": "17c82e96-be03-4f38-aef3-f83d48582d97",
            "applicationName": APPLICATION,
            "deviceProfileId": "14855bf7-d10d-4aee-b618-ebfcb64dc7ad",
            "deviceProfileName": "Milesight EM300-MCS",
            "deviceName": name or f"cabinet-{dev_eui[-4:]}",
            "devEui": dev_eui,
        },
        "devAddr": dev_addr,
        "adr": True,
        "dr": 5,
        "fPort": 85,
        "data": "AXVkA2dAAQRoYQYAAQ==",
        "rxInfo": [{"gatewayId": "0016c001ff10a235", "uplinkId": 20412, "rssi": -97, "snr": 6.2,
                    "context": "EFwMtA=="}],
        "txInfo": {"frequency": 868100000,
                   "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": 7}}},
    }  # fmt: skip
    if f_cnt:
        event["fCnt"] = f_cnt  # protobuf JSON leaves out a zero
    if decoded is not None:
        event["object"] = decoded
    return f"application/{event['deviceInfo']['applicationId']}/device/{dev_eui}/event/up", json.dumps(
        event
    ).encode()


def chirpstack_join(dev_eui: str, dev_addr: str, at: datetime) -> tuple[str, bytes]:
    event = {
        "deduplicationId": str(uuid.uuid4()),
        "time": stamp(at),
        "deviceInfo": {
            "applicationName": APPLICATION,
            "deviceProfileName": "Milesight EM300-MCS",
            "devEui": dev_eui,
        },
        "devAddr": dev_addr,
    }
    return f"application/17c82e96-be03-4f38-aef3-f83d48582d97/device/{dev_eui}/event/join", json.dumps(
        event
    ).encode()


def things_stack_uplink(
    dev_eui: str,
    f_cnt: int,
    dev_addr: str,
    at: datetime,
    decoded: dict[str, Any] | None,
    app: str = APPLICATION,
) -> tuple[str, bytes]:
    """An uplink as The Things Stack's MQTT server publishes it (empty fields left out)."""
    device_id = f"eui-{dev_eui}"
    uplink: dict[str, Any] = {
        "session_key_id": "AYxPS8hMu0Q1Cq3e0SgNpw==",
        "f_port": 85,
        "frm_payload": "AXVkA2dAAQRoYQYAAQ==",
        "rx_metadata": [{"gateway_ids": {"gateway_id": "town-hall-gw", "eui": "B827EBFFFE8C1A2B"},
                         "time": stamp(at), "rssi": -101, "channel_rssi": -101, "snr": 4.5}],
        "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}},
                     "frequency": "868300000"},
        "received_at": stamp(at),
        "consumed_airtime": "0.061696s",
        "version_ids": {"brand_id": "milesight-iot", "model_id": "em300-mcs", "band_id": "EU_863_870"},
        "network_ids": {"net_id": "000013", "tenant_id": "ttn", "cluster_id": "eu1"},
    }  # fmt: skip
    if f_cnt:
        uplink["f_cnt"] = f_cnt
    if decoded is not None:
        uplink["decoded_payload"] = decoded
    message = {
        "end_device_ids": {"device_id": device_id, "application_ids": {"application_id": app},
                           "dev_eui": dev_eui.upper(), "join_eui": "24E124C0002A0001",
                           "dev_addr": dev_addr.upper()},
        "correlation_ids": [f"as:up:{uuid.uuid4().hex.upper()[:26]}"],
        "received_at": stamp(at),
        "uplink_message": uplink,
    }  # fmt: skip
    return f"v3/{app}@ttn/devices/{device_id}/up", json.dumps(message).encode()


def things_stack_join(dev_eui: str, dev_addr: str, at: datetime, app: str = APPLICATION) -> tuple[str, bytes]:
    device_id = f"eui-{dev_eui}"
    message = {
        "end_device_ids": {"device_id": device_id, "application_ids": {"application_id": app},
                           "dev_eui": dev_eui.upper(), "dev_addr": dev_addr.upper()},
        "correlation_ids": [f"as:up:{uuid.uuid4().hex.upper()[:26]}"],
        "received_at": stamp(at),
        "join_accept": {"session_key_id": "AYxPS8hMu0Q1Cq3e0SgNpw==", "received_at": stamp(at)},
    }  # fmt: skip
    return f"v3/{app}@ttn/devices/{device_id}/join", json.dumps(message).encode()


def zigbee_devices(ieee: str, name: str) -> list[dict[str, Any]]:
    """`bridge/devices` of a network with an Aqara door sensor, as Zigbee2MQTT publishes it."""
    return [
        {"ieee_address": "0x00124b00226de1e1", "type": "Coordinator", "network_address": 0,
         "friendly_name": "Coordinator", "supported": True, "disabled": False, "interview_completed": True},
        {"ieee_address": ieee, "type": "EndDevice", "network_address": 29159, "supported": True,
         "friendly_name": name, "disabled": False, "power_source": "Battery",
         "model_id": "lumi.sensor_magnet.aq2", "manufacturer": "LUMI", "interview_completed": True,
         "definition": {"model": "MCCGQ11LM", "vendor": "Aqara", "description": "Door and window sensor",
                        "exposes": [{"type": "binary", "name": "contact", "property": "contact", "access": 1,
                                     "value_on": False, "value_off": True},
                                    {"type": "numeric", "name": "battery", "property": "battery",
                                     "unit": "%"}]}},
    ]  # fmt: skip


def zigbee_state(
    door_open: bool, temp_c: float, battery_pct: int, at: datetime, tamper: bool = False
) -> bytes:
    state: dict[str, Any] = {
        "battery": battery_pct,
        "contact": not door_open,  # Zigbee2MQTT: true means closed
        "device_temperature": temp_c,
        "linkquality": 116,
        "power_outage_count": 3,
        "voltage": 3015 if battery_pct > 20 else 2710,
        "last_seen": stamp(at),
    }
    if tamper:
        state["tamper"] = True
    return json.dumps(state).encode()


class _Sensor:
    """Connection and fault schedule of a simulated network server."""

    faults_allowed: frozenset[str] = frozenset()

    def __init__(
        self, broker: str, clock: Clock, *, interval_s: float = 30.0, faults: list[Fault] | None = None
    ) -> None:
        self.clock, self.interval_s = clock, interval_s
        self.schedule = Schedule(list(faults or []))
        self.door_open, self.temp_c, self.battery_pct, self.offline = False, 8.0, 87, False
        self.stop = threading.Event()
        self.client = connect(broker, f"sim-{type(self).__name__}-{id(self)}")
        self.thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def start(self) -> _Sensor:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.client.disconnect()
        self.client.loop_stop()

    def send(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)

    def _run(self) -> None:
        started = self.clock()
        self.on_start()
        next_report = 0.0
        while not self.stop.wait(0.1):
            elapsed = (self.clock() - started).total_seconds()
            for fault in self.schedule.due(elapsed):
                log.info("fault", extra={"fault": fault.name})
                self.on_fault(fault.name)
            if elapsed >= next_report:
                if not self.offline:
                    self.report()
                next_report = elapsed + self.interval_s

    def on_fault(self, name: str) -> None:
        if name == "door":
            self.door_open = not self.door_open
            self.report()
        elif name == "warm":
            self.temp_c = 58.0
            self.report()
        elif name == "battery-low":
            self.battery_pct = 9
            self.report()
        elif name == "recover":
            self.door_open, self.temp_c, self.battery_pct, self.offline = False, 8.0, 87, False
            self.report()
        else:
            self.on_network_fault(name)

    def on_start(self) -> None: ...

    def report(self) -> None:
        raise NotImplementedError

    def on_network_fault(self, name: str) -> None:
        raise NotImplementedError


class LorawanCabinet(_Sensor):
    """A street cabinet's EM300-MCS, through ChirpStack (`network="chirpstack"`) or The Things Stack."""

    faults_allowed = LORAWAN_FAULTS

    def __init__(self, broker: str, clock: Clock, *, network: str, dev_eui: str, **options: Any) -> None:
        if network not in ("chirpstack", "things-stack"):
            raise ValueError("network must be chirpstack or things-stack")
        super().__init__(broker, clock, **options)
        self.network, self.dev_eui = network, dev_eui.lower()
        self.f_cnt, self.session, self.undecoded = 0, 0x260B0001, False

    @property
    def dev_addr(self) -> str:
        return f"{self.session:08x}"

    def on_start(self) -> None:
        self.join()

    def join(self) -> None:
        self.f_cnt = 0
        build = chirpstack_join if self.network == "chirpstack" else things_stack_join
        self.send(*build(self.dev_eui, self.dev_addr, self.clock()))

    def report(self) -> None:
        decoded = None if self.undecoded else em300_mcs(self.door_open, self.temp_c, self.battery_pct)
        build = chirpstack_uplink if self.network == "chirpstack" else things_stack_uplink
        self.send(*build(self.dev_eui, self.f_cnt, self.dev_addr, self.clock(), decoded))
        self.f_cnt += 1
        self.undecoded = False

    def on_network_fault(self, name: str) -> None:
        if name == "offline":
            self.offline = True  # a LoRaWAN sensor gone says nothing: its silence tells
        elif name == "rejoin":
            self.session += 1
            self.join()
        elif name == "undecoded":
            self.undecoded = True
            self.report()


class ZigbeeCabinet(_Sensor):
    """A school's wall cabinet with an Aqara door sensor, through Zigbee2MQTT."""

    faults_allowed = ZIGBEE_FAULTS

    def __init__(
        self, broker: str, clock: Clock, *, ieee: str, name: str, base: str = "zigbee2mqtt", **options: Any
    ) -> None:
        super().__init__(broker, clock, **options)
        self.ieee, self.name, self.base, self.tamper = ieee.lower(), name, base, False

    def on_start(self) -> None:
        self.send(f"{self.base}/bridge/state", b'{"state":"online"}', retain=True)
        self.send(
            f"{self.base}/bridge/devices",
            json.dumps(zigbee_devices(self.ieee, self.name)).encode(),
            retain=True,
        )
        self.send(f"{self.base}/{self.name}/availability", b'{"state":"online"}', retain=True)

    def report(self) -> None:
        self.send(
            f"{self.base}/{self.name}",
            zigbee_state(self.door_open, self.temp_c, self.battery_pct, self.clock(), self.tamper),
        )

    def on_fault(self, name: str) -> None:
        super().on_fault(name)
        if name == "recover":  # back on the network, and the network back
            self.tamper = False
            self.on_start()

    def on_network_fault(self, name: str) -> None:
        if name == "offline":
            self.offline = True
            self.send(f"{self.base}/{self.name}/availability", b'{"state":"offline"}', retain=True)
        elif name == "coordinator-down":
            self.offline = True
            self.send(f"{self.base}/bridge/state", b'{"state":"offline"}', retain=True)
        elif name == "tamper":
            self.tamper = True
            self.report()
