"""Sink to the aedmon server: `POST /api/v1/ingest` with a bridge token, through httpx."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx

from aedmon.errors import SinkUnavailable
from aedmon.reading import Reading

log = logging.getLogger(__name__)


class ServerSink:
    name = "server"

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def deliver(self, readings: Sequence[Reading]) -> None:
        body = {"readings": [r.model_dump(mode="json") for r in readings]}
        try:
            response = self._client.post("/api/v1/ingest", json=body)
        except httpx.HTTPError as exc:
            raise SinkUnavailable(f"server unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            # Auth errors and server faults alike: keep the batch and retry; never drop it.
            raise SinkUnavailable(f"server answered {response.status_code}")
        result = response.json()
        for rejection in result.get("rejected", []):
            log.warning("server rejected a reading", extra={"rejection": rejection})

    def close(self) -> None:
        self._client.close()
