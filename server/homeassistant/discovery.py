"""Home Assistant's MQTT discovery: the configs and state of one device's entities. Pure.

Each device is one Home Assistant device (`identifiers: aedmon_<id>`) with these entities:

- `readiness`: a sensor of device class `enum`, its options the readiness in the site's words;
- `problem`: a binary sensor of device class `problem`, on when the device is not ready;
- `door` (cabinets): a binary sensor of device class `door`, on when open;
- `temperature`: a sensor of device class `temperature`, in °C;
- `pads_expiry` and `battery_expiry` (AEDs): sensors of device class `date`.

All read one retained state topic, `aedmon/ha/<device>/state`, a JSON object. Availability
lists every aedmon server's status topic with `availability_mode: any`: one server's death does
not mark the entities unavailable while another serves. The configs follow Home Assistant's
own rules for MQTT discovery (`homeassistant/components/mqtt/`: a device needs identifiers, an
`enum` sensor its options and neither a unit nor a state class, `availability` a list of
topics); tests/unit/test_home_assistant.py checks each config against them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from aedmon.reading import DeviceKind
from server.i18n import Words
from server.rules.readiness import Readiness

PREFIX = "homeassistant"
NODE = "aedmon"
STATE_TOPIC = "aedmon/ha/{device}/state"
STATUS_TOPIC = "aedmon/ha/status/{server}"
ONLINE, OFFLINE = "online", "offline"
ORIGIN = {"name": "aedmon", "support_url": "https://github.com/aedmon/aedmon"}
# Every entity an aedmon device may have: (key, component); configs are removed by these.
ENTITIES: tuple[tuple[str, str], ...] = (
    ("readiness", "sensor"),
    ("problem", "binary_sensor"),
    ("door", "binary_sensor"),
    ("temperature", "sensor"),
    ("pads_expiry", "sensor"),
    ("battery_expiry", "sensor"),
)


@dataclass(frozen=True)
class DeviceView:
    """What Home Assistant is told of one device."""

    id: str
    kind: DeviceKind
    name: str
    site_name: str
    manufacturer: str | None
    model: str | None
    firmware: str | None
    readiness: Readiness
    reasons: tuple[str, ...]  # reason keys, in the verdict's order
    door_open: bool | None
    temp_c: float | None
    pads_expiry: date | None
    battery_expiry: date | None
    language: str


def config_topic(prefix: str, component: str, device: str, key: str) -> str:
    return f"{prefix}/{component}/{NODE}/{device}_{key}/config"


def _keys(kind: DeviceKind) -> list[str]:
    keys = ["readiness", "problem", "temperature"]
    if kind is DeviceKind.CABINET:
        keys.append("door")
    if kind is DeviceKind.AED:
        keys += ["pads_expiry", "battery_expiry"]
    return keys


def configs(view: DeviceView, prefix: str, servers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The discovery config of each of the device's entities, by config topic."""
    words = Words(view.language)
    state = STATE_TOPIC.format(device=view.id)
    device: dict[str, Any] = {
        "identifiers": [f"aedmon_{view.id}"],
        "name": view.name or view.id,
        "manufacturer": view.manufacturer or "aedmon",
        "model": view.model or words(f"ui.kind_{view.kind.value}"),
        "suggested_area": view.site_name,
    }
    if view.firmware:
        device["sw_version"] = view.firmware
    common = {
        "state_topic": state,
        "device": device,
        "origin": ORIGIN,
        "availability": [{"topic": STATUS_TOPIC.format(server=server)} for server in sorted(servers)],
        "availability_mode": "any",
        "qos": 1,
    }
    by_key: dict[str, dict[str, Any]] = {
        "readiness": {
            "name": words("ha.readiness"),
            "device_class": "enum",
            "options": [words(f"ui.{level.value}") for level in Readiness],
            "value_template": "{{ value_json.readiness_text }}",
            "json_attributes_topic": state,  # the reasons, and the readiness as a key
            "icon": "mdi:heart-pulse",
        },
        "problem": {
            "name": words("ha.problem"),
            "device_class": "problem",
            "value_template": "{{ value_json.problem }}",
        },
        "door": {
            "name": words("ha.door"),
            "device_class": "door",
            "value_template": "{{ value_json.door }}",
        },
        "temperature": {
            "name": words("ha.temperature"),
            "device_class": "temperature",
            "unit_of_measurement": "°C",
            "state_class": "measurement",
            "value_template": "{{ value_json.temperature_c }}",
        },
        "pads_expiry": {
            "name": words("ha.pads_expiry"),
            "device_class": "date",
            "value_template": "{{ value_json.pads_expiry }}",
        },
        "battery_expiry": {
            "name": words("ha.battery_expiry"),
            "device_class": "date",
            "value_template": "{{ value_json.battery_expiry }}",
        },
    }
    components = dict(ENTITIES)
    return {
        config_topic(prefix, components[key], view.id, key): {
            **by_key[key],
            "unique_id": f"aedmon_{view.id}_{key}",
            **common,
        }
        for key in _keys(view.kind)
    }


def state(view: DeviceView) -> dict[str, Any]:
    """The device's state, as its entities' templates read it. An unknown value is null, which
    Home Assistant shows as unknown."""
    words = Words(view.language)
    return {
        "readiness": view.readiness.value,
        "readiness_text": words(f"ui.{view.readiness.value}"),
        "problem": "OFF" if view.readiness is Readiness.READY else "ON",
        "reasons": [words(f"reason.{key}") for key in view.reasons if key != "ready"],
        "door": None if view.door_open is None else ("ON" if view.door_open else "OFF"),
        "temperature_c": view.temp_c,
        "pads_expiry": view.pads_expiry.isoformat() if view.pads_expiry else None,
        "battery_expiry": view.battery_expiry.isoformat() if view.battery_expiry else None,
    }


def removals(prefix: str, device: str) -> list[str]:
    """Every config topic a device's entities may have had: an empty retained message on each
    removes the entity from Home Assistant."""
    return [config_topic(prefix, component, device, key) for key, component in ENTITIES]


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
