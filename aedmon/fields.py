"""The fields table: every numeric or boolean field of a reading, one row each.

A row says what the field is (key, type, unit, the range any real sensor stays inside), where
it comes from (the Reading attribute, or how it is derived: a level for a result or a state,
days left to a date, a bridge's own figure carried in `extra`), how the device contract
carries it (its MQTT payload key on each channel, its serial-aed field), what it is in
InfluxDB (a field of the measurement of each reading type it comes in), its label (a message
id of the catalogues) and where it is charted (the device page, the Grafana dashboards).

Everything else loops over the rows: the Reading's bounds, the MQTT payload models, the
InfluxDB points, `dashboards/build.py` and the device page's charts. Adding a sensor field
is adding a Reading attribute, a row here, and a test. Pure data: no import but the stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Derived(StrEnum):
    """How a field's value is had when it is not an attribute of the Reading as it is."""

    ATTRIBUTE = "attribute"  # the Reading attribute named `source`, as a number
    LEVEL = "level"  # `source`'s enum value through `levels`
    DAYS_LEFT = "days_left"  # days from the reading's device date to the date in `source`
    EXTRA = "extra"  # a figure in `extra` (a bridge's report on itself)


class Influx(StrEnum):
    """What the field is in InfluxDB: a field of `aedmon_<type>`, or not written there."""

    FIELD = "field"
    NONE = "none"


# Reading types, by value (aedmon.reading.ReadingType): the table stays free of imports.
SELFTEST, HEARTBEAT, STATUS, LOCATION, AVAILABILITY = (
    "selftest",
    "heartbeat",
    "status",
    "location",
    "availability",
)
STATES = frozenset({HEARTBEAT, STATUS})


@dataclass(frozen=True)
class ReadingField:
    key: str
    type: type[int] | type[float] | type[bool]
    unit: str
    types: frozenset[str]  # the reading types that carry it
    low: float | None = None
    high: float | None = None
    source: str = ""  # the Reading attribute (or extra key); the key itself when empty
    derived: Derived = Derived.ATTRIBUTE
    levels: tuple[tuple[str, float], ...] = ()  # for LEVEL: enum value → level
    mqtt: frozenset[str] = frozenset()  # the MQTT channels whose payload carries it as `source`
    mqtt_required: bool = False
    serial: str | None = None  # "SENTENCE.index" of serial-aed, where it is a field there
    influx: Influx = Influx.FIELD
    charts: frozenset[str] = field(default_factory=frozenset)  # reading types charted (device page, Grafana)
    grafana_unit: str = "none"

    @property
    def attribute(self) -> str:
        return self.source or self.key

    @property
    def label(self) -> str:
        """The message id of its label in the catalogues."""
        return f"field.{self.key}"

    def level_labels(self) -> dict[int, str]:
        """For a level field: each level and the message id of its name (levels shared by
        several values, such as service and in use, have one name)."""
        return {int(level): f"level.{self.key}.{int(level)}" for _, level in self.levels}


_SELFTEST = frozenset({SELFTEST})
_STATES = STATES
_TEMPERATURE = frozenset({SELFTEST, STATUS})
_LOCATION = frozenset({LOCATION})
_BRIDGE_FIGURES = (
    ("outbox_rows", "", "none"),
    ("sink_lag_server", "", "none"),
    ("sink_lag_influx", "", "none"),
    ("rejected", "", "none"),
    ("write_ms_server", "ms", "ms"),
    ("write_ms_influx", "ms", "ms"),
)

FIELDS: tuple[ReadingField, ...] = (
    ReadingField(
        "result_level", float, "", _SELFTEST, 0, 2, source="result", derived=Derived.LEVEL,
        levels=(("PASS", 0.0), ("WARN", 1.0), ("FAIL", 2.0)), charts=_SELFTEST,
    ),
    ReadingField(
        "battery_pct", int, "%", _SELFTEST, 0, 100, mqtt=_SELFTEST, serial="AEDST.6",
        charts=_SELFTEST, grafana_unit="percent",
    ),
    ReadingField(
        "battery_days_left", float, "d", _SELFTEST, source="battery_expiry", derived=Derived.DAYS_LEFT
    ),
    ReadingField("pads_days_left", float, "d", _SELFTEST, source="pads_expiry", derived=Derived.DAYS_LEFT),
    ReadingField("pads_connected", bool, "", _SELFTEST, 0, 1, mqtt=_SELFTEST, serial="AEDST.9"),
    ReadingField(
        "temp_c", float, "°C", _TEMPERATURE, -40, 85, mqtt=_TEMPERATURE, serial="AEDST.10",
        charts=_TEMPERATURE, grafana_unit="celsius",
    ),
    ReadingField(
        "state_level", float, "", _STATES, 0, 2, source="state", derived=Derived.LEVEL,
        levels=(("READY", 0.0), ("SERVICE", 1.0), ("IN_USE", 1.0), ("NOT_READY", 2.0)),
        charts=frozenset({HEARTBEAT}),
    ),
    ReadingField("door_open", bool, "", _STATES, 0, 1, mqtt=frozenset({STATUS})),
    ReadingField("aed_present", bool, "", _STATES, 0, 1, mqtt=frozenset({STATUS})),
    ReadingField("humidity_pct", float, "%", _STATES, 0, 100, mqtt=frozenset({STATUS})),
    ReadingField("heater_on", bool, "", _STATES, 0, 1, mqtt=frozenset({STATUS})),
    ReadingField("supply_voltage", float, "V", _STATES, 0, 60, mqtt=frozenset({STATUS})),
    ReadingField("rssi_dbm", float, "dBm", _STATES, -150, 0, mqtt=frozenset({STATUS})),
    ReadingField(
        "fridge_temp_c", float, "°C", _STATES, -40, 60, mqtt=frozenset({STATUS}),
        charts=frozenset({STATUS}), grafana_unit="celsius",
    ),
    ReadingField("o2_pressure_bar", float, "bar", _STATES, 0, 300, mqtt=frozenset({STATUS})),
    # A cabinet's own sensor (LoRaWAN, Zigbee): its battery, never the AED's; its radio; its tamper switch.
    ReadingField(
        "sensor_battery_pct", int, "%", _STATES, 0, 100, charts=frozenset({STATUS}), grafana_unit="percent"
    ),
    ReadingField("sensor_battery_low", bool, "", _STATES, 0, 1),
    ReadingField("snr_db", float, "dB", _STATES, -40, 40),
    ReadingField("tamper", bool, "", _STATES, 0, 1),
    ReadingField("lat", float, "°", _LOCATION, -90, 90, mqtt=_LOCATION, mqtt_required=True),
    ReadingField("lon", float, "°", _LOCATION, -180, 180, mqtt=_LOCATION, mqtt_required=True),
    ReadingField("accuracy_m", float, "m", _LOCATION, 0, 100_000, mqtt=_LOCATION),
    ReadingField(
        "speed_kmh", float, "km/h", _LOCATION, 0, 2_000, mqtt=_LOCATION,
        charts=_LOCATION, grafana_unit="velocitykmh",
    ),
    *(
        ReadingField(
            key, float, unit, _STATES, 0, None, derived=Derived.EXTRA,
            charts=frozenset({HEARTBEAT}), grafana_unit=grafana,
        )
        for key, unit, grafana in _BRIDGE_FIGURES
    ),
    ReadingField("online", bool, "", frozenset({AVAILABILITY}), 0, 1),
)  # fmt: skip

FIELD_BY_KEY = {row.key: row for row in FIELDS}


def mqtt_fields(channel: str) -> tuple[ReadingField, ...]:
    """The rows an MQTT channel's payload carries, each under its `attribute` name."""
    return tuple(row for row in FIELDS if channel in row.mqtt)
