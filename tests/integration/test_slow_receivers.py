"""A slow or dead receiver delays only its own messages, on SQLite and PostgreSQL: a webhook
that answers one byte every two seconds (never tripping a per-read timeout) holds neither
another contact's critical notification nor ingest, and its own attempt ends at the
notifier's total deadline with the reason recorded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aedmon.reading import TestResult
from server.app import create_app
from server.settings import ServerSettings
from server.store.models import Notification

from .. import factories
from ..conftest import Tokens, wait_until
from .test_notifications import SECRET, Webhook

DEADLINE_S = 3.0


class Drip:
    """An HTTP receiver that reads the request and then answers one byte every two seconds."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.accepted = 0
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 204 No Content\r\n\r\n":
                if self._stop.wait(2.0):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        self.server.close()


@pytest.fixture
def drip() -> Iterator[Drip]:
    receiver = Drip()
    yield receiver
    receiver.close()


@pytest.fixture
def healthy() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def live(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    """The server with its notifier running on the real clock."""
    settings = ServerSettings(
        database_url=database_url,
        tokens=tokens.setting,
        webhook_secret=SECRET,
        notify_deadline_s=DEADLINE_S,
        notify_interval_s=0.2,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def failed(device: str, site: str, seq: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return factories.as_json(factories.selftest(TestResult.FAIL, device=device, site=site, seq=seq, at=now,
                                                codes=("C02",)))  # fmt: skip


def test_a_stalled_receiver_holds_neither_another_contacts_alert_nor_ingest(
    live: TestClient, tokens: Tokens, drip: Drip, healthy: Webhook, database_url: str
) -> None:
    for name, site, url in (("slow", "site-a", drip.url), ("healthy", "site-b", healthy.url)):
        made = live.post("/api/v1/contacts", json={"name": name, "sites": [site], "webhook_url": url},
                         headers=auth(tokens.admin))  # fmt: skip
        assert made.status_code == 201, made.text
    for seq in range(3):  # the stalled receiver is given something to stall on, three times
        live.post("/api/v1/ingest", json={"readings": [failed(f"SA{seq}", "site-a", 1)]},
                  headers=auth(tokens.bridge)).raise_for_status()  # fmt: skip
        wait_until(lambda n=seq: drip.accepted > n, timeout=10, what="the stalled receiver to be called")
    started = time.monotonic()
    answer = live.post(
        "/api/v1/ingest", json={"readings": [failed("SB1", "site-b", 1)]}, headers=auth(tokens.bridge)
    )
    ingest_s = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    wait_until(lambda: healthy.received, timeout=10, what="the healthy receiver to be told")
    told_s = time.monotonic() - started
    assert ingest_s < 2.0, f"ingest took {ingest_s:.1f} s while a receiver stalled"
    assert told_s < 10.0
    assert healthy.payloads()[0]["alerts"][0]["device_id"] == "SB1"

    def given_up() -> bool:
        with live.app.state.sessions() as session:  # type: ignore[attr-defined]
            rows = session.scalars(select(Notification).where(Notification.site == "site-a")).all()
            return any(row.last_error and "no answer within" in row.last_error for row in rows)

    wait_until(given_up, timeout=3 * DEADLINE_S + 5, what="the stalled attempt to pass its deadline")
