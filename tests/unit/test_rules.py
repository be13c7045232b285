"""Alert rules and readiness on a fixed clock that the tests move."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from aedmon.protocols.nmea import GnssDecoder
from aedmon.reading import (
    DeviceKind,
    DeviceState,
    EventType,
    Reading,
    ReadingType,
    TestResult,
    TestType,
)
from server.i18n import Words, english
from server.rules.alerting import evaluate
from server.rules.deadlines import next_change
from server.rules.facts import DeviceFacts, DeviceInfo, Policy
from server.rules.findings import AlertType, Finding, Phrase, Severity
from server.rules.location import distance_m
from server.rules.readiness import Readiness, Reason, assess
from server.rules.shift import seen_before_shift

from .. import factories
from .gnss_captures import FIXES
from .test_nmea import decode_file


def said(finding: Finding) -> str:
    """What the finding says in English (the catalogue's words, UTC)."""
    return english(finding.detail)


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = Policy()
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
UNIT = DeviceInfo(
    id="MU-1", site="unit", kind=DeviceKind.MOBILE_UNIT, lat=42.6062, lon=23.0379, geofence_m=30_000,
    report_interval_s=300,
)  # fmt: skip
M_PER_DEG = 111_320


def selftest(**fields: Any) -> Reading:
    """A self-test a minute ago (the factory's defaults), `device_time` as the rules see it."""
    moment = fields.pop("device_time", NOW - timedelta(minutes=1))
    return factories.selftest(at=moment, arrived=NOW, **fields)


def reading(
    kind: ReadingType, minutes_ago: float, seq: int = 0, device: str = "CAB-1", **fields: Any
) -> Reading:
    moment = NOW - timedelta(minutes=minutes_ago)
    return factories.reading(kind, device=device, site="street", at=moment, arrived=NOW, seq=seq, **fields)


def fix(north_m: float, minutes_ago: float = 1, accuracy: float | None = 5.0, seq: int = 0) -> Reading:
    return reading(
        ReadingType.LOCATION,
        minutes_ago,
        seq,
        lat=42.6062 + north_m / M_PER_DEG,
        lon=23.0379,
        accuracy_m=accuracy,
    )


def facts_for(test: Reading | None = None, device: DeviceInfo = AED, **more: Any) -> DeviceFacts:
    fields: dict[str, Any] = {
        "device": device,
        "latest_selftest": test,
        "last_seen": NOW - timedelta(minutes=1),
        "last_site": device.site,
        "known_since": NOW - timedelta(days=30),
    }
    fields.update(more)
    return DeviceFacts(**fields)


def found(facts: DeviceFacts, now: datetime = NOW, policy: Policy = POLICY) -> set[AlertType]:
    return set(evaluate(facts, now, policy).findings)


# --- self-tests ---------------------------------------------------------------------------


def test_passing_selftest_raises_nothing_and_is_ready() -> None:
    facts = facts_for(selftest())
    findings = evaluate(facts, NOW, POLICY).findings
    assert findings == {}
    assert assess(facts, findings, NOW).readiness is Readiness.READY


def test_failed_selftest_with_expired_pads_opens_both_alerts_and_is_not_ready() -> None:
    facts = facts_for(selftest(result=TestResult.FAIL, codes=("P02", "B01"), pads_expiry=date(2026, 11, 1)))
    findings = evaluate(facts, NOW, POLICY).findings
    assert set(findings) == {AlertType.SELF_TEST_FAILED, AlertType.PADS_EXPIRED, AlertType.BATTERY_LOW}
    assert findings[AlertType.SELF_TEST_FAILED].severity is Severity.CRITICAL
    assert "pads expired (P02) and battery low (B01)" in said(findings[AlertType.SELF_TEST_FAILED])
    verdict = assess(facts, findings, NOW)
    assert verdict.readiness is Readiness.NOT_READY
    assert any("Pads expired on Nov 1, 2026" in english(reason.detail) for reason in verdict.reasons)
    assert [reason.key for reason in verdict.reasons] == list(findings)  # each keyed by its alert type


def test_warn_selftest_is_a_minor_warning_with_its_codes_in_words() -> None:
    facts = facts_for(selftest(result=TestResult.WARN, codes=("C03", "T01")))
    findings = evaluate(facts, NOW, POLICY).findings
    assert set(findings) == {AlertType.SELF_TEST_WARNING}
    assert findings[AlertType.SELF_TEST_WARNING].severity is Severity.MINOR
    assert "internal memory fault (C03) and temperature outside 0-50 °C (T01)" in said(
        findings[AlertType.SELF_TEST_WARNING]
    )
    assert assess(facts, findings, NOW).readiness is Readiness.ATTENTION


@pytest.mark.parametrize(
    ("pads_expiry", "codes", "expected"),
    [
        (date(2026, 11, 22), (), {AlertType.PADS_EXPIRED}),  # yesterday
        (date(2026, 11, 23), (), {AlertType.PADS_EXPIRING}),  # last valid day is today
        (date(2026, 12, 23), (), {AlertType.PADS_EXPIRING}),  # exactly 30 days
        (date(2026, 12, 24), (), set()),  # 31 days
        (None, ("P01",), {AlertType.PADS_EXPIRING, AlertType.SELF_TEST_WARNING}),
        (None, ("P02",), {AlertType.PADS_EXPIRED, AlertType.SELF_TEST_WARNING}),
    ],
)
def test_pads_expiry_boundaries(
    pads_expiry: date | None, codes: tuple[str, ...], expected: set[AlertType]
) -> None:
    result = TestResult.WARN if codes else TestResult.PASS
    assert found(facts_for(selftest(pads_expiry=pads_expiry, codes=codes, result=result))) == expected


def test_pads_expiring_becomes_expired_as_the_clock_moves() -> None:
    facts = facts_for(selftest(pads_expiry=date(2026, 11, 30)), last_seen=NOW + timedelta(days=8))
    assert found(facts) == {AlertType.PADS_EXPIRING}
    later = NOW + timedelta(days=8)
    assert AlertType.PADS_EXPIRED in found(facts, later)


@pytest.mark.parametrize(
    ("fields", "expected", "severity"),
    [
        ({"battery_pct": 19}, {AlertType.BATTERY_LOW}, Severity.MAJOR),
        ({"battery_pct": 20}, set(), None),
        (
            {"codes": ("B01",), "result": TestResult.WARN},
            {AlertType.BATTERY_LOW, AlertType.SELF_TEST_WARNING},
            None,
        ),
        (
            {"codes": ("B02",), "result": TestResult.FAIL, "battery_pct": 2},
            {AlertType.BATTERY_LOW, AlertType.SELF_TEST_FAILED},
            Severity.CRITICAL,
        ),
        ({"battery_expiry": date(2027, 1, 10)}, {AlertType.BATTERY_EXPIRING}, Severity.MINOR),
        ({"battery_expiry": date(2026, 11, 1)}, {AlertType.BATTERY_EXPIRED}, Severity.MAJOR),
        (
            {"codes": ("B03",), "result": TestResult.WARN},
            {AlertType.BATTERY_EXPIRED, AlertType.SELF_TEST_WARNING},
            None,
        ),
    ],
)
def test_battery_rules(fields: dict[str, Any], expected: set[AlertType], severity: Severity | None) -> None:
    findings = evaluate(facts_for(selftest(**fields)), NOW, POLICY).findings
    assert set(findings) == expected
    battery = [f for t, f in findings.items() if t.value.startswith("battery")]
    if severity is not None:
        assert battery[0].severity is severity


def test_battery_thresholds_come_from_the_policy() -> None:
    facts = facts_for(selftest(battery_pct=25))
    assert found(facts) == set()
    assert found(facts, policy=replace(POLICY, battery_low_pct=30)) == {AlertType.BATTERY_LOW}


def test_selftest_overdue_after_a_day_plus_grace_and_apart_from_silence() -> None:
    last = selftest(device_time=NOW - timedelta(hours=25, minutes=59))
    facts = facts_for(last)  # heard from a minute ago: heartbeats keep coming
    assert found(facts) == set()
    assert found(facts, NOW + timedelta(minutes=2)) == {AlertType.SELF_TEST_OVERDUE}
    assert found(facts, NOW + timedelta(minutes=10)) == {AlertType.SELF_TEST_OVERDUE, AlertType.DEVICE_SILENT}


def test_a_device_that_never_tested_is_overdue_a_day_after_registration() -> None:
    facts = facts_for(None, known_since=NOW - timedelta(hours=20))
    assert found(facts) == set()
    assert AlertType.SELF_TEST_OVERDUE in found(facts, NOW + timedelta(hours=7))


def test_kinds_without_a_selftest_interval_are_never_overdue() -> None:
    assert found(facts_for(None, device=CABINET, known_since=NOW - timedelta(days=90))) == set()


# --- silence ------------------------------------------------------------------------------


def test_silence_is_not_staleness_heartbeats_count_and_silence_means_unknown() -> None:
    facts = facts_for(selftest(device_time=NOW - timedelta(hours=3)), last_seen=NOW - timedelta(minutes=4))
    assert found(facts) == set()  # tested 3 h ago, heard 4 min ago: fine for a daily tester
    silent = replace(facts, last_seen=NOW - timedelta(minutes=6))  # 5 min = max(3 × 60 s, 5 min)
    findings = evaluate(silent, NOW, POLICY).findings
    assert set(findings) == {AlertType.DEVICE_SILENT}
    verdict = assess(silent, findings, NOW)
    assert verdict.readiness is Readiness.UNKNOWN
    assert assess(DeviceFacts(device=AED), {}, NOW).readiness is Readiness.UNKNOWN


# --- location -----------------------------------------------------------------------------


def test_haversine_distance_of_one_degree_of_latitude() -> None:
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)


def test_cabinet_inside_its_geofence_is_not_relocated() -> None:
    fixes = tuple(fix(30, seq=i) for i in range(5))
    assert found(facts_for(device=CABINET, recent_locations=fixes)) == set()


def test_cabinet_outside_its_geofence_is_relocated_after_consecutive_fixes() -> None:
    far = [fix(2000, minutes_ago=3 - i, seq=i) for i in range(3)]
    assert found(facts_for(device=CABINET, recent_locations=tuple(far[:2]))) == set()  # two are not enough
    findings = evaluate(facts_for(device=CABINET, recent_locations=tuple(far)), NOW, POLICY).findings
    assert set(findings) == {AlertType.RELOCATED}
    away = distance_m(42.6062, 23.0379, far[-1].lat, far[-1].lon)  # type: ignore[arg-type]
    assert f"Located {away:,.0f} m from its place (allowed 50 m)" in said(findings[AlertType.RELOCATED])


def test_one_fix_back_inside_breaks_the_run() -> None:
    fixes = (fix(2000, 4, seq=1), fix(2000, 3, seq=2), fix(10, 2, seq=3), fix(2000, 1, seq=4))
    assert found(facts_for(device=CABINET, recent_locations=fixes)) == set()


def test_imprecise_fixes_just_outside_the_fence_are_not_enough() -> None:
    fuzzy = tuple(
        fix(90, minutes_ago=5 - i, accuracy=20, seq=i) for i in range(5)
    )  # 90 m ± 20 m, fence 50 + 25
    assert found(facts_for(device=CABINET, recent_locations=fuzzy)) == set()


def test_aed_heard_through_another_site_is_relocated_at_once() -> None:
    facts = facts_for(selftest(), last_site="school")
    findings = evaluate(facts, NOW, POLICY).findings
    assert set(findings) == {AlertType.RELOCATED}
    assert "site school" in said(findings[AlertType.RELOCATED])


def test_mobile_unit_moves_freely_inside_its_service_area_and_is_flagged_outside_it() -> None:
    inside = tuple(fix(20_000, minutes_ago=3 - i, seq=i) for i in range(3))
    assert found(facts_for(device=UNIT, recent_locations=inside)) == set()
    outside = tuple(fix(45_000, minutes_ago=3 - i, seq=i) for i in range(3))
    assert found(facts_for(device=UNIT, recent_locations=outside)) == {AlertType.OUTSIDE_SERVICE_AREA}


@pytest.mark.parametrize("name", [n for n, count in FIXES.items() if count >= 2])
def test_a_stationary_receiver_never_appears_to_wander_on_real_captures(name: str) -> None:
    """The device's pin is 30 m off the capture's mean (a map pin placed by hand) and its fence
    is 25 m: a naive single-fix rule fires on every fix; this one never does."""
    fixes, _ = decode_file(name, GnssDecoder("CAB-1", "street"))
    lat = sum(f.lat for f in fixes) / len(fixes)  # type: ignore[misc]
    lon = sum(f.lon for f in fixes) / len(fixes)  # type: ignore[misc]
    pinned = replace(CABINET, lat=lat + 30 / M_PER_DEG, lon=lon, geofence_m=25)
    naive = [f for f in fixes if distance_m(pinned.lat, pinned.lon, f.lat, f.lon) > 25]  # type: ignore[arg-type]
    assert len(naive) == len(fixes)
    for end in range(1, len(fixes) + 1):  # every moment of the capture, as it arrived
        window = tuple(fixes[max(0, end - 20) : end])
        facts = facts_for(device=pinned, recent_locations=window, last_site="street")
        assert AlertType.RELOCATED not in found(facts, window[-1].device_time)


def test_a_real_capture_carried_two_km_away_is_relocated_after_three_fixes() -> None:
    fixes, _ = decode_file("mt3339.nmea", GnssDecoder("CAB-1", "street"))
    home = replace(CABINET, lat=fixes[0].lat, lon=fixes[0].lon, geofence_m=25)
    moved = [f.model_copy(update={"lat": f.lat + 2000 / M_PER_DEG}) for f in fixes]  # type: ignore[operator]
    history = fixes[:10] + moved[10:]
    verdicts = []
    for end in range(len(history)):
        facts = facts_for(device=home, recent_locations=tuple(history[: end + 1]), last_site="street")
        verdicts.append(AlertType.RELOCATED in found(facts, history[end].device_time))
    assert verdicts.index(True) == 12  # the third fix after the move
    assert all(verdicts[12:])


# --- cabinet ------------------------------------------------------------------------------


def status(minutes_ago: float, seq: int, **fields: Any) -> Reading:
    return reading(ReadingType.STATUS, minutes_ago, seq, **fields)


def event(minutes_ago: float, seq: int, kind: EventType) -> Reading:
    return reading(ReadingType.EVENT, minutes_ago, seq, event=kind)


def cabinet_facts(states: list[Reading], events: list[Reading] = ()) -> DeviceFacts:  # type: ignore[assignment]
    return facts_for(
        device=CABINET,
        latest_state=states[-1] if states else None,
        recent_states=tuple(states),
        recent_events=tuple(events),
    )


def test_aed_removed_is_critical_at_once_and_not_returned_after_two_hours() -> None:
    states = [status(200, 1, aed_present=True), status(30, 2, aed_present=True)]
    removed = cabinet_facts(states, [event(10, 3, EventType.AED_REMOVED)])
    findings = evaluate(removed, NOW, POLICY).findings
    assert set(findings) == {AlertType.AED_REMOVED}
    assert findings[AlertType.AED_REMOVED].severity is Severity.CRITICAL
    assert assess(removed, findings, NOW).readiness is Readiness.NOT_READY
    later = NOW + timedelta(hours=2)
    assert found(replace(removed, last_seen=later), later) == {
        AlertType.AED_REMOVED,
        AlertType.AED_NOT_RETURNED,
    }


def test_aed_returned_clears_removed_and_asks_for_service_until_confirmed() -> None:
    events = [event(50, 3, EventType.AED_REMOVED), event(5, 4, EventType.AED_RETURNED)]
    facts = cabinet_facts([status(60, 1, aed_present=True), status(2, 5, aed_present=True)], events)
    findings = evaluate(facts, NOW, POLICY).findings
    assert set(findings) == {AlertType.NEEDS_SERVICE}
    assert "replace the pads" in said(findings[AlertType.NEEDS_SERVICE])
    assert found(replace(facts, serviced_at=NOW - timedelta(minutes=1))) == set()


def test_status_reports_alone_tell_the_aed_is_out() -> None:
    states = [
        status(40, 1, aed_present=True),
        status(20, 2, aed_present=False),
        status(1, 3, aed_present=False),
    ]
    findings = evaluate(cabinet_facts(states), NOW, POLICY).findings
    assert set(findings) == {AlertType.AED_REMOVED}
    assert "at Nov 23, 2026, 11:40 UTC:" in said(findings[AlertType.AED_REMOVED])  # the zone named


def test_door_open_too_long() -> None:
    states = [status(30, 1, door_open=False), status(14, 2, door_open=True), status(1, 3, door_open=True)]
    facts = cabinet_facts(states)
    assert found(facts) == set()
    assert found(replace(facts, last_seen=NOW + timedelta(minutes=2)), NOW + timedelta(minutes=2)) == {
        AlertType.DOOR_OPEN
    }
    closed = cabinet_facts(states, [event(0.5, 4, EventType.DOOR_CLOSED)])
    assert found(closed, NOW + timedelta(minutes=2)) == set()


@pytest.mark.parametrize(
    ("device", "fields", "alert"),
    [
        (CABINET, {"temp_c": 6.0}, False),
        (CABINET, {"temp_c": -3.5}, True),
        (CABINET, {"temp_c": 51.0}, True),
        (UNIT, {"fridge_temp_c": 5.0}, False),
        (UNIT, {"fridge_temp_c": 8.5}, True),
        (UNIT, {"fridge_temp_c": 1.5}, True),
        (replace(CABINET, kind=DeviceKind.FRIDGE), {"temp_c": 9.0}, True),
    ],
)
def test_temperature_ranges_by_kind(device: DeviceInfo, fields: dict[str, Any], alert: bool) -> None:
    state = status(1, 1, **fields)
    facts = facts_for(device=device, latest_state=state, recent_states=(state,))
    assert (AlertType.TEMPERATURE_OUT_OF_RANGE in found(facts)) is alert


# --- a mobile unit's oxygen ---------------------------------------------------------------


def unit_facts(pressures: list[tuple[float, float]], fixes: list[Reading] = ()) -> DeviceFacts:  # type: ignore[assignment]
    """A mobile unit that said these oxygen pressures (minutes ago, bar), with these fixes."""
    states = [status(ago, seq, o2_pressure_bar=bar) for seq, (ago, bar) in enumerate(pressures, 1)]
    return facts_for(
        device=UNIT, latest_state=states[-1], recent_states=tuple(states), recent_locations=tuple(fixes)
    )


@pytest.mark.parametrize(("bar", "low"), [(180.0, False), (50.0, False), (49.9, True), (0.0, True)])
def test_oxygen_below_its_minimum_is_o2_low_in_every_language(bar: float, low: bool) -> None:
    facts = unit_facts([(1, bar)])
    assert (AlertType.O2_LOW in found(facts)) is low
    if low:
        findings = evaluate(facts, NOW, POLICY).findings
        detail = findings[AlertType.O2_LOW].detail
        assert english(detail) == f"Oxygen at {bar:g} bar, below its minimum of 50 bar."
        for language in ("bg", "uk", "cs"):
            said = Words(language).phrase(detail)
            assert "detail." not in said
            assert "below" not in said
        assert assess(facts, findings, NOW, POLICY).readiness is Readiness.NOT_READY  # no oxygen to give


def test_oxygen_falling_while_parked_is_a_leak_and_while_driving_is_not() -> None:
    parked = [fix(0, 80, seq=1), fix(20, 40, seq=2), fix(10, 2, seq=3)]  # within 150 m all along
    falling = [(80, 150.0), (60, 147.0), (40, 142.0), (20, 139.0), (1, 138.0)]
    facts = unit_facts(falling, parked)
    assert AlertType.O2_LEAK in found(facts)
    detail = evaluate(facts, NOW, POLICY).findings[AlertType.O2_LEAK].detail
    assert english(detail) == (
        "Oxygen fell by 12 bar within 1 hour, 19 minutes while the unit was parked; now 138 bar."
    )
    driving = [fix(0, 80, seq=1), fix(3_000, 40, seq=2), fix(9_000, 2, seq=3)]
    assert AlertType.O2_LEAK not in found(unit_facts(falling, driving))
    assert AlertType.O2_LEAK not in found(unit_facts(falling))  # where it was is not known: no claim
    steady = [(80, 150.0), (40, 149.5), (1, 149.0)]
    assert AlertType.O2_LEAK not in found(unit_facts(steady, parked))
    refilled = [(80, 60.0), (40, 200.0), (1, 199.0)]  # a new cylinder is no leak
    assert AlertType.O2_LEAK not in found(unit_facts(refilled, parked))
    # read from the unit's own readings, never the clock: an hour later it still says the same
    later = NOW + timedelta(hours=1)
    assert AlertType.O2_LEAK in found(replace(facts, last_seen=later), later)


# --- a mobile unit's shift ---------------------------------------------------------------


def drive(*minutes_ago: float, speed: float | None = None, step_m: float = 2_000) -> tuple[Reading, ...]:
    """Fixes of a unit this many minutes ago, each `step_m` further north than the one before."""
    return tuple(
        fix(step_m * n, ago, seq=n + 1).model_copy(update={"speed_kmh": speed})
        for n, ago in enumerate(minutes_ago)
    )


SOFIA = replace(UNIT, time_zone="Europe/Sofia")


def test_a_unit_on_the_road_with_no_check_today_is_told_and_a_check_today_ends_it() -> None:
    facts = facts_for(device=SOFIA, recent_locations=drive(90, 60, 30))
    finding = evaluate(facts, NOW, POLICY).findings[AlertType.SHIFT_UNCHECKED]
    assert finding.severity is Severity.MAJOR
    assert finding.detail.params["at"] == NOW - timedelta(minutes=60)  # the first fix that moved
    assert english(finding.detail) == "Moving since Nov 23, 2026, 11:00 UTC with no shift check today."
    for language in ("bg", "uk", "cs"):
        assert "detail." not in Words(language, "Europe/Sofia").phrase(finding.detail)
    # parked since, its moving fixes out of the rules' sight: still told, until checked or the day ends
    parked = replace(
        facts, recent_locations=drive(20, 10, 5, step_m=0), unchecked_since=NOW - timedelta(hours=1)
    )
    assert english(evaluate(parked, NOW, POLICY).findings[AlertType.SHIFT_UNCHECKED].detail).startswith(
        "Moving since Nov 23, 2026, 11:00 UTC"
    )
    assert AlertType.SHIFT_UNCHECKED not in found(
        replace(parked, last_shift_check=NOW - timedelta(minutes=5))
    )
    yesterdays = replace(parked, unchecked_since=NOW - timedelta(days=1))  # a day that has ended
    assert AlertType.SHIFT_UNCHECKED not in found(yesterdays)
    checked = replace(facts, last_shift_check=NOW - timedelta(hours=3))  # this morning, 11:00 in Sofia
    assert AlertType.SHIFT_UNCHECKED not in found(checked)
    yesterday = replace(facts, last_shift_check=NOW - timedelta(days=1))
    assert AlertType.SHIFT_UNCHECKED in found(yesterday)


def test_a_shift_is_the_sites_local_day_and_a_parked_unit_has_none() -> None:
    # 22:30 UTC on the 22nd is 00:30 on the 23rd in Sofia: a check then is today's there, not in UTC
    late = NOW - timedelta(hours=13, minutes=30)
    facts = facts_for(device=SOFIA, recent_locations=drive(90, 60, 30), last_shift_check=late)
    assert AlertType.SHIFT_UNCHECKED not in found(facts)
    in_utc = replace(facts, device=replace(SOFIA, time_zone=None))  # the installation's zone: UTC
    assert AlertType.SHIFT_UNCHECKED in found(in_utc)
    parked = facts_for(device=SOFIA, recent_locations=drive(90, 60, 30, step_m=20))  # GNSS jitter only
    assert AlertType.SHIFT_UNCHECKED not in found(parked)
    fast = facts_for(device=SOFIA, recent_locations=drive(5, speed=60.0, step_m=0))  # one fix, at speed
    assert AlertType.SHIFT_UNCHECKED in found(fast)
    days_ago = facts_for(device=SOFIA, recent_locations=drive(3000, 2990, 2980))  # it moved two days ago
    assert AlertType.SHIFT_UNCHECKED not in found(days_ago)
    cabinet = facts_for(device=CABINET, recent_locations=drive(90, 60, 30))  # only a unit has shifts
    assert AlertType.SHIFT_UNCHECKED not in found(cabinet)


def test_a_units_day_ends_at_its_local_midnight_when_the_rules_look_again() -> None:
    facts = facts_for(device=SOFIA, recent_locations=drive(90, 60, 30))
    assert next_change(facts, NOW, POLICY) <= datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 00:00 in Sofia
    midnight = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    assert AlertType.SHIFT_UNCHECKED not in found(facts, midnight + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("temperatures", "ok"),
    [((4.0, 5.5), True), ((2.0, 8.0), True), ((1.9, 5.0), False), ((5.0, 8.1), False), ((), False),
     ((float("nan"),), False), ((float("nan"), 4.0), True), ((float("inf"), 4.0), True)],
)  # fmt: skip
def test_what_the_server_sees_before_a_shift(temperatures: tuple[float, ...], ok: bool) -> None:
    seen = seen_before_shift({AlertType.O2_LOW}, 120.0, temperatures, POLICY)
    assert seen.fridge_ok is ok
    assert seen.aed_ready  # the oxygen is not the AED
    assert seen.o2_ok  # 120 bar now, whatever the rules said before
    assert not seen_before_shift({AlertType.PADS_EXPIRED}, None, (4.0,), POLICY).aed_ready
    assert not seen_before_shift((), None, (4.0,), POLICY).o2_ok  # nobody knows: not in order
    assert not seen_before_shift((), 49.0, (4.0,), POLICY).o2_ok


# --- rescue -------------------------------------------------------------------------------


def test_rescue_holds_back_other_alerts_until_it_ends_then_needs_service() -> None:
    rescue = [event(10, 5, EventType.RESCUE_START), event(8, 6, EventType.SHOCK_DELIVERED)]
    failed = selftest(result=TestResult.FAIL, codes=("P03",), device_time=NOW - timedelta(minutes=11))
    during = facts_for(failed, recent_events=tuple(rescue))
    evaluation = evaluate(during, NOW, POLICY)
    assert set(evaluation.findings) == {AlertType.IN_USE}
    assert AlertType.SELF_TEST_FAILED in evaluation.held
    assert AlertType.IN_USE not in evaluation.held
    assert assess(during, evaluation.findings, NOW).readiness is Readiness.ATTENTION

    after = replace(during, recent_events=(*rescue, event(2, 7, EventType.RESCUE_END)))
    evaluation = evaluate(after, NOW, POLICY)
    assert evaluation.held == frozenset()
    assert set(evaluation.findings) == {AlertType.SELF_TEST_FAILED, AlertType.NEEDS_SERVICE}
    serviced = replace(after, serviced_at=NOW, latest_selftest=selftest(device_time=NOW))
    assert found(serviced) == set()


@pytest.mark.parametrize(
    ("test_after", "now_after", "still"),
    [
        (None, timedelta(hours=23), True),
        (None, timedelta(hours=25), False),  # RESCUE_END lost: over after in_use_max_h
        (TestType.DAILY, timedelta(hours=1), False),  # the next scheduled self-test ends it
        (TestType.USER, timedelta(hours=1), False),
        (TestType.POWER_ON, timedelta(hours=1), True),  # switched on for the rescue: still in it
    ],
)
def test_a_rescue_whose_end_is_lost_ends_on_the_next_self_test_or_after_its_limit(
    test_after: TestType | None, now_after: timedelta, still: bool
) -> None:
    began = NOW - timedelta(days=2)
    rescue = (factories.reading(ReadingType.EVENT, device="SN1", site="street", at=began, arrived=began,
                                seq=1, event=EventType.RESCUE_START),)  # fmt: skip
    test = selftest(device_time=began - timedelta(hours=1))
    if test_after is not None:
        test = selftest(test=test_after, result=TestResult.FAIL, codes=("C02",),
                        device_time=began + timedelta(minutes=30))  # fmt: skip
    facts = facts_for(test, recent_events=rescue)
    findings = found(facts, began + now_after)
    assert (AlertType.IN_USE in findings) is still
    if not still:
        assert AlertType.NEEDS_SERVICE in findings  # used: a technician checks it
    if test_after is None:  # the scheduler comes back when the limit passes
        limit = began + timedelta(hours=24, seconds=1)
        assert next_change(facts, began + timedelta(minutes=31), POLICY) <= limit
    if test_after is TestType.DAILY:
        assert AlertType.SELF_TEST_FAILED in findings  # no longer held back


def test_in_use_state_on_a_heartbeat_is_a_rescue_too() -> None:
    beat = reading(ReadingType.HEARTBEAT, 1, 9, device="SN1", state=DeviceState.IN_USE)
    facts = facts_for(selftest(), latest_state=beat, recent_states=(beat,))
    assert found(facts) == {AlertType.IN_USE}


# --- readiness ----------------------------------------------------------------------------


def test_cabinet_without_its_aed_is_not_ready_and_open_door_needs_attention() -> None:
    state = status(1, 3, aed_present=False, door_open=True)
    facts = facts_for(device=CABINET, latest_state=state, recent_states=(state,))
    verdict = assess(facts, evaluate(facts, NOW, POLICY).findings, NOW)
    assert verdict.readiness is Readiness.NOT_READY
    assert Reason(AlertType.DOOR_OPEN, Phrase("cause.door_open")) in verdict.reasons


def test_device_reporting_not_ready_is_not_ready() -> None:
    beat = reading(ReadingType.HEARTBEAT, 0, 4, device="SN1", state=DeviceState.NOT_READY)
    assert assess(facts_for(selftest(), latest_state=beat), {}, NOW).readiness is Readiness.NOT_READY


def test_offline_will_after_last_report_makes_it_unknown() -> None:
    offline = factories.reading(ReadingType.AVAILABILITY, at=NOW, seq=None, online=False)
    verdict = assess(facts_for(selftest(), latest_availability=offline), {}, NOW)
    assert verdict.readiness is Readiness.UNKNOWN


def test_a_passing_selftest_newer_than_a_not_ready_heartbeat_wins() -> None:
    beat = reading(ReadingType.HEARTBEAT, 5, 4, device="SN1", state=DeviceState.NOT_READY)
    assert assess(facts_for(selftest(), latest_state=beat), {}, NOW).readiness is Readiness.READY


def test_within_one_second_the_later_sequence_number_is_the_newer_word() -> None:
    same_second = NOW - timedelta(minutes=5)
    beat = factories.heartbeat(DeviceState.NOT_READY, at=same_second, arrived=NOW, seq=65535)
    after_wrap = selftest(device_time=same_second, seq=0)
    assert assess(facts_for(after_wrap, latest_state=beat), {}, NOW).readiness is Readiness.READY
    before = selftest(device_time=same_second, seq=65534)
    assert assess(facts_for(before, latest_state=beat), {}, NOW).readiness is Readiness.NOT_READY


# --- bridges ------------------------------------------------------------------------------

BRIDGE = DeviceInfo(id="bridge-town-hall", site="town-hall", kind=DeviceKind.BRIDGE, report_interval_s=30)


def test_a_bridge_that_stops_reporting_is_one_alert_and_its_devices_silence_is_put_down_to_it() -> None:
    quiet_since = NOW - timedelta(minutes=10)
    bridge = facts_for(device=BRIDGE, last_seen=quiet_since)
    findings = evaluate(bridge, NOW, POLICY).findings
    assert set(findings) == {AlertType.BRIDGE_OFFLINE}
    assert "Bridge bridge-town-hall at site town-hall" in said(findings[AlertType.BRIDGE_OFFLINE])
    aed = facts_for(selftest(), last_seen=quiet_since, bridge_id=BRIDGE.id, bridge_last_seen=quiet_since)
    assert found(aed) == set()  # no device_silent: the bridge speaks for it
    verdict = assess(aed, {}, NOW, POLICY)
    assert verdict.readiness is Readiness.UNKNOWN
    assert "Its bridge bridge-town-hall is offline" in english(verdict.reasons[0].detail)
    assert verdict.reasons[0].key is AlertType.BRIDGE_OFFLINE


def test_a_device_silent_behind_a_live_bridge_is_device_silent() -> None:
    aed = facts_for(
        selftest(), last_seen=NOW - timedelta(minutes=10), bridge_id=BRIDGE.id, bridge_last_seen=NOW
    )
    assert found(aed) == {AlertType.DEVICE_SILENT}
    assert found(facts_for(device=BRIDGE, last_seen=NOW - timedelta(minutes=4))) == set()


# A cabinet's own sensor (LoRaWAN, Zigbee) -------------------------------------------------------


def sensor_facts(*states: Reading, availability: Reading | None = None, interval_s: int = 600) -> DeviceFacts:
    info = DeviceInfo("24e124136b316541", "s", DeviceKind.CABINET, report_interval_s=interval_s)
    newest = states[-1] if states else None
    return DeviceFacts(
        info,
        latest_state=newest,
        recent_states=states,
        latest_availability=availability,
        last_seen=newest.device_time if newest else None,
    )


def sensor_status(minutes_ago: float, **fields: Any) -> Reading:
    at = NOW - timedelta(minutes=minutes_ago)
    return factories.status(device="24e124136b316541", source="chirpstack", at=at, **fields)


def test_the_sensors_battery_is_its_own_and_the_newest_word_on_it_counts() -> None:
    facts = sensor_facts(sensor_status(30, sensor_battery_pct=12), sensor_status(1, door_open=False))
    found = evaluate(facts, NOW, POLICY).findings
    assert found[AlertType.SENSOR_BATTERY_LOW].severity is Severity.MINOR
    assert "sensor's battery" in said(found[AlertType.SENSOR_BATTERY_LOW])
    assert AlertType.BATTERY_LOW not in found  # never the AED's
    flagged = sensor_facts(sensor_status(1, sensor_battery_pct=80, sensor_battery_low=True))
    assert AlertType.SENSOR_BATTERY_LOW in evaluate(flagged, NOW, POLICY).findings
    replaced = sensor_facts(
        sensor_status(30, sensor_battery_pct=12), sensor_status(1, sensor_battery_pct=100)
    )
    assert AlertType.SENSOR_BATTERY_LOW not in evaluate(replaced, NOW, POLICY).findings


def test_tamper_opens_cabinet_tamper_from_when_it_began() -> None:
    facts = sensor_facts(
        sensor_status(20, tamper=False), sensor_status(10, tamper=True), sensor_status(1, tamper=True)
    )
    finding = evaluate(facts, NOW, POLICY).findings[AlertType.CABINET_TAMPER]
    assert finding.severity is Severity.MAJOR
    assert finding.detail.params["since_at"] == NOW - timedelta(minutes=10)
    assert (
        AlertType.CABINET_TAMPER
        not in evaluate(sensor_facts(sensor_status(1, tamper=False)), NOW, POLICY).findings
    )


def test_a_sensor_its_network_lost_is_told_at_once_and_a_quiet_one_as_the_sensor() -> None:
    gone = factories.reading(
        ReadingType.AVAILABILITY, device="24e124136b316541", source="zigbee2mqtt", online=False, seq=None,
        at=NOW - timedelta(seconds=5), extra={"reason": "coordinator"},
    )  # fmt: skip
    facts = sensor_facts(sensor_status(1), availability=gone)
    found = evaluate(facts, NOW, POLICY).findings
    assert found[AlertType.SENSOR_OFFLINE].detail.id == "detail.sensor_offline.coordinator"
    quiet = sensor_facts(sensor_status(31), interval_s=600)  # silent after 3 × 10 min
    silent = evaluate(quiet, NOW, POLICY).findings[AlertType.DEVICE_SILENT]
    assert silent.detail.id == "detail.sensor_silent"
    assert "cabinet's sensor" in said(silent)
    assert AlertType.DEVICE_SILENT not in evaluate(sensor_facts(sensor_status(29)), NOW, POLICY).findings
    # both at once: one alert, its network's word
    both = evaluate(sensor_facts(sensor_status(31), availability=gone), NOW, POLICY).findings
    assert AlertType.SENSOR_OFFLINE in both
    assert AlertType.DEVICE_SILENT not in both
