"""What the LoRaWAN and Zigbee translators share: the contract of a broker-side translator,
a sensor's identity, times and JSON as these networks write them, and a profile's reading
made into a Reading. Pure.

A translator turns one MQTT message (topic and bytes) into what it says: readings, none (a
message of the network that says nothing of readiness, such as a downlink's acknowledgement),
or a refusal (ProtocolError, counted by its reason). `unread` names what a message was that
gave no reading of its own, or a reading without the sensor's fields (an uplink no codec
decoded): the source counts it, and nothing is an error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from aedmon.errors import MalformedMessage
from aedmon.profiles import Profile, ProfileMismatch
from aedmon.reading import (
    BOOT_RE,
    DROPPED_KEY,
    DROPPED_MAX,
    EARLIEST,
    LATEST,
    DeviceKind,
    Reading,
    ReadingType,
    keepable_extra,
)

DEV_EUI_RE = re.compile(r"^[0-9a-fA-F]{16}$")
# Where a sensor's report says its network name, report interval and profile (in `extra`).
NAME_KEY, INTERVAL_KEY, PROFILE_KEY = "sensor_name", "report_interval_s", "profile"
NAME_MAX = 200  # a device's name column
DEFAULT_INTERVAL_S = 3600  # a sensor's heartbeat when its profile does not say
_FRACTION = re.compile(r"(\.\d{6})\d+")
_REST_MAX = 48  # a payload's own keys kept beside a reading's fields, at most
_CABINET_FIELDS = frozenset({"door_open", "aed_present"})


@dataclass
class Translation:
    readings: list[Reading] = field(default_factory=list)
    unread: str | None = None  # a count's reason: what the message was, when it gave no fields


class Translator(Protocol):
    """One network's messages at a broker: what to subscribe to, and how to read a message."""

    source: str  # the name readings carry as their source, and the counters' label

    def subscriptions(self) -> list[str]: ...

    def translate(self, topic: str, payload: bytes, *, arrival: datetime) -> Translation:
        """Pure but for what the network told of itself before (Zigbee2MQTT's device list)."""
        ...


def load_json(payload: bytes, limit: int) -> Any:
    """A message's JSON, within `limit` bytes; NaN and Infinity (which Python would read) refused."""
    if len(payload) > limit:
        raise MalformedMessage(
            f"payload of {len(payload)} bytes exceeds {limit // 1024} KiB", reason="too_large"
        )
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedMessage(f"payload is not UTF-8 JSON: {str(exc)[:120]}", reason="bad_payload") from None
    except RecursionError:
        raise MalformedMessage("payload nested too deeply", reason="bad_payload") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def json_object(payload: bytes, limit: int) -> dict[str, Any]:
    data = load_json(payload, limit)
    if not isinstance(data, dict):
        raise MalformedMessage("payload is not a JSON object", reason="bad_payload")
    return data


def obj(value: object) -> dict[str, Any]:
    """A JSON object as it is, or an empty one in place of anything else."""
    return value if isinstance(value, dict) else {}


def dev_eui(value: object) -> str:
    """A LoRaWAN DevEUI as an aedmon device id: 16 hex digits, in lower case."""
    if not isinstance(value, str) or not DEV_EUI_RE.match(value):
        raise MalformedMessage(f"DevEUI {_shown(value)} is not 16 hex digits", reason="bad_id")
    return value.lower()


def session_of(dev_addr: object) -> str | None:
    """A LoRaWAN session as a `boot`: its device address (a new one at each join), in lower case."""
    if isinstance(dev_addr, str) and BOOT_RE.match(dev_addr):
        return dev_addr.lower()
    return None


def moment(value: object) -> datetime | None:
    """A time as these networks write it (RFC 3339, to the nanosecond), in UTC; None when absent
    or unreadable, or outside what a store holds."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    parsed = parsed.astimezone(UTC)
    return parsed if EARLIEST <= parsed < LATEST else None


def text(value: object, limit: int = NAME_MAX) -> str | None:
    """A name or label as the network gave it, if it is text; shortened to `limit`."""
    if not isinstance(value, str) or not value.strip():
        return None
    kept, dropped = keepable_extra({"text": value.strip()[:limit]})
    return None if dropped else str(kept["text"])


def finite(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def kind_of(profile: Profile | None) -> DeviceKind | None:
    """The kind a profile makes its sensor: its own word, else a cabinet when it reads a door or
    an AED's presence (None: the readings will tell)."""
    if profile is None:
        return None
    if profile.kind is not None:
        return profile.kind
    return DeviceKind.CABINET if _CABINET_FIELDS & set(profile.fields) else None


def profiled(
    profile: Profile, decoded: Mapping[str, Any], device: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A decoded payload through its profile: the reading's fields and the payload's other keys.
    A value the profile cannot read refuses the message, naming the device and the key."""
    try:
        return profile.read(decoded)
    except ProfileMismatch as exc:
        raise MalformedMessage(f"device {device}, profile {profile.name}: {exc}", reason="profile") from None


def reading(**values: Any) -> Reading:
    """A Reading, or a refusal saying which field is wrong (a range the fields table sets)."""
    try:
        return Reading(**values)
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "reading"
        raise MalformedMessage(
            f"device {values.get('device_id')}: {where}: {err['msg']}", reason="bad_field"
        ) from None


def sensor_extra(
    rest: Mapping[str, Any], *, name: str | None, interval_s: int | None, profile: Profile | None, **meta: Any
) -> dict[str, Any]:
    """What a sensor's reading keeps beside its fields: the payload's other keys (those that can be
    kept), its network name, its report interval and profile, and the network's own figures."""
    items = [(key, value) for key, value in rest.items() if key not in meta]
    extra, _ = keepable_extra(dict(items[:_REST_MAX]))
    if len(items) > _REST_MAX:  # room for what aedmon adds; the names of the others are kept
        names = [*extra.get(DROPPED_KEY, []), *(str(key)[:64] for key, _ in items[_REST_MAX:])]
        extra[DROPPED_KEY] = names[:DROPPED_MAX]
    for key, value in meta.items():
        if value is not None:
            extra[key] = value
    if name:
        extra[NAME_KEY] = name
    extra[INTERVAL_KEY] = interval_s or DEFAULT_INTERVAL_S
    if profile is not None:
        extra[PROFILE_KEY] = profile.name
    return extra


IDENTITY, STATUS, LOCATION, AVAILABILITY = (
    ReadingType.IDENTITY,
    ReadingType.STATUS,
    ReadingType.LOCATION,
    ReadingType.AVAILABILITY,
)
