"""Zigbee2MQTT (1.x and 2.x) at its MQTT base topic: a Zigbee sensor's state, its availability,
the coordinator's, and the device list that names them. Pure but for that list.

- `<base>/bridge/devices` (retained) lists the network's devices. A sensor's aedmon id is its
  IEEE address (`0x…`, lower case), so a friendly name changed in Zigbee2MQTT is the same
  device; its friendly name becomes its name. A device list that cannot be read is refused
  and counted, and the one before it stays.
- `<base>/<friendly_name>` is a device's state, one JSON object. Its properties have the same
  names on every device: `contact` (true means **closed**), `temperature`, `humidity`,
  `battery`, `battery_low`, `tamper`; `voltage`, `linkquality`, `water_leak`, `vibration` and
  the rest are kept as they came. Friendly names may hold `/`.
- `<base>/<friendly_name>/availability` is `{"state": "online"}` (or the plain `online` and
  `offline` of older versions): a sensor gone offline is told at once.
- `<base>/bridge/state` `offline` is the coordinator (or Zigbee2MQTT) down: every sensor of
  the network is offline with it.

A state carries no time and no counter. Its device time is Zigbee2MQTT's `last_seen` when
it is configured to send it (`advanced.last_seen: ISO_8601`), else the arrival: with
`last_seen` a message delivered twice is one reading; without it, two (see the README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aedmon.errors import MalformedMessage
from aedmon.reading import LATEST, DeviceKind, Reading

from .sensors import (
    AVAILABILITY,
    IDENTITY,
    NAME_MAX,
    STATUS,
    Translation,
    finite,
    json_object,
    load_json,
    moment,
    obj,
    reading,
    sensor_extra,
    text,
)

BASE = "zigbee2mqtt"
STATE_MAX = 16 * 1024
DEVICES_MAX = 8 * 1024 * 1024  # a large network's list, with each device's definition
DEVICES_COUNT_MAX = 5000
IEEE_RE = re.compile(r"^0x[0-9a-fA-F]{16}$")
REPORT_INTERVAL_S = 3600  # Zigbee end devices check in about hourly; availability tells sooner
# A state's properties that are fields of a reading: (reading field, its type).
_FIELDS: dict[str, tuple[str, type]] = {
    "temperature": ("temp_c", float),
    "humidity": ("humidity_pct", float),
    "battery": ("sensor_battery_pct", float),
    "battery_low": ("sensor_battery_low", bool),
    "tamper": ("tamper", bool),
}


@dataclass(frozen=True)
class Member:
    """A device of the Zigbee network, as the device list names it."""

    ieee: str
    name: str
    vendor: str | None = None
    model: str | None = None
    contact: bool = False  # whether it exposes a contact (a door)


class Zigbee2Mqtt:
    source = "zigbee2mqtt"

    def __init__(self, site: str, base: str = BASE) -> None:
        self.site, self.base = site, base.strip("/") or BASE
        self.members: dict[str, Member] = {}  # by friendly name

    def subscriptions(self) -> list[str]:
        return [f"{self.base}/#"]

    def translate(self, topic: str, payload: bytes, *, arrival: datetime) -> Translation:
        if not topic.startswith(self.base + "/"):
            raise MalformedMessage(f"topic {topic[:120]!r} is not under {self.base}/", reason="bad_topic")
        rest = topic[len(self.base) + 1 :]
        if rest == "bridge/devices":
            return self._devices(payload, arrival)
        if rest == "bridge/state":
            return self._coordinator(payload, arrival)
        if rest.startswith("bridge/"):
            return Translation(unread="bridge")  # info, logging, events, requests, responses
        if rest.endswith("/availability"):
            return self._availability(rest.removesuffix("/availability"), payload, arrival)
        member = self.members.get(rest)
        if member is not None:
            return self._state(member, json_object(payload, STATE_MAX), arrival)
        if rest.endswith(("/set", "/get")) or "/set/" in rest or self._attribute(rest):
            return Translation(unread="command")  # a command to a device, or one property alone
        named = _self_named(rest, payload)
        if named is None:
            raise MalformedMessage(
                f"no device named {rest[:60]!r}{'…' if len(rest) > 60 else ''} in {self.base}/bridge/devices",
                reason="unknown_device",
            )
        return self._state(*named, arrival)

    def _attribute(self, rest: str) -> bool:
        head, _, _ = rest.rpartition("/")
        return head in self.members

    def _devices(self, payload: bytes, arrival: datetime) -> Translation:
        """A new device list: the members it names, and an identity for each one new or changed."""
        listed = load_json(payload, DEVICES_MAX)
        if not isinstance(listed, list):
            raise MalformedMessage("bridge/devices is not a list", reason="bad_devices")
        if len(listed) > DEVICES_COUNT_MAX:
            raise MalformedMessage(
                f"bridge/devices lists more than {DEVICES_COUNT_MAX}", reason="bad_devices"
            )
        members: dict[str, Member] = {}
        for item in listed:
            member = _member(item)
            if member is not None:
                members[member.name] = member
        devices = [i for i in listed if not (isinstance(i, dict) and i.get("type") == "Coordinator")]
        if (
            devices
            and not members
            and not all(isinstance(i, dict) and i.get("disabled") is True for i in devices)
        ):
            raise MalformedMessage("bridge/devices names no device that can be read", reason="bad_devices")
        changed = [m for name, m in members.items() if self.members.get(name) != m]
        self.members = members
        return Translation(
            [
                reading(
                    device_id=m.ieee,
                    site=self.site,
                    kind=DeviceKind.CABINET if m.contact else DeviceKind.OTHER,
                    type=IDENTITY,
                    device_time=arrival,
                    arrival_time=arrival,
                    source=self.source,
                    manufacturer=m.vendor,
                    model=m.model,
                    extra=sensor_extra(
                        {}, name=m.name[:NAME_MAX], interval_s=REPORT_INTERVAL_S, profile=None
                    ),
                )  # fmt: skip
                for m in changed
            ],
            unread="devices",
        )

    def _coordinator(self, payload: bytes, arrival: datetime) -> Translation:
        state = _state_word(payload)
        if state == "online":
            return Translation(unread="coordinator_online")  # each device's availability follows
        return Translation(
            [
                self._presence(member, False, arrival, reason="coordinator")
                for member in self.members.values()
            ],
            unread="coordinator_offline",
        )

    def _availability(self, name: str, payload: bytes, arrival: datetime) -> Translation:
        member = self.members.get(name)
        if member is None:
            raise MalformedMessage(
                f"no device named {name[:60]!r} in {self.base}/bridge/devices", reason="unknown_device"
            )
        return Translation([self._presence(member, _state_word(payload) == "online", arrival, reason=None)])

    def _presence(self, member: Member, online: bool, arrival: datetime, reason: str | None) -> Reading:
        return reading(
            device_id=member.ieee, site=self.site, type=AVAILABILITY, device_time=arrival,
            arrival_time=arrival, source=self.source, online=online,
            extra={"reason": reason} if reason else {},
        )  # fmt: skip

    def _state(self, member: Member, data: dict[str, Any], arrival: datetime) -> Translation:
        fields: dict[str, Any] = {}
        used = {"last_seen", "device"}  # `device`: Zigbee2MQTT's include_device_information
        for prop, (field_name, kind) in _FIELDS.items():
            value = data.get(prop)
            if value is None:
                continue
            used.add(prop)
            fields[field_name] = _typed(member, prop, value, kind)
        contact = data.get("contact")
        if contact is not None:
            used.add("contact")
            fields["door_open"] = not _typed(member, "contact", contact, bool)
        if "sensor_battery_pct" in fields:
            fields["sensor_battery_pct"] = round(fields["sensor_battery_pct"])
        rest = {key: value for key, value in data.items() if key not in used}
        return Translation(
            [
                reading(
                    device_id=member.ieee,
                    site=self.site,
                    type=STATUS,
                    device_time=_last_seen(data.get("last_seen")) or arrival,
                    arrival_time=arrival,
                    source=self.source,
                    **fields,
                    extra=sensor_extra(
                        rest, name=member.name[:NAME_MAX], interval_s=REPORT_INTERVAL_S, profile=None
                    ),
                )  # fmt: skip
            ]
        )


def _typed(member: Member, prop: str, value: object, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif (number := finite(value)) is not None:
        return number
    wanted = "true or false" if kind is bool else "a number"
    raise MalformedMessage(
        f"device {member.ieee}: {prop} should be {wanted}, not {repr(value)[:40]}",
        reason="bad_field",
    )


def _last_seen(value: object) -> datetime | None:
    """Zigbee2MQTT's `last_seen`: ISO 8601, or milliseconds since 1970 (`epoch`)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and finite(value) is not None:
        if 0 < value < LATEST.timestamp() * 1000:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        return None
    return moment(value)


def _self_named(name: str, payload: bytes) -> tuple[Member, dict[str, Any]] | None:
    """A device the list does not name yet whose state names itself (Zigbee2MQTT's
    `include_device_information` adds `device: {ieeeAddr, friendlyName, model, manufacturerName}`),
    and the state read."""
    if len(payload) > STATE_MAX or b'"ieeeAddr"' not in payload:
        return None
    try:
        data = json_object(payload, STATE_MAX)
    except MalformedMessage:
        return None
    device = obj(data.get("device"))
    ieee = device.get("ieeeAddr")
    if not isinstance(ieee, str) or not IEEE_RE.match(ieee):
        return None
    member = Member(
        ieee=ieee.lower(),
        name=text(device.get("friendlyName"), 1024) or name,
        vendor=text(device.get("manufacturerName")),
        model=text(device.get("model")),
    )
    return member, data


def _state_word(payload: bytes) -> str:
    """`online` or `offline`, as JSON (`{"state": "online"}`) or as the plain word of old versions."""
    plain = payload.strip().lower()
    if plain in (b"online", b"offline"):
        return plain.decode()
    data = json_object(payload, 1024)
    state = data.get("state")
    if state not in ("online", "offline"):
        raise MalformedMessage("availability is neither online nor offline", reason="bad_payload")
    return str(state)


def _member(item: object) -> Member | None:
    """A device of the list, or None for the coordinator, a disabled device or an entry that
    cannot be read (its IEEE address or friendly name wrong)."""
    if not isinstance(item, dict) or item.get("type") == "Coordinator" or item.get("disabled") is True:
        return None
    ieee, name = item.get("ieee_address"), item.get("friendly_name")
    if not isinstance(ieee, str) or not IEEE_RE.match(ieee) or not isinstance(name, str):
        return None
    if not 0 < len(name) <= 1024 or "+" in name or "#" in name:
        return None
    definition = obj(item.get("definition"))
    return Member(
        ieee=ieee.lower(),
        name=name,
        vendor=text(definition.get("vendor")) or text(item.get("manufacturer")),
        model=text(definition.get("model")) or text(item.get("model_id")),
        contact=_exposes_contact(definition.get("exposes")),
    )


def _exposes_contact(exposes: object, depth: int = 0) -> bool:
    if not isinstance(exposes, list) or depth > 3:
        return False
    for expose in exposes[:200]:
        if isinstance(expose, dict):
            if expose.get("property") == "contact" or expose.get("name") == "contact":
                return True
            if _exposes_contact(expose.get("features"), depth + 1):
                return True
    return False
