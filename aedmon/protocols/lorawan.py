"""LoRaWAN network servers at their MQTT integrations: ChirpStack v4 and The Things Stack v3. Pure.

Both tell of a sensor by its DevEUI (its aedmon id, in lower case, so a sensor moved from one
network server to the other stays one device) and give its uplinks decoded by the codec of
its device profile; a sensor profile (aedmon.profiles) reads the decoded payload as fields.
The profile is the first found of: the one chosen on the device's record at enrolment (`chosen`,
fetched from the server by the bridge), the device's `aedmon_profile` tag (ChirpStack), its
brand and model (The Things Stack's `version_ids`), its device-profile name (ChirpStack).

- Device time is the network server's time of the uplink, a clock that keeps time.
- `seq` is the frame counter (mod 65536), `boot` the session's device address: a join is a
  new session, its frame counter starts again, and a join event is an identity (a power-up).
- A resend of one message (QoS 1 redelivery) is the same reading: the event's own id
  (ChirpStack's deduplicationId, The Things Stack's `as:up:` correlation id) is part of it.
- Both marshal protobuf as JSON and leave out default values: a missing frame counter is 0.
  An uplink without a decoded payload (no codec) is stored as the sensor being heard, with
  its radio figures, and counted as `undecoded`; one whose sensor has no profile, as
  `no_profile` with its payload kept.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aedmon.errors import MalformedMessage
from aedmon.profiles import Profile, Profiles
from aedmon.reading import SEQ_MAX, DeviceKind, LocationSource, Reading

from .sensors import (
    IDENTITY,
    LOCATION,
    STATUS,
    Translation,
    dev_eui,
    finite,
    json_object,
    kind_of,
    load_json,
    moment,
    obj,
    profiled,
    reading,
    sensor_extra,
    session_of,
    text,
)

EVENT_MAX = 64 * 1024  # an uplink heard by many gateways is a few KiB; a codec's object a few more
_SEGMENT = r"[^/+#]{1,256}"


Chosen = Callable[[str], str | None]  # a device's profile as its record names it, if it does


def _none_chosen(device: str) -> str | None:
    return None


@dataclass(frozen=True)
class Radio:
    """The best reception of an uplink: its gateway's signal."""

    rssi_dbm: float | None = None
    snr_db: float | None = None


def best_reception(receptions: object, rssi_key: str = "rssi", snr_key: str = "snr") -> Radio:
    """The reception with the best signal-to-noise ratio (then the strongest), of those given."""
    best: tuple[float, float] | None = None
    for item in receptions if isinstance(receptions, list) else []:
        if not isinstance(item, dict):
            continue
        rssi = finite(item.get(rssi_key))
        snr = finite(item.get(snr_key, item.get("loRaSNR")))  # ChirpStack v3 says loRaSNR
        rssi = rssi if rssi is not None and -150 <= rssi <= 0 else None
        snr = snr if snr is not None and -40 <= snr <= 40 else None
        if rssi is None and snr is None:
            continue
        score = (snr if snr is not None else -99.0, rssi if rssi is not None else -999.0)
        if best is None or score > best:
            best = score
    if best is None:
        return Radio()
    snr, rssi = best
    return Radio(rssi_dbm=None if rssi == -999.0 else rssi, snr_db=None if snr == -99.0 else snr)


def _f_cnt(value: object) -> int:
    """A frame counter (absent: 0, as protobuf JSON leaves it out) as a seq, mod 65536."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise MalformedMessage(f"frame counter {str(value)[:20]!r} is not a 32-bit count", reason="bad_field")
    return value % (SEQ_MAX + 1)


def _uplink(
    *,
    device: str,
    site: str,
    source: str,
    arrival: datetime,
    time: datetime | None,
    f_cnt: object,
    boot: str | None,
    decoded: object,
    profile: Profile | None,
    radio: Radio,
    name: str | None,
    meta: Mapping[str, Any],
) -> Translation:
    """An uplink as a status reading of its sensor (see the module's docstring)."""
    unread = None
    fields: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    if decoded is None:
        unread = "undecoded"
    elif not isinstance(decoded, dict):
        raise MalformedMessage(f"device {device}: the decoded payload is not an object", reason="bad_payload")
    elif profile is None:
        unread, rest = "no_profile", decoded
    else:
        fields, rest = profiled(profile, decoded, device)
    return Translation(
        [
            reading(
                device_id=device,
                site=site,
                kind=kind_of(profile),
                type=STATUS,
                device_time=time or arrival,
                arrival_time=arrival,
                seq=_f_cnt(f_cnt),
                boot=boot,
                source=source,
                rssi_dbm=radio.rssi_dbm,
                snr_db=radio.snr_db,
                **fields,
                extra=sensor_extra(
                    rest,
                    name=name,
                    interval_s=profile.report_interval_s if profile else None,
                    profile=profile,
                    **meta,
                ),
            )
        ],
        unread,
    )


def _joined(
    *, device: str, site: str, source: str, arrival: datetime, time: datetime | None, boot: str | None,
    profile: Profile | None, name: str | None, model: str | None, meta: Mapping[str, Any],
) -> Translation:  # fmt: skip
    """A join: a new session, read as a power-up (an identity: the clock's new epoch)."""
    vendor = profile.name.split("/", 1)[0] if profile else None
    return Translation(
        [
            reading(
                device_id=device,
                site=site,
                kind=kind_of(profile) or DeviceKind.OTHER,
                type=IDENTITY,
                device_time=time or arrival,
                arrival_time=arrival,
                boot=boot,
                source=source,
                manufacturer=vendor,
                model=model or (profile.name.split("/", 1)[1] if profile else None),
                extra=sensor_extra(
                    {},
                    name=name,
                    interval_s=profile.report_interval_s if profile else None,
                    profile=profile,
                    **meta,
                ),
            )
        ]
    )


# ChirpStack v4 ------------------------------------------------------------------------------

CHIRPSTACK_BASE = "application"
# nothing of readiness (`error` is ChirpStack v3's `log`)
CHIRPSTACK_IGNORED = frozenset({"ack", "txack", "log", "integration", "error"})
_CHIRPSTACK_LOCATION = {
    "GEO_RESOLVER_GNSS": LocationSource.GNSS,
    "GEO_RESOLVER_WIFI": LocationSource.WIFI,
    "CONFIG": LocationSource.FIXED,
}


class ChirpStack:
    """ChirpStack v4's MQTT integration: `<base>/<application>/device/<devEui>/event/<event>`."""

    source = "chirpstack"

    def __init__(
        self, site: str, profiles: Profiles, base: str = CHIRPSTACK_BASE, chosen: Chosen = _none_chosen
    ) -> None:
        self.site, self.profiles, self.base = site, profiles, base.strip("/") or CHIRPSTACK_BASE
        self.chosen = chosen
        self._topic = re.compile(
            rf"^{re.escape(self.base)}/(?P<app>{_SEGMENT})/device/(?P<eui>{_SEGMENT})/event/(?P<event>{_SEGMENT})$"
        )

    def subscriptions(self) -> list[str]:
        return [f"{self.base}/+/device/+/event/+"]

    def translate(self, topic: str, payload: bytes, *, arrival: datetime) -> Translation:
        match = self._topic.match(topic)
        if match is None:
            raise MalformedMessage(f"topic {topic[:120]!r} is not a ChirpStack event", reason="bad_topic")
        event = match["event"]
        if event in CHIRPSTACK_IGNORED:
            return Translation(unread=event)
        if event not in ("up", "status", "join", "location"):
            raise MalformedMessage(f"unknown ChirpStack event {event[:40]!r}", reason="unknown_event")
        data = json_object(payload, EVENT_MAX)
        info = obj(data.get("deviceInfo"))
        said = info.get("devEui", data.get("devEUI", match["eui"]))  # v4; v3: hex, or base64 of 8 bytes
        device = dev_eui(_hex_of(said, 8) or said)
        if device != dev_eui(match["eui"]):
            raise MalformedMessage(f"device {device} in the payload, another in the topic", reason="bad_id")
        tags = obj(info.get("tags", data.get("tags")))
        profile_name = text(info.get("deviceProfileName", data.get("deviceProfileName")))
        profile = self.profiles.find(self.chosen(device), text(tags.get("aedmon_profile")), profile_name)
        name = text(info.get("deviceName", data.get("deviceName")))
        time = moment(data.get("time")) or _reception_time(data.get("rxInfo"))
        common: dict[str, Any] = {
            "device": device,
            "site": self.site,
            "source": self.source,
            "arrival": arrival,
        }
        uplink_id = text(data.get("deduplicationId"), 64)
        if event == "up":
            return _uplink(
                **common,
                time=time,
                f_cnt=data.get("fCnt"),
                boot=session_of(_hex_of(data.get("devAddr"), 4) or data.get("devAddr")),
                decoded=_decoded(data, device),
                profile=profile,
                radio=best_reception(data.get("rxInfo")),
                name=name,
                meta={"uplink_id": uplink_id, "f_port": _small(data.get("fPort"))},
            )
        if event == "join":
            return _joined(
                **common, time=time, boot=session_of(_hex_of(data.get("devAddr"), 4) or data.get("devAddr")),
                profile=profile, name=name,
                model=profile_name, meta={"uplink_id": uplink_id},
            )  # fmt: skip
        if event == "status":
            return self._status(data, common, time, profile, name, uplink_id)
        return self._location(data, common, time, name, uplink_id)

    def _status(
        self, data: dict[str, Any], common: dict[str, Any], time: datetime | None, profile: Profile | None,
        name: str | None, uplink_id: str | None,
    ) -> Translation:  # fmt: skip
        """The device-status answer: battery (0-100; unavailable, or external power) and margin."""
        level = None if data.get("batteryLevelUnavailable") is True else finite(data.get("batteryLevel", 0.0))
        if data.get("externalPowerSource") is True:
            level = None
        if level is not None and not 0 <= level <= 100:
            raise MalformedMessage(
                f"device {common['device']}: batteryLevel {level:g} is not 0-100", reason="bad_field"
            )
        meta = {
            "uplink_id": uplink_id,
            "margin_db": _small(data.get("margin", 0)),
            "external_power": data.get("externalPowerSource") is True or None,
        }
        return Translation(
            [
                reading(
                    device_id=common["device"],
                    site=self.site,
                    kind=kind_of(profile),
                    type=STATUS,
                    device_time=time or common["arrival"],
                    arrival_time=common["arrival"],
                    source=self.source,
                    sensor_battery_pct=None if level is None else round(level),
                    extra=sensor_extra(
                        {},
                        name=name,
                        interval_s=profile.report_interval_s if profile else None,
                        profile=profile,
                        **meta,
                    ),
                )  # fmt: skip
            ]
        )

    def _location(
        self, data: dict[str, Any], common: dict[str, Any], time: datetime | None, name: str | None,
        uplink_id: str | None,
    ) -> Translation:  # fmt: skip
        where = data.get("location")
        if not isinstance(where, dict):
            raise MalformedMessage(
                f"device {common['device']}: a location event without a location", reason="bad_field"
            )
        lat, lon = finite(where.get("latitude", 0.0)), finite(where.get("longitude", 0.0))
        if lat is None or lon is None:
            raise MalformedMessage(
                f"device {common['device']}: latitude and longitude must be numbers", reason="bad_field"
            )
        accuracy = finite(where.get("accuracy"))
        return Translation(
            [
                reading(
                    device_id=common["device"],
                    site=self.site,
                    type=LOCATION,
                    device_time=time or common["arrival"],
                    arrival_time=common["arrival"],
                    source=self.source,
                    lat=lat,
                    lon=lon,
                    accuracy_m=accuracy if accuracy and accuracy > 0 else None,
                    location_source=_CHIRPSTACK_LOCATION.get(str(where.get("source"))),
                    extra=sensor_extra({}, name=name, interval_s=None, profile=None, uplink_id=uplink_id),
                )  # fmt: skip
            ]
        )


def _hex_of(value: object, size: int) -> str | None:
    """Bytes as ChirpStack v3's protobuf JSON gives them (base64) in hex; None when not that."""
    if not isinstance(value, str) or len(value) != 4 * ((size + 2) // 3):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == size else None


def _decoded(data: dict[str, Any], device: str) -> object:
    """The codec's object: `object` (v4, and v3's own JSON), or v3's `objectJSON`, a JSON text."""
    if "object" in data:
        return data["object"]
    text_form = data.get("objectJSON")
    if not isinstance(text_form, str) or not text_form:
        return None
    try:
        return load_json(text_form.encode("utf-8", "surrogatepass"), EVENT_MAX)
    except MalformedMessage as exc:
        raise MalformedMessage(f"device {device}: objectJSON: {exc}", reason=exc.reason) from None


def _reception_time(receptions: object) -> datetime | None:
    """The earliest time a gateway (or the network server) gives for an uplink, when the event has none."""
    times = [
        found
        for item in (receptions if isinstance(receptions, list) else [])[:64]
        if isinstance(item, dict)
        for key in ("nsTime", "time", "gwTime")
        if (found := moment(item.get(key))) is not None
    ]
    return min(times, default=None)


def _small(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**16 else None


# The Things Stack v3 ------------------------------------------------------------------------

THINGS_STACK_BASE = "v3"
THINGS_STACK_IGNORED = re.compile(r"^(down/[a-z_]+|service/data|location/solved)$")


class ThingsStack:
    """The Things Stack's MQTT server: `v3/<application>[@<tenant>]/devices/<device>/up` and `/join`."""

    source = "things-stack"

    def __init__(
        self, site: str, profiles: Profiles, base: str = THINGS_STACK_BASE, chosen: Chosen = _none_chosen
    ) -> None:
        self.site, self.profiles, self.base = site, profiles, base.strip("/") or THINGS_STACK_BASE
        self.chosen = chosen
        self._topic = re.compile(
            rf"^{re.escape(self.base)}/(?P<app>{_SEGMENT})/devices/(?P<dev>{_SEGMENT})/(?P<event>[^+#]{{1,64}})$"
        )

    def subscriptions(self) -> list[str]:
        return [f"{self.base}/+/devices/+/up", f"{self.base}/+/devices/+/join"]

    def translate(self, topic: str, payload: bytes, *, arrival: datetime) -> Translation:
        match = self._topic.match(topic)
        if match is None:
            raise MalformedMessage(
                f"topic {topic[:120]!r} is not a The Things Stack message", reason="bad_topic"
            )
        event = match["event"]
        if THINGS_STACK_IGNORED.match(event):
            return Translation(unread=event.replace("/", "_"))
        if event not in ("up", "join"):
            raise MalformedMessage(f"unknown The Things Stack message {event[:40]!r}", reason="unknown_event")
        data = json_object(payload, EVENT_MAX)
        ids = data.get("end_device_ids")
        if not isinstance(ids, dict):
            raise MalformedMessage("no end_device_ids", reason="bad_payload")
        device = dev_eui(ids.get("dev_eui"))
        name = text(ids.get("device_id")) or text(match["dev"])
        boot = session_of(ids.get("dev_addr"))
        uplink_id = next(
            (c for c in data.get("correlation_ids") or [] if isinstance(c, str) and c.startswith("as:up:")),
            None,
        )
        common: dict[str, Any] = {
            "device": device,
            "site": self.site,
            "source": self.source,
            "arrival": arrival,
        }
        if event == "join":
            accept = obj(data.get("join_accept"))
            time = moment(accept.get("received_at")) or moment(data.get("received_at"))
            chosen = self.profiles.find(self.chosen(device))
            return _joined(
                **common, time=time, boot=boot, profile=chosen, name=name, model=None,
                meta={"uplink_id": text(uplink_id, 64)},
            )  # fmt: skip
        up = data.get("uplink_message")
        if not isinstance(up, dict):
            raise MalformedMessage(
                f"device {device}: an up message without uplink_message", reason="bad_payload"
            )
        version = obj(up.get("version_ids"))
        brand, model = text(version.get("brand_id"), 64), text(version.get("model_id"), 64)
        profile = self.profiles.find(
            self.chosen(device), f"{brand}/{model}" if brand and model else None, model
        )
        decoded = up.get("decoded_payload")
        translation = _uplink(
            **common,
            time=moment(up.get("received_at")) or moment(data.get("received_at")),
            f_cnt=up.get("f_cnt"),
            boot=boot,
            decoded=decoded,
            profile=profile,
            radio=best_reception(up.get("rx_metadata")),
            name=name,
            meta={
                "uplink_id": text(uplink_id, 64),
                "f_port": _small(up.get("f_port")),
                "simulated": data.get("simulated") is True or None,
            },
        )
        return _with_network_battery(translation, up.get("last_battery_percentage"))


def _with_network_battery(translation: Translation, battery: object) -> Translation:
    """The Things Stack's own battery figure (the device-status answer) where the codec gave none."""
    value = finite(battery.get("value")) if isinstance(battery, dict) else None
    if value is None or not 0 <= value <= 100 or not translation.readings:
        return translation
    first = translation.readings[0]
    if first.sensor_battery_pct is not None:
        return translation
    kept: Reading = first.model_copy(update={"sensor_battery_pct": round(value)})
    return Translation([kept, *translation.readings[1:]], translation.unread)
