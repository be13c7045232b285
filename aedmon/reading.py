"""The one Reading model that every parser produces and the server ingests.

A Reading is a single message from a device, normalized: who sent it, through which
site, when the device says it happened, when it arrived, and the optional fields of the
serial and MQTT protocols. Its numeric and boolean fields are rows of the fields table
(aedmon.fields): their ranges, InfluxDB values and charts all come from there.

The model is also the one boundary: it carries the bounds every store accepts (string
lengths equal to the columns, no control characters or lone surrogates, finite numbers
within the fields table's ranges, times and dates within `EARLIEST`..`LATEST`, unknown fields of a
bounded size and depth), so a reading a bridge accepts is one the server can store.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from aedmon.fields import FIELD_BY_KEY, FIELDS, Derived, ReadingField

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ID_RE = re.compile(ID_PATTERN)


# Site ids are case-insensitive: `Site-A` and `site-a` are one site, kept in lower case at
# every edge (MQTT topics, a bridge's --site, ingest, the API).
def lower_site(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


SiteId = Annotated[str, Field(pattern=ID_PATTERN), AfterValidator(lower_site)]
BOOT_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"  # mqtt.md 1.1: drawn anew at each power-up
BOOT_RE = re.compile(BOOT_PATTERN)
SEQ_MAX = 65535

# Times and dates a store can hold and a device may plausibly say. A clock reset to 1970 or
# 2000, or one years ahead, is kept (and judged by the server); year 1 or 9999 is refused.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# The longest text a store column takes (devices.model, .firmware, .manufacturer…).
TEXT_MAX = 200
DETAIL_MAX = 4096  # an MQTT payload is at most 4 KiB, so any event detail it carries fits
CODE_RE = re.compile(r"^[!-~]{1,16}$")  # printable ASCII, as the serial protocol's fields
CODES_MAX = 32
EXTRA_KEYS_MAX = 64
EXTRA_DEPTH_MAX = 4
EXTRA_ITEMS_MAX = 64
INT_BOUND = 2**63  # what a 64-bit integer column or a JSON reader takes
# C0 and C1 control characters (NUL among them) and lone UTF-16 surrogates, which no
# PostgreSQL text or UTF-8 encoder accepts.
_UNSTORABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSTORABLE_IN_NOTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(value: str) -> str:
    """Refuse control characters and lone surrogates in text that a store will keep."""
    return _check(value, _UNSTORABLE)


def check_note(value: str) -> str:
    """As check_text, but a note written by a person may have line breaks and tabs."""
    return _check(value, _UNSTORABLE_IN_NOTES)


def _check(value: str, unstorable: re.Pattern[str]) -> str:
    found = unstorable.search(value)
    if found is not None:
        raise ValueError(f"control character U+{ord(found.group()):04X} at position {found.start()}")
    return value


def check_moment(value: datetime) -> datetime:
    """An aware time within EARLIEST..LATEST, in UTC."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("time out of range") from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"time must be between {EARLIEST:%Y} and {LATEST:%Y}")
    return utc


def check_day(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(f"date must be between {EARLIEST:%Y} and {LATEST:%Y}")
    return value


def check_extra(value: dict[str, Any]) -> dict[str, Any]:
    """Unknown payload keys are kept, within bounds: JSON scalars (finite numbers, 64-bit
    integers, text without control characters), lists and objects nested at most
    EXTRA_DEPTH_MAX deep."""
    if len(value) > EXTRA_KEYS_MAX:
        raise ValueError(f"more than {EXTRA_KEYS_MAX} unknown fields")
    _check_json(value, 1)
    return value


def _check_json(value: object, depth: int) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -INT_BOUND <= value < INT_BOUND:
            raise ValueError("integer out of 64-bit range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite number")
    elif isinstance(value, str):
        if len(value) > DETAIL_MAX:
            raise ValueError(f"text longer than {DETAIL_MAX} characters")
        check_text(value)
    elif isinstance(value, list | tuple | dict):
        if depth > EXTRA_DEPTH_MAX:
            raise ValueError(f"nested deeper than {EXTRA_DEPTH_MAX}")
        if len(value) > EXTRA_ITEMS_MAX and not isinstance(value, dict):
            raise ValueError(f"list longer than {EXTRA_ITEMS_MAX}")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                if not 0 < len(key) <= 64:
                    raise ValueError("field name empty or longer than 64 characters")
                check_text(key)
            _check_json(item, depth + 1)
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


DROPPED_KEY = "dropped_fields"  # in `extra`: the names of payload fields that could not be kept
DROPPED_MAX = 16


def keepable_extra(extra: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The unknown fields that can be kept (check_extra field by field, the first
    EXTRA_KEYS_MAX), and the names of those that cannot: a cosmetic field too deep, too long or
    one too many never costs the reading it came with. The names dropped are kept too, under
    DROPPED_KEY, shortened and at most DROPPED_MAX of them, so a person can see what was lost."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in extra.items():
        try:
            if len(kept) >= EXTRA_KEYS_MAX - 1 or name == DROPPED_KEY:
                raise ValueError("one too many")
            check_extra({name: value})
        except ValueError:
            dropped.append(name)
            continue
        kept[name] = value
    if dropped:
        kept[DROPPED_KEY] = [_printable(name)[:64] or "?" for name in dropped[:DROPPED_MAX]]
    return kept, dropped


def _printable(name: object) -> str:
    return _UNSTORABLE.sub("?", str(name))


Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(check_text)]
Detail = Annotated[str, Field(max_length=DETAIL_MAX), AfterValidator(check_text)]
CodeText = Annotated[str, Field(pattern=CODE_RE.pattern)]
Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]
Day = Annotated[date, AfterValidator(check_day)]


class DeviceKind(StrEnum):
    AED = "aed"
    CABINET = "cabinet"
    MOBILE_UNIT = "mobile_unit"
    FRIDGE = "fridge"
    OTHER = "other"
    BRIDGE = "bridge"  # a bridge reporting on itself


class ReadingType(StrEnum):
    IDENTITY = "identity"
    SELFTEST = "selftest"
    HEARTBEAT = "heartbeat"
    EVENT = "event"
    STATUS = "status"
    LOCATION = "location"
    AVAILABILITY = "availability"


class TestType(StrEnum):
    __test__ = False  # not a pytest class despite the name

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    POWER_ON = "power_on"
    USER = "user"


class TestResult(StrEnum):
    __test__ = False

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


class DeviceState(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    IN_USE = "IN_USE"
    SERVICE = "SERVICE"


class EventType(StrEnum):
    LID_OPEN = "LID_OPEN"
    LID_CLOSED = "LID_CLOSED"
    PADS_CONNECTED = "PADS_CONNECTED"
    PADS_DISCONNECTED = "PADS_DISCONNECTED"
    RESCUE_START = "RESCUE_START"
    SHOCK_DELIVERED = "SHOCK_DELIVERED"
    RESCUE_END = "RESCUE_END"
    POWER_ON = "POWER_ON"
    POWER_OFF = "POWER_OFF"
    # MQTT only
    DOOR_OPEN = "DOOR_OPEN"
    DOOR_CLOSED = "DOOR_CLOSED"
    AED_REMOVED = "AED_REMOVED"
    AED_RETURNED = "AED_RETURNED"
    ALARM_SIREN = "ALARM_SIREN"


SERIAL_EVENTS = frozenset(list(EventType)[:9])


class LocationSource(StrEnum):
    GNSS = "gnss"
    WIFI = "wifi"
    CELL = "cell"
    FIXED = "fixed"


@dataclass(frozen=True)
class Code:
    """One self-test code of the serial protocol and the least result it forces."""

    code: str
    meaning: str
    forces: TestResult


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code("B01", "battery low", TestResult.WARN),
        Code("B02", "battery depleted", TestResult.FAIL),
        Code("B03", "battery past its install-by date", TestResult.WARN),
        Code("P01", "pads expire within 30 days", TestResult.WARN),
        Code("P02", "pads expired", TestResult.FAIL),
        Code("P03", "pads not connected", TestResult.FAIL),
        Code("C01", "ECG front-end fault", TestResult.FAIL),
        Code("C02", "high-voltage charge/discharge fault", TestResult.FAIL),
        Code("C03", "internal memory fault", TestResult.WARN),
        Code("T01", "temperature outside 0-50 °C", TestResult.WARN),
    )
}


class Reading(BaseModel):
    """One normalized message from one device."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    device_id: str = Field(pattern=ID_PATTERN)
    site: SiteId
    kind: DeviceKind | None = None
    type: ReadingType
    device_time: Moment
    arrival_time: Moment
    seq: int | None = Field(default=None, ge=0, le=SEQ_MAX)
    boot: str | None = Field(default=None, pattern=BOOT_PATTERN)  # the device's power-up, when it says
    source: Text = ""
    bridge: str | None = Field(default=None, pattern=ID_PATTERN)  # the bridge that delivered it

    # identity (AEDID, or serial/model/firmware inside an MQTT selftest)
    serial: Text | None = None
    manufacturer: Text | None = None
    model: Text | None = None
    firmware: Text | None = None
    # selftest
    test: TestType | None = None
    result: TestResult | None = None
    codes: tuple[CodeText, ...] = Field(default=(), max_length=CODES_MAX)
    battery_pct: int | None = None
    battery_expiry: Day | None = None
    pads_expiry: Day | None = None
    pads_connected: bool | None = None
    temp_c: float | None = None
    # heartbeat and status
    state: DeviceState | None = None
    door_open: bool | None = None
    aed_present: bool | None = None
    humidity_pct: float | None = None
    heater_on: bool | None = None
    supply_voltage: float | None = None
    rssi_dbm: float | None = None
    fridge_temp_c: float | None = None
    o2_pressure_bar: float | None = None
    # a cabinet's sensor (LoRaWAN, Zigbee) on itself
    sensor_battery_pct: int | None = None
    sensor_battery_low: bool | None = None
    snr_db: float | None = None
    tamper: bool | None = None
    # event
    event: EventType | None = None
    detail: Detail | None = None
    # location
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    speed_kmh: float | None = None
    location_source: LocationSource | None = None
    # availability
    online: bool | None = None
    # unknown payload keys, kept as they came
    extra: Annotated[dict[str, Any], AfterValidator(check_extra)] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _within_ranges(self) -> Reading:
        """Every field of the fields table within its range: a value no sensor can give is refused."""
        for key in out_of_range(self):
            row = FIELD_BY_KEY[key]
            if row.derived is not Derived.EXTRA:  # figures a bridge reports in `extra` are its own
                raise ValueError(f"{key} outside {row.low}..{row.high} {row.unit}".rstrip())
        return self

    @cached_property
    def key(self) -> str:
        """Idempotency key: the message itself. (device, type, seq, device time) and a digest of
        what the device said (`message_digest`): a resend is the same reading, while a different
        reading under the same seq and time (a device whose clock and counter restart at each
        power-up) is another."""
        seq = "-" if self.seq is None else str(self.seq)
        prefix = f"{self.device_id}|{self.type.value}|{seq}|{self.device_time.isoformat()}"
        return f"{prefix}|{message_digest(self.model_dump(mode='json'))}"

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("key", None)  # the cached key is of the original
        return copy

    @property
    def may_alert(self) -> bool:
        """Whether this reading could open an alert: never dropped at the outbox bound. More
        conservative than the server's rules: every self-test (a PASS carries battery, pads and
        temperature the rules judge), event and location; a heartbeat or status unless it says
        only that all is well, with any temperature well inside the storage ranges."""
        if self.type in (ReadingType.IDENTITY, ReadingType.AVAILABILITY):
            return False
        if self.type is not ReadingType.HEARTBEAT and self.type is not ReadingType.STATUS:
            return True
        return (
            (self.state is not None and self.state is not DeviceState.READY)
            or self.door_open is True
            or self.aed_present is False
            or self.tamper is True
            or self.sensor_battery_low is True
            or not _comfortably_within(self.temp_c, ROUTINE_TEMP_C)
            or not _comfortably_within(self.fridge_temp_c, ROUTINE_FRIDGE_C)
            or self.o2_pressure_bar is not None
        )


# What a device did not say: where and how the reading travelled, and what the bridge made of
# it. A resend through another port, bridge or site is the same message.
NOT_SAID = frozenset({"arrival_time", "bridge", "source", "site", "kind"})


def message_digest(body: Mapping[str, Any]) -> str:
    """A digest of what a device said in one message, from the reading's JSON form (as stored):
    every field but NOT_SAID, leaving out those absent or empty, so that a field added to the
    model later does not change the digest of a message stored before. 64 bits of SHA-256."""
    said = {
        name: value for name, value in body.items() if name not in NOT_SAID and value not in (None, [], {})
    }
    text = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# Temperatures a routine status may carry and still be dropped at the outbox bound: inside
# the server's storage ranges (0-50 °C, a fridge 2-8 °C) by a margin, so a setting moved a
# little does not make a droppable reading one the rules would flag.
ROUTINE_TEMP_C = (5.0, 45.0)
ROUTINE_FRIDGE_C = (3.0, 7.0)


def _comfortably_within(value: float | None, bounds: tuple[float, float]) -> bool:
    return value is None or bounds[0] <= value <= bounds[1]


def field_value(row: ReadingField, reading: Reading) -> float | None:
    """The value of one row of the fields table in this reading, as a number."""
    if row.derived is Derived.EXTRA:
        extra = reading.extra.get(row.attribute)
        return float(extra) if isinstance(extra, int | float) and not isinstance(extra, bool) else None
    raw = getattr(reading, row.attribute)
    if raw is None:
        return None
    if row.derived is Derived.LEVEL:
        return dict(row.levels)[raw.value]
    if row.derived is Derived.DAYS_LEFT:
        return float((raw - reading.device_time.date()).days)
    return float(raw)


def metric_values(reading: Reading) -> dict[str, float]:
    """The numeric fields of a reading of its type, by key: what InfluxDB and the charts get."""
    values: dict[str, float] = {}
    for row in FIELDS:
        if reading.type.value in row.types:
            value = field_value(row, reading)
            if value is not None:
                values[row.key] = value
    return values


def out_of_range(reading: Reading) -> list[str]:
    """Keys of the fields whose value lies outside the range any real sensor stays inside:
    every attribute the reading has, of whatever type, and the derived values of its type."""
    bad = []
    for row in FIELDS:
        carried = row.derived is Derived.ATTRIBUTE or reading.type.value in row.types
        value = field_value(row, reading) if carried else None
        if value is None:
            continue
        if (row.low is not None and value < row.low) or (row.high is not None and value > row.high):
            bad.append(row.key)
    return bad


def is_after(a: Reading, b: Reading) -> bool:
    """Whether `a` is newer than `b`: by device time, and within one second (the serial
    protocol's resolution) by sequence number, modulo its wrap at 65535."""
    if a.device_time != b.device_time:
        return a.device_time > b.device_time
    if a.seq is None or b.seq is None:
        return False
    return 0 < (a.seq - b.seq) % (SEQ_MAX + 1) < (SEQ_MAX + 1) // 2


def infer_kind(reading: Reading) -> DeviceKind | None:
    """The device kind a reading's content implies, when it implies one."""
    if reading.kind is not None:
        return reading.kind
    if (
        reading.door_open is not None
        or reading.aed_present is not None
        or reading.event
        in (
            EventType.DOOR_OPEN,
            EventType.DOOR_CLOSED,
            EventType.AED_REMOVED,
            EventType.AED_RETURNED,
        )
    ):
        return DeviceKind.CABINET
    if reading.fridge_temp_c is not None or reading.o2_pressure_bar is not None:
        return DeviceKind.MOBILE_UNIT
    if reading.type in (ReadingType.SELFTEST, ReadingType.IDENTITY):
        return DeviceKind.AED
    return None
