"""mqtt v1 payloads: the protocol's example, strict validation, extras kept, round trip."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aedmon.errors import MalformedMessage
from aedmon.protocols.mqtt_payloads import encode_message, parse_message
from aedmon.reading import DeviceKind, EventType, Reading, ReadingType, TestResult, TestType

ARRIVAL = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_protocol_example_status() -> None:
    reading = parse_message(
        "aedmon/v1/pernik-town-hall/CAB-0007/status",
        b'{"ts":"2026-11-22T06:00:05Z","seq":412,"door_open":false,"aed_present":true,'
        b'"temp_c":4.5,"heater_on":true}',
        arrival=ARRIVAL,
    )
    assert (reading.site, reading.device_id, reading.type) == (
        "pernik-town-hall",
        "CAB-0007",
        ReadingType.STATUS,
    )
    assert reading.seq == 412
    assert reading.device_time == datetime(2026, 11, 22, 6, 0, 5, tzinfo=UTC)
    assert reading.arrival_time == ARRIVAL
    assert (reading.door_open, reading.aed_present, reading.temp_c, reading.heater_on) == (
        False,
        True,
        4.5,
        True,
    )
    assert reading.kind is DeviceKind.CABINET


def test_selftest_with_offset_time_and_unknown_keys() -> None:
    reading = parse_message(
        "aedmon/v1/school/AED-7/selftest",
        json.dumps(
            {
                "ts": "2026-11-22T08:00:00+02:00",
                "seq": 3,
                "test": "weekly",
                "result": "WARN",
                "codes": ["B01", "Q42"],
                "battery_pct": 18,
                "battery_expiry": "2028-01-31",
                "pads_expiry": "2027-06-30",
                "pads_connected": True,
                "temp_c": 19,
                "serial": "SN7",
                "model": "Lifeguard 3",
                "vendor_blob": {"x": [1, 2]},
            }
        ).encode(),
        arrival=ARRIVAL,
    )
    assert reading.device_time == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert reading.test is TestType.WEEKLY
    assert reading.result is TestResult.WARN
    assert reading.codes == ("B01", "Q42")
    assert reading.pads_expiry == date(2027, 6, 30)
    assert reading.serial == "SN7"
    assert reading.model == "Lifeguard 3"
    assert reading.extra == {"vendor_blob": {"x": [1, 2]}}
    assert reading.kind is DeviceKind.AED


def test_event_and_location_and_availability() -> None:
    event = parse_message(
        "aedmon/v1/s/CAB-1/event",
        b'{"ts":"2026-11-22T06:00:05Z","seq":1,"event":"AED_REMOVED"}',
        arrival=ARRIVAL,
    )
    assert event.event is EventType.AED_REMOVED
    location = parse_message(
        "aedmon/v1/s/MU-1/location",
        b'{"ts":"2026-11-22T06:00:05Z","seq":2,"lat":42.1,"lon":23.2,"accuracy_m":5,"source":"gnss"}',
        arrival=ARRIVAL,
    )
    assert (location.lat, location.lon, location.accuracy_m, location.location_source) == (
        42.1,
        23.2,
        5.0,
        "gnss",
    )
    offline = parse_message("aedmon/v1/s/MU-1/availability", b"offline", arrival=ARRIVAL)
    assert offline.online is False
    assert offline.device_time == ARRIVAL


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("aedmon/v1/s/d!/status", b"{}", "bad_topic"),
        ("aedmon/v1/s/" + "d" * 65 + "/status", b"{}", "bad_topic"),
        ("aedmon/v2/s/d/status", b"{}", "bad_topic"),
        ("aedmon/v1/s/d/weather", b"{}", "bad_topic"),
        ("aedmon/v1/s/d/status", b"x" * 4097, "too_large"),
        ("aedmon/v1/s/d/status", b"\xff\xfe", "bad_payload"),
        ("aedmon/v1/s/d/status", b"[1,2]", "bad_payload"),
        ("aedmon/v1/s/d/status", b"{not json", "bad_payload"),
        ("aedmon/v1/s/d/availability", b"maybe", "bad_payload"),
        ("aedmon/v1/s/d/status", b'{"seq":1}', "bad_field"),
        ("aedmon/v1/s/d/status", b'{"ts":"2026-11-22T06:00:05","seq":1}', "bad_field"),
        ("aedmon/v1/s/d/status", b'{"ts":"2026-11-22T06:00:05Z","seq":65536}', "bad_field"),
        ("aedmon/v1/s/d/status", b'{"ts":"2026-11-22T06:00:05Z","seq":"1"}', "bad_field"),
        ("aedmon/v1/s/d/status", b'{"ts":"2026-11-22T06:00:05Z","seq":1,"door_open":"yes"}', "bad_field"),
        ("aedmon/v1/s/d/selftest", b'{"ts":"2026-11-22T06:00:05Z","seq":1,"test":"daily"}', "bad_field"),
        ("aedmon/v1/s/d/location", b'{"ts":"2026-11-22T06:00:05Z","seq":1,"lat":91,"lon":0}', "bad_field"),
        ("aedmon/v1/s/d/event", b'{"ts":"2026-11-22T06:00:05Z","seq":1,"event":"EXPLODED"}', "bad_field"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage) as info:
        parse_message(topic, payload, arrival=ARRIVAL)
    assert info.value.reason == reason


# hypothesis takes naive bounds and adds the zone itself
_times = st.datetimes(
    min_value=datetime(2001, 1, 1),  # noqa: DTZ001
    max_value=datetime(2090, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_status = st.builds(
    Reading,
    device_id=st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"),
    site=st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"),
    type=st.just(ReadingType.STATUS),
    device_time=_times,
    arrival_time=st.just(ARRIVAL),
    seq=st.integers(0, 65535),
    door_open=st.none() | st.booleans(),
    aed_present=st.none() | st.booleans(),
    temp_c=st.none() | st.floats(-40, 85),
    fridge_temp_c=st.none() | st.floats(-20, 30),
)


@given(_status)
def test_simulator_encoding_round_trips_through_the_bridge_parser(reading: Reading) -> None:
    topic, payload = encode_message(reading)
    parsed = parse_message(topic, payload, arrival=ARRIVAL)
    assert parsed.model_copy(update={"kind": None}) == reading


@given(st.text(max_size=80), st.binary(max_size=300))
def test_no_topic_or_payload_crashes_the_parser(topic: str, payload: bytes) -> None:
    with contextlib.suppress(MalformedMessage):
        parse_message(topic, payload, arrival=ARRIVAL)


def test_boot_is_read_and_a_bad_one_is_dropped_without_the_reading() -> None:
    topic = "aedmon/v1/s/CAB1/status"
    good = parse_message(topic, b'{"ts":"2026-11-23T06:00:00Z","seq":1,"boot":"a7-Z_9"}', arrival=ARRIVAL)
    assert good.boot == "a7-Z_9"
    for bad in (b'"x y"', b"17", b'"' + b"a" * 33 + b'"', b"null"):
        payload = b'{"ts":"2026-11-23T06:00:00Z","seq":1,"door_open":true,"boot":' + bad + b"}"
        reading = parse_message(topic, payload, arrival=ARRIVAL)
        assert reading.door_open is True
        assert reading.boot is None
        assert reading.extra.get("dropped_fields", []) == ([] if bad == b"null" else ["boot"])


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2026-12-31T23:59:60Z", datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
        ("2026-12-31T23:59:60.5Z", datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
        ("2027-01-01T01:59:60+02:00", datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
    ],
)
def test_a_fail_dated_in_a_leap_second_is_kept(ts: str, expected: datetime) -> None:
    payload = json.dumps({"ts": ts, "seq": 3, "test": "daily", "result": "FAIL", "codes": ["C02"]}).encode()
    reading = parse_message("aedmon/v1/s/AED1/selftest", payload, arrival=ARRIVAL)
    assert reading.result is TestResult.FAIL
    assert reading.device_time == expected


@pytest.mark.parametrize(
    "cosmetic",
    [
        {"deep": {"a": {"b": {"c": {"d": 1}}}}},
        {f"k{i}": i for i in range(70)},
        {"list": list(range(100))},
        {"ctl": "a\u0007b"},
        {"huge": 2**64},
        {"k" * 70: 1},
        {"x": "\ud800"},
    ],
    ids=["too-deep", "too-many", "long-list", "control", "huge-int", "long-name", "lone-surrogate"],
)
def test_a_cosmetic_field_that_cannot_be_kept_is_dropped_and_the_fail_kept(
    cosmetic: dict[str, object],
) -> None:
    payload = json.dumps(
        {"ts": "2026-11-23T06:00:00Z", "seq": 3, "test": "daily", "result": "FAIL", **cosmetic}
    )
    reading = parse_message("aedmon/v1/s/AED1/selftest", payload.encode()[:4096], arrival=ARRIVAL)
    assert reading.result is TestResult.FAIL
    assert reading.extra["dropped_fields"]
    assert len(reading.extra) <= 64


def test_a_site_in_a_topic_is_the_same_site_whatever_its_case() -> None:
    payload = b'{"ts":"2026-11-23T06:00:00Z","seq":1}'
    reading = parse_message("aedmon/v1/Pernik-Town-Hall/CAB-1/status", payload, arrival=ARRIVAL)
    assert reading.site == "pernik-town-hall"
    assert reading.device_id == "CAB-1"  # device ids keep their case
