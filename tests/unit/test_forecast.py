"""The consumables forecast: per site and month, with what already expired counted now."""

from __future__ import annotations

from datetime import date

from server.reports.forecast import Expiry, forecast

TODAY = date(2026, 11, 23)


def test_items_fall_in_the_month_they_expire_and_expired_ones_in_this_month() -> None:
    rows = forecast(
        [
            Expiry("SN1", "town-hall", "pads", date(2026, 11, 1)),  # expired: order now
            Expiry("SN1", "town-hall", "battery", date(2027, 1, 31)),
            Expiry("SN2", "town-hall", "pads", date(2027, 1, 5)),
            Expiry("SN3", "school", "pads", date(2027, 10, 31)),  # the 12th month
            Expiry("SN4", "school", "pads", date(2027, 11, 1)),  # beyond the 12 months
        ],
        TODAY,
    )
    assert len(rows) == 24  # two sites × twelve months
    by_key = {(r.site, r.month): r for r in rows}
    assert (by_key[("town-hall", "2026-11")].pads, by_key[("town-hall", "2026-11")].devices) == (1, ("SN1",))
    january = by_key[("town-hall", "2027-01")]
    assert (january.pads, january.batteries, january.devices) == (1, 1, ("SN1", "SN2"))
    assert by_key[("school", "2027-10")].pads == 1
    assert sum(r.pads for r in rows if r.site == "school") == 1
    assert [r.month for r in rows if r.site == "school"][0] == "2026-11"
    assert [r.month for r in rows if r.site == "school"][-1] == "2027-10"


def test_no_devices_no_rows() -> None:
    assert forecast([], TODAY) == []
