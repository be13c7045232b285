"""The programme's report from the store, on both databases: the verdict history the
evaluation writes, each device's share of time ready and downtime by cause, the response
times, the checks done against due; scope and hostile queries."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aedmon.clock import MovableClock
from aedmon.reading import DeviceKind, EventType, TestResult
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
    # one device of the fleet: its own figures, its site's days
    api.post("/api/v1/devices", json=factories.device("SN2"), headers=auth(tokens.admin)).raise_for_status()
    alone = report(api, tokens, **{"from": "2026-11-01", "to": "2026-11-30", "device_id": "SN1"})
    assert [d["id"] for d in alone["devices"]] == ["SN1"]
    assert alone["devices"][0]["downtime_by_cause"] == {"self_test_failed": 2 * 86400}
    assert (
        report(api, tokens, **{"from": "2026-11-01", "to": "2026-11-30", "device_id": "NOPE"})["devices"]
        == []
    )
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
        {"from": "2026-11-01", "to": "2026-11-30", "device_id": "a/b"},
        {"from": "0001-01-01", "to": "0001-01-05"},  # the calendar's first days: no day before them
        {"from": "9999-12-30", "to": "9999-12-31"},
        {"from": "2026-11-01", "to": "2026-11-30", "device_id": "x" * 65},
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


def ingest(api: TestClient, tokens: Tokens, *readings: object) -> None:
    body = {"readings": [factories.as_json(r) for r in readings]}  # type: ignore[arg-type]
    answer = api.post("/api/v1/ingest", json=body, headers=auth(tokens.bridge))
    assert answer.status_code == 200, answer.text


def test_the_report_says_the_rescues_the_consumables_replaced_and_the_units_round(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    admin = auth(tokens.admin)
    api.post("/api/v1/devices", json=factories.device("SN1"), headers=admin).raise_for_status()
    unit = factories.device("MU-01", kind=DeviceKind.MOBILE_UNIT, name="Mobile unit 1")
    api.post("/api/v1/devices", json=unit, headers=admin).raise_for_status()
    village = {"name": "Рударци", "lat": 42.60, "lon": 23.20, "radius_m": 400}
    made = api.post("/api/v1/devices/MU-01/communities", json=village, headers=admin)
    assert made.status_code == 201, made.text
    seq = iter(range(1, 1000))

    def test_of(pads: date, at: datetime) -> object:
        return factories.selftest(TestResult.PASS, seq=next(seq), at=at, device="SN1", pads_expiry=pads,
                                  battery_expiry=date(2026, 11, 20), battery_pct=90)  # fmt: skip

    clock.now = NOV_1 + 2 * DAY
    ingest(api, tokens, test_of(date(2027, 1, 1), clock.now))
    # 5 November, 10:00: a rescue; it ends at 10:40; a technician services it at 15:00
    rescue = NOV_1 + 4 * DAY + timedelta(hours=12)
    clock.now = rescue
    ingest(api, tokens, factories.event(EventType.RESCUE_START, seq=next(seq), at=rescue, device="SN1"))
    clock.now = rescue + timedelta(minutes=40)
    ingest(api, tokens, factories.event(EventType.RESCUE_END, seq=next(seq), at=clock.now, device="SN1"))
    clock.now = rescue + timedelta(hours=5)
    api.post("/api/v1/devices/SN1/service", headers=auth(tokens.technician)).raise_for_status()
    ingest(api, tokens, test_of(date(2028, 6, 1), clock.now))  # new pads after the rescue
    # 12 November: the unit drives from its base to the village, stops 25 minutes, drives on
    day = NOV_1 + 11 * DAY + timedelta(hours=8)  # 08:00 in Sofia
    route = [(0, 42.50, 23.20), (10, 42.55, 23.20), (20, 42.6005, 23.20), (30, 42.6008, 23.20),
             (45, 42.6006, 23.20), (55, 42.65, 23.20)]  # fmt: skip
    for minutes, lat, lon in route:
        clock.now = day + timedelta(minutes=minutes)
        ingest(api, tokens, factories.location(lat, lon, device="MU-01", seq=next(seq), at=clock.now))
    clock.now = NOV_1 + 29 * DAY
    found = report(api, tokens, **{"from": "2026-11-01", "to": "2026-11-30"})
    by_id = {d["id"]: d for d in found["devices"]}
    aed, mobile = by_id["SN1"], by_id["MU-01"]
    [use] = aed["rescues"]
    assert datetime.fromisoformat(use["at"]) == rescue
    assert use["back_in_service_s"] == 5 * 3600  # from the rescue to ready again, after service
    assert (aed["pads_replaced"], aed["batteries_replaced"]) == (1, 0)
    assert (aed["pads_due"], aed["batteries_due"]) == (0, 1)  # the battery's date is 20 November
    assert aed["unit"] is None
    assert mobile["unit"]["days_in_service"] == 1
    assert mobile["unit"]["shifts_checked"] == 0  # it went out unchecked
    assert mobile["unit"]["communities"] == 1
    [visit] = mobile["unit"]["visits"]
    assert visit["community"] == "Рударци"
    assert datetime.fromisoformat(visit["left"]) - datetime.fromisoformat(visit["arrived"]) == timedelta(
        minutes=25
    )
    exported = api.get("/api/v1/reports/programme", params={"from": "2026-11-01", "to": "2026-11-30",
                       "format": "csv", "lang": "cs"}, headers=auth(tokens.viewer))  # fmt: skip
    head, *rows = list(csv.reader(io.StringIO(exported.text)))
    assert head[-6:] == ["Záchrany", "Vyměněné elektrody", "Vyměněné baterie", "Dny v provozu",
                         "Zkontrolované směny", "Návštěvy"]  # fmt: skip
    assert {row[0]: row[-6:] for row in rows} == {"SN1": ["1", "1", "0", "", "", ""],
                                                  "MU-01": ["0", "0", "0", "1", "0", "1"]}  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "lat": 91, "lon": 23, "radius_m": 500},
        {"name": "x", "lat": 42, "lon": -181, "radius_m": 500},
        {"name": "x", "lat": 42, "lon": 23, "radius_m": 10},
        {"name": "x", "lat": 42, "lon": 23, "radius_m": 1e9},
        {"name": "x", "lat": "NaN", "lon": 23, "radius_m": 500},
        {"name": "x", "lat": 42, "lon": "Infinity", "radius_m": 500},
        {"name": "", "lat": 42, "lon": 23},
        {"name": "x" * 201, "lat": 42, "lon": 23},
        {"name": "a\u202eb", "lat": 42, "lon": 23},
        {"name": "x", "lat": 42},
        {"name": "x", "lat": 42, "lon": 23, "owner": "me"},
    ],
)
def test_a_community_that_cannot_be_placed_is_refused_and_none_is_kept(
    api: TestClient, tokens: Tokens, body: dict[str, object]
) -> None:
    unit = factories.device("MU-01", kind=DeviceKind.MOBILE_UNIT)
    api.post("/api/v1/devices", json=unit, headers=auth(tokens.admin)).raise_for_status()
    answer = api.post("/api/v1/devices/MU-01/communities", json=body, headers=auth(tokens.admin))
    assert answer.status_code == 422, answer.text
    assert api.get("/api/v1/devices/MU-01/communities", headers=auth(tokens.viewer)).json() == []


def test_only_an_admin_places_a_community_and_only_a_units(api: TestClient, tokens: Tokens) -> None:
    for device in (factories.device("MU-01", kind=DeviceKind.MOBILE_UNIT), factories.device("SN1")):
        api.post("/api/v1/devices", json=device, headers=auth(tokens.admin)).raise_for_status()
    village = {"name": "Рударци", "lat": 42.6, "lon": 23.2}
    for role in ("viewer", "staff", "technician"):
        refused = api.post(
            "/api/v1/devices/MU-01/communities", json=village, headers=auth(getattr(tokens, role))
        )
        assert refused.status_code == 403
    aed = api.post("/api/v1/devices/SN1/communities", json=village, headers=auth(tokens.admin))
    assert aed.status_code == 422
    made = api.post("/api/v1/devices/MU-01/communities", json=village, headers=auth(tokens.admin)).json()
    assert made["radius_m"] == 500
    gone = api.delete(f"/api/v1/devices/MU-01/communities/{made['id']}", headers=auth(tokens.technician))
    assert gone.status_code == 403
    assert (
        api.delete(f"/api/v1/devices/MU-01/communities/{made['id']}", headers=auth(tokens.admin)).status_code
        == 204
    )
    assert (
        api.delete(f"/api/v1/devices/MU-01/communities/{made['id']}", headers=auth(tokens.admin)).status_code
        == 404
    )
    audit = api.get("/api/v1/audit", headers=auth(tokens.admin)).json()
    assert {"community added", "community removed"} <= {entry["action"] for entry in audit}
