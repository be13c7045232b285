"""The programme's report from the store, on both databases: the verdict history the
evaluation writes, each device's share of time ready and downtime by cause, the response
times, the checks done against due; scope and hostile queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings
from server.store.models import Verdict

from .. import factories
from ..conftest import Tokens
from .test_notifications import auth

# 1 November 2026, 00:00 in Sofia (UTC+2): the report's local month begins here
NOV_1 = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOV_1 - DAY)


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting, time_zone="Europe/Sofia")
    with TestClient(create_app(settings, clock, background=False)) as client:
        yield client


def selftest(api: TestClient, tokens: Tokens, clock: MovableClock, seq: int, result: TestResult) -> None:
    codes = ("C02",) if result is TestResult.FAIL else ()
    reading = factories.selftest(result, seq=seq, at=clock.now, codes=codes, device="SN1",
                                 pads_expiry=date(2028, 1, 1), battery_pct=90)  # fmt: skip
    answer = api.post(
        "/api/v1/ingest", json={"readings": [factories.as_json(reading)]}, headers=auth(tokens.bridge)
    )
    assert answer.status_code == 200, answer.text


def report(api: TestClient, tokens: Tokens, **params: str) -> dict:  # type: ignore[type-arg]
    answer = api.get("/api/v1/reports/programme", params=params, headers=auth(tokens.viewer))
    assert answer.status_code == 200, answer.text
    body: dict = answer.json()  # type: ignore[type-arg]
    return body


def test_a_month_with_two_days_down_is_its_share_and_its_cause(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    api.post("/api/v1/devices", json=factories.device("SN1", name="Foyer AED"),
             headers=auth(tokens.admin)).raise_for_status()  # fmt: skip
    selftest(api, tokens, clock, 1, TestResult.PASS)  # ready since the day before the month
    clock.now = NOV_1 + 10 * DAY
    selftest(api, tokens, clock, 2, TestResult.FAIL)
    alert = api.get("/api/v1/alerts", params={"state": "open"}, headers=auth(tokens.viewer)).json()[0]
    clock.now += timedelta(minutes=30)
    api.post(f"/api/v1/alerts/{alert['id']}/ack", headers=auth(tokens.technician)).raise_for_status()
    clock.now = NOV_1 + 5 * DAY
    check = {"inspector": "Ivana Petrova", "status_light_ok": True, "pads_sealed_in_date": True,
             "cabinet_intact": True, "at": clock.now.isoformat()}  # fmt: skip
    api.post(
        "/api/v1/devices/SN1/inspections", json=check, headers=auth(tokens.technician)
    ).raise_for_status()
    clock.now = NOV_1 + 12 * DAY
    selftest(api, tokens, clock, 3, TestResult.PASS)

    said = report(api, tokens, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert said["time_zone"] == "Europe/Sofia"
    (device,) = said["devices"]
    assert device["id"] == "SN1"
    assert device["begins"] is None  # its history began before the month
    assert device["on_record_s"] == 30 * 86400
    assert device["downtime_by_cause"] == {"self_test_failed": 2 * 86400}
    assert device["ready_share"] == pytest.approx(28 / 30)
    assert said["ready_share"] == pytest.approx(28 / 30)
    assert (device["checks_done"], device["checks_due"], device["checked_by"]) == (1, 1, ["Ivana Petrova"])
    response = said["response"]["critical"]
    assert response["time_to_acknowledge_s"] == {"count": 1, "median": 1800.0, "p90": 1800.0}
    assert response["time_to_repair_s"]["median"] == pytest.approx(2 * 86400)
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        history = [(v.readiness, v.reasons) for v in session.scalars(select(Verdict).order_by(Verdict.id))]
    assert history == [  # registered, heard, failed, passed again
        ("unknown", ["nothing_heard"]),
        ("ready", ["ready"]),
        ("not_ready", ["self_test_failed"]),
        ("ready", ["ready"]),
    ]

    # a period before the device's history: nothing on record, never a share of 0 or 1
    early = report(api, tokens, **{"from": "2026-09-01", "to": "2026-09-30"})
    assert early["devices"][0]["ready_share"] is None
    assert early["ready_share"] is None
    # a period that reaches back before it says where the history begins
    reaching = report(api, tokens, **{"from": "2026-10-01", "to": "2026-11-30"})
    assert reaching["devices"][0]["begins"] == (NOV_1 - DAY).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-11-30", "to": "2026-11-01"},
        {"from": "2000-01-01", "to": "2026-11-01"},
        {"from": "2026-11-01", "to": "2026-11-30", "site": "a", "area": "b"},
        {"from": "2026-11-01", "to": "2026-11-30", "site": "no spaces"},
        {"from": "2026-13-01", "to": "2026-11-30"},
        {"from": "2026-11-01"},
        {"from": "2026-11-01", "to": "2026-11-30", "area": "x" * 65},
    ],
)
def test_a_report_that_cannot_be_made_is_a_422(
    api: TestClient, tokens: Tokens, params: dict[str, str]
) -> None:
    answer = api.get("/api/v1/reports/programme", params=params, headers=auth(tokens.viewer))
    assert answer.status_code == 422, answer.text


def test_the_report_as_csv_has_the_figures_and_headings_in_the_readers_language(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    device = factories.device("SN1", name='=HYPERLINK("x")')  # a hostile name stays inert
    api.post("/api/v1/devices", json=device, headers=auth(tokens.admin)).raise_for_status()
    selftest(api, tokens, clock, 1, TestResult.PASS)
    params = {"from": "2026-11-01", "to": "2026-11-30", "format": "csv", "lang": "bg"}
    answer = api.get("/api/v1/reports/programme", params=params, headers=auth(tokens.viewer))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert lines[0].startswith("устройство,Име,обект,Готов (дял 0–1)")
    assert lines[1].split(",")[0] == "SN1"
    assert "'=HYPERLINK" in lines[1]
    assert ",1.0000," in lines[1]  # ready the whole month
