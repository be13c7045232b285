"""Lists at fleet size, on SQLite and PostgreSQL: devices a page at a time with the next page
in a `Link` header, filtered by site, area, readiness, kind and text; sites with their counts
by readiness, worst first; each read from the readiness snapshots the evaluations keep, and
hostile cursors and searches refused or taken literally."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings
from server.store.models import ReadinessSnapshot

from .. import factories
from ..conftest import Tokens

NOW = factories.T0 + timedelta(minutes=5)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def api(database_url: str, tokens: Tokens, clock: MovableClock) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, clock, background=False)) as client:
        client.headers["Authorization"] = f"Bearer {tokens.admin}"
        fleet: list[tuple[str, str, str, TestResult | None]] = [
            ("A1", "alpha", "north", TestResult.PASS),
            ("A2", "alpha", "north", TestResult.FAIL),
            ("B1", "beta", "north", TestResult.PASS),
            ("C1", "gamma", "south", TestResult.WARN),
            ("C2", "gamma", "south", TestResult.FAIL),
            ("C3", "gamma", "south", None),  # never heard
        ]
        readings = []
        for device, site, area, result in fleet:
            body = factories.device(
                device, site=site, area=area, name=f"Hall {device}", place="50%_off corner"
            )
            client.post("/api/v1/devices", json=body).raise_for_status()
            if result is not None:
                readings.append(
                    factories.as_json(factories.selftest(result, device=device, site=site, at=NOW))
                )
        bridge = {"Authorization": f"Bearer {tokens.bridge}"}
        client.post("/api/v1/ingest", json={"readings": readings}, headers=bridge).raise_for_status()
        yield client


def ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [device["id"] for device in answer.json()]


def test_sites_come_worst_first_with_their_counts(api: TestClient) -> None:
    sites = api.get("/api/v1/sites").json()
    assert [(s["id"], s["devices"], s["counts"]) for s in sites] == [
        (
            "gamma",
            3,
            {"ready": 0, "attention": 1, "not_ready": 1, "unknown": 1},
        ),  # as many not ready, more else
        ("alpha", 2, {"ready": 1, "attention": 0, "not_ready": 1, "unknown": 0}),
        ("beta", 1, {"ready": 1, "attention": 0, "not_ready": 0, "unknown": 0}),
    ]


def test_devices_come_a_page_at_a_time_with_the_next_in_a_link(api: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/devices?limit=2"
    pages = 0
    while url:
        answer = api.get(url)
        seen += ids(answer)
        pages += 1
        found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("link", ""))
        url = found.group(1) if found else None
    assert seen == ["A1", "A2", "B1", "C1", "C2", "C3"]
    assert pages == 4  # three full pages, and an empty one that ends it


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"site": "gamma"}, ["C1", "C2", "C3"]),
        ({"area": "north"}, ["A1", "A2", "B1"]),
        ({"readiness": ["not_ready", "attention"]}, ["A2", "C1", "C2"]),
        ({"readiness": "unknown", "area": "south"}, ["C3"]),
        ({"kind": "cabinet"}, []),
        ({"q": "hall a"}, ["A1", "A2"]),
        ({"q": "C2"}, ["C2"]),
        ({"q": "SOUTH"}, ["C1", "C2", "C3"]),  # their site's area
        ({"q": "50%_off"}, ["A1", "A2", "B1", "C1", "C2", "C3"]),
        ({"q": "%"}, ["A1", "A2", "B1", "C1", "C2", "C3"]),  # a literal percent: in each place
        ({"q": "_x"}, []),  # an underscore is not a wildcard
        ({"q": "'; DROP TABLE devices; --"}, []),
    ],
)
def test_devices_are_filtered(api: TestClient, query: dict[str, Any], expected: list[str]) -> None:
    assert ids(api.get("/api/v1/devices", params=query)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not base64 at all!"},
        {"cursor": "W10"},  # []
        {"cursor": "WyJhIiwgMV0"},  # ["a", 1]
        {"cursor": "WyIuLi8iLCAiYSJd"},  # ["../", "a"]
        {"cursor": "x" * 201},
        {"limit": 0},
        {"limit": 5001},
        {"readiness": "fine"},
        {"kind": "toaster"},
        {"site": "a/b"},
        {"q": "x" * 201},
    ],
)
def test_a_hostile_list_request_is_refused(api: TestClient, params: dict[str, Any]) -> None:
    answer = api.get("/api/v1/devices", params=params)
    assert answer.status_code in (400, 422), answer.text
    assert len(answer.text) < 2000


def test_a_snapshot_is_kept_with_each_evaluation_and_read_by_the_lists(
    api: TestClient, tokens: Tokens, clock: MovableClock
) -> None:
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        snapshots = {row.device_id: row for row in session.scalars(select(ReadinessSnapshot))}
    assert {device: row.readiness for device, row in snapshots.items()} == {
        "A1": "ready", "A2": "not_ready", "B1": "ready",
        "C1": "attention", "C2": "not_ready", "C3": "unknown",
    }  # fmt: skip
    assert all(row.due_at > NOW for row in snapshots.values())
    # Time alone: past the moment the AEDs fall silent, a list says so before any pass has run,
    # and the scheduler's pass visits only the devices that are due and stores what it finds.
    clock.advance(timedelta(minutes=10))
    assert {d["id"]: d["readiness"] for d in api.get("/api/v1/devices").json()}["A1"] == "unknown"
    from server.evaluation import evaluate_due

    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        assert evaluate_due(session, clock.now, api.app.state.policy) == 5  # type: ignore[attr-defined]
        assert evaluate_due(session, clock.now, api.app.state.policy) == 0  # type: ignore[attr-defined]
        assert session.get(ReadinessSnapshot, "A1").readiness == "unknown"  # type: ignore[union-attr]
    sites = {s["id"]: s["counts"] for s in api.get("/api/v1/sites").json()}
    assert (sites["alpha"]["unknown"], sites["alpha"]["not_ready"]) == (
        1,
        1,
    )  # a failed test outranks silence


def counts_now(api: TestClient) -> dict[str, dict[str, int]]:
    return {site["id"]: site["counts"] for site in api.get("/api/v1/sites").json()}


def test_the_sites_counts_follow_every_change_and_equal_a_recount(api: TestClient, tokens: Tokens) -> None:
    from server.store.snapshots import recount

    api.delete("/api/v1/devices/A2").raise_for_status()  # retired: out of the counts
    api.patch("/api/v1/devices/C1", json={"site": "beta"}).raise_for_status()  # moved
    bridge = {"Authorization": f"Bearer {tokens.bridge}"}
    passed = factories.selftest(
        TestResult.PASS, device="C2", site="gamma", seq=2, at=NOW + timedelta(seconds=5)
    )
    api.post(
        "/api/v1/ingest", json={"readings": [factories.as_json(passed)]}, headers=bridge
    ).raise_for_status()
    kept = counts_now(api)
    assert kept["alpha"] == {"ready": 1, "attention": 0, "not_ready": 0, "unknown": 0}
    assert kept["beta"] == {"ready": 1, "attention": 1, "not_ready": 0, "unknown": 0}
    assert kept["gamma"] == {"ready": 1, "attention": 0, "not_ready": 0, "unknown": 1}
    with api.app.state.sessions() as session:  # type: ignore[attr-defined]
        recount(session)
    assert counts_now(api) == kept


def test_sites_come_a_page_at_a_time_worst_first(api: TestClient) -> None:
    seen, url = [], "/api/v1/sites?limit=1"
    while url:
        answer = api.get(url)
        assert answer.status_code == 200, answer.text
        seen += [site["id"] for site in answer.json()]
        found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("link", ""))
        url = found.group(1) if found else ""
    assert seen == ["gamma", "alpha", "beta"]
    for cursor in (
        "W10",
        "WzEsMiwzXQ",
        "Wy0xLDAsMCwiYSJd",
        "WzEuNSwwLDAsImEiXQ",
        "WzAsMCwwLCIuLi8iXQ",
        "%%%",
    ):
        assert api.get("/api/v1/sites", params={"cursor": cursor}).status_code == 400, cursor
