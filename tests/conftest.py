"""Fixtures that start real services on free loopback ports and always stop them.

A missing service binary is an error, never a skip: CI must fail when it cannot test.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.demo import free_port

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def wait_until(predicate: Callable[[], object], timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        raise RuntimeError(
            f"{name} is not installed; run `python3 scripts/dev.py test` as root to install it"
        )
    return found


@dataclass
class Process:
    """A child process with its output in a log file, stopped however the test ends."""

    args: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for proc in reversed(started):
        proc.stop()


@dataclass
class Mosquitto:
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process.start()
        wait_until(lambda: port_open(self.port), what="mosquitto")

    def restart(self) -> None:
        self.process.stop()
        self.start()


class Publisher:
    def __init__(self, broker: Mosquitto, client_id: str = "test-device") -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | dict[str, object], retain: bool = False) -> None:
        body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
        self.client.publish(topic, body, qos=1, retain=retain).wait_for_publish(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    port = free_port()
    store = tmp_path / "mosquitto"
    store.mkdir()
    conf = tmp_path / "mosquitto.conf"
    # Persistence on, so a restart keeps the bridge's session and its queued messages.
    conf.write_text(
        # `user root`: as root, Mosquitto would otherwise drop to a user that cannot write tmp_path
        f"listener {port} 127.0.0.1\nallow_anonymous true\nuser root\npersistence true\n"
        f"persistence_location {store}/\nautosave_interval 1\n"
    )
    broker = Mosquitto(port, Process([binary("mosquitto"), "-c", str(conf)], tmp_path / "mosquitto.log"))
    broker.start()
    yield broker
    broker.process.stop()


@dataclass
class VictoriaMetrics:
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process.start()
        wait_until(lambda: port_open(self.port), what="victoria-metrics")

    def samples(self, match: str) -> list[dict[str, object]]:
        """Every raw sample of the series matching `match`, one dict per series."""
        httpx.post(f"{self.url}/internal/force_flush", timeout=10)
        # to the end of the next day: a device clock ahead is stored at its own time
        until = int(time.time()) + 86400
        response = httpx.get(f"{self.url}/api/v1/export", params={"match[]": match, "end": until}, timeout=10)
        response.raise_for_status()
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    port = free_port()
    args = [
        binary("victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={tmp_path / 'vm'}",
        "-retentionPeriod=100y",
        # One sample per series and millisecond: a re-sent reading overwrites itself, as in InfluxDB.
        "-dedup.minScrapeInterval=1ms",
        "-search.latencyOffset=0s",
    ]
    vm = VictoriaMetrics(port, Process(args, tmp_path / "vm.log"))
    vm.start()
    yield vm
    vm.process.stop()


@dataclass
class Influx1:
    port: int
    process: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, q: str, db: str = "aedmon") -> dict[str, Any]:
        response = httpx.get(f"{self.url}/query", params={"db": db, "q": q}, timeout=10)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def influx1(tmp_path: Path) -> Iterator[Influx1]:
    """Debian's InfluxDB 1.x, which answers InfluxQL as Grafana asks it."""
    port = free_port()
    root = tmp_path / "influxdb"
    conf = tmp_path / "influxdb.conf"
    conf.write_text(
        f"""reporting-disabled = true
bind-address = "127.0.0.1:{free_port()}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
[ifql]
  enabled = false
"""
    )
    server = Influx1(port, Process([binary("influxd"), "-config", str(conf)], tmp_path / "influxd.log"))
    server.process.start()
    wait_until(lambda: port_open(port), what="influxd")
    yield server
    server.process.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards."""
    name = f"aedmon_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aedmon.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@dataclass
class Tokens:
    admin: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    technician: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    staff: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    viewer: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    bridge: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    @property
    def setting(self) -> str:
        return ",".join(
            f"{role}:{getattr(self, role)}" for role in ("admin", "technician", "staff", "viewer", "bridge")
        )


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


def aedmon_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "aedmon", *args]


@dataclass
class ServerProcess:
    url: str
    tokens: Tokens
    process: Process

    def client(self, role: str = "viewer") -> httpx.Client:
        token = getattr(self.tokens, role)
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def get(self, path: str, **params: object) -> object:
        return self.get_as("viewer", path, **params)

    def get_as(self, role: str, path: str, **params: object) -> Any:
        with self.client(role) as client:
            response = client.get(path, params=params)
            response.raise_for_status()
            return response.json()


@dataclass
class TileServer:
    """Map tiles on loopback, counting what the browser fetched."""

    url: str
    fetched: list[str]


@pytest.fixture
def map_tiles(request: pytest.FixtureRequest) -> Iterator[TileServer]:
    """The board's tile URL: by default a closed port on loopback (no map can load, and no page
    of a test ever reaches outside the machine); with the indirect parameter "served", a real
    tile server on loopback."""
    if getattr(request, "param", None) != "served":
        yield TileServer(f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png", [])
        return
    tile = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">'
        b'<rect width="256" height="256" fill="#aad3df"/></svg>'
    )
    fetched: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield TileServer(f"http://127.0.0.1:{httpd.server_address[1]}/{{z}}/{{x}}/{{y}}.png", fetched)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The real server's database: SQLite, or with the indirect parameter "postgresql" a fresh
    database on the machine's PostgreSQL."""
    if getattr(request, "param", "sqlite") == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'server.db'}"


@pytest.fixture
def server(
    tmp_path: Path, tokens: Tokens, map_tiles: TileServer, server_database: str
) -> Iterator[ServerProcess]:
    """`aedmon server` as a real process, on SQLite unless `server_database` says otherwise."""
    port = free_port()
    env = {**os.environ, "AEDMON_TOKENS": tokens.setting, "AEDMON_MAP_TILES_URL": map_tiles.url}
    args = aedmon_args("server", "--port", str(port), "--database-url", server_database)
    proc = Process(args, tmp_path / "server.log", env).start()
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=30, what="aedmon server")
    except AssertionError:
        proc.stop()
        raise AssertionError(f"server did not start:\n{proc.output()}") from None
    yield ServerProcess(url, tokens, proc)
    proc.stop()


BridgeStarter = Callable[..., Process]


@pytest.fixture
def start_bridge(
    server: ServerProcess, tmp_path: Path, tokens: Tokens, processes: list[Process]
) -> BridgeStarter:
    """Start `aedmon bridge ARGS…` against the test server, with its token in AEDMON_TOKEN and
    one outbox per test, so a restarted bridge finds what its predecessor left."""

    def start(*args: str) -> Process:
        env = {**os.environ, "AEDMON_TOKEN": tokens.bridge}
        full = aedmon_args("bridge", "--server", server.url, "--outbox", str(tmp_path / "outbox.db"), *args)
        bridge = Process(full, tmp_path / "bridge.log", env).start()
        processes.append(bridge)
        return bridge

    return start


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright through its executable path."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=binary("chromium"), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
