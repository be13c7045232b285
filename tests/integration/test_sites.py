"""Sites and their time zones, on SQLite and PostgreSQL: a site's pages and notices say times
in its zone and the reader's language; a zone no machine knows, or hostile text, is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens

FAILED_AT = datetime(2026, 11, 24, 9, 40, tzinfo=UTC)


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting, time_zone="Europe/Sofia")
    app = create_app(settings, MovableClock(FAILED_AT + timedelta(minutes=1)), background=False)
    with TestClient(app) as client:
        failed = factories.selftest(TestResult.FAIL, codes=("C02",), at=FAILED_AT, site="school-3")
        answer = client.post(
            "/api/v1/ingest",
            json={"readings": [factories.as_json(failed)]},
            headers={"Authorization": f"Bearer {tokens.bridge}"},
        )
        assert answer.status_code == 200, answer.text
        yield client


def as_role(tokens: Tokens, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {getattr(tokens, role)}"}


def detail(api: TestClient, tokens: Tokens, language: str) -> str:
    alerts = api.get(
        "/api/v1/alerts", params={"state": "open", "lang": language}, headers=as_role(tokens, "viewer")
    ).json()
    return str(next(a["detail"] for a in alerts if a["type"] == "self_test_failed"))


def test_a_site_is_made_with_its_first_device_and_keeps_the_installations_zone(
    api: TestClient, tokens: Tokens
) -> None:
    site = api.get("/api/v1/sites/school-3", headers=as_role(tokens, "viewer")).json()
    assert site == {
        "id": "school-3",
        "name": "",
        "area": None,
        "time_zone": "Europe/Sofia",
        "own_time_zone": None,
        "language": None,
        "devices": 1,
        "counts": {"ready": 0, "attention": 0, "not_ready": 1, "unknown": 0},  # its failed self-test
    }
    assert "11:40" in detail(api, tokens, "bg")  # 09:40 UTC is 11:40 in Sofia
    device = api.get("/api/v1/devices/SN1", params={"lang": "bg"}, headers=as_role(tokens, "viewer")).json()
    assert device["time_zone"] == "Europe/Sofia"
    assert any("Неуспешен самотест в 24.11.2026" in reason for reason in device["reasons"])


@pytest.mark.parametrize(
    ("zone", "language", "said"),
    [("Europe/Kyiv", "uk", "24 лист. 2026\u202fр., 11:40"), ("Europe/Prague", "cs", "24. 11. 2026 10:40")],
)
def test_a_sites_own_zone_says_its_times_in_the_readers_language(
    api: TestClient, tokens: Tokens, zone: str, language: str, said: str
) -> None:
    changed = api.patch(
        "/api/v1/sites/school-3",
        json={"time_zone": zone, "name": "School 3"},
        headers=as_role(tokens, "admin"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["own_time_zone"] == zone
    assert said in detail(api, tokens, language)
    english = api.get("/api/v1/alerts", params={"state": "open"}, headers=as_role(tokens, "viewer")).json()
    assert "Self-test failed at Nov 24, 2026, 09:40" in english[0]["message"]  # machines' field: UTC
    back = api.patch("/api/v1/sites/school-3", json={"time_zone": None}, headers=as_role(tokens, "admin"))
    assert back.json()["time_zone"] == "Europe/Sofia"


@pytest.mark.parametrize(
    "body",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "Europe/Sofia" * 10},
        {"time_zone": "../../etc/passwd"},
        {"time_zone": ""},
        {"time_zone": 3},
        {"name": "x" * 201},
        {"name": "School\u00003"},
        {"name": None},
        {"colour": "red"},
        {"language": "de"},
        {"language": "BG"},
        {"language": "bg" * 40},
        {"language": 1},
    ],
)
def test_a_zone_no_machine_knows_or_hostile_text_is_refused(
    api: TestClient, tokens: Tokens, body: dict[str, object]
) -> None:
    answer = api.patch("/api/v1/sites/school-3", json=body, headers=as_role(tokens, "admin"))
    assert answer.status_code == 422, answer.text
    assert (
        api.get("/api/v1/sites/school-3", headers=as_role(tokens, "viewer")).json()["own_time_zone"] is None
    )


def test_a_sites_language_is_set_and_cleared(api: TestClient, tokens: Tokens) -> None:
    admin = as_role(tokens, "admin")
    assert (
        api.patch("/api/v1/sites/school-3", json={"language": "bg"}, headers=admin).json()["language"] == "bg"
    )
    assert api.get("/api/v1/sites/school-3", headers=as_role(tokens, "viewer")).json()["language"] == "bg"
    assert (
        api.patch("/api/v1/sites/school-3", json={"language": None}, headers=admin).json()["language"] is None
    )


def test_only_an_admin_changes_a_site_and_an_unknown_site_is_404(api: TestClient, tokens: Tokens) -> None:
    for role in ("viewer", "staff", "technician", "bridge"):
        answer = api.patch("/api/v1/sites/school-3", json={"time_zone": "UTC"}, headers=as_role(tokens, role))
        assert answer.status_code == 403
    assert api.patch("/api/v1/sites/school-3", json={"time_zone": "UTC"}).status_code == 401
    for site in ("no-such-site", "x" * 65, "bad%20id"):
        assert api.get(f"/api/v1/sites/{site}", headers=as_role(tokens, "viewer")).status_code == 404


def test_a_language_the_api_does_not_speak_is_refused(api: TestClient, tokens: Tokens) -> None:
    answer = api.get("/api/v1/alerts", params={"lang": "xx"}, headers=as_role(tokens, "viewer"))
    assert answer.status_code == 422
