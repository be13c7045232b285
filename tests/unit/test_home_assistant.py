"""Home Assistant discovery configs, checked against Home Assistant's own rules for MQTT
discovery as its code states them (homeassistant/components/mqtt/: schemas.py's entity,
availability and device schemas, sensor.py's `validate_sensor_state_and_device_class_config`,
binary_sensor.py's schema, and discovery's topic format). Facts, not its code: the rules are
written out here as checks."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from aedmon.reading import DeviceKind
from server.homeassistant.discovery import DeviceView, configs, removals, state
from server.homeassistant.publisher import _device_of, default_server_id
from server.rules.readiness import Readiness

# discovery: <prefix>/<component>/[<node_id>/]<object_id>/config, ids of [a-zA-Z0-9_-]
TOPIC_RE = re.compile(r"^homeassistant/(sensor|binary_sensor)/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+/config$")
# schemas.py: MQTT_ENTITY_COMMON_SCHEMA (with the availability schemas) and MQTT_RO_SCHEMA
COMMON = {
    "availability", "availability_mode", "availability_topic", "availability_template", "payload_available",
    "payload_not_available", "device", "origin", "enabled_by_default", "entity_category", "icon",
    "json_attributes_topic", "json_attributes_template", "object_id", "default_entity_id", "unique_id",
    "state_topic", "value_template", "qos", "encoding", "name", "entity_picture",
}  # fmt: skip
SENSOR = COMMON | {
    "device_class", "expire_after", "force_update", "last_reset_value_template", "options",
    "suggested_display_precision", "state_class", "unit_of_measurement",
}  # fmt: skip
BINARY_SENSOR = COMMON | {
    "device_class",
    "expire_after",
    "force_update",
    "off_delay",
    "payload_on",
    "payload_off",
}
DEVICE_KEYS = {
    "identifiers", "connections", "manufacturer", "model", "model_id", "name", "hw_version", "serial_number",
    "sw_version", "via_device", "suggested_area", "configuration_url",
}  # fmt: skip
SENSOR_CLASSES = {
    "enum",
    "date",
    "timestamp",
    "temperature",
    "battery",
    "humidity",
    "voltage",
    "signal_strength",
}
NON_NUMERIC = {"enum", "date", "timestamp"}
BINARY_CLASSES = {"door", "problem", "tamper", "battery", "connectivity", "opening"}
TEMPERATURE_UNITS = {"°C", "°F", "K"}
STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}


def check(topic: str, config: dict[str, Any]) -> None:
    """Home Assistant's rules, one by one; an AssertionError says which."""
    assert TOPIC_RE.match(topic), topic
    component = topic.split("/")[1]
    allowed = SENSOR if component == "sensor" else BINARY_SENSOR
    assert set(config) <= allowed, set(config) - allowed
    assert isinstance(config["state_topic"], str)
    assert "#" not in config["state_topic"]
    assert "+" not in config["state_topic"]
    assert isinstance(config["unique_id"], str)
    assert config["unique_id"]
    assert config.get("qos", 0) in (0, 1, 2)
    # availability: a list of {topic, …}, a mode of all/any/latest, never with availability_topic
    assert "availability_topic" not in config or "availability" not in config
    for item in config.get("availability", []):
        assert set(item) <= {"topic", "payload_available", "payload_not_available", "value_template"}
        assert isinstance(item["topic"], str)
        assert item["topic"]
    assert config.get("availability_mode", "latest") in ("all", "any", "latest")
    # device: known keys, strings, at least one identifier or connection
    device = config["device"]
    assert set(device) <= DEVICE_KEYS
    assert device.get("identifiers") or device.get("connections")
    assert all(isinstance(i, str) for i in device["identifiers"])
    assert all(isinstance(device[k], str) for k in device if k not in ("identifiers", "connections"))
    assert set(config["origin"]) <= {"name", "sw_version", "support_url"}
    assert config["origin"]["name"]
    device_class = config.get("device_class")
    if component == "sensor":
        assert device_class is None or device_class in SENSOR_CLASSES
        options = config.get("options")
        if (
            options is not None
        ):  # sensor.py: options only for enum, never empty, never with a unit or state class
            assert options, "An empty options list is not allowed"
            assert not config.get("state_class")
            assert not config.get("unit_of_measurement")
            assert device_class == "enum"
            assert all(isinstance(o, str) for o in options)
        if device_class in NON_NUMERIC:
            assert "state_class" not in config
            assert "unit_of_measurement" not in config
        if device_class == "temperature":
            assert config.get("unit_of_measurement") in TEMPERATURE_UNITS
        assert config.get("state_class", "measurement") in STATE_CLASSES
    else:
        assert device_class is None or device_class in BINARY_CLASSES


def view(kind: DeviceKind = DeviceKind.CABINET, language: str = "bg", **changes: Any) -> DeviceView:
    values: dict[str, Any] = {
        "id": "24e124136b316541", "kind": kind, "name": "Шкаф на гарата", "site_name": "Гара Перник",
        "manufacturer": "milesight-iot", "model": "em300-mcs", "firmware": None,
        "readiness": Readiness.ATTENTION, "reasons": ("door_open", "sensor_battery_low"), "door_open": True,
        "temp_c": 6.5, "pads_expiry": None, "battery_expiry": None, "language": language,
    }  # fmt: skip
    return DeviceView(**{**values, **changes})


@pytest.mark.parametrize(
    "kind", [DeviceKind.AED, DeviceKind.CABINET, DeviceKind.MOBILE_UNIT, DeviceKind.OTHER]
)
@pytest.mark.parametrize("language", ["en", "bg", "uk", "cs"])
def test_every_config_keeps_home_assistants_rules(kind: DeviceKind, language: str) -> None:
    made = configs(view(kind, language), "homeassistant", ["srv-b-8000", "srv-a-8000"])
    for topic, config in made.items():
        check(topic, config)
        json.dumps(config)  # what is published
    ids = [c["unique_id"] for c in made.values()]
    assert len(ids) == len(set(ids))
    keys = {topic.split("/")[3].removeprefix("24e124136b316541_") for topic in made}
    assert {"readiness", "problem", "temperature"} <= keys
    assert ("door" in keys) == (kind is DeviceKind.CABINET)
    assert ("pads_expiry" in keys) == (kind is DeviceKind.AED)
    first = next(iter(made.values()))
    assert first["availability"] == [
        {"topic": "aedmon/ha/status/srv-a-8000"},
        {"topic": "aedmon/ha/status/srv-b-8000"},
    ]
    assert first["availability_mode"] == "any"


def test_names_and_states_are_in_the_sites_language_and_the_state_fits_the_options() -> None:
    made = configs(view(language="bg"), "homeassistant", ["s"])
    readiness = made["homeassistant/sensor/aedmon/24e124136b316541_readiness/config"]
    assert readiness["name"] == "Готовност"
    said = state(view(language="bg"))
    assert said["readiness_text"] in readiness["options"]
    assert said["problem"] == "ON"
    assert said["door"] == "ON"
    assert said["temperature_c"] == 6.5
    assert all(not re.search(r"[A-Za-z]{3,}", reason) for reason in said["reasons"])  # no English left
    ready = state(view(readiness=Readiness.READY, reasons=("ready",), door_open=None, temp_c=None))
    assert ready["problem"] == "OFF"
    assert ready["door"] is None
    assert ready["reasons"] == []
    aed = state(view(DeviceKind.AED, pads_expiry=date(2027, 3, 1)))
    assert aed["pads_expiry"] == "2027-03-01"
    assert aed["battery_expiry"] is None
    for language in ("en", "uk", "cs"):
        options = configs(view(language=language), "homeassistant", ["s"])[
            "homeassistant/sensor/aedmon/24e124136b316541_readiness/config"
        ]["options"]
        assert state(view(language=language))["readiness_text"] in options
        assert len(set(options)) == 4


def test_removal_reaches_every_entity_a_device_may_have_had_and_topics_name_their_device() -> None:
    every = set(removals("homeassistant", "SN10002"))
    for kind in DeviceKind:
        if kind is not DeviceKind.BRIDGE:
            assert set(configs(view(kind, id="SN10002"), "homeassistant", ["s"])) <= every
    for topic in every:
        assert _device_of(topic) == "SN10002"
    assert _device_of("homeassistant/sensor/other/SN1_readiness/config") is None
    assert _device_of("homeassistant/sensor/aedmon/SN1_unknown/config") is None
    assert default_server_id("web 1.example.org", 8000) == "web-1-example-org-8000"
