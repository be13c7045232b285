"""The server's store and API on SQLite and on PostgreSQL, with a moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from aedmon import __version__
from aedmon.clock import MovableClock
from aedmon.reading import EventType, Reading, ReadingType, TestResult
from server.app import create_app
from server.settings import ServerSettings
from server.store.models import Alert

from .. import factories
from ..conftest import Tokens

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0 + timedelta(minutes=1))


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    app = create_app(settings, clock, background=False)
    with TestClient(app) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def selftest(
    seq: int, result: TestResult, *, device: str = "SN1", site: str = "town-hall", **more: Any
) -> dict[str, Any]:
    moment = T0 + timedelta(hours=seq)
    reading = factories.selftest(
        result, device=device, site=site, seq=seq, at=moment, arrived=moment + timedelta(seconds=2), **more
    )
    return factories.as_json(reading)


def ingest(api: TestClient, tokens: Tokens, *readings: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/ingest", json={"readings": list(readings)}, headers=auth(tokens.bridge))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def open_alerts(api: TestClient, tokens: Tokens) -> dict[tuple[str, str], dict[str, Any]]:
    response = api.get("/api/v1/alerts", params={"state": "open"}, headers=auth(tokens.viewer))
    assert response.status_code == 200
    return {(a["device_id"], a["type"]): a for a in response.json()}


def test_ingest_is_idempotent_on_the_message(api: TestClient, tokens: Tokens) -> None:
    first = selftest(1, TestResult.PASS)
    key = Reading.model_validate(first).key
    assert key.startswith("SN1|selftest|1|2026-11-23T07:00:00+00:00|")
    assert ingest(api, tokens, first, first) == {
        "accepted": 1,
        "duplicates": 1,
        "rejected": [],
        "results": [
            {"index": 0, "status": "stored", "key": key, "reason": None},
            {"index": 1, "status": "duplicate", "key": key, "reason": None},
        ],
    }
    assert ingest(api, tokens, first)["duplicates"] == 1
    readings = api.get("/api/v1/devices/SN1/readings", headers=auth(tokens.viewer)).json()
    assert len(readings) == 1


def test_unknown_device_is_registered_unconfirmed_and_confirmed_by_registering(
    api: TestClient, tokens: Tokens
) -> None:
    ingest(api, tokens, selftest(1, TestResult.PASS))
    device = api.get("/api/v1/devices/SN1", headers=auth(tokens.viewer)).json()
    assert device["confirmed"] is False
    assert device["kind"] == "aed"
    assert device["site"] == "town-hall"
    assert device["readiness"] == "ready"
    response = api.post(
        "/api/v1/devices",
        json={
            "id": "SN1",
            "site": "town-hall",
            "kind": "aed",
            "name": "Reception AED",
            "place": "Ground floor",
        },
        headers=auth(tokens.admin),
    )
    assert response.status_code == 201
    assert response.json()["confirmed"] is True
    assert response.json()["place"] == "Ground floor"


def test_failed_selftest_opens_alerts_and_the_next_pass_resolves_them(
    api: TestClient, tokens: Tokens
) -> None:
    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("P02",), pads_expiry=date(2026, 11, 1)))
    alerts = open_alerts(api, tokens)
    assert set(alerts) == {("SN1", "self_test_failed"), ("SN1", "pads_expired")}
    assert alerts[("SN1", "self_test_failed")]["severity"] == "critical"
    device = api.get("/api/v1/devices/SN1", headers=auth(tokens.viewer)).json()
    assert device["readiness"] == "not_ready"
    assert any("Pads expired on Nov 1, 2026" in r for r in device["reasons"])

    ingest(api, tokens, selftest(2, TestResult.PASS))
    assert open_alerts(api, tokens) == {}
    resolved = api.get("/api/v1/alerts", params={"state": "resolved"}, headers=auth(tokens.viewer)).json()
    assert {a["type"] for a in resolved} == {"self_test_failed", "pads_expired"}


def test_an_old_resent_failure_does_not_reopen_after_a_newer_pass(api: TestClient, tokens: Tokens) -> None:
    """A true resend is the same message: a duplicate. A FAIL never heard before that arrives after
    a newer PASS of the same power-up (same `boot`) only enters the history; without a boot to
    tell it from a device that restarted and failed, it is heard (#19: no sequence of seq, time
    and arrival hides a FAIL), and the device's next reading supersedes it."""
    failed = selftest(3, TestResult.FAIL, codes=("C02",), boot="b1")
    ingest(api, tokens, failed, selftest(5, TestResult.PASS, boot="b1"))
    assert open_alerts(api, tokens) == {}
    assert ingest(api, tokens, failed)["duplicates"] == 1  # resent after a lost ack
    ingest(
        api, tokens, selftest(4, TestResult.FAIL, codes=("C02",), boot="b1")
    )  # late, from the resend buffer
    assert open_alerts(api, tokens) == {}
    assert len(api.get("/api/v1/devices/SN1/readings", headers=auth(tokens.viewer)).json()) == 3
    ingest(api, tokens, selftest(14, TestResult.PASS), selftest(13, TestResult.FAIL, codes=("C02",)))
    assert ("SN1", "self_test_failed") in open_alerts(api, tokens)  # no boot: heard (its time behind too)
    ingest(api, tokens, selftest(15, TestResult.PASS))
    assert open_alerts(api, tokens) == {}


def test_pads_expiring_opens_as_the_clock_moves(api: TestClient, tokens: Tokens, clock: MovableClock) -> None:
    ingest(api, tokens, selftest(1, TestResult.PASS, pads_expiry=date(2027, 1, 15)))
    assert open_alerts(api, tokens) == {}
    clock.now = datetime(2026, 12, 20, tzinfo=UTC)
    from server.evaluation import evaluate_due

    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        evaluate_due(session, clock.now, api.app.state.policy)  # type: ignore[attr-defined]
    # a month on and nothing heard since: silent and overdue as well
    assert set(open_alerts(api, tokens)) == {
        ("SN1", "pads_expiring"),
        ("SN1", "device_silent"),
        ("SN1", "self_test_overdue"),
    }


def test_one_open_alert_per_device_and_type_is_enforced_by_the_database(
    api: TestClient, tokens: Tokens
) -> None:
    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)))
    second = insert(Alert).values(
        device_id="SN1",
        type="self_test_failed",
        severity="critical",
        state="open",
        message="second",
        opened_at=T0,
    )
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        with pytest.raises(IntegrityError):
            session.execute(second)
        session.rollback()


def test_aed_heard_through_another_site_is_relocated(api: TestClient, tokens: Tokens) -> None:
    ingest(api, tokens, selftest(1, TestResult.PASS))
    ingest(api, tokens, selftest(2, TestResult.PASS, site="school"))
    assert set(open_alerts(api, tokens)) == {("SN1", "relocated")}


def test_one_bad_reading_is_a_counted_rejection_not_a_lost_batch(api: TestClient, tokens: Tokens) -> None:
    bad = selftest(2, TestResult.PASS) | {"battery_pct": 140}
    result = ingest(api, tokens, selftest(1, TestResult.PASS), bad, {"nonsense": True})
    assert result["accepted"] == 1
    assert [r["index"] for r in result["rejected"]] == [1, 2]
    assert "battery_pct" in result["rejected"][0]["error"]
    metrics = api.get("/metrics").text
    assert 'aedmon_server_rejected_total{reason="invalid"}' in metrics


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("get", "/api/v1/devices", None, 401),
        ("get", "/api/v1/devices", "wrong", 401),
        ("get", "/api/v1/devices", "bridge", 403),
        ("get", "/api/v1/devices", "viewer", 200),
        ("post", "/api/v1/ingest", None, 401),
        ("post", "/api/v1/ingest", "viewer", 403),
        ("post", "/api/v1/ingest", "technician", 403),
        ("post", "/api/v1/devices", "technician", 403),
        ("post", "/api/v1/devices", "viewer", 403),
        ("patch", "/api/v1/devices/SN1", "technician", 403),
        ("post", "/api/v1/alerts/1/ack", "viewer", 403),
        ("post", "/api/v1/alerts/1/ack", "staff", 403),
        ("post", "/api/v1/alerts/1/ack", None, 401),
        ("get", "/api/v1/devices", "staff", 200),
        ("patch", "/api/v1/devices/SN1", "staff", 403),
        ("post", "/api/v1/silences", "staff", 403),
        ("post", "/api/v1/contacts", "technician", 403),
        ("get", "/api/v1/whoami", None, 401),
    ],
)
def test_tokens_and_roles_guard_every_endpoint(
    api: TestClient, tokens: Tokens, method: str, path: str, role: str | None, status: int
) -> None:
    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)))
    headers = {} if role is None else auth(getattr(tokens, role, "not-a-real-token-at-all"))
    body: dict[str, Any] = {
        "/api/v1/ingest": {"readings": [selftest(9, TestResult.PASS)]},
        "/api/v1/devices": {"id": "SN9", "site": "s", "kind": "aed"},
        "/api/v1/devices/SN1": {"name": "changed"},
    }.get(path, {})
    response = api.request(method.upper(), path, headers=headers, json=body if method != "get" else None)
    assert response.status_code == status
    if status != 200:  # nothing changed
        assert len(api.get("/api/v1/devices/SN1/readings", headers=auth(tokens.viewer)).json()) == 1
        assert api.get("/api/v1/devices/SN1", headers=auth(tokens.viewer)).json()["name"] == ""
        assert open_alerts(api, tokens)[("SN1", "self_test_failed")]["state"] == "open"


@pytest.mark.parametrize("role", ["admin", "technician", "staff", "viewer", "bridge"])
def test_whoami_tells_a_page_the_role_of_its_key(api: TestClient, tokens: Tokens, role: str) -> None:
    response = api.get("/api/v1/whoami", headers=auth(getattr(tokens, role)))
    assert response.status_code == 200
    assert response.json() == {
        "name": role,
        "role": role,
        "sites": [],
        "areas": [],
        "csrf_token": None,
    }  # a bootstrap token: everything


def test_technician_acknowledges_an_alert_once(api: TestClient, tokens: Tokens) -> None:
    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)))
    alert_id = open_alerts(api, tokens)[("SN1", "self_test_failed")]["id"]
    response = api.post(
        f"/api/v1/alerts/{alert_id}/ack",
        json={"note": "on my way with a spare"},
        headers=auth(tokens.technician),
    )
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "technician"
    assert response.json()["ack_note"] == "on my way with a spare"
    again = api.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth(tokens.technician))
    assert again.status_code == 409
    assert api.post("/api/v1/alerts/999999/ack", headers=auth(tokens.technician)).status_code == 404


def test_admin_registers_and_patches_a_cabinet_with_a_geofence(api: TestClient, tokens: Tokens) -> None:
    body = {"id": "CAB-1", "site": "street", "kind": "cabinet", "lat": 42.6, "lon": 23.0, "geofence_m": 50}
    assert api.post("/api/v1/devices", json=body, headers=auth(tokens.admin)).status_code == 201
    assert api.post("/api/v1/devices", json=body, headers=auth(tokens.admin)).status_code == 409
    patched = api.patch(
        "/api/v1/devices/CAB-1",
        json={"geofence_m": 80, "place": "By the post office"},
        headers=auth(tokens.admin),
    )
    assert patched.status_code == 200
    assert patched.json()["geofence_m"] == 80
    assert patched.json()["report_interval_s"] == 300
    bad = api.patch("/api/v1/devices/CAB-1", json={"lat": 123}, headers=auth(tokens.admin))
    assert bad.status_code == 422
    assert api.get("/api/v1/devices/NOPE", headers=auth(tokens.viewer)).status_code == 404


def test_placeholder_tokens_are_refused_outside_the_demo() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        ServerSettings(tokens="admin:changeme")
    assert ServerSettings(tokens="admin:changeme", demo=True).token_roles == {"changeme": "admin"}


def test_healthz_answers_without_a_token(api: TestClient) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"] == __version__  # which aedmon answers, for an upgrade's check


def cabinet_reading(seconds: int, seq: int, kind: ReadingType, **fields: Any) -> dict[str, Any]:
    moment = T0 + timedelta(seconds=seconds)
    return factories.as_json(
        factories.reading(kind, device="CAB-1", site="street", at=moment, seq=seq, **fields)
    )


def test_cabinet_rescue_ends_with_a_technician_confirming_service(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    ingest(api, tokens, cabinet_reading(0, 1, ReadingType.STATUS, aed_present=True, door_open=False))
    assert open_alerts(api, tokens) == {}
    ingest(api, tokens, cabinet_reading(20, 2, ReadingType.EVENT, event=EventType.AED_REMOVED))
    removed = open_alerts(api, tokens)[("CAB-1", "aed_removed")]
    assert removed["severity"] == "critical"
    device = api.get("/api/v1/devices/CAB-1", headers=auth(tokens.viewer)).json()
    assert device["kind"] == "cabinet"
    assert device["readiness"] == "not_ready"

    ingest(
        api,
        tokens,
        cabinet_reading(40, 3, ReadingType.EVENT, event=EventType.AED_RETURNED),
        cabinet_reading(45, 4, ReadingType.STATUS, aed_present=True, door_open=False),
    )
    assert set(open_alerts(api, tokens)) == {("CAB-1", "needs_service")}

    assert api.post("/api/v1/devices/CAB-1/service", headers=auth(tokens.viewer)).status_code == 403
    clock.now = T0 + timedelta(minutes=2)
    confirmed = api.post("/api/v1/devices/CAB-1/service", headers=auth(tokens.technician))
    assert confirmed.status_code == 200
    assert confirmed.json()["serviced_at"] is not None
    assert confirmed.json()["readiness"] == "ready"
    assert open_alerts(api, tokens) == {}


def test_a_condition_back_within_a_day_reopens_the_same_alert_as_a_new_occurrence(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)))
    first = open_alerts(api, tokens)[("SN1", "self_test_failed")]
    api.post(f"/api/v1/alerts/{first['id']}/ack", json={"note": "checking"}, headers=auth(tokens.technician))
    ingest(api, tokens, selftest(2, TestResult.PASS))
    assert open_alerts(api, tokens) == {}
    clock.now = T0 + timedelta(hours=3)
    ingest(api, tokens, selftest(3, TestResult.FAIL, codes=("C02",)))
    again = open_alerts(api, tokens)[("SN1", "self_test_failed")]
    assert again["id"] == first["id"]
    assert again["occurrences"] == 2
    assert again["acknowledged_by"] is None  # a new occurrence wants a new acknowledgement
    assert again["last_opened_at"].startswith("2026-11-23T09:00")
    history = api.get(f"/api/v1/alerts/{first['id']}/history", headers=auth(tokens.viewer)).json()
    assert [(h["action"], h["actor"], h["occurrence"]) for h in history] == [
        ("opened", "system", 1),
        ("acknowledged", "technician", 1),
        ("resolved", "system", 1),
        ("reopened", "system", 2),
    ]
    assert history[1]["note"] == "checking"


def test_a_condition_back_after_a_day_is_a_new_alert(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)))
    first = open_alerts(api, tokens)[("SN1", "self_test_failed")]["id"]
    ingest(api, tokens, selftest(2, TestResult.PASS))
    clock.now = T0 + timedelta(days=3)
    ingest(api, tokens, selftest(70, TestResult.FAIL, codes=("C02",)))
    second = open_alerts(api, tokens)[("SN1", "self_test_failed")]
    assert second["id"] != first
    assert second["occurrences"] == 1


def test_silences_are_set_listed_and_ended_by_technicians(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    body = {
        "site": "town-hall",
        "reason": "Building closed for renovation",
        "ends_at": "2026-11-30T00:00:00Z",
    }
    assert api.post("/api/v1/silences", json=body, headers=auth(tokens.viewer)).status_code == 403
    created = api.post("/api/v1/silences", json=body, headers=auth(tokens.technician))
    assert created.status_code == 201
    silence = created.json()
    assert silence["created_by"] == "technician"
    active = api.get("/api/v1/silences", params={"active": True}, headers=auth(tokens.viewer)).json()
    assert [s["id"] for s in active] == [silence["id"]]
    ended = api.delete(f"/api/v1/silences/{silence['id']}", headers=auth(tokens.technician))
    assert ended.status_code == 200
    assert api.get("/api/v1/silences", params={"active": True}, headers=auth(tokens.viewer)).json() == []
    assert len(api.get("/api/v1/silences", headers=auth(tokens.viewer)).json()) == 1  # kept on record


def test_windows_not_yet_ended_are_listed_with_their_devices_names(api: TestClient, tokens: Tokens) -> None:
    ingest(api, tokens, selftest(1, TestResult.PASS))
    api.patch(
        "/api/v1/devices/SN1", json={"name": "Reception AED"}, headers=auth(tokens.admin)
    ).raise_for_status()
    made = {}
    for reason, target, starts, ends in (
        ("running on the site", {"site": "town-hall"}, None, T0 + timedelta(days=1)),
        ("planned for the AED", {"device_id": "SN1"}, T0 + timedelta(days=2), T0 + timedelta(days=3)),
        ("ended already", {"device_id": "SN1"}, None, T0 + timedelta(days=1)),
    ):
        body = {**target, "reason": reason, "ends_at": ends.isoformat()}
        if starts is not None:
            body["starts_at"] = starts.isoformat()
        answer = api.post("/api/v1/silences", json=body, headers=auth(tokens.technician))
        assert answer.status_code == 201, answer.text
        made[reason] = answer.json()
    assert made["planned for the AED"]["device_name"] == "Reception AED"
    assert made["running on the site"]["device_name"] is None
    api.delete(
        f"/api/v1/silences/{made['ended already']['id']}", headers=auth(tokens.technician)
    ).raise_for_status()
    current = api.get("/api/v1/silences", params={"ended": False}, headers=auth(tokens.viewer)).json()
    assert sorted(s["reason"] for s in current) == ["planned for the AED", "running on the site"]
    every = api.get("/api/v1/silences", headers=auth(tokens.viewer)).json()
    assert [s["device_name"] for s in every if s["reason"] == "ended already"] == ["Reception AED"]
    assert (
        api.get("/api/v1/silences", params={"ended": "maybe"}, headers=auth(tokens.viewer)).status_code == 422
    )


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "no target", "ends_at": "2026-11-30T00:00:00Z"},
        {"site": "s", "device_id": "d", "reason": "both targets", "ends_at": "2026-11-30T00:00:00Z"},
        {"site": "s", "reason": "in the past", "ends_at": "2026-11-01T00:00:00Z"},
        {"site": "s", "reason": "naive time", "ends_at": "2026-11-30T00:00:00"},
        {"site": "s", "reason": "x", "ends_at": "2026-11-30T00:00:00Z"},
    ],
)
def test_bad_silences_are_refused(api: TestClient, tokens: Tokens, body: dict[str, Any]) -> None:
    response = api.post("/api/v1/silences", json=body, headers=auth(tokens.technician))
    assert response.status_code == 422
    assert api.get("/api/v1/silences", headers=auth(tokens.viewer)).json() == []


def test_a_quiet_bridge_is_one_bridge_offline_alert_not_one_per_device(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    beat = factories.as_json(
        factories.heartbeat(
            device="bridge-town-hall",
            kind="bridge",
            at=T0,
            bridge="bridge-town-hall",
            extra={"outbox_rows": 0},
        )
    )
    devices = [
        selftest(0, TestResult.PASS, device=f"SN{i}") | {"bridge": "bridge-town-hall"} for i in range(3)
    ]
    ingest(api, tokens, beat, *devices)
    bridge = api.get("/api/v1/devices/bridge-town-hall", headers=auth(tokens.viewer)).json()
    assert bridge["kind"] == "bridge"
    clock.now = T0 + timedelta(minutes=10)
    from server.evaluation import evaluate_due

    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        evaluate_due(session, clock.now, api.app.state.policy)  # type: ignore[attr-defined]
    assert set(open_alerts(api, tokens)) == {("bridge-town-hall", "bridge_offline")}
    aed = api.get("/api/v1/devices/SN1", headers=auth(tokens.viewer)).json()
    assert aed["readiness"] == "unknown"
    assert any("bridge-town-hall is offline" in reason for reason in aed["reasons"])


def test_open_data_feed_lists_only_opted_in_aeds_with_osm_tags_and_availability(
    api: TestClient, tokens: Tokens
) -> None:
    listed = {
        "id": "SN1", "site": "town-hall", "kind": "aed", "name": "Town hall AED",
        "place": "Ground floor, reception", "lat": 42.6062, "lon": 23.0379, "public": True,
        "access": "yes", "indoor": True, "opening_hours": "Mo-Fr 08:00-18:00",
    }  # fmt: skip
    hidden = {"id": "SN2", "site": "town-hall", "kind": "aed", "lat": 42.6, "lon": 23.0}
    for body in (listed, hidden):
        assert api.post("/api/v1/devices", json=body, headers=auth(tokens.admin)).status_code == 201
    ingest(
        api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)), selftest(1, TestResult.PASS, device="SN2")
    )
    response = api.get("/api/v1/public/aeds.geojson")  # no token: open data
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feed = response.json()
    assert feed["type"] == "FeatureCollection"
    assert [f["id"] for f in feed["features"]] == ["SN1"]
    feature = feed["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [23.0379, 42.6062]}
    props = feature["properties"]
    assert props["emergency"] == "defibrillator"
    assert props["defibrillator:location"] == "Ground floor, reception"
    assert (props["indoor"], props["access"], props["opening_hours"]) == ("yes", "yes", "Mo-Fr 08:00-18:00")
    assert props["aedmon:available"] == "no"  # its self-test failed
    assert props["aedmon:last_check"].startswith("2026-11-23T07:00")
    patched = api.patch("/api/v1/devices/SN1", json={"public": False}, headers=auth(tokens.admin))
    assert patched.status_code == 200
    assert api.get("/api/v1/public/aeds.geojson").json()["features"] == []
    assert (
        api.patch("/api/v1/devices/SN1", json={"access": "sometimes"}, headers=auth(tokens.admin)).status_code
        == 422
    )


def test_consumables_forecast_as_json_and_csv(api: TestClient, tokens: Tokens) -> None:
    ingest(
        api,
        tokens,
        selftest(1, TestResult.PASS, pads_expiry=date(2027, 1, 15), battery_expiry=date(2027, 2, 1)),
        selftest(1, TestResult.PASS, device="SN2", pads_expiry=date(2027, 1, 3)),
    )
    rows = api.get("/api/v1/reports/consumables", headers=auth(tokens.viewer)).json()
    january = next(r for r in rows if r["month"] == "2027-01")
    assert (january["site"], january["pads"], january["batteries"]) == ("town-hall", 2, 0)
    assert january["devices"] == ["SN1", "SN2"]
    assert next(r for r in rows if r["month"] == "2027-02")["batteries"] == 1
    response = api.get("/api/v1/reports/consumables", params={"format": "csv"}, headers=auth(tokens.viewer))
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "site,month,pads,batteries,devices"
    assert "town-hall,2027-01,2,0,SN1 SN2" in lines
    assert len(lines) == 13
    assert api.get("/api/v1/reports/consumables").status_code == 401


def test_inspections_and_the_hash_chained_compliance_record(api: TestClient, tokens: Tokens) -> None:
    ingest(api, tokens, selftest(1, TestResult.PASS), selftest(2, TestResult.FAIL, codes=("C02",)))
    checklist = {
        "inspector": "Maria Petrova",
        "status_light_ok": True,
        "pads_sealed_in_date": False,
        "cabinet_intact": True,
        "notes": "pads pouch torn",
        "at": "2026-11-23T05:30:00Z",
    }
    assert (
        api.post("/api/v1/devices/SN1/inspections", json=checklist, headers=auth(tokens.viewer)).status_code
        == 403
    )
    made = api.post("/api/v1/devices/SN1/inspections", json=checklist, headers=auth(tokens.technician))
    assert made.status_code == 201
    assert made.json()["recorded_by"] == "technician"
    by_staff = {**checklist, "inspector": "Ivan Georgiev", "at": "2026-11-23T05:40:00Z"}
    made = api.post("/api/v1/devices/SN1/inspections", json=by_staff, headers=auth(tokens.staff))
    assert made.status_code == 201  # building staff do the monthly walk-round too
    assert made.json()["recorded_by"] == "staff"
    listed = api.get("/api/v1/devices/SN1/inspections", headers=auth(tokens.viewer)).json()
    assert [i["inspector"] for i in listed] == ["Ivan Georgiev", "Maria Petrova"]
    assert (
        api.post(
            "/api/v1/devices/NOPE/inspections", json=checklist, headers=auth(tokens.technician)
        ).status_code
        == 404
    )

    params = {"from": "2026-11-23", "to": "2026-11-23", "device_id": "SN1"}
    rows = api.get("/api/v1/reports/compliance", params=params, headers=auth(tokens.viewer)).json()
    assert [(r["entry"]["kind"], r["entry"]["result"]) for r in rows] == [
        ("inspection", "not ok: pads sealed and in date"),
        ("inspection", "not ok: pads sealed and in date"),
        ("selftest", "PASS"),
        ("selftest", "FAIL"),
    ]
    from server.reports.compliance import ChainedEntry, Entry, verify

    chained = [ChainedEntry(r["number"], Entry(**r["entry"]), r["previous"], r["hash"]) for r in rows]
    assert verify(chained) is None
    csv_text = api.get(
        "/api/v1/reports/compliance", params={**params, "format": "csv"}, headers=auth(tokens.viewer)
    ).text
    lines = csv_text.splitlines()
    assert lines[0] == "number,time,device_id,site,kind,result,details,by,previous,hash"
    assert lines[-1].endswith(rows[-1]["hash"])
    assert len(lines) == 5


def test_a_reported_problem_is_resolved_by_a_technician_and_rule_alerts_are_not(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    from server import alerts

    ingest(api, tokens, selftest(1, TestResult.FAIL, codes=("C02",)))
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        alerts.report_problem(session, "SN1", "door broken", "", clock.now)
        session.commit()
    opened = open_alerts(api, tokens)
    reported, failed = opened[("SN1", "reported_problem")], opened[("SN1", "self_test_failed")]
    assert (
        api.post(f"/api/v1/alerts/{reported['id']}/resolve", headers=auth(tokens.viewer)).status_code == 403
    )
    assert (
        api.post(f"/api/v1/alerts/{failed['id']}/resolve", headers=auth(tokens.technician)).status_code == 409
    )
    done = api.post(f"/api/v1/alerts/{reported['id']}/resolve", headers=auth(tokens.technician))
    assert done.status_code == 200
    assert done.json()["state"] == "resolved"
    history = api.get(f"/api/v1/alerts/{reported['id']}/history", headers=auth(tokens.viewer)).json()
    assert [(h["action"], h["actor"]) for h in history] == [("opened", "system"), ("resolved", "technician")]
    ingest(api, tokens, selftest(2, TestResult.FAIL, codes=("C02",)))  # the rules leave it resolved
    assert ("SN1", "reported_problem") not in open_alerts(api, tokens)
