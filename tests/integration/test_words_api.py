"""The API's words on SQLite and PostgreSQL: the fields table and a device's chart series in
the language asked for, and the scripts' catalogues; unknown languages and bad limits refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.fields import FIELDS
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    app = create_app(settings, MovableClock(factories.T0 + timedelta(hours=4)), background=False)
    with TestClient(app) as client:
        readings = [
            factories.selftest(TestResult.PASS if seq < 3 else TestResult.FAIL, seq=seq, battery_pct=90 - seq,
                               temp_c=20.0 + seq, at=factories.T0 + timedelta(hours=seq))
            for seq in range(4)
        ]  # fmt: skip
        readings.append(factories.status(seq=9, temp_c=4.5, at=factories.T0 + timedelta(minutes=30)))
        body = {"readings": [factories.as_json(r) for r in readings]}
        answer = client.post(
            "/api/v1/ingest", json=body, headers={"Authorization": f"Bearer {tokens.bridge}"}
        )
        assert answer.json()["accepted"] == 5, answer.text
        yield client


def viewer(tokens: Tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.viewer}"}


def test_the_fields_table_is_listed_with_labels_in_the_language_asked_for(
    api: TestClient, tokens: Tokens
) -> None:
    rows = api.get("/api/v1/fields", params={"lang": "uk"}, headers=viewer(tokens)).json()
    assert [row["key"] for row in rows] == [row.key for row in FIELDS]
    battery = next(row for row in rows if row["key"] == "battery_pct")
    assert battery == {"key": "battery_pct", "label": "Батарея", "unit": "%", "low": 0, "high": 100,
                       "types": ["selftest"], "mqtt": ["selftest"], "serial": "AEDST.6"}  # fmt: skip


def test_a_devices_series_are_its_charted_fields_oldest_first(api: TestClient, tokens: Tokens) -> None:
    series = api.get("/api/v1/devices/SN1/series", params={"lang": "cs"}, headers=viewer(tokens)).json()
    by_key = {s["key"]: s for s in series}
    assert list(by_key) == ["result_level", "battery_pct", "temp_c"]  # the table's order
    assert [value for _, value in by_key["result_level"]["points"]] == [0, 0, 0, 2]
    assert [value for _, value in by_key["battery_pct"]["points"]] == [90, 89, 88, 87]
    assert [value for _, value in by_key["temp_c"]["points"]] == [20.0, 4.5, 21.0, 22.0, 23.0]  # both types
    assert by_key["temp_c"]["label"] == "Teplota"
    assert by_key["temp_c"]["unit"] == "°C"


@pytest.mark.parametrize("limit", [0, -1, 1001, "many"])
def test_a_series_limit_out_of_bounds_is_refused(api: TestClient, tokens: Tokens, limit: object) -> None:
    answer = api.get("/api/v1/devices/SN1/series", params={"limit": limit}, headers=viewer(tokens))
    assert answer.status_code == 422


def test_the_scripts_catalogue_is_served_per_language_and_nothing_else(api: TestClient) -> None:
    words = api.get("/i18n/bg.json").json()
    assert words["save"] == "Запази"
    assert words["reason.pads_expired"] == "Изтекли електроди"
    for name in ("xx", "en-GB", "..%2Fsettings", "bg.json"):
        assert api.get(f"/i18n/{name}.json").status_code == 404
