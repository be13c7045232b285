"""The readings' tables on PostgreSQL (server.store.partitions), against SQLite's one table:
the same readings stored once each and the same left after a prune on both engines; on
PostgreSQL a day's or a year's table goes whole when all of it is past the horizon, is kept
when one of its rows was placed after it, readings of devices whose clocks are far off live in
the default tables and move into a table made later for their time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aedmon.clock import MovableClock
from aedmon.reading import Reading, ReadingType, TestResult
from server import store
from server.app import create_app
from server.settings import ServerSettings
from server.store import partitions
from server.store.models import StoredReading
from server.store.retention import Retention

from .. import factories
from ..conftest import Tokens

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
KEEP = Retention(readings_days=30, compliance_years=10)  # horizons 2027-02-08 and 2017-03-10


def moment(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


# name: (type, the device's time, where the server placed it)
ROWS = {
    "gone with its day": (ReadingType.HEARTBEAT, "2027-01-20 10:00", "2027-01-20 10:00"),
    "placed late": (ReadingType.HEARTBEAT, "2027-01-21 10:00", "2027-03-01 10:00"),  # a clock behind
    "beside one placed late": (ReadingType.HEARTBEAT, "2027-01-21 11:00", "2027-01-21 11:00"),
    "clock far ahead": (ReadingType.HEARTBEAT, "2098-01-01 00:00", "2027-03-09 08:00"),
    "clock far behind": (ReadingType.HEARTBEAT, "1971-01-01 00:00", "2027-01-01 08:00"),
    "recent": (ReadingType.HEARTBEAT, "2027-03-09 10:00", "2027-03-09 10:00"),
    "a little ahead": (ReadingType.HEARTBEAT, "2027-03-25 10:00", "2027-03-10 11:00"),
    "record of 2016": (ReadingType.SELFTEST, "2016-05-01 03:00", "2016-05-01 03:00"),
    "record before the horizon": (ReadingType.SELFTEST, "2017-01-05 03:00", "2017-01-05 03:00"),
    "record after the horizon": (ReadingType.SELFTEST, "2017-06-01 03:00", "2017-06-01 03:00"),
}
KEPT = {"placed late", "clock far ahead", "recent", "a little ahead", "record after the horizon"}


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(NOW), background=False)) as client:
        device = factories.device("SN1")
        client.post("/api/v1/devices", json=device, headers={"Authorization": f"Bearer {tokens.admin}"})
        yield client


def readings() -> dict[str, tuple[Reading, datetime]]:
    made = {}
    for seq, (name, (kind, said, placed)) in enumerate(ROWS.items()):
        fields: dict[str, Any] = {"result": TestResult.PASS} if kind is ReadingType.SELFTEST else {}
        made[name] = (factories.reading(kind, at=moment(said), seq=seq, **fields), moment(placed))
    return made


def store_all(session: Session, found: dict[str, tuple[Reading, datetime]]) -> dict[str, int]:
    placed = [(reading, at, True) for reading, at in found.values()]
    return store.readings.insert_many(session, placed, NOW)


def table_of(session: Session, reading: Reading) -> str:
    return str(
        session.scalar(
            text("SELECT tableoid::regclass::text FROM readings WHERE key = :key"), {"key": reading.key}
        )
    )


def test_the_same_readings_are_kept_on_both_engines_and_whole_tables_go_on_postgresql(
    api: TestClient, database_url: str
) -> None:
    postgresql = database_url.startswith("postgresql")
    found = readings()
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        if postgresql:  # the server made today's table and the week's ahead as it started
            assert to_regclass(session, f"readings_raw_{NOW + timedelta(days=7):%Y%m%d}") is not None
        # An earlier prune made the tables of those days and years (a prune keeps them made).
        store.retention.prune(session, moment("2027-01-15 00:00"), Retention(30, 11))
        assert len(store_all(session, found)) == len(ROWS)
        assert store_all(session, found) == {}  # each stored once, wherever its table
        assert store.readings.stored_keys(session, [r for r, _ in found.values()]) == {
            r.key for r, _ in found.values()
        }
        session.commit()
        if postgresql:
            assert table_of(session, found["clock far ahead"][0]) == "readings_raw_default"
            assert table_of(session, found["a little ahead"][0]) == "readings_raw_default"
            assert table_of(session, found["gone with its day"][0]) == "readings_raw_20270120"
            assert table_of(session, found["record of 2016"][0]) == "readings_record_2016"

        done = store.retention.prune(session, NOW, KEEP)
        left = set(session.scalars(select(StoredReading.key)))
        assert left == {found[name][0].key for name in KEPT}
        if not postgresql:
            nothing_else = {"inspections": 0, "shift_checks": 0, "verdicts": 0, "tables": 0}
            assert done == {"readings": 3, "records": 2, **nothing_else}
            return
        days = {
            name
            for name in session.scalars(
                text("SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'")
            )
            if name.startswith("readings_raw_2") and name <= "readings_raw_20270317"
        }
        horizon_to_week_ahead = {
            f"readings_raw_{NOW.date() + timedelta(days=n):%Y%m%d}" for n in range(-30, 8)
        }
        # one row placed late keeps its day's table
        assert days == {"readings_raw_20270121"} | horizon_to_week_ahead
        assert to_regclass(session, "readings_record_2016") is None  # a year wholly before the horizon
        assert to_regclass(session, "readings_record_2017") is not None
        assert done["tables"] >= 38  # 37 days and a year, and any empty ones made before
        assert (done["readings"], done["records"]) == (2, 1)  # beside the late one, far behind; 2017's first
        # A table made for its time once the week ahead reached it: the early reading moves in.
        assert table_of(session, found["a little ahead"][0]) == "readings_raw_default"
        store.retention.prune(session, NOW + timedelta(days=10), KEEP)
        assert table_of(session, found["a little ahead"][0]) == "readings_raw_20270325"
        assert table_of(session, found["clock far ahead"][0]) == "readings_raw_default"
        assert store_all(session, {name: found[name] for name in KEPT}) == {}  # still stored once


def to_regclass(session: Session, name: str) -> str | None:
    found = session.scalar(text("SELECT to_regclass(:name)::text"), {"name": name})
    return None if found is None else str(found)


def test_a_table_that_waits_too_long_on_ingest_is_left_for_the_next_run(
    api: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """On PostgreSQL: a change of tables waits on ingest no longer than its lock timeout, and the
    next run makes it; on SQLite there are no tables to make."""
    later = NOW + timedelta(days=2)  # two days more to make ahead
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        if not database_url.startswith("postgresql"):
            assert store.retention.make_tables(session, later, KEEP) is None
            return
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "200ms")
    engine = api.app.state.sessions.kw["bind"]  # type: ignore[attr-defined]
    with engine.connect() as ingest:  # a transaction that holds the raw readings' default table
        ingest.execute(text("LOCK TABLE readings_raw_default IN ACCESS EXCLUSIVE MODE"))
        with api.app.state.sessions() as session:  # type: ignore[attr-defined]
            made = store.retention.make_tables(session, later, KEEP)
        ingest.rollback()
    assert made is not None
    assert made == []  # each waited, and was left
    assert "readings table left for the next run" in caplog.text
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        made = store.retention.make_tables(session, later, KEEP)
        assert made is not None
        assert made == [f"readings_raw_{later + timedelta(days=n):%Y%m%d}" for n in (6, 7)]
