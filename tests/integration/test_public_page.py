"""The page behind a cabinet's QR code, on SQLite and PostgreSQL: when its AED is not ready,
it points to the nearest public AED that is, with its place and distance; never to one that
is private, retired, not ready, or another kind of device."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import DeviceKind, TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens

NOW = factories.T0 + timedelta(minutes=5)
HERE = (42.60000, 23.03000)
METRE = 1 / 111_195  # a metre of latitude, in degrees


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(NOW), background=False)) as client:
        client.headers["Authorization"] = f"Bearer {tokens.admin}"
        yield client


def place(api: TestClient, tokens: Tokens, device: str, metres_north: float, result: TestResult,
          kind: DeviceKind = DeviceKind.AED, **fields: object) -> None:  # fmt: skip
    body = factories.device(device, site="town", kind=kind, name=f"{device} hall", place=f"{device} street",
                            lat=HERE[0] + metres_north * METRE, lon=HERE[1], **fields)  # fmt: skip
    api.post("/api/v1/devices", json=body).raise_for_status()
    reading = factories.selftest(result, device=device, site="town", at=NOW)
    bridge = {"Authorization": f"Bearer {tokens.bridge}"}
    api.post(
        "/api/v1/ingest", json={"readings": [factories.as_json(reading)]}, headers=bridge
    ).raise_for_status()


def page_of(api: TestClient, device: str) -> str:
    key = api.get(f"/api/v1/devices/{device}").json()["public_key"]
    answer = api.get(f"/d/{device}", params={"k": key, "lang": "en"}, headers={"Authorization": ""})
    assert answer.status_code == 200
    return answer.text


def test_a_not_ready_aeds_page_points_to_the_nearest_ready_public_one(
    api: TestClient, tokens: Tokens
) -> None:
    place(api, tokens, "HERE", 0, TestResult.FAIL, public=True)
    place(api, tokens, "FAR", 1200, TestResult.PASS, public=True)
    place(api, tokens, "NEAR", 310, TestResult.PASS, public=True)
    place(api, tokens, "BROKEN", 100, TestResult.FAIL, public=True)
    place(api, tokens, "PRIVATE", 50, TestResult.PASS, public=False)
    place(api, tokens, "GONE", 20, TestResult.PASS, public=True)
    place(api, tokens, "FRIDGE", 10, TestResult.PASS, kind=DeviceKind.FRIDGE, public=True)
    api.delete("/api/v1/devices/GONE").raise_for_status()

    page = page_of(api, "HERE")
    nearest = re.search(r'<section id="nearest".*?</section>', page, re.S)
    assert nearest is not None
    said = " ".join(re.sub(r"<[^>]+>", " ", nearest.group()).split())
    assert said.startswith("The nearest ready AED NEAR hall , NEAR street 310 m from here")
    assert f'href="geo:{HERE[0] + 310 * METRE},{HERE[1]}"' in nearest.group()
    for other in ("FAR", "BROKEN", "PRIVATE", "GONE", "FRIDGE"):
        assert other not in said
    bulgarian = api.get("/d/HERE", params={"k": api.get("/api/v1/devices/HERE").json()["public_key"],
                                           "lang": "bg"}).text  # fmt: skip
    assert "На 310 м оттук" in bulgarian

    assert 'id="nearest"' not in page_of(api, "NEAR"), "a ready AED's page sends no one elsewhere"


def test_no_pointer_when_nothing_near_is_ready_or_the_aed_has_no_place(
    api: TestClient, tokens: Tokens
) -> None:
    place(api, tokens, "HERE", 0, TestResult.FAIL, public=True)
    place(api, tokens, "BROKEN", 100, TestResult.FAIL, public=True)
    assert 'id="nearest"' not in page_of(api, "HERE")
    api.post("/api/v1/devices", json=factories.device("NOWHERE", site="town")).raise_for_status()
    place(api, tokens, "NEAR", 310, TestResult.PASS, public=True)
    assert 'id="nearest"' not in page_of(api, "NOWHERE")
    assert 'id="nearest"' in page_of(api, "HERE")
