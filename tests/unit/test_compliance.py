"""The compliance record's hash chain shows a missing, added, altered or reordered row."""

from __future__ import annotations

from dataclasses import replace

from server.reports.compliance import GENESIS, Entry, chain, row_hash, verify


def entries() -> list[Entry]:
    return [
        Entry(
            f"2026-11-{day:02d}T06:00:00+00:00",
            "SN1",
            "town-hall",
            "selftest",
            "PASS",
            "test=daily",
            "device",
        )
        for day in range(1, 8)
    ] + [Entry("2026-11-03T10:00:00+00:00", "SN1", "town-hall", "inspection", "ok", "", "Maria (technician)")]


def test_rows_are_numbered_in_time_order_and_chained_from_zeros() -> None:
    rows = chain(entries())
    assert [r.number for r in rows] == list(range(1, 9))
    assert rows[0].previous == GENESIS
    assert rows[3].entry.kind == "inspection"  # 3 Nov 10:00 falls after the 3 Nov self-test
    assert all(b.previous == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert rows[0].hash == row_hash(GENESIS, rows[0].entry)
    assert verify(rows) is None


def test_an_altered_row_is_found() -> None:
    rows = chain(entries())
    rows[4] = replace(rows[4], entry=replace(rows[4].entry, result="FAIL"))
    assert verify(rows) == 5


def test_a_missing_row_is_found() -> None:
    rows = chain(entries())
    del rows[2]
    assert verify(rows) == 3


def test_an_added_row_even_with_its_own_valid_hash_is_found() -> None:
    rows = chain(entries())
    forged = replace(rows[5], number=7)
    rows.insert(6, forged)
    assert verify(rows) == 7


def test_a_rehashed_forgery_breaks_the_chain_after_it() -> None:
    rows = chain(entries())
    altered = replace(rows[1].entry, result="FAIL")
    rows[1] = replace(rows[1], entry=altered, hash=row_hash(rows[1].previous, altered))
    assert verify(rows) == 3  # row 2 now checks, but row 3 points at the old hash
