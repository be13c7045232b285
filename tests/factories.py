"""The one factory of test data: readings of every type, their JSON and MQTT forms, devices.

Every reading has sensible defaults for its type (a passing daily self-test with battery and
pads in date, a ready heartbeat…), so a test names only what it is about:
`selftest(TestResult.FAIL, codes=("C02",), seq=3)`. Times default to `T0`; `at` is the
device's time, `arrived` its arrival (the same unless given).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from aedmon.reading import (
    DeviceKind,
    DeviceState,
    EventType,
    LocationSource,
    Reading,
    ReadingType,
    TestResult,
    TestType,
)

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
SITE = "town-hall"

_DEFAULTS: dict[ReadingType, dict[str, Any]] = {
    ReadingType.SELFTEST: {
        "test": TestType.DAILY,
        "result": TestResult.PASS,
        "battery_pct": 90,
        "battery_expiry": date(2029, 5, 31),
        "pads_expiry": date(2028, 1, 1),
    },
    ReadingType.HEARTBEAT: {"state": DeviceState.READY},
    ReadingType.LOCATION: {
        "lat": 42.6062,
        "lon": 23.0379,
        "accuracy_m": 5.0,
        "location_source": LocationSource.GNSS,
    },
    ReadingType.AVAILABILITY: {"online": True},
}


def reading(
    reading_type: ReadingType,
    *,
    device: str = "SN1",
    site: str = SITE,
    at: datetime = T0,
    arrived: datetime | None = None,
    seq: int | None = 1,
    **fields: Any,
) -> Reading:
    """A reading of this type with its type's defaults, any of them overridden by `fields`."""
    return Reading(
        device_id=device,
        site=site,
        type=reading_type,
        device_time=at,
        arrival_time=arrived or at,
        seq=seq,
        **{**_DEFAULTS.get(reading_type, {}), **fields},
    )


def selftest(result: TestResult = TestResult.PASS, **fields: Any) -> Reading:
    return reading(ReadingType.SELFTEST, result=result, **fields)


def heartbeat(state: DeviceState = DeviceState.READY, **fields: Any) -> Reading:
    return reading(ReadingType.HEARTBEAT, state=state, **fields)


def status(**fields: Any) -> Reading:
    return reading(ReadingType.STATUS, **fields)


def event(happened: EventType, **fields: Any) -> Reading:
    return reading(ReadingType.EVENT, event=happened, **fields)


def location(lat: float, lon: float, **fields: Any) -> Reading:
    return reading(
        ReadingType.LOCATION, lat=lat, lon=lon, **{"location_source": LocationSource.GNSS, **fields}
    )


def as_json(item: Reading) -> dict[str, Any]:
    """The reading as a bridge posts it to /api/v1/ingest."""
    return item.model_dump(mode="json")


def stamp(moment: datetime) -> str:
    """A moment as the MQTT protocol writes it: ISO 8601 in UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def mqtt_payload(channel: str, seq: int, moment: datetime, **fields: Any) -> dict[str, Any]:
    """An MQTT payload as a device sends it, with the channel's required fields (a test that
    sends hostile input overrides any of them)."""
    required: dict[str, dict[str, Any]] = {
        "selftest": {"test": "daily", "result": "PASS"},
        "location": {"lat": 42.6062, "lon": 23.0379},
    }
    return {"ts": stamp(moment), "seq": seq, **required.get(channel, {}), **fields}


def device(
    device_id: str, *, site: str = SITE, kind: DeviceKind = DeviceKind.AED, **fields: Any
) -> dict[str, Any]:
    """A device as an admin registers it (POST /api/v1/devices)."""
    return {"id": device_id, "site": site, "kind": kind.value, **fields}
