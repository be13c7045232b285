"""The programme's figures from the verdict and alert history, as pure functions: the share of
time ready and the downtime by cause, and the time to acknowledge and to repair."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.reports.programme import (
    AlertTimes,
    Change,
    Fix,
    Place,
    Round,
    moving_days,
    percentile,
    ready_share,
    replaced,
    response_times,
    uses,
    visits,
)
from server.rules.location import distance_m

MONTH = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def moments(first: datetime, last: datetime) -> st.SearchStrategy[datetime]:
    """Aware UTC moments between two (hypothesis takes its bounds naive)."""
    return st.datetimes(first.replace(tzinfo=None), last.replace(tzinfo=None), timezones=st.just(UTC))


HOUR = timedelta(hours=1)
READINESS = ("ready", "not_ready", "attention", "unknown")
CAUSES = ("self_test_failed", "pads_expired", "device_silent", "battery_low")

changes = st.lists(
    st.builds(
        Change,
        at=moments(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)),
        readiness=st.sampled_from(READINESS),
        reasons=st.lists(st.sampled_from(CAUSES), max_size=2).map(tuple),
    ),
    max_size=30,
).map(lambda found: [Change(c.at, c.readiness, c.reasons, seq) for seq, c in enumerate(found)])  # as stored


def test_a_device_ready_all_month_is_ready_all_of_it() -> None:
    share = ready_share([Change(datetime(2026, 10, 3, tzinfo=UTC), "ready")], *MONTH)
    assert share.ready_share == 1.0
    assert share.downtime_by_cause == {}
    assert share.begins is None


def test_needing_attention_is_usable_and_unknown_is_not() -> None:
    start, end = MONTH
    history = [Change(start, "attention", ("pads_expiring",)), Change(start + 15 * 24 * HOUR, "unknown", ())]
    share = ready_share(history, start, end)
    assert share.ready_share == pytest.approx(0.5)
    assert share.downtime_by_cause == {"unknown": 15 * 24 * 3600}


def test_a_day_without_pads_is_a_day_down_for_that_cause() -> None:
    start, end = MONTH
    history = [
        Change(start - HOUR, "ready"),
        Change(start + 24 * HOUR, "not_ready", ("pads_expired",)),
        Change(start + 48 * HOUR, "ready"),
    ]
    share = ready_share(history, start, end)
    assert share.downtime_by_cause == {"pads_expired": 24 * 3600}
    assert share.ready_share == pytest.approx(29 / 30)


def test_before_the_history_begins_is_no_record_and_the_report_says_where_it_begins() -> None:
    start, end = MONTH
    began = start + 10 * 24 * HOUR
    share = ready_share([Change(began, "ready")], start, end)
    assert share.begins == began
    assert share.on_record_s == 20 * 24 * 3600
    assert share.ready_share == 1.0
    assert ready_share([], start, end).ready_share is None  # nothing on record: no share, never 0 or 1


@given(changes)
def test_the_share_is_a_fraction_and_ready_and_downtime_add_up_to_the_time_on_record(
    history: list[Change],
) -> None:
    share = ready_share(history, *MONTH)
    assert 0 <= share.ready_s <= share.on_record_s <= share.period_s
    assert share.ready_share is None or 0 <= share.ready_share <= 1
    assert sum(share.downtime_by_cause.values()) == pytest.approx(share.downtime_s)


@given(changes, st.randoms())
def test_the_order_the_history_comes_in_changes_nothing(history: list[Change], rng: object) -> None:
    shuffled = list(history)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert ready_share(shuffled, *MONTH) == ready_share(history, *MONTH)


@given(changes, st.integers(min_value=1, max_value=29))
def test_two_halves_add_up_to_the_whole(history: list[Change], day: int) -> None:
    start, end = MONTH
    middle = start + timedelta(days=day)
    whole, first, second = (
        ready_share(history, start, end),
        ready_share(history, start, middle),
        ready_share(history, middle, end),
    )
    assert first.ready_s + second.ready_s == pytest.approx(whole.ready_s)
    assert first.on_record_s + second.on_record_s == pytest.approx(whole.on_record_s)


alerts = st.lists(
    st.builds(
        AlertTimes,
        id=st.integers(min_value=1, max_value=40),
        severity=st.sampled_from(("critical", "major", "minor")),
        opened_at=moments(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),
        acknowledged_at=st.none(),
        resolved_at=st.none(),
    ),
    max_size=30,
)


def test_a_fault_opened_acknowledged_and_resolved_is_counted_once_with_its_times() -> None:
    opened = datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    fault = AlertTimes(7, "critical", opened, opened + timedelta(minutes=12), opened + timedelta(hours=5))
    said = response_times([fault, fault, fault], *MONTH)  # its row seen three times
    assert said["critical"].to_acknowledge.count == 1
    assert said["critical"].to_acknowledge.median_s == 12 * 60
    assert said["critical"].to_repair.median_s == 5 * 3600
    assert response_times([fault], datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)) == {}


@given(alerts, st.randoms())
def test_response_times_are_the_same_whatever_the_order_or_repetition(
    found: list[AlertTimes], rng: object
) -> None:
    # each alert by its id once: the latest row of an id wins, as a store would give it once
    once = list({alert.id: alert for alert in found}.values())
    repeated = once + once[: len(once) // 2]
    rng.shuffle(repeated)  # type: ignore[attr-defined]
    assert response_times(repeated, *MONTH) == response_times(once, *MONTH)


def test_the_90th_percentile_is_a_value_that_was_seen() -> None:
    assert percentile([60, 120, 180, 240, 300, 360, 420, 480, 540, 3600], 90) == 540
    assert percentile([5], 90) == 5
    assert percentile([], 90) is None


# --- uses, consumables, a mobile unit's round ---------------------------------------------------

T = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_a_rescue_is_back_in_service_when_the_device_is_next_usable_after_it() -> None:
    history = [Change(T - HOUR, "ready", seq=1), Change(T, "not_ready", ("in_use",), 2),
               Change(T + 2 * HOUR, "not_ready", ("needs_service",), 3),
               Change(T + 5 * HOUR, "ready", seq=4)]  # fmt: skip
    [use] = uses([T, T], history)  # one rescue, said twice
    assert use.back_in_service_s == 5 * 3600
    [waiting] = uses([T], history[:3])  # still in service: not back yet
    assert waiting.back_at is None
    assert waiting.back_in_service_s is None
    assert uses([], history) == []


@given(history=changes, rescues=st.lists(moments(*MONTH), max_size=5), rng=st.randoms())
def test_uses_are_the_same_whatever_the_order_and_never_back_before_they_began(
    history: list[Change], rescues: list[datetime], rng: object
) -> None:
    found = uses(rescues, history)
    assert len(found) == len(set(rescues))  # each rescue once
    shuffled = list(history)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert uses(list(reversed(rescues)), shuffled) == found
    for use in found:
        assert use.back_at is None or use.back_at >= use.at


def test_a_consumable_is_replaced_each_time_its_date_moves_later() -> None:
    said = [(T, date(2027, 1, 1)), (T + HOUR, None), (T + 2 * HOUR, date(2028, 6, 1)),  # replaced
            (T + 3 * HOUR, date(2028, 6, 1)), (T + 4 * HOUR, date(2027, 1, 1)),  # a test of the old pads
            (T + 5 * HOUR, date(2029, 1, 1))]  # fmt: skip
    assert replaced(said) == 2
    assert replaced(list(reversed(said))) == 2  # in any order
    assert replaced([]) == replaced([(T, None)]) == replaced([(T, date(2027, 1, 1))]) == 0


def fixes_along(start: datetime, minutes: list[int], lat: float, step_m: float = 0.0) -> list[Fix]:
    return [
        (start + timedelta(minutes=m), lat + n * step_m / 111_320, 23.0, None) for n, m in enumerate(minutes)
    ]


VILLAGE = Place("Рударци", 42.60, 23.0, 300.0)


def test_a_stop_of_ten_minutes_in_a_communitys_circle_is_a_visit_and_a_drive_through_is_not() -> None:
    drive_in = fixes_along(T, [0, 2, 4], 42.55, 1_800)  # arriving from the south
    stop = fixes_along(T + timedelta(minutes=6), [0, 5, 10, 12], 42.6001)  # 12 minutes, inside
    leave = fixes_along(T + timedelta(minutes=20), [0, 2], 42.65, 2_000)
    [visit] = visits([*drive_in, *stop, *leave], [VILLAGE])
    assert (visit.community, visit.arrived, visit.left) == ("Рударци", stop[0][0], stop[-1][0])
    brief = fixes_along(T, [0, 4, 9], 42.6001)  # nine minutes: passing by, not a visit
    assert visits(brief, [VILLAGE]) == []
    assert visits(list(reversed([*drive_in, *stop, *leave])), [VILLAGE]) == [visit]  # in any order
    far = Place("Далеч", 43.5, 25.0, 300.0)
    assert visits(stop, [far]) == []
    twice = [*stop, *leave, *fixes_along(T + timedelta(hours=3), [0, 11], 42.6)]
    assert [v.arrived for v in visits(twice, [VILLAGE, far])] == [stop[0][0], T + timedelta(hours=3)]


def test_a_units_days_in_service_are_the_local_days_it_moved() -> None:
    sofia = ZoneInfo("Europe/Sofia")
    late = datetime(2026, 11, 10, 22, 30, tzinfo=UTC)  # 00:30 on the 11th in Sofia
    moved = fixes_along(late, [0, 10], 42.6, 2_000)
    assert moving_days(moved, sofia) == {date(2026, 11, 11)}
    assert moving_days(moved, UTC) == {date(2026, 11, 10)}
    parked = fixes_along(T, [0, 10, 20, 30], 42.6, 15)  # GNSS jitter
    assert moving_days(parked, sofia) == set()
    speeding = [(T, 42.6, 23.0, 80.0)]
    assert moving_days(speeding, sofia) == {date(2026, 11, 10)}
    assert moving_days([], sofia) == set()


@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180, 180),
    north=st.floats(-0.05, 0.05),
    east=st.floats(-0.05, 0.05),
    radius=st.floats(1, 5_000),
)
def test_the_circle_holds_exactly_what_is_within_its_radius(
    lat: float, lon: float, north: float, east: float, radius: float
) -> None:
    """The latitude's quick refusal never refuses a fix the distance would hold."""
    place = Place("x", lat, lon, radius)
    here = (max(-90.0, min(90.0, lat + north)), lon + east)
    assert place.holds(*here) == (distance_m(lat, lon, *here) <= radius)


def test_a_round_read_a_fix_at_a_time_says_what_the_whole_track_says() -> None:
    track = [
        *fixes_along(T, [0, 2, 4], 42.55, 1_800),
        *fixes_along(T + timedelta(minutes=6), [0, 5, 10, 12], 42.6001),
        *fixes_along(T + timedelta(minutes=20), [0, 2], 42.65, 2_000),
        *fixes_along(T + timedelta(hours=3), [0, 11], 42.6),  # still inside at the last fix
    ]
    went = Round(UTC, [VILLAGE])
    for fix in track:
        went.add(fix)
    assert went.days == moving_days(track, UTC) == {T.date()}
    assert went.visits() == visits(track, [VILLAGE])
    assert [v.arrived for v in went.visits()] == [T + timedelta(minutes=6), T + timedelta(hours=3)]
