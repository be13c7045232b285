"""The fields table is the one source of every numeric field: the Reading's attributes and
bounds, the MQTT payloads, the serial-aed fields, the InfluxDB points and the charts agree
with it row by row. Adding a sensor field is adding a row; these tests say what else to do."""

from __future__ import annotations

import json
import types
from datetime import UTC, date, datetime
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import ValidationError

from aedmon.errors import MalformedMessage
from aedmon.fields import FIELDS, Derived, ReadingField
from aedmon.protocols import serial_aed
from aedmon.protocols.mqtt_payloads import PAYLOADS, parse_message, topic_for
from aedmon.reading import Reading, ReadingType, TestResult, TestType, metric_values
from firmware_bridge.sinks.influx import to_point

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ATTRIBUTES = [row for row in FIELDS if row.derived is Derived.ATTRIBUTE]
BOUNDED = [
    row for row in ATTRIBUTES if row.type is not bool and (row.low is not None or row.high is not None)
]


def numeric_attributes() -> dict[str, type]:
    """The Reading's attributes that hold a number or a yes/no, with that type."""
    found = {}
    for name, info in Reading.model_fields.items():
        annotation = info.annotation
        inner = (
            [a for a in get_args(annotation) if a is not type(None)]
            if _is_union(annotation)
            else [annotation]
        )
        if len(inner) == 1 and inner[0] in (int, float, bool):
            found[name] = inner[0]
    return found


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def inside(row: ReadingField) -> Any:
    """A value inside the row's range, of its type."""
    if row.type is bool:
        return True
    low = row.low if row.low is not None else 0.0
    high = row.high if row.high is not None else low + 10
    middle = (low + high) / 2
    return int(middle) if row.type is int else round(middle, 2)


def test_every_numeric_attribute_of_a_reading_is_a_row_and_every_row_an_attribute() -> None:
    attributes = numeric_attributes()
    rows = {row.attribute: row for row in ATTRIBUTES}
    assert set(attributes) - {"seq"} == set(rows)  # seq is the idempotency key's, not a measure
    for name, row in rows.items():
        assert attributes[name] is row.type, f"{name} is {attributes[name].__name__} on the Reading"


@pytest.mark.parametrize("row", BOUNDED, ids=lambda row: row.key)
def test_a_reading_refuses_a_value_outside_its_rows_range(row: ReadingField) -> None:
    reading_type = ReadingType(sorted(row.types)[0])
    base = {"device_id": "D1", "site": "s", "type": reading_type, "device_time": T0, "arrival_time": T0}
    Reading(**base, **{row.attribute: inside(row)})
    beyond = (row.high + 1) if row.high is not None else (row.low - 1)  # type: ignore[operator]
    with pytest.raises(ValidationError, match=row.key):
        Reading(**base, **{row.attribute: row.type(beyond)})


@pytest.mark.parametrize("row", [r for r in FIELDS if r.mqtt], ids=lambda row: row.key)
def test_each_mqtt_channel_carries_its_rows_with_their_ranges(row: ReadingField) -> None:
    for channel in sorted(row.mqtt):
        payload: dict[str, Any] = {"ts": "2026-11-24T09:00:00Z", "seq": 1}
        if channel == "selftest":
            payload |= {"test": "daily", "result": "PASS"}
        if channel == "location":
            payload |= {"lat": 42.0, "lon": 23.0}
        payload[row.attribute] = inside(row)
        reading = parse_message(topic_for("s", "D1", channel), json.dumps(payload).encode(), arrival=T0)
        assert getattr(reading, row.attribute) == inside(row)
        assert row.attribute in PAYLOADS[channel][1].model_fields
        if row.type is not bool and row.high is not None:
            payload[row.attribute] = row.high + 1
            with pytest.raises(MalformedMessage) as refused:
                parse_message(topic_for("s", "D1", channel), json.dumps(payload).encode(), arrival=T0)
            assert refused.value.reason == "bad_field"


@pytest.mark.parametrize("row", [r for r in FIELDS if r.serial], ids=lambda row: row.key)
def test_each_serial_field_sits_where_its_row_says(row: ReadingField) -> None:
    sentence_type, index = row.serial.split(".")  # type: ignore[union-attr]
    reading = Reading(
        device_id="SN1", site="s", type=ReadingType.SELFTEST, device_time=T0, arrival_time=T0, seq=1,
        test=TestType.DAILY, result=TestResult.PASS, pads_expiry=date(2027, 1, 31),
        **{row.attribute: inside(row)},
    )  # fmt: skip
    sentence = serial_aed.parse_sentence(serial_aed.encode_reading(reading).rstrip())
    assert sentence.type == sentence_type
    assert sentence.fields[int(index)] == serial_aed._text(inside(row))  # noqa: SLF001
    parsed = serial_aed.to_reading(sentence, site="s", arrival=T0)
    assert getattr(parsed, row.attribute) == inside(row)


@pytest.mark.parametrize("row", FIELDS, ids=lambda row: row.key)
def test_each_row_is_a_field_of_the_influxdb_point_of_each_type_that_carries_it(row: ReadingField) -> None:
    for reading_type in sorted(row.types):
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if row.derived is Derived.EXTRA:
            extra[row.attribute] = 3
        elif row.derived is Derived.LEVEL:
            fields[row.attribute] = row.levels[-1][0]
        elif row.derived is Derived.DAYS_LEFT:
            fields[row.attribute] = date(2027, 1, 31)
        else:
            fields[row.attribute] = inside(row)
        reading = Reading.model_validate(
            {"device_id": "D1", "site": "s", "type": reading_type, "device_time": T0, "arrival_time": T0,
             "extra": extra, **fields}
        )  # fmt: skip
        assert row.key in metric_values(reading)
        assert f"{row.key}=" in to_point(reading).to_line_protocol()
