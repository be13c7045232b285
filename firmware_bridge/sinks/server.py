"""Sink to the aedmon server: `POST /api/v1/ingest` with a bridge token, through httpx.

The server answers each reading's outcome; the ones it rejects are returned to the drain
as refusals (dead letters). 401/403 is SinkUnauthorized, 4xx for the whole batch (too
large, not readable) BatchRefused, anything else SinkUnavailable.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from aedmon.errors import BatchRefused, SinkUnauthorized, SinkUnavailable
from aedmon.reading import Reading


class ServerSink:
    name = "server"

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def deliver(self, readings: Sequence[Reading]) -> list[tuple[int, str]]:
        body = {"readings": [r.model_dump(mode="json") for r in readings]}
        try:
            response = self._client.post("/api/v1/ingest", json=body)
        except httpx.HTTPError as exc:
            raise SinkUnavailable(f"server unreachable: {exc.__class__.__name__}") from exc
        code = response.status_code
        if code in (401, 403):
            raise SinkUnauthorized(f"server answered {code}: the bridge token is not accepted")
        if code in (400, 413, 422):
            raise BatchRefused(f"server answered {code}: {response.text[:200]}")
        if code >= 300:
            raise SinkUnavailable(f"server answered {code}")
        try:
            outcomes = response.json().get("results", [])
            return [
                (int(o["index"]), str(o.get("reason") or "rejected"))
                for o in outcomes
                if o.get("status") == "rejected"
            ]
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            raise SinkUnavailable("server answered 2xx with a body that is not an ingest result") from exc

    def close(self) -> None:
        self._client.close()
