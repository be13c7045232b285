"""Hostile input at the HTTP edge, on SQLite and PostgreSQL: every answer a 4xx or a
per-reading rejection, never a 5xx, and what comes after it still opens its alert."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings

from .. import factories
from ..conftest import ServerProcess, Tokens

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    app = create_app(ServerSettings(database_url=database_url, tokens=tokens.setting), lambda: NOW,
                     background=False)  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def fail(device: str, seq: int = 1) -> dict[str, Any]:
    return factories.as_json(
        factories.selftest(TestResult.FAIL, device=device, site="s", at=NOW, seq=seq, codes=("C02",))
    )


JSON = {"Content-Type": "application/json"}


# An unknown field a store cannot keep (too deep, an integer past 64 bits) is no longer a
# rejection: it is dropped and counted and its reading kept (test_never_silenced_again.py).
BAD_FIELDS: dict[str, dict[str, Any]] = {
    "model of 300 characters": {"model": "M" * 300},
    "NUL in firmware": {"firmware": "2.4\u00001"},
    "a 900 kB detail": {"detail": "d" * 900_000},
    "year-1 device time": {"device_time": "0001-01-01T00:00:00+01:00"},
    "year-1 pads date": {"pads_expiry": "0001-01-01"},
    "year-9999 battery date": {"battery_expiry": "9999-12-31"},
    "seq past 65535": {"seq": 65536},
    "temperature no sensor gives": {"temp_c": 1e300},
    "unknown field": {"nonsense": True},
    "lone surrogate in a code": {"codes": ["\ud800"]},
    "device id with a slash": {"device_id": "a/b"},
}


@pytest.mark.parametrize("bad", list(BAD_FIELDS), ids=list(BAD_FIELDS))
def test_a_bad_reading_is_rejected_alone_and_the_fail_beside_it_opens_its_alert(
    api: TestClient, tokens: Tokens, bad: str
) -> None:
    poison = {**fail("POISON"), **BAD_FIELDS[bad]}
    body = json.dumps({"readings": [poison, fail("AED1")]}, allow_nan=True).encode("utf-8", "surrogatepass")
    response = api.post(
        "/api/v1/ingest", content=body, headers={**auth(tokens.bridge), "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "stored"], results
    alerts = api.get("/api/v1/alerts", params={"device_id": "AED1"}, headers=auth(tokens.viewer)).json()
    assert "self_test_failed" in {a["type"] for a in alerts}


def test_nan_in_a_reading_is_a_rejection_not_a_server_error(api: TestClient, tokens: Tokens) -> None:
    text = json.dumps({"readings": [{**fail("POISON"), "temp_c": float("nan")}, fail("AED1")]})
    assert "NaN" in text
    response = api.post(
        "/api/v1/ingest", content=text, headers={**auth(tokens.bridge), "Content-Type": "application/json"}
    )
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/alerts/2147483648/ack", {}),
        ("GET", "/api/v1/alerts/99999999999999999999/history", None),
        ("GET", "/api/v1/notifications?alert_id=2147483648", None),
        ("PUT", "/api/v1/contacts/2147483648", {"name": "x", "email": "a@b"}),
        ("DELETE", "/api/v1/silences/-1", None),
        ("GET", "/api/v1/devices/a%00b", None),
        ("GET", "/api/v1/alerts?device_id=a%00b", None),
        ("GET", "/api/v1/devices/a%ffb", None),
        ("PATCH", "/api/v1/devices/SN1", {"report_interval_s": 2147483648}),
        ("POST", "/api/v1/contacts", {"name": "N\u0000", "email": "a@b"}),
        (
            "POST",
            "/api/v1/silences",
            {"device_id": "SN1", "reason": "fix it", "ends_at": "0001-01-01T00:00:00Z"},
        ),
    ],
)
def test_impossible_ids_and_values_answer_4xx_on_every_store(
    api: TestClient, tokens: Tokens, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = api.request(method, path, json=body, headers=auth(tokens.admin))
    assert 400 <= response.status_code < 500, (response.status_code, response.text)


def test_a_body_over_the_limit_is_refused_before_it_is_read(api: TestClient, tokens: Tokens) -> None:
    big = b'{"readings": [' + b" " * 1_100_000 + b"]}"
    response = api.post("/api/v1/ingest", content=big, headers=auth(tokens.bridge))
    assert response.status_code == 413


def test_a_body_without_a_known_token_is_refused_before_it_is_read(api: TestClient) -> None:
    response = api.post(
        "/api/v1/ingest", content=b"{" * 500_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    response = api.post("/api/v1/ingest", content=b"{", headers=auth("not-a-token-of-this-server"))
    assert response.status_code == 401


def test_a_chunked_body_is_counted_while_it_is_read(api: TestClient, tokens: Tokens) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"readings": ['
        for _ in range(12):
            yield b" " * 100_000
        yield b"]}"

    response = api.post("/api/v1/ingest", content=chunks(), headers=auth(tokens.bridge))
    assert response.status_code == 413


def test_readings_within_the_bounds_are_never_a_server_error(api: TestClient, tokens: Tokens) -> None:
    edge = {**fail("EDGE"), "model": "M" * 200, "detail": None, "temp_c": -40.0, "battery_pct": 0,
            "device_time": "1970-01-01T00:00:00Z", "pads_expiry": "2199-12-31", "codes": ["Z" * 16] * 32,
            "extra": {f"k{i}": "é" * 4096 for i in range(8)}}  # fmt: skip
    response = api.post("/api/v1/ingest", json={"readings": [edge]}, headers=auth(tokens.bridge))
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "stored", response.text
    assert api.get("/api/v1/devices/EDGE", headers=auth(tokens.viewer)).status_code == 200


def test_the_api_docs_are_served_from_the_package_with_nothing_from_outside(api: TestClient) -> None:
    page = api.get("/docs")
    assert page.status_code == 200
    assert "/docs-static/swagger-ui-bundle.js" in page.text
    assert not [url for url in re.findall(r'(?:src|href)="([^"]+)"', page.text) if "://" in url]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert api.get(f"/docs-static/{asset}").status_code == 200
    assert api.get("/redoc").status_code == 404  # its page would fetch from a CDN


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_a_query_string_no_client_would_send_is_refused_by_the_real_server(server: ServerProcess) -> None:
    """Over 64 KiB of query (what httpx refuses to send, so the API fuzz cannot): sent raw to
    the real server, it is a 4xx and the server goes on answering."""
    host, port = server.url.removeprefix("http://").split(":")
    query = "&".join(f"q{n}=" + "%D0%AF" * 2000 for n in range(10))  # 120 KB
    request = f"GET /api/v1/devices?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        # Sent a piece at a time, stopping when the server answers: it refuses after the first
        # 16 KiB and closes, and bytes sent after that would make its close a reset that can
        # overtake the answer.
        sock.settimeout(0.05)
        for start in range(0, len(request), 4096):
            with contextlib.suppress(TimeoutError):
                answer += sock.recv(65536)
            if answer:
                break
            with contextlib.suppress(OSError):  # closed under us: the answer is read below
                sock.sendall(request[start : start + 4096])
        sock.settimeout(10)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_bridges_ingesting_at_once_have_every_reading_stored(server: ServerProcess) -> None:
    """Four bridges at once: on SQLite a transaction that read and then wrote used to fail at
    once when another wrote in between, and most of their readings came back refused (dead
    letters at the bridges). Each transaction now takes the write lock as it begins."""
    start = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    batches = {
        bridge: [
            {"readings": [factories.as_json(factories.heartbeat(device=f"B{bridge}-{n % 20}", seq=n,
                                                                 at=start + timedelta(seconds=n)))
                          for n in range(i * 50, (i + 1) * 50)]}
            for i in range(5)
        ]
        for bridge in range(4)
    }  # fmt: skip
    refused: list[int] = []

    def send(bridge: int) -> None:
        with server.client("bridge") as client:
            for body in batches[bridge]:
                answer = client.post("/api/v1/ingest", json=body)
                refused.append(50 - answer.json()["accepted"] if answer.status_code == 200 else 50)

    threads = [threading.Thread(target=send, args=(bridge,)) for bridge in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert refused == [0] * 20


RAW_REQUESTS = {
    "two lengths": b"POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n"
    b"Content-Type: application/json\r\nConnection: close\r\n\r\n{}",
    "a length that is no number": b"POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n"
    b"Connection: close\r\n\r\n{}",
    "less body than said": b"POST /api/v1/devices/import HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
    b"Content-Type: text/csv\r\nConnection: close\r\n\r\nid,site,kind\r\n",
}


@pytest.mark.parametrize("case", sorted(RAW_REQUESTS))
def test_a_request_no_client_would_send_gets_no_server_error(server: ServerProcess, case: str) -> None:
    """What httpx refuses to send (so the API fuzz cannot), sent raw to the real server."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(RAW_REQUESTS[case])
        sock.shutdown(socket.SHUT_WR)  # no more is coming: a server waiting for it must not hang
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    if answer:  # h11 may also just close the connection on what it cannot parse
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:200]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_every_answer_carries_the_security_headers_and_hsts_only_over_https(
    database_url: str, tokens: Tokens
) -> None:
    app = create_app(ServerSettings(database_url=database_url, tokens=tokens.setting), lambda: NOW,
                     background=False)  # fmt: skip
    with TestClient(app, base_url="https://aed.example.org", raise_server_exceptions=False) as secure:
        for path in ("/board", "/api/v1/devices", "/docs", "/no/such/page", "/healthz", "/take/x"):
            answer = secure.get(path, headers=auth(tokens.viewer))
            assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", path
            assert "script-src 'self'" in answer.headers["content-security-policy"], path
            assert answer.headers["x-frame-options"] == "DENY", path
    with TestClient(app, base_url="http://aed.example.org", raise_server_exceptions=False) as plain:
        answer = plain.get("/board")
        assert "strict-transport-security" not in answer.headers
        assert answer.headers["x-content-type-options"] == "nosniff"
        taken = plain.get("/t/AAAA")  # the take page keeps its own stricter referrer policy
        assert taken.headers["referrer-policy"] == "no-referrer"
