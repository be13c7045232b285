"""Simulated networked equipment over MQTT: a smart AED cabinet and a mobile medical unit.

Both publish with QoS 1, set a retained `offline` last will on their availability topic,
and build every message with the protocol module the bridge parses with.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.clock import Clock
from aedmon.protocols.broker import BrokerAddress
from aedmon.protocols.mqtt_payloads import encode_message, topic_for
from aedmon.reading import EventType, LocationSource, Reading, ReadingType

from .faults import Fault, Schedule

log = logging.getLogger(__name__)

CABINET_FAULTS = frozenset({"move", "door", "remove", "return", "silence", "bad-payload", "warm"})
UNIT_FAULTS = frozenset({"move", "fridge-warm", "silence", "bad-payload", "o2-low", "o2-leak"})
METRES_PER_DEGREE = 111_320.0


@dataclass
class Place:
    lat: float
    lon: float

    def offset(self, north_m: float, east_m: float) -> Place:
        return Place(
            self.lat + north_m / METRES_PER_DEGREE,
            self.lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(self.lat))),
        )


def connect(broker: str, client_id: str, *, will: tuple[str, bytes] | None = None) -> mqtt.Client:
    """A simulator's MQTT client, connecting in the background (with a retained last will, if given)."""
    address = BrokerAddress.parse(broker)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.connect_async(address.host, address.port, keepalive=30)
    client.loop_start()
    return client


class MqttDevice:
    """Connection, sequence numbers and the fault schedule shared by both devices."""

    faults_allowed: frozenset[str] = frozenset()
    default_interval_s = 60.0

    def __init__(
        self,
        broker: str,
        site: str,
        device: str,
        clock: Clock,
        *,
        place: Place,
        interval_s: float | None = None,
        faults: list[Fault] | None = None,
    ) -> None:
        self.site, self.device, self.clock, self.place = site, device, clock, place
        self.interval_s = interval_s or self.default_interval_s
        self.schedule = Schedule(list(faults or []))
        self.seq = 0
        self.silent_until = 0.0
        self.stop = threading.Event()
        will = (topic_for(site, device, "availability"), b"offline")
        self.client = connect(broker, f"sim-{site}-{device}", will=will)
        self.thread = threading.Thread(target=self._run, name=f"sim-{device}", daemon=True)

    def start(self) -> MqttDevice:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.client.disconnect()  # a clean disconnect: the will is not sent
        self.client.loop_stop()

    def reading(self, kind: ReadingType, **fields: object) -> Reading:
        now = self.clock()
        seq, self.seq = self.seq, (self.seq + 1) % 65536
        return Reading(
            device_id=self.device,
            site=self.site,
            type=kind,
            device_time=now,
            arrival_time=now,
            seq=seq,
            **fields,
        )

    def publish(self, reading: Reading, elapsed: float, *, retain: bool = False) -> None:
        if elapsed < self.silent_until:
            return
        topic, payload = encode_message(reading)
        self.client.publish(topic, payload, qos=1, retain=retain)

    def publish_raw(self, channel: str, payload: bytes) -> None:
        self.client.publish(topic_for(self.site, self.device, channel), payload, qos=1)

    def _run(self) -> None:
        started = self.clock()
        self.on_start()
        next_report = 0.0
        while not self.stop.wait(0.1):
            elapsed = (self.clock() - started).total_seconds()
            for fault in self.schedule.due(elapsed):
                log.info("fault", extra={"device": self.device, "fault": fault.name})
                if fault.name == "silence":
                    self.silent_until = elapsed + (fault.duration_s or 30)
                elif fault.name == "bad-payload":
                    self.publish_raw("status", b'{"ts":"not a time","seq":-1}')
                else:
                    self.on_fault(fault.name, elapsed)
            if elapsed >= next_report:
                self.report(elapsed)
                next_report = elapsed + self.interval_s

    def on_start(self) -> None:
        self.client.publish(topic_for(self.site, self.device, "availability"), b"online", qos=1, retain=True)

    def on_fault(self, name: str, elapsed: float) -> None:
        raise NotImplementedError

    def report(self, elapsed: float) -> None:
        raise NotImplementedError


class Cabinet(MqttDevice):
    """A heated street cabinet holding an AED, with a door switch and a presence sensor."""

    faults_allowed = CABINET_FAULTS
    door_open = False
    aed_present = True
    temp_c = 6.5

    def location(self) -> Reading:
        return self.reading(
            ReadingType.LOCATION,
            lat=round(self.place.lat, 7),
            lon=round(self.place.lon, 7),
            accuracy_m=8.0,
            location_source=LocationSource.FIXED,
        )

    def report(self, elapsed: float) -> None:
        self.publish(self.location(), elapsed)  # fixed, but a late subscriber must learn it too
        self.publish(
            self.reading(
                ReadingType.STATUS,
                door_open=self.door_open,
                aed_present=self.aed_present,
                temp_c=self.temp_c,
                heater_on=self.temp_c < 5,
                rssi_dbm=-71.0,
            ),
            elapsed,
        )

    def on_fault(self, name: str, elapsed: float) -> None:
        if name == "move":
            self.place = self.place.offset(2000, 500)
        elif name == "door":
            self.door_open = not self.door_open
            event = EventType.DOOR_OPEN if self.door_open else EventType.DOOR_CLOSED
            self.publish(self.reading(ReadingType.EVENT, event=event), elapsed)
        elif name == "remove":
            self.aed_present = False
            self.publish(self.reading(ReadingType.EVENT, event=EventType.AED_REMOVED), elapsed)
        elif name == "return":
            self.aed_present = True
            self.publish(self.reading(ReadingType.EVENT, event=EventType.AED_RETURNED), elapsed)
        elif name == "warm":
            self.temp_c = 55.0
        self.report(elapsed)


class MobileUnit(MqttDevice):
    """A vehicle with a medicine fridge and oxygen, driving a slow circle round its base."""

    faults_allowed = UNIT_FAULTS
    default_interval_s = 30.0
    away_north_m = 0.0
    fridge_temp_c = 5.0
    o2_bar = 182.0
    leaking = False  # parked, and its oxygen falling
    step = 0

    def report(self, elapsed: float) -> None:
        if self.leaking:
            self.o2_bar = max(0.0, self.o2_bar - 4.0)
        else:
            self.step += 1  # parked units stay where they are
        angle = self.step / 20 * 2 * math.pi
        here = self.place.offset(300 * math.sin(angle) + self.away_north_m, 300 * math.cos(angle))
        self.publish(
            self.reading(
                ReadingType.STATUS,
                fridge_temp_c=self.fridge_temp_c,
                o2_pressure_bar=self.o2_bar,
                supply_voltage=13.8,
                state=None,
            ),
            elapsed,
        )
        self.publish(
            self.reading(
                ReadingType.LOCATION,
                lat=round(here.lat, 7),
                lon=round(here.lon, 7),
                accuracy_m=6.0,
                speed_kmh=0.0 if self.leaking else 28.0,
                location_source=LocationSource.GNSS,
            ),
            elapsed,
        )

    def on_fault(self, name: str, elapsed: float) -> None:
        if name == "move":
            self.away_north_m = 25_000.0
        elif name == "fridge-warm":
            self.fridge_temp_c = 11.5
        elif name == "o2-low":
            self.o2_bar = 38.0
        elif name == "o2-leak":
            self.leaking = True
        self.report(elapsed)
