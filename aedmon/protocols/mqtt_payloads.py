"""MQTT device protocol v1 (shared/protocols/mqtt.md): topic and payload ⇄ Reading.

Pure. Payloads are validated strictly (a string where a number belongs is an error, as
a firmware engineer would expect), unknown keys are kept in `Reading.extra`, and every
refusal is a MalformedMessage whose `reason` labels the rejection counter. The numeric and
boolean keys of each payload, with their ranges, are the rows of the fields table
(aedmon.fields) that name the channel; the rest of each payload is written out below.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, create_model

from aedmon.errors import MalformedMessage
from aedmon.fields import mqtt_fields
from aedmon.reading import (
    BOOT_RE,
    DROPPED_KEY,
    DROPPED_MAX,
    DeviceKind,
    DeviceState,
    EventType,
    LocationSource,
    Reading,
    ReadingType,
    TestResult,
    TestType,
    infer_kind,
    keepable_extra,
)

from .sensors import Translation

PREFIX = "aedmon/v1"
MAX_PAYLOAD = 4096
_NAME = r"[A-Za-z0-9_-]{1,64}"
TOPIC_RE = re.compile(rf"^aedmon/v1/(?P<site>{_NAME})/(?P<device>{_NAME})/(?P<channel>[a-z]+)$")
SUBSCRIPTION = "aedmon/v1/+/+/+"


# A leap second, `…T23:59:60Z` or with an offset: read as the last microsecond of its minute.
_LEAP_RE = re.compile(r"^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d):60(?:\.\d+)?(?=$|[Zz+-])")


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    ts: AwareDatetime
    seq: int = Field(ge=0, le=65535)
    boot: Any = None  # mqtt.md 1.1; checked by hand, so that a bad one costs only itself


def _with_fields(name: str, base: type[_Payload], channel: str) -> type[_Payload]:
    """The payload model: `base` and the fields table's rows for this channel."""
    fields: dict[str, Any] = {}
    for row in mqtt_fields(channel):
        low, high = (None, None) if row.type is bool else (row.low, row.high)
        if row.mqtt_required:
            fields[row.attribute] = (row.type, Field(ge=low, le=high))
        else:
            fields[row.attribute] = (row.type | None, Field(default=None, ge=low, le=high))
    return create_model(name, __base__=base, **fields)


class _Selftest(_Payload):
    test: TestType
    result: TestResult
    codes: list[str] = Field(default_factory=list)
    battery_expiry: date | None = None
    pads_expiry: date | None = None
    serial: str | None = None
    model: str | None = None
    firmware: str | None = None


class _Status(_Payload):
    state: DeviceState | None = None


class EventPayload(_Payload):
    event: EventType
    detail: str | None = None


class _Location(_Payload):
    source: LocationSource | None = None


SelftestPayload = _with_fields("SelftestPayload", _Selftest, "selftest")
StatusPayload = _with_fields("StatusPayload", _Status, "status")
LocationPayload = _with_fields("LocationPayload", _Location, "location")


PAYLOADS: dict[str, tuple[ReadingType, type[_Payload]]] = {
    "selftest": (ReadingType.SELFTEST, SelftestPayload),
    "status": (ReadingType.STATUS, StatusPayload),
    "event": (ReadingType.EVENT, EventPayload),
    "location": (ReadingType.LOCATION, LocationPayload),
}


def topic_for(site: str, device: str, channel: str) -> str:
    return f"{PREFIX}/{site}/{device}/{channel}"


def parse_message(topic: str, payload: bytes, *, arrival: datetime, source: str = "") -> Reading:
    """One MQTT message as a Reading; raises MalformedMessage with a reason slug."""
    match = TOPIC_RE.match(topic)
    if match is None:
        raise MalformedMessage(
            f"topic {topic[:120]!r} is not aedmon/v1/<site>/<device>/<channel>", reason="bad_topic"
        )
    site, device, channel = match["site"], match["device"], match["channel"]
    if len(payload) > MAX_PAYLOAD:
        raise MalformedMessage(f"payload of {len(payload)} bytes exceeds 4 KiB", reason="too_large")
    common: dict[str, Any] = {"device_id": device, "site": site, "arrival_time": arrival, "source": source}
    if channel == "availability":
        if payload not in (b"online", b"offline"):
            raise MalformedMessage("availability must be online or offline", reason="bad_payload")
        return Reading(
            **common, type=ReadingType.AVAILABILITY, device_time=arrival, online=payload == b"online"
        )
    if channel not in PAYLOADS:
        raise MalformedMessage(f"unknown channel {channel!r}", reason="bad_topic")
    reading_type, model = PAYLOADS[channel]
    try:
        text = payload.decode("utf-8")
        data = json.loads(text)
        if not isinstance(data, dict):
            raise MalformedMessage("payload is not a JSON object", reason="bad_payload")
        # Unknown keys are kept or dropped by keepable_extra, never judged by the model: one that
        # no store can keep (a lone surrogate, say) costs only itself.
        unknown = {name: value for name, value in data.items() if name not in model.model_fields}
        ts = data.get("ts")
        leap = isinstance(ts, str) and _LEAP_RE.match(ts) is not None
        if leap:
            data["ts"] = _LEAP_RE.sub(r"\1:59.999999", str(ts))
        if unknown or leap:
            text = json.dumps({name: value for name, value in data.items() if name not in unknown})
        parsed = model.model_validate_json(text)
    except ValidationError as exc:
        raise MalformedMessage(_first_error(exc), reason="bad_field") from exc
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, or an integer too long to read
        raise MalformedMessage(f"payload is not UTF-8 JSON: {exc}", reason="bad_payload") from exc
    except RecursionError as exc:
        raise MalformedMessage("payload nested too deeply", reason="bad_payload") from exc
    fields = parsed.model_dump(exclude={"ts", "seq", "boot"}, exclude_unset=True)
    extra = keepable_extra(unknown)[0]
    boot = parsed.boot
    if boot is not None and not (isinstance(boot, str) and BOOT_RE.match(boot)):
        extra[DROPPED_KEY] = ["boot", *extra.get(DROPPED_KEY, [])][:DROPPED_MAX]
        boot = None
    if channel == "selftest":
        fields["codes"] = tuple(fields.get("codes", ()))
    if channel == "location" and "source" in fields:
        fields["location_source"] = fields.pop("source")
    try:
        reading = Reading(
            **common,
            **fields,
            type=reading_type,
            seq=parsed.seq,
            boot=boot,
            device_time=parsed.ts,
            extra=extra,
        )
    except ValidationError as exc:
        raise MalformedMessage(_first_error(exc), reason="bad_field") from exc
    return reading.model_copy(update={"kind": infer_kind(reading)})


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "payload"
    return f"{where}: {err['msg']}"


_CHANNEL_OF = {reading_type: channel for channel, (reading_type, _) in PAYLOADS.items()}
_SELFTEST_KEYS = tuple(SelftestPayload.model_fields)
_STATUS_KEYS = tuple(StatusPayload.model_fields)
_LOCATION_KEYS = tuple(row.attribute for row in mqtt_fields("location"))


def encode_message(reading: Reading) -> tuple[str, bytes]:
    """The topic and payload a device publishes for this reading (the simulators' encoder)."""
    if reading.type is ReadingType.AVAILABILITY:
        body = b"online" if reading.online else b"offline"
        return topic_for(reading.site, reading.device_id, "availability"), body
    channel = _CHANNEL_OF.get(reading.type)
    if channel is None or reading.seq is None:
        raise ValueError(f"no MQTT message for a {reading.type} reading without seq")
    data: dict[str, Any] = {"ts": reading.device_time.isoformat().replace("+00:00", "Z"), "seq": reading.seq}
    if reading.boot is not None:
        data["boot"] = reading.boot
    keys = {
        "selftest": _SELFTEST_KEYS,
        "status": _STATUS_KEYS,
        "event": ("event", "detail"),
        "location": _LOCATION_KEYS,
    }[channel]
    for key in keys:
        if key in ("ts", "seq"):
            continue
        value = getattr(reading, key)
        if value is None:
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        data[key] = value
    if channel == "location" and reading.location_source is not None:
        data["source"] = reading.location_source.value
    data.update(reading.extra)
    return topic_for(reading.site, reading.device_id, channel), json.dumps(data).encode()


class AedmonMqtt:
    """The device contract's MQTT messages as a broker-side translator (aedmon.protocols.sensors).
    A device's kind sticks: a cabinet's location message says nothing of its kind."""

    source = "mqtt"

    def __init__(self, shared_group: str | None = None) -> None:
        self.shared_group = shared_group
        self._kinds: dict[str, DeviceKind] = {}

    def subscriptions(self) -> list[str]:
        return [f"$share/{self.shared_group}/{SUBSCRIPTION}" if self.shared_group else SUBSCRIPTION]

    def translate(self, topic: str, payload: bytes, *, arrival: datetime) -> Translation:
        reading = parse_message(topic, payload, arrival=arrival, source=self.source)
        if reading.kind is None:
            kind = self._kinds.get(reading.device_id)
            if kind is not None:
                reading = reading.model_copy(update={"kind": kind})
        else:
            self._kinds[reading.device_id] = reading.kind
        return Translation([reading])
