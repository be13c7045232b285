"""Several servers on one PostgreSQL behind HAProxy (from Debian), two bridges sharing one
MQTT subscription (`$share/…`) on Mosquitto: a stream of readings from many devices while one
server is killed with -9 and restarted, and one bridge killed with -9 and restarted. Every
reading is stored once, every alert opened once, every notification delivered once (counted
at a webhook receiver, by delivery)."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from aedmon.demo import free_port
from server.store.database import make_engine, session_factory
from server.store.models import Alert, Notification, StoredReading

from .. import factories
from ..conftest import (
    Mosquitto,
    Process,
    Publisher,
    ServerProcess,
    Tokens,
    aedmon_args,
    binary,
    port_open,
    serve,
    start_server,
    wait_until,
)

SITE = "city"
DEVICES = 24
TESTS = 8  # self-tests per device; a third of the devices fail their last
SECRET = "whsec_" + "dGhlIHdlYmhvb2sgc2VjcmV0IG9mIHRoZSB0ZXN0"
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


class Receiver:
    """A webhook receiver: every delivery, as it came."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, list[int], dict[str, Any]]] = []
        received = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                rows = [int(n) for n in self.headers["X-Aedmon-Delivery"].split(",")]
                received.append((self.headers["webhook-id"], rows, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        serve(self.server)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


def haproxy(tmp_path: Path, front: int, backends: list[int]) -> Process:
    servers = "\n".join(
        f"  server s{n} 127.0.0.1:{port} check inter 300ms fall 1 rise 2" for n, port in enumerate(backends)
    )
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        f"""global
  maxconn 512
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
frontend api
  bind 127.0.0.1:{front}
  default_backend servers
backend servers
  balance roundrobin
  option httpchk GET /healthz
{servers}
"""
    )
    proxy = Process([binary("haproxy"), "-db", "-f", str(config)], tmp_path / "haproxy.log").start()
    wait_until(lambda: port_open(front), what="haproxy")
    return proxy


def bridge(tmp_path: Path, name: str, front: int, broker: Mosquitto, tokens: Tokens) -> Process:
    args = aedmon_args(
        "bridge", "--server", f"http://127.0.0.1:{front}", "--site", SITE, "--mqtt", broker.url,
        "--mqtt-shared-group", "city", "--mqtt-client-id", f"bridge-{name}",
        "--outbox", str(tmp_path / f"outbox-{name}.db"),
    )  # fmt: skip
    env = {**os.environ, "AEDMON_TOKEN": tokens.bridge}
    started = Process(args, tmp_path / f"bridge-{name}.log", env).start()
    wait_until(lambda: "subscribed" in started.output(), timeout=20, what=f"bridge {name}'s subscription")
    return started


def stream() -> tuple[list[tuple[str, bytes]], set[str]]:
    """Every device's self-tests, interleaved as a city's would arrive; and which fail."""
    fails = {f"AED-{n:02d}" for n in range(DEVICES) if n % 3 == 0}
    queue = []
    for seq in range(TESTS):
        for n in range(DEVICES):
            device = f"AED-{n:02d}"
            failing = device in fails and seq == TESTS - 1
            body: dict[str, Any] = {"ts": factories.stamp(NOW + timedelta(seconds=seq)), "seq": seq,
                                    "test": "daily", "result": "FAIL" if failing else "PASS"}  # fmt: skip
            if failing:
                body["codes"] = ["C02"]
            queue.append((f"aedmon/v1/{SITE}/{device}/selftest", json.dumps(body).encode()))
    return queue, fails


def test_two_servers_and_two_bridges_lose_nothing_and_double_nothing_through_kills(
    tmp_path: Path, postgres_url: str, tokens: Tokens, mosquitto: Mosquitto, receiver: Receiver
) -> None:
    ports, front = [free_port(), free_port()], free_port()
    env = {"AEDMON_WEBHOOK_SECRET": SECRET, "AEDMON_NOTIFY_INTERVAL_S": "0.5"}
    servers: list[ServerProcess] = [start_server(tmp_path, tokens, postgres_url, env, port) for port in ports]
    proxy = haproxy(tmp_path, front, ports)
    bridges: list[Process] = []
    publisher = Publisher(mosquitto, client_id="city-devices")
    try:
        api = ServerProcess(f"http://127.0.0.1:{front}", tokens, proxy)
        with api.client("admin") as admin:
            for n in range(DEVICES):
                admin.post(
                    "/api/v1/devices", json=factories.device(f"AED-{n:02d}", site=SITE)
                ).raise_for_status()
            contact = {"name": "city technicians", "webhook_url": receiver.url, "min_severity": "critical"}
            admin.post("/api/v1/contacts", json=contact).raise_for_status()
        bridges = [bridge(tmp_path, name, front, mosquitto, tokens) for name in ("a", "b")]
        queue, fails = stream()
        third = len(queue) // 3
        for topic, payload in queue[:third]:
            publisher.send(topic, payload)
        servers[0].process.kill9()  # mid-stream: requests in flight to it fail; HAProxy sends on
        for topic, payload in queue[third : 2 * third]:
            publisher.send(topic, payload)
        servers[0] = start_server(tmp_path, tokens, postgres_url, env, ports[0])
        bridges[0].kill9()  # what it took from the broker waits in its outbox
        for topic, payload in queue[2 * third :]:
            publisher.send(topic, payload)
        bridges[0] = bridge(tmp_path, "a", front, mosquitto, tokens)

        engine = make_engine(postgres_url)
        sessions = session_factory(engine)

        def stored() -> int:  # the devices' readings (each bridge sends its own heartbeat too)
            with sessions() as session:
                query = select(func.count()).where(StoredReading.device_id.like("AED-%"))
                return int(session.scalar(query) or 0)

        wait_until(lambda: stored() == len(queue), timeout=120, what="every reading at the server")
        wait_until(
            lambda: (
                {d for _, _, body in receiver.deliveries for d in (a["device_id"] for a in body["alerts"])}
                == fails
            ),
            timeout=60,
            what="every failing device's alert at the webhook",
        )
        with sessions() as session:
            keys = Counter(
                session.scalars(select(StoredReading.key).where(StoredReading.device_id.like("AED-%")))
            )
            assert len(keys) == len(queue)
            assert max(keys.values()) == 1  # each reading once
            alerts = session.scalars(select(Alert).where(Alert.type == "self_test_failed")).all()
            assert sorted(a.device_id for a in alerts) == sorted(fails)  # each alert once
            sent = session.scalars(select(Notification)).all()
        engine.dispose()
        assert Counter(n.state for n in sent) == {"sent": len(fails)}
        # Each notification row went out in one delivery: a delivery repeated after a kill
        # carries the same webhook-id, which a receiver drops.
        by_delivery = {webhook_id: rows for webhook_id, rows, _ in receiver.deliveries}
        told = Counter(row for rows in by_delivery.values() for row in rows)
        assert sorted(told) == sorted(n.id for n in sent)
        assert set(told.values()) == {1}
        for process in (*bridges, *(s.process for s in servers)):
            assert "Traceback" not in process.output()
    finally:
        publisher.close()
        for process in bridges:
            process.stop()
        proxy.stop()
        for server in servers:
            server.process.stop()
