"""Schemathesis over every operation of the OpenAPI, against a real server process on SQLite
and on PostgreSQL, with valid and with invalid input, bounded in examples: no generated
request may get a server error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ..conftest import ServerProcess

EXAMPLES = 25  # per operation, mode and store: bounded, so the suite stays within its time


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_no_generated_request_gets_a_server_error(server: ServerProcess) -> None:
    with server.client("admin") as admin:  # something to find, so lookups go past their 404
        admin.post("/api/v1/devices", json={"id": "SN1", "site": "town-hall", "kind": "aed"})
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    auth = {"Authorization": f"Bearer {server.tokens.admin}"}
    errors: list[str] = []
    tried = 0
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path == "/api/v1/events":
                continue  # a stream that never ends by design; tests/integration/test_events.py

            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                          database=None)  # fmt: skip
                def probe(case: Any) -> None:
                    kwargs = case.as_transport_kwargs(base_url=server.url)
                    try:
                        response = client.request(
                            kwargs["method"],
                            kwargs["url"],
                            params=kwargs.get("params"),
                            headers={**(kwargs.get("headers") or {}), **auth},
                            json=kwargs.get("json"),
                            content=kwargs.get("data") if isinstance(kwargs.get("data"), bytes) else None,
                        )
                    except (httpx.InvalidURL, httpx.LocalProtocolError):
                        # Over 64 KiB of query once percent-encoded, or headers that contradict
                        # the body (a Content-Length of its own): the HTTP client refuses to send
                        # it, so it never reaches the server (test_http_edge sends such raw).
                        return
                    if response.status_code >= 500:
                        errors.append(f"{case.method} {kwargs['url']} → {response.status_code}")

                try:
                    probe()
                except Unsatisfiable:
                    if mode is GenerationMode.POSITIVE:
                        raise
                    continue  # an operation with no input has no invalid input to make
                tried += 1
    assert tried >= 40, tried  # every operation, and both modes where it takes input
    assert errors == []
