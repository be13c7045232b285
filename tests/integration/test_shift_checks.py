"""A mobile unit's shift and the caretaker's monthly check, through the whole server on both
databases: a unit on the road with no check that day is told; the crew's check (what the
server sees and what they tick) ends it and goes into the compliance record, which verifies;
a monthly check asks whether the alarm works, and older checks' rows hash as they did."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import DeviceKind
from server.app import create_app
from server.reports.compliance import ChainedEntry, Entry, from_csv, verify
from server.settings import ServerSettings
from server.store.models import Inspection

from .. import factories
from ..conftest import Tokens
from .test_notifications import auth
from .test_oxygen import open_types, send

T0 = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 07:00 in Sofia
CHECKLIST = ["Stretcher secured", "Drug box sealed"]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(
        database_url=database_url, tokens=tokens.setting, time_zone="Europe/Sofia", shift_checklist=CHECKLIST
    )
    with TestClient(create_app(settings, clock, background=False)) as client:
        yield client


def on_the_road(api: TestClient, tokens: Tokens, clock: MovableClock, fridge: float = 5.0) -> None:
    """MU-01 reports its fridge and oxygen at its base, then drives off 2 km a quarter hour."""
    unit = factories.device("MU-01", kind=DeviceKind.MOBILE_UNIT, name="Mobile unit 1")
    api.post("/api/v1/devices", json=unit, headers=auth(tokens.admin)).raise_for_status()
    for step in range(4):
        clock.now = T0 + timedelta(minutes=15 * step)
        here = factories.location(
            42.6062 + 0.018 * step, 23.0379, device="MU-01", seq=2 * step + 1, at=clock.now
        )
        said = factories.status(device="MU-01", seq=2 * step + 2, at=clock.now, o2_pressure_bar=150.0,
                                fridge_temp_c=fridge if step == 1 else 5.0)  # fmt: skip
        send(api, tokens, here, said)


def record(api: TestClient, tokens: Tokens, **params: Any) -> list[dict[str, Any]]:
    answer = api.get(
        "/api/v1/reports/compliance", params={"from": "2026-11-23", "to": "2026-11-23", **params},
        headers=auth(tokens.viewer),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    chained = [ChainedEntry(r["number"], Entry(**r["entry"]), r["previous"], r["hash"]) for r in rows]
    assert verify(chained) is None
    return rows


def test_a_unit_on_the_road_unchecked_is_told_and_its_crews_check_ends_it_into_the_record(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    on_the_road(api, tokens, clock)
    assert "shift_unchecked" in open_types(api, tokens)
    parked = T0 + timedelta(minutes=45)
    for n in range(25):  # parked since, more fixes than the rules keep in sight: still told
        clock.now = parked + timedelta(minutes=n + 1)
        send(
            api,
            tokens,
            factories.location(42.6062 + 0.018 * 3, 23.0379, device="MU-01", seq=100 + n, at=clock.now),
        )
    assert "shift_unchecked" in open_types(api, tokens)
    alert = api.get("/api/v1/alerts", params={"state": "open", "type": "shift_unchecked"},
                    headers=auth(tokens.viewer)).json()[0]  # fmt: skip
    assert alert["severity"] == "major"
    seen = api.get("/api/v1/devices/MU-01/shift-check", headers=auth(tokens.staff)).json()
    assert (seen["aed_ready"], seen["o2_ok"], seen["fridge_ok"]) == (True, True, True)
    assert (seen["o2_bar"], seen["fridge_min_c"], seen["fridge_max_c"]) == (150.0, 5.0, 5.0)
    assert seen["checklist"] == CHECKLIST
    assert seen["last_check_at"] is None
    url = "/api/v1/devices/MU-01/shift-checks"
    answers = {"Stretcher secured": True, "Drug box sealed": False}
    # viewers look, they do not check
    assert (
        api.post(
            url, json={"inspector": "Petya", "answers": answers}, headers=auth(tokens.viewer)
        ).status_code
        == 403
    )
    made = api.post(url, json={"inspector": "Petya", "answers": answers, "notes": "seal replaced at base"},
                    headers=auth(tokens.staff))  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["answers"] == answers
    assert "shift_unchecked" not in open_types(api, tokens)
    rows = [r for r in record(api, tokens, device_id="MU-01") if r["entry"]["kind"] == "shift_check"]
    assert len(rows) == 1
    entry, said = rows[0]["entry"], rows[0]["said"]
    assert entry["result"] == "not ok: Drug box sealed"
    assert entry["details"].startswith("oxygen=150 bar fridge=5..5 C; checked: AED ready")
    assert entry["by"].startswith("Petya (")
    assert said == {"result": "not_ok", "checked": ["aed_ready", "o2_ok", "fridge_ok", *CHECKLIST],
                    "failed": ["Drug box sealed"], "test": None, "codes": [],
                    "notes": "seal replaced at base", "inspector": "Petya",
                    "time_zone": "Europe/Sofia"}  # fmt: skip
    listed = api.get(url, headers=auth(tokens.viewer)).json()
    assert [c["inspector"] for c in listed] == ["Petya"]
    # the next day it drives again: a new shift, told again until checked
    clock.now = T0 + timedelta(days=1)
    moved = factories.location(42.70, 23.0379, device="MU-01", seq=20, at=clock.now)
    send(api, tokens, moved, factories.location(42.75, 23.0379, device="MU-01", seq=21, at=clock.now))
    assert "shift_unchecked" in open_types(api, tokens)


def test_a_fridge_out_of_range_in_the_window_is_seen_and_recorded_not_in_order(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    on_the_road(api, tokens, clock, fridge=9.5)
    seen = api.get("/api/v1/devices/MU-01/shift-check", headers=auth(tokens.staff)).json()
    assert (seen["fridge_ok"], seen["fridge_min_c"], seen["fridge_max_c"]) == (False, 5.0, 9.5)
    body = {"inspector": "Petya", "answers": dict.fromkeys(CHECKLIST, True)}
    made = api.post("/api/v1/devices/MU-01/shift-checks", json=body, headers=auth(tokens.staff)).json()
    assert made["fridge_ok"] is False
    row = next(r for r in record(api, tokens) if r["entry"]["kind"] == "shift_check")
    assert row["entry"]["result"] == "not ok: fridge in range"
    assert row["said"]["failed"] == ["fridge_ok"]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"inspector": "P", "answers": {"Stretcher secured": True}}, "not answered: Drug box sealed"),
        ({"inspector": "P", "answers": {**dict.fromkeys(CHECKLIST, True), "Siren": True}},
         "not on the checklist: Siren"),
        ({"inspector": "P", "answers": dict.fromkeys(CHECKLIST, "yes please")}, "answers"),
        ({"inspector": "P" * 201, "answers": dict.fromkeys(CHECKLIST, True)}, "inspector"),
        ({"inspector": "", "answers": dict.fromkeys(CHECKLIST, True)}, "inspector"),
        ({"inspector": "P", "answers": {f"item {n}": True for n in range(51)}}, "answers"),
        ({"inspector": "P", "answers": {"x" * 201: True}}, "answers"),
        ({"inspector": "P", "answers": dict.fromkeys(CHECKLIST, True), "at": "2026-11-23T05:00:00Z"}, "at"),
        ({"inspector": "P\u202e", "answers": dict.fromkeys(CHECKLIST, True)}, "inspector"),
    ],
)  # fmt: skip
def test_a_shift_check_that_cannot_be_read_is_refused_and_nothing_is_recorded(
    api: TestClient, tokens: Tokens, clock: MovableClock, body: dict[str, Any], said: str
) -> None:
    on_the_road(api, tokens, clock)
    answer = api.post("/api/v1/devices/MU-01/shift-checks", json=body, headers=auth(tokens.staff))
    assert answer.status_code == 422
    assert said in answer.text
    assert api.get("/api/v1/devices/MU-01/shift-checks", headers=auth(tokens.viewer)).json() == []
    assert "shift_unchecked" in open_types(api, tokens)


def test_only_a_mobile_unit_has_a_shift_to_check(api: TestClient, tokens: Tokens) -> None:
    aed = factories.device("SN-9")
    api.post("/api/v1/devices", json=aed, headers=auth(tokens.admin)).raise_for_status()
    body = {"inspector": "P", "answers": dict.fromkeys(CHECKLIST, True)}
    for answer in (
        api.get("/api/v1/devices/SN-9/shift-check", headers=auth(tokens.staff)),
        api.post("/api/v1/devices/SN-9/shift-checks", json=body, headers=auth(tokens.staff)),
    ):
        assert answer.status_code == 422
        assert "only a mobile unit" in answer.text
    assert api.get("/api/v1/devices/NOPE/shift-check", headers=auth(tokens.staff)).status_code == 404


def test_the_monthly_check_asks_for_the_alarm_and_older_checks_hash_as_they_did(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    aed = factories.device("SN-9")
    api.post("/api/v1/devices", json=aed, headers=auth(tokens.admin)).raise_for_status()
    # an inspection recorded before the alarm was asked: stored with alarm_ok NULL
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.add(Inspection(device_id="SN-9", at=T0, inspector="Old", recorded_by="staff",
                               status_light_ok=True, pads_sealed_in_date=True, cabinet_intact=True,
                               alarm_ok=None, notes="fine", created_at=T0))  # fmt: skip
        session.commit()
    before = record(api, tokens, device_id="SN-9")
    assert [(r["entry"]["result"], r["entry"]["details"]) for r in before] == [("ok", "fine")]  # as it was
    clock.now = T0 + timedelta(hours=1)
    body = {"inspector": "Maria", "status_light_ok": True, "pads_sealed_in_date": True,
            "cabinet_intact": True, "alarm_ok": False, "notes": "siren silent"}  # fmt: skip
    made = api.post("/api/v1/devices/SN-9/inspections", json=body, headers=auth(tokens.staff))
    assert made.status_code == 201, made.text
    assert made.json()["alarm_ok"] is False
    rows = record(api, tokens, device_id="SN-9")
    assert rows[0]["hash"] == before[0]["hash"]  # the older row, and so the chain up to it, unchanged
    new = rows[1]["entry"]
    assert new["result"] == "not ok: alarm working"
    assert new["details"] == (
        "checked: status light, pads sealed and in date, cabinet intact, alarm working; siren silent"
    )
    assert rows[1]["said"]["failed"] == ["alarm_ok"]
    assert rows[0]["said"]["checked"] == ["status_light_ok", "pads_sealed_in_date", "cabinet_intact"]
    asked = {"from": "2026-11-23", "to": "2026-11-23", "device_id": "SN-9", "format": "csv", "lang": "bg"}
    exported = api.get("/api/v1/reports/compliance", params=asked, headers=auth(tokens.viewer))
    assert verify(from_csv(exported.text)) is None
    assert [cells[5] for cells in csv.reader(io.StringIO(exported.text))][1:] == [
        "ok",
        "not ok: alarm working",
    ]


def test_the_record_asked_of_a_sites_days_is_cut_at_its_local_midnight(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    aed = factories.device("SN-9")
    api.post("/api/v1/devices", json=aed, headers=auth(tokens.admin)).raise_for_status()
    body = {
        "inspector": "Maria",
        "status_light_ok": True,
        "pads_sealed_in_date": True,
        "cabinet_intact": True,
    }
    for at in ("2026-11-22T22:30:00Z", "2026-11-23T21:30:00Z", "2026-11-23T22:30:00Z"):  # 00:30, 23:30, 00:30
        clock.now = datetime.fromisoformat(at) + timedelta(minutes=1)
        made = api.post(
            "/api/v1/devices/SN-9/inspections", json={**body, "at": at}, headers=auth(tokens.staff)
        )
        assert made.status_code == 201, made.text
    times = [r["entry"]["time"] for r in record(api, tokens, device_id="SN-9")]
    assert times == ["2026-11-22T22:30:00+00:00", "2026-11-23T21:30:00+00:00"]  # the 23rd in Sofia


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_a_record_of_the_calendars_edges_is_refused_not_a_server_error(
    api: TestClient, tokens: Tokens, start: str, end: str
) -> None:
    aed = factories.device("SN-9")
    api.post("/api/v1/devices", json=aed, headers=auth(tokens.admin)).raise_for_status()
    for asked in ({"device_id": "SN-9"}, {}):  # Sofia's midnight of 1 January 0001 is 31 December 0000 in UTC
        answer = api.get("/api/v1/reports/compliance", params={"from": start, "to": end, **asked},
                         headers=auth(tokens.viewer))  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert "days from 1900-01-01" in answer.text
