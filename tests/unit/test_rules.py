"""Alert rules and readiness on a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from aedmon.reading import DeviceKind, DeviceState, Reading, ReadingType, TestResult, TestType
from server.rules.alerting import AlertType, Severity, distance_m, evaluate
from server.rules.facts import DeviceFacts, DeviceInfo, Policy
from server.rules.readiness import Readiness, assess

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = Policy(pads_expiring_days=30)
AED = DeviceInfo(id="SN1", site="town-hall", kind=DeviceKind.AED, report_interval_s=60)
CABINET = DeviceInfo(
    id="CAB-1",
    site="street",
    kind=DeviceKind.CABINET,
    lat=42.6062,
    lon=23.0379,
    geofence_m=50,
    report_interval_s=300,
)


def selftest(**fields: Any) -> Reading:
    base: dict[str, Any] = {
        "device_id": "SN1",
        "site": "town-hall",
        "type": ReadingType.SELFTEST,
        "device_time": NOW - timedelta(minutes=1),
        "arrival_time": NOW,
        "seq": 1,
        "test": TestType.DAILY,
        "result": TestResult.PASS,
        "pads_expiry": date(2028, 1, 1),
    }
    return Reading(**{**base, **fields})


def location(lat: float, lon: float, accuracy: float | None = None) -> Reading:
    return Reading(
        device_id="CAB-1",
        site="street",
        type=ReadingType.LOCATION,
        device_time=NOW - timedelta(minutes=1),
        arrival_time=NOW,
        seq=2,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
    )


def facts_for(test: Reading | None = None, device: DeviceInfo = AED, **more: Any) -> DeviceFacts:
    return DeviceFacts(
        device=device,
        latest_selftest=test,
        last_seen=NOW - timedelta(minutes=1),
        last_site=device.site,
        **more,
    )


def test_passing_selftest_raises_nothing_and_is_ready() -> None:
    facts = facts_for(selftest())
    findings = evaluate(facts, NOW, POLICY)
    assert findings == {}
    assert assess(facts, findings, NOW).readiness is Readiness.READY


def test_failed_selftest_with_expired_pads_opens_both_alerts_and_is_not_ready() -> None:
    facts = facts_for(selftest(result=TestResult.FAIL, codes=("P02", "B01"), pads_expiry=date(2026, 11, 1)))
    findings = evaluate(facts, NOW, POLICY)
    assert set(findings) == {AlertType.SELF_TEST_FAILED, AlertType.PADS_EXPIRED}
    assert findings[AlertType.SELF_TEST_FAILED].severity is Severity.CRITICAL
    assert "pads expired (P02), battery low (B01)" in findings[AlertType.SELF_TEST_FAILED].message
    verdict = assess(facts, findings, NOW)
    assert verdict.readiness is Readiness.NOT_READY
    assert any("Pads expired on 2026-11-01" in reason for reason in verdict.reasons)


@pytest.mark.parametrize(
    ("pads_expiry", "codes", "expected"),
    [
        (date(2026, 11, 22), (), {AlertType.PADS_EXPIRED}),  # yesterday
        (date(2026, 11, 23), (), {AlertType.PADS_EXPIRING}),  # last valid day is today
        (date(2026, 12, 23), (), {AlertType.PADS_EXPIRING}),  # exactly 30 days
        (date(2026, 12, 24), (), set()),  # 31 days
        (None, ("P01",), {AlertType.PADS_EXPIRING}),
        (None, ("P02",), {AlertType.PADS_EXPIRED}),
    ],
)
def test_pads_expiry_boundaries(
    pads_expiry: date | None, codes: tuple[str, ...], expected: set[AlertType]
) -> None:
    facts = facts_for(
        selftest(pads_expiry=pads_expiry, codes=codes, result=TestResult.WARN if codes else TestResult.PASS)
    )
    assert set(evaluate(facts, NOW, POLICY)) == expected


def test_pads_expiring_becomes_expired_as_the_clock_moves() -> None:
    facts = facts_for(selftest(pads_expiry=date(2026, 11, 30)))
    assert set(evaluate(facts, NOW, POLICY)) == {AlertType.PADS_EXPIRING}
    assert set(evaluate(facts, NOW + timedelta(days=8), POLICY)) == {AlertType.PADS_EXPIRED}


def test_cabinet_inside_its_geofence_is_not_relocated() -> None:
    near = location(42.6062 + 30 / 111_320, 23.0379)  # 30 m north
    assert evaluate(facts_for(device=CABINET, latest_location=near), NOW, POLICY) == {}


def test_cabinet_outside_its_geofence_is_relocated() -> None:
    far = location(42.6062 + 2000 / 111_320, 23.0379)  # 2 km north
    findings = evaluate(facts_for(device=CABINET, latest_location=far), NOW, POLICY)
    assert set(findings) == {AlertType.RELOCATED}
    away = distance_m(42.6062, 23.0379, far.lat, far.lon)  # type: ignore[arg-type]
    assert 1990 < away < 2010
    assert f"Located {away:.0f} m from its place (allowed 50 m)" in findings[AlertType.RELOCATED].message


def test_an_imprecise_fix_just_outside_the_fence_is_not_enough() -> None:
    fuzzy = location(42.6062 + 80 / 111_320, 23.0379, accuracy=40)  # 80 m away, ±40 m
    assert evaluate(facts_for(device=CABINET, latest_location=fuzzy), NOW, POLICY) == {}


def test_aed_heard_through_another_site_is_relocated() -> None:
    facts = DeviceFacts(device=AED, latest_selftest=selftest(), last_seen=NOW, last_site="school")
    assert set(evaluate(facts, NOW, POLICY)) == {AlertType.RELOCATED}


def test_haversine_distance_of_one_degree_of_latitude() -> None:
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)


def test_silent_device_is_unknown_and_never_heard_is_unknown() -> None:
    silent = DeviceFacts(
        device=AED, latest_selftest=selftest(), last_seen=NOW - timedelta(hours=2), last_site="town-hall"
    )
    verdict = assess(silent, {}, NOW)
    assert verdict.readiness is Readiness.UNKNOWN
    assert "No report since" in verdict.reasons[0]
    assert assess(DeviceFacts(device=AED), {}, NOW).readiness is Readiness.UNKNOWN


def test_cabinet_without_its_aed_is_not_ready_and_open_door_needs_attention() -> None:
    status = Reading(
        device_id="CAB-1",
        site="street",
        type=ReadingType.STATUS,
        device_time=NOW,
        arrival_time=NOW,
        seq=3,
        aed_present=False,
        door_open=True,
    )
    verdict = assess(facts_for(device=CABINET, latest_state=status), {}, NOW)
    assert verdict.readiness is Readiness.NOT_READY
    assert "The AED is not in its cabinet." in verdict.reasons
    assert "The cabinet door is open." in verdict.reasons


def test_warn_selftest_needs_attention_in_words() -> None:
    facts = facts_for(selftest(result=TestResult.WARN, codes=("B01",)))
    verdict = assess(facts, evaluate(facts, NOW, POLICY), NOW)
    assert verdict.readiness is Readiness.ATTENTION
    assert "Last self-test needs attention: battery low (B01)." in verdict.reasons


def test_device_reporting_not_ready_is_not_ready() -> None:
    beat = Reading(
        device_id="SN1",
        site="town-hall",
        type=ReadingType.HEARTBEAT,
        device_time=NOW,
        arrival_time=NOW,
        seq=4,
        state=DeviceState.NOT_READY,
    )
    assert assess(facts_for(selftest(), latest_state=beat), {}, NOW).readiness is Readiness.NOT_READY


def test_offline_will_after_last_report_makes_it_unknown() -> None:
    offline = Reading(
        device_id="SN1",
        site="town-hall",
        type=ReadingType.AVAILABILITY,
        device_time=NOW,
        arrival_time=NOW,
        online=False,
    )
    verdict = assess(facts_for(selftest(), latest_availability=offline), {}, NOW)
    assert verdict.readiness is Readiness.UNKNOWN


def test_a_passing_selftest_newer_than_a_not_ready_heartbeat_wins() -> None:
    beat = Reading(
        device_id="SN1",
        site="town-hall",
        type=ReadingType.HEARTBEAT,
        device_time=NOW - timedelta(minutes=5),
        arrival_time=NOW,
        seq=4,
        state=DeviceState.NOT_READY,
    )
    assert assess(facts_for(selftest(), latest_state=beat), {}, NOW).readiness is Readiness.READY


def test_within_one_second_the_later_sequence_number_is_the_newer_word() -> None:
    same_second = NOW - timedelta(minutes=5)
    beat = Reading(
        device_id="SN1",
        site="town-hall",
        type=ReadingType.HEARTBEAT,
        device_time=same_second,
        arrival_time=NOW,
        seq=65535,
        state=DeviceState.NOT_READY,
    )
    after_wrap = selftest(device_time=same_second, seq=0)
    assert assess(facts_for(after_wrap, latest_state=beat), {}, NOW).readiness is Readiness.READY
    before = selftest(device_time=same_second, seq=65534)
    assert assess(facts_for(before, latest_state=beat), {}, NOW).readiness is Readiness.NOT_READY
