"""A mobile unit's oxygen through the whole server, on both databases: pressure falling while
it is parked opens o2_leak; below its minimum opens o2_low and makes the unit not ready."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import DeviceKind, Reading
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens
from .test_notifications import auth

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, clock, background=False)) as client:
        yield client


def send(api: TestClient, tokens: Tokens, *readings: Reading) -> None:
    body = {"readings": [factories.as_json(r) for r in readings]}
    answer = api.post("/api/v1/ingest", json=body, headers=auth(tokens.bridge))
    assert answer.status_code == 200, answer.text
    assert {o["status"] for o in answer.json()["results"]} == {"stored"}, answer.text


def open_types(api: TestClient, tokens: Tokens) -> set[str]:
    alerts = api.get("/api/v1/alerts", params={"state": "open"}, headers=auth(tokens.viewer)).json()
    return {a["type"] for a in alerts}


def test_a_parked_units_falling_oxygen_is_a_leak_and_an_empty_cylinder_makes_it_not_ready(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    unit = factories.device("MU-01", kind=DeviceKind.MOBILE_UNIT, name="Mobile unit 1")
    api.post("/api/v1/devices", json=unit, headers=auth(tokens.admin)).raise_for_status()
    seq = 0
    for minute, bar in ((0, 150.0), (20, 147.5), (40, 144.0), (60, 141.0), (80, 138.5)):
        clock.now = T0 + timedelta(minutes=minute)
        seq += 1
        here = factories.location(42.6062, 23.0379, device="MU-01", seq=seq, at=clock.now)
        seq += 1
        said = factories.status(device="MU-01", seq=seq, at=clock.now, o2_pressure_bar=bar, fridge_temp_c=5.0)
        send(api, tokens, here, said)
    assert open_types(api, tokens) == {"o2_leak"}
    clock.now = T0 + timedelta(minutes=100)
    send(api, tokens, factories.status(device="MU-01", seq=seq + 1, at=clock.now, o2_pressure_bar=42.0,
                                       fridge_temp_c=5.0))  # fmt: skip
    assert "o2_low" in open_types(api, tokens)
    device = api.get("/api/v1/devices/MU-01", headers=auth(tokens.viewer)).json()
    assert device["readiness"] == "not_ready"
