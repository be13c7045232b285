"""The console's lists at fleet size, on SQLite and PostgreSQL: alerts filtered by state, site,
severity, type and device, in three orders, a page at a time with the next in a `Link` header;
their counts by severity, type and site from one aggregate query; searches that find sites and
devices by any part of their names, in any alphabet; and hostile requests refused."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from server import store
from server.app import create_app
from server.rules.findings import AlertType, Severity
from server.settings import ServerSettings
from server.store.models import Alert, AlertState

from .. import factories
from ..conftest import Tokens

NOW = factories.T0 + timedelta(hours=2)
RANK = {severity.value: rank for rank, severity in enumerate(Severity)}
# (device, site, type, severity, minutes before NOW it opened): ties in time on purpose.
ALERTS = [
    ("A1", "alpha", AlertType.SELF_TEST_FAILED, Severity.CRITICAL, 50),
    ("A1", "alpha", AlertType.PADS_EXPIRING, Severity.MINOR, 50),
    ("A2", "alpha", AlertType.BATTERY_LOW, Severity.MAJOR, 40),
    ("B1", "beta", AlertType.DOOR_OPEN, Severity.MAJOR, 40),
    ("B1", "beta", AlertType.DEVICE_SILENT, Severity.MAJOR, 30),
    ("B2", "beta", AlertType.SELF_TEST_FAILED, Severity.CRITICAL, 20),
    ("G1", "gamma", AlertType.PADS_EXPIRED, Severity.CRITICAL, 60),
    ("G1", "gamma", AlertType.IN_USE, Severity.INFO, 10),
    ("G2", "gamma", AlertType.RELOCATED, Severity.MINOR, 50),
]


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(NOW), background=False)) as client:
        client.headers["Authorization"] = f"Bearer {tokens.admin}"
        names = {"A1": "Кметство, входа", "A2": "Council chamber", "G1": "Gym", "G2": "Pool"}
        for device in sorted({row[0] for row in ALERTS}):
            site = next(row[1] for row in ALERTS if row[0] == device)
            body = factories.device(device, site=site, name=names.get(device, f"Hall {device}"))
            client.post("/api/v1/devices", json=body).raise_for_status()
        client.patch("/api/v1/sites/alpha", json={"name": "Община Перник"}).raise_for_status()
        with client.app.state.sessions() as session:  # type: ignore[attr-defined]
            for device, _site, kind, severity, minutes in ALERTS:
                store.alerts.insert_if_none_open(
                    session,
                    device_id=device,
                    alert_type=kind,
                    severity=severity,
                    detail={"id": "detail.as_recorded", "params": {"text": kind.value}},
                    message=kind.value,
                    now=NOW - timedelta(minutes=minutes),
                )
            session.commit()
        technician = {"Authorization": f"Bearer {tokens.technician}"}
        for alert in client.get("/api/v1/alerts", params={"type": ["door_open", "pads_expired"]}).json():
            client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=technician).raise_for_status()
        with client.app.state.sessions() as session:  # type: ignore[attr-defined]
            relocated = session.query(Alert).filter_by(type="relocated").one()
            relocated.state, relocated.resolved_at = AlertState.RESOLVED.value, NOW
            session.commit()
        yield client


def every_page(api: TestClient, params: dict[str, Any], limit: int = 2) -> list[dict[str, Any]]:
    """Each page in turn, following the `Link` header until there is none."""
    seen: list[dict[str, Any]] = []
    answer = api.get("/api/v1/alerts", params={**params, "limit": limit})
    while True:
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page) <= limit
        seen += page
        found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("link", ""))
        if not found:
            return seen
        answer = api.get(found.group(1))


def expected(order: str, rows: list[dict[str, Any]]) -> list[int]:
    keys = {
        "newest": lambda a: (a["opened_at"], a["id"]),
        "worst": lambda a: (RANK[a["severity"]], a["last_opened_at"], a["id"]),
        "site": lambda a: (a["site"], RANK[a["severity"]], a["last_opened_at"], a["id"]),
    }
    return [a["id"] for a in sorted(rows, key=keys[order], reverse=order == "newest")]


def test_every_alert_comes_once_in_its_order_page_by_page(api: TestClient) -> None:
    everything = api.get("/api/v1/alerts", params={"limit": 1000}).json()
    assert len(everything) == len(ALERTS)
    unresolved = [a for a in everything if a["state"] != "resolved"]
    for order in ("newest", "worst", "site"):
        for limit in (1, 2, 3, 1000):
            paged = every_page(api, {"order": order, "state": ["open", "acknowledged"]}, limit)
            assert [a["id"] for a in paged] == expected(order, unresolved), (order, limit)


def test_an_alert_says_its_devices_name_place_and_site(api: TestClient) -> None:
    [alert] = api.get("/api/v1/alerts", params={"device_id": "A2"}).json()
    assert (alert["device_name"], alert["site"], alert["type"]) == ("Council chamber", "alpha", "battery_low")


FILTERED = [
    ({"site": "beta"}, {("B1", "door_open"), ("B1", "device_silent"), ("B2", "self_test_failed")}),
    (
        {"severity": "critical"},
        {("A1", "self_test_failed"), ("B2", "self_test_failed"), ("G1", "pads_expired")},
    ),
    ({"severity": ["info", "minor"], "state": "open"}, {("A1", "pads_expiring"), ("G1", "in_use")}),
    (
        {"type": ["self_test_failed", "door_open"], "site": "beta"},
        {("B1", "door_open"), ("B2", "self_test_failed")},
    ),
    ({"state": "acknowledged"}, {("B1", "door_open"), ("G1", "pads_expired")}),
    ({"state": "resolved"}, {("G2", "relocated")}),
    ({"device_id": "G1", "severity": "info"}, {("G1", "in_use")}),
    ({"site": "nowhere"}, set()),
    ({"type": "clock_fault"}, set()),
]


def test_alerts_are_filtered_and_counted_alike(api: TestClient) -> None:
    for params, devices_and_types in FILTERED:
        for order in ("newest", "worst", "site"):
            listed = every_page(api, {**params, "order": order})
            assert {(a["device_id"], a["type"]) for a in listed} == devices_and_types, (params, order)
            assert len(listed) == len(devices_and_types)
        if "device_id" in params:
            continue  # the summary counts sites, not a device
        summary = api.get("/api/v1/alerts/summary", params=params)
        assert summary.status_code == 200, summary.text
        counted = summary.json()
        assert counted["total"] == len(devices_and_types), params
        assert sum(counted["types"].values()) == len(devices_and_types)
        assert sum(site["total"] for site in counted["sites"]) == len(devices_and_types)


def test_the_summary_counts_by_severity_type_and_site_worst_first(api: TestClient) -> None:
    counted = api.get("/api/v1/alerts/summary", params={"state": ["open", "acknowledged"]}).json()
    assert counted["total"] == 8
    assert counted["severities"] == {"critical": 3, "major": 3, "minor": 1, "info": 1}
    assert counted["types"]["self_test_failed"] == 2
    assert list(counted["types"])[0] == "self_test_failed"  # most first
    assert [(s["site"], s["name"], s["total"]) for s in counted["sites"]] == [
        ("beta", "", 3),  # one critical, two major
        ("alpha", "Община Перник", 3),  # one critical, one major, one minor
        ("gamma", "", 2),  # one critical, one info
    ]
    assert counted["sites"][1]["severities"] == {"critical": 1, "major": 1, "minor": 1, "info": 0}


def test_an_unchanged_list_answers_304_and_a_change_a_new_list(api: TestClient, tokens: Tokens) -> None:
    params = {"state": "open", "order": "site"}
    first = api.get("/api/v1/alerts", params=params)
    tag = first.headers["etag"]
    again = api.get("/api/v1/alerts", params=params, headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")
    alert_id = first.json()[0]["id"]
    technician = {"Authorization": f"Bearer {tokens.technician}"}
    api.post(f"/api/v1/alerts/{alert_id}/ack", headers=technician).raise_for_status()
    changed = api.get("/api/v1/alerts", params=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert alert_id not in [a["id"] for a in changed.json()]


DEVICE_SEARCHES = [
    ("кмет", ["A1"]),  # Cyrillic, folded: the name is "Кметство, входа"
    ("КМЕТСТВО", ["A1"]),
    ("ВХОДА", ["A1"]),
    ("hall b", ["B1", "B2"]),
    ("община", ["A1", "A2"]),  # their site's name
    ("gamm", ["G1", "G2"]),  # their site's id
    ("%", []),
    ("_", []),
]
SITE_SEARCHES = [
    ("перник", ["alpha"]),
    ("ОБЩИНА", ["alpha"]),
    ("bet", ["beta"]),
    ("a", ["alpha", "beta", "gamma"]),
    ("%", []),
]


def test_devices_and_sites_are_found_by_any_part_of_their_names_in_any_alphabet(api: TestClient) -> None:
    for query, found in DEVICE_SEARCHES:
        answer = api.get("/api/v1/devices", params={"q": query})
        assert answer.status_code == 200, answer.text
        assert [d["id"] for d in answer.json()] == found, query
    for query, found in SITE_SEARCHES:
        answer = api.get("/api/v1/sites", params={"q": query})
        assert answer.status_code == 200, answer.text
        assert sorted(s["id"] for s in answer.json()) == found, query
    for params in ({"q": "x" * 201}, {"q": "a", "cursor": "%%%"}):
        assert api.get("/api/v1/sites", params=params).status_code in (400, 422), params


def cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


MOMENT = NOW.isoformat()


HOSTILE = [
    {"cursor": "not base64 at all!"},
    {"cursor": cursor(MOMENT, 1), "order": "worst"},  # a cursor of another order
    {"cursor": cursor(0, MOMENT, 1), "order": "newest"},
    {"cursor": cursor("alpha", 0, MOMENT, 1), "order": "worst"},
    {"cursor": cursor(0, MOMENT, 1)[:-3], "order": "worst"},  # truncated
    {"cursor": cursor(5, MOMENT, 1), "order": "worst"},  # beyond every severity
    {"cursor": cursor(-1, MOMENT, 1), "order": "worst"},
    {"cursor": cursor(0.5, MOMENT, 1), "order": "worst"},
    {"cursor": cursor(True, MOMENT, 1), "order": "worst"},
    {"cursor": cursor(0, "2026-11-24T10:00:00", 1), "order": "worst"},  # no zone
    {"cursor": cursor(0, "yesterday", 1), "order": "worst"},
    {"cursor": cursor(0, "9" * 500, 1), "order": "worst"},
    {"cursor": cursor(0, "9999-12-31T23:59:59-14:00", 1), "order": "worst"},  # beyond year 9999 in UTC
    {"cursor": cursor(0, "0001-01-01T00:00:00+14:00", 1), "order": "worst"},  # before year 1 in UTC
    {"cursor": cursor(0, MOMENT, 2**31), "order": "worst"},
    {"cursor": cursor(0, MOMENT, -1), "order": "worst"},
    {"cursor": cursor(0, MOMENT, "1"), "order": "worst"},
    {"cursor": cursor("../x", 0, MOMENT, 1), "order": "site"},
    {"cursor": cursor(None, 0, MOMENT, 1), "order": "site"},
    {"cursor": cursor(MOMENT, 1, 1)},
    {"cursor": cursor([MOMENT], 1)},
    {"cursor": cursor({"a": 1}, 1)},
    {"cursor": "x" * 301},
    {"order": "random"},
    {"severity": "fatal"},
    {"type": "toaster_on_fire"},
    {"state": "forgotten"},
    {"site": "a/b"},
    {"site": "x" * 65},
    {"device_id": "../../etc"},
    {"limit": 0},
    {"limit": 1001},
    {"limit": "NaN"},
]


def test_a_hostile_alert_list_request_is_refused(api: TestClient) -> None:
    for params in HOSTILE:
        answer = api.get("/api/v1/alerts", params=params)
        assert answer.status_code in (400, 422), (params, answer.text)
        assert len(answer.text) < 2000
        if "cursor" in params:
            continue
        summary = api.get("/api/v1/alerts/summary", params=params)
        if {"order", "limit", "device_id"} & set(params):
            assert summary.status_code == 200, params  # the summary takes none of these
        else:
            assert summary.status_code == 422, (params, summary.text)


def test_a_severity_no_longer_known_comes_last_and_pages_on(api: TestClient) -> None:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        edited = session.query(Alert).filter_by(type="in_use").one()  # a hand-edited row
        edited.severity = "catastrophic"
        session.commit()
        edited_id = edited.id
    paged = every_page(api, {"order": "worst", "state": ["open", "acknowledged"]}, limit=1)
    assert len(paged) == len({a["id"] for a in paged}) == len(ALERTS) - 1  # each once; one resolved
    assert paged[-1]["id"] == edited_id
