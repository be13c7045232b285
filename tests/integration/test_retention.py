"""Retention on SQLite and PostgreSQL: raw readings go after `readings_keep_days`, the
compliance record's self-tests, events and inspections after `compliance_keep_years`, by
whole UTC days, a chunk at a time; a compliance record of a period after the horizon hashes
as it did before the prune, and one reaching before it is refused with the reason, never
printed short. The horizon never moves back. Settings out of range are refused at start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from aedmon.clock import MovableClock
from aedmon.reading import DeviceState, EventType, ReadingType, TestResult
from server import store
from server.app import create_app
from server.reports.compliance import ChainedEntry, Entry, verify
from server.settings import ServerSettings
from server.store.models import Inspection, ShiftCheck, StoredReading, Verdict
from server.store.retention import Retention, horizons

from .. import factories
from ..conftest import Tokens

THEN = datetime(2016, 3, 1, 9, 0, tzinfo=UTC)  # the oldest readings: eleven years before NOW
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
KEEP = Retention(readings_days=30, compliance_years=10)


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(NOW), background=False)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def history(api: TestClient, tokens: Tokens) -> tuple[list[datetime], list[datetime]]:
    """A self-test, an event and a heartbeat a month (device SN1), from THEN to NOW, and an
    inspection every half year; their moments."""
    months = [THEN + timedelta(days=30 * n) for n in range(200) if THEN + timedelta(days=30 * n) < NOW]
    readings: list[dict[str, Any]] = []
    for n, moment in enumerate(months):
        seq = 3 * n
        readings += [
            factories.as_json(factories.selftest(TestResult.PASS, at=moment, arrived=moment, seq=seq)),
            factories.as_json(
                factories.reading(
                    ReadingType.EVENT, at=moment, arrived=moment, seq=seq + 1, event=EventType.DOOR_OPEN
                )
            ),  # fmt: skip
            factories.as_json(
                factories.reading(
                    ReadingType.HEARTBEAT, at=moment, arrived=moment, seq=seq + 2, state=DeviceState.READY
                )
            ),  # fmt: skip
        ]
    for start in range(0, len(readings), 500):
        batch = {"readings": readings[start : start + 500]}
        sent = api.post("/api/v1/ingest", json=batch, headers=bearer(tokens.bridge))
        assert sent.status_code == 200, sent.text
        assert sent.json()["accepted"] == len(batch["readings"])
    halves = [THEN + timedelta(days=182 * n) for n in range(23) if THEN + timedelta(days=182 * n) < NOW]
    for at in halves:
        checklist = {"inspector": "Maria", "status_light_ok": True, "pads_sealed_in_date": True,
                     "cabinet_intact": True, "notes": "", "at": at.isoformat()}  # fmt: skip
        made = api.post("/api/v1/devices/SN1/inspections", json=checklist, headers=bearer(tokens.technician))
        assert made.status_code == 201, made.text
    return months, halves


def record(api: TestClient, tokens: Tokens, start: date, end: date) -> Any:
    params = {"from": str(start), "to": str(end)}
    return api.get("/api/v1/reports/compliance", params=params, headers=bearer(tokens.viewer))


def counts(api: TestClient) -> dict[str, int]:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        by_type = dict(
            session.execute(select(StoredReading.type, func.count()).group_by(StoredReading.type)).all()
        )
        by_type["inspection"] = session.scalar(select(func.count()).select_from(Inspection))
    return {str(k): int(v) for k, v in by_type.items()}


def test_prune_keeps_what_each_retention_asks_and_the_record_after_it_verifies_as_before(
    api: TestClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    months, halves = history(api, tokens)
    limits = horizons(NOW, KEEP)
    assert limits == {
        "readings": datetime(2027, 2, 8, tzinfo=UTC),
        "compliance": datetime(2017, 3, 10, tzinfo=UTC),
    }
    after = (date(2017, 3, 10), date(2027, 3, 10))
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        device = session.scalar(select(StoredReading.device_id))
        for year in (2012, 2021):  # a mobile unit's shift checks: part of the record
            at = datetime(year, 6, 1, tzinfo=UTC)
            session.add(ShiftCheck(device_id=device, at=at, inspector="Crew", recorded_by="crew@example.org",
                                   aed_ready=True, o2_bar=150.0, o2_ok=True, fridge_min_c=4.0,
                                   fridge_max_c=5.0, fridge_ok=True, answers={}, notes="",
                                   created_at=at))  # fmt: skip
        session.commit()
    before_prune = record(api, tokens, *after).json()
    assert len(before_prune) > 100
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        device = session.scalar(select(StoredReading.device_id))
        for year in (2010, 2015, 2017, 2020):  # the verdict history: kept as long as the record
            session.add(Verdict(device_id=device, site="s", at=datetime(year, 1, 1, tzinfo=UTC),
                                readiness="not_ready", reasons=["pads_expired"]))  # fmt: skip
        session.commit()
    was = counts(api)
    monkeypatch.setattr(store.retention, "CHUNK", 7)  # many chunks, each its own transaction
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        done = store.retention.prune(session, NOW, KEEP)
    now = counts(api)
    # heartbeats: only those of the last 30 days; self-tests and events: the last ten years
    assert now["heartbeat"] == 1
    if database_url.startswith("sqlite"):  # row by row; on PostgreSQL some with their tables
        assert (done["readings"], done["tables"]) == (was["heartbeat"] - 1, 0)
    old_months = sum(1 for m in months if m < limits["compliance"])
    old_halves = sum(1 for h in halves if h < limits["compliance"])
    assert (old_months, old_halves) == (13, 3)
    assert now["selftest"] == now["event"] == was["selftest"] - old_months
    if database_url.startswith("sqlite"):
        assert done["records"] == 2 * old_months
    assert now["inspection"] == was["inspection"] - old_halves
    assert done["inspections"] == old_halves
    assert done["shift_checks"] == 1  # that of 2012
    assert done["verdicts"] == 3  # those of 2010, 2015 and January 2017, before the horizon
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        oldest = session.scalar(select(func.min(StoredReading.device_time)))
        assert oldest is not None
        assert oldest >= limits["compliance"]
    # the record of a period after the horizon is the same, row for row and hash for hash
    after_prune = record(api, tokens, *after).json()
    assert after_prune == before_prune
    chained = [ChainedEntry(r["number"], Entry(**r["entry"]), r["previous"], r["hash"]) for r in after_prune]
    assert verify(chained) is None
    # one reaching before it is refused, saying why, rather than printed short
    for start in (date(2016, 1, 1), date(2017, 3, 9)):
        refused = record(api, tokens, start, date(2020, 1, 1))
        assert refused.status_code == 410
        assert "2017-03-10" in refused.json()["detail"]
    # pruning again at once deletes nothing more
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        again = store.retention.prune(session, NOW, KEEP)
        kinds = ("readings", "records", "inspections", "shift_checks", "verdicts", "tables")
        assert again == dict.fromkeys(kinds, 0)


def test_the_horizon_never_moves_back_when_the_period_is_lengthened(api: TestClient, tokens: Tokens) -> None:
    history(api, tokens)
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        store.retention.prune(session, NOW, Retention(readings_days=30, compliance_years=5))
        store.retention.prune(session, NOW, Retention(readings_days=365, compliance_years=10))
        assert store.retention.pruned_before(session, "compliance") == datetime(2022, 3, 10, tzinfo=UTC)
        assert store.retention.pruned_before(session, "readings") == datetime(2027, 2, 8, tzinfo=UTC)
    assert record(api, tokens, date(2020, 1, 1), date(2023, 1, 1)).status_code == 410
    assert record(api, tokens, date(2022, 3, 10), date(2023, 1, 1)).status_code == 200


def test_a_horizon_from_the_29th_of_february_falls_on_the_28th() -> None:
    leap = datetime(2028, 2, 29, 23, 59, tzinfo=UTC)
    assert horizons(leap, Retention(1, 1))["compliance"] == datetime(2027, 2, 28, tzinfo=UTC)
    assert horizons(leap, Retention(1, 4))["compliance"] == datetime(2024, 2, 29, tzinfo=UTC)
    assert horizons(leap, Retention(1, 1))["readings"] == datetime(2028, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("readings_keep_days", 0),
        ("readings_keep_days", -1),
        ("readings_keep_days", 10**9),
        ("readings_keep_days", "a month"),
        ("readings_keep_days", "nan"),
        ("readings_keep_days", 1.5),
        ("compliance_keep_years", 0),
        ("compliance_keep_years", 101),
        ("compliance_keep_years", "inf"),
    ],
)
def test_retention_settings_out_of_range_are_refused_at_start(
    name: str, value: object, tokens: Tokens
) -> None:
    with pytest.raises(ValidationError, match=name):
        ServerSettings(tokens=tokens.setting, **{name: value})  # type: ignore[arg-type]
