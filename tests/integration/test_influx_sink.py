"""The InfluxDB sink against a real server speaking the v2 write API (victoria-metrics)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from aedmon.errors import SinkUnavailable
from aedmon.reading import DeviceKind, Reading, ReadingType, TestResult
from firmware_bridge.sinks.influx import InfluxSink, to_point

from .. import factories
from ..conftest import VictoriaMetrics, free_port

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def selftest(seq: int) -> Reading:
    return factories.selftest(
        TestResult.FAIL if seq % 2 else TestResult.PASS,
        kind=DeviceKind.AED,
        at=T0 + timedelta(minutes=seq),
        arrived=T0 + timedelta(minutes=seq, seconds=3),
        seq=seq,
        codes=("C02",) if seq % 2 else (),
        battery_pct=90 - seq,
        pads_expiry=date(2027, 3, 31),
        pads_connected=True,
        temp_c=21.5,
    )


def test_point_schema_has_site_device_kind_tags_and_numeric_fields() -> None:
    line = to_point(selftest(1)).to_line_protocol()
    assert line.startswith("aedmon_selftest,")
    for tag in ("site=town-hall", "device=SN1", "kind=aed", "test=daily", "result=FAIL", "codes=C02"):
        assert tag in line
    for field in ("battery_pct=89", "result_level=2", "pads_connected=1", "temp_c=21.5", "seq=1i", "lag_s=3"):
        assert field in line


def test_a_different_reading_at_the_same_seq_and_time_is_its_own_point_and_a_repeat_is_not() -> None:
    passed = selftest(2)  # PASS, as every even seq here
    failed = passed.model_copy(update={"result": TestResult.FAIL, "codes": ("P02",)})
    status_open = reading_of_status(door_open=True)
    status_shut = reading_of_status(door_open=False)
    stamps = {
        to_point(r).to_line_protocol().rsplit(" ", 1)[1] for r in (passed, failed, status_open, status_shut)
    }
    assert len(stamps) == 4  # no two of them overwrite each other
    assert to_point(passed).to_line_protocol() == to_point(selftest(2)).to_line_protocol()
    for line in stamps:  # within the device time's millisecond
        assert int(line) // 1_000_000 == int(passed.device_time.timestamp() * 1000)


def reading_of_status(**fields: Any) -> Reading:
    return Reading(
        device_id="CAB1", site="town-hall", type=ReadingType.STATUS, device_time=T0 + timedelta(minutes=2),
        arrival_time=T0 + timedelta(minutes=2), seq=7,
        **fields,
    )  # fmt: skip


def test_readings_reach_the_server_and_read_back_once_even_when_sent_twice(victoria: VictoriaMetrics) -> None:
    sink = InfluxSink(victoria.url, "unused-token", "aedmon", "aedmon")
    readings = [selftest(seq) for seq in range(10)]
    sink.deliver(readings)
    sink.deliver(readings[:5])  # at-least-once: a repeat overwrites itself
    series = victoria.samples('aedmon_selftest_battery_pct{device="SN1"}')
    assert {s["metric"]["result"] for s in series} == {"PASS", "FAIL"}  # result is a tag: one series each
    assert all(s["metric"]["site"] == "town-hall" and s["metric"]["kind"] == "aed" for s in series)
    samples = sorted(
        (t, v)
        for s in series
        for t, v in zip(s["timestamps"], s["values"], strict=True)  # type: ignore[call-overload]
    )
    expected = [(int(r.device_time.timestamp() * 1000), r.battery_pct) for r in readings]
    assert samples == expected


def test_unreachable_server_raises_sink_unavailable() -> None:
    sink = InfluxSink(f"http://127.0.0.1:{free_port()}", "t", "o", "b", timeout_ms=2000)
    with pytest.raises(SinkUnavailable):
        sink.deliver([selftest(1)])
