"""The programme's figures from the verdict and alert history, as pure functions: the share of
time ready and the downtime by cause, and the time to acknowledge and to repair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.reports.programme import AlertTimes, Change, percentile, ready_share, response_times

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
