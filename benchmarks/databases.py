"""What the benchmarks share: a database to measure on (a SQLite file, or a fresh database on
the machine's PostgreSQL, dropped afterwards), waiting for a server to answer, and the
machine's load to report beside it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg

POLL_S = 0.005  # how often the alerts API is asked while a benchmark waits for an alert

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(kind: str, work: Path, name: str) -> Iterator[str]:
    """The URL of a new database: `kind` sqlite (a file named `name` in `work`) or postgresql."""
    if kind == "sqlite":
        yield f"sqlite:///{work / f'{name}.db'}"
        return
    created = f"aedmon_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{created}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{created}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def load() -> str:
    """The load averages of 1, 5 and 15 minutes."""
    with open("/proc/loadavg") as average:
        return " ".join(average.read().split()[:3])


def wait_healthy(base: str, timeout: float = 60) -> None:
    """Until the server at `base` answers its health check; RuntimeError if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no server answered at {base} within {timeout:.0f} s")


@dataclass(frozen=True)
class Server:
    base: str
    tokens: dict[str, str]  # role -> its token

    def client(self, role: str, timeout: float = 60) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=timeout
        )


def running_server(stack: ExitStack, work: Path, kind: str, port: int) -> Server:
    """`aedmon server` as a process on a new database of `kind`, with a token for each role and a
    webhook secret, logging warnings to work/server.log; stopped when `stack` closes."""
    tokens = {role: secrets.token_urlsafe(18) for role in ("viewer", "bridge", "admin")}
    env = {
        **os.environ,
        "AEDMON_TOKENS": ",".join(f"{role}:{token}" for role, token in tokens.items()),
        "AEDMON_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "AEDMON_LOG_LEVEL": "WARNING",
    }
    url = stack.enter_context(database(kind, work, "db"))
    log = stack.enter_context((work / "server.log").open("wb"))
    server = subprocess.Popen(
        [sys.executable, "-m", "aedmon", "server", "--port", str(port), "--database-url", url],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    stack.callback(server.wait, 15)
    stack.callback(server.terminate)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base)
    return Server(base, tokens)


def failed_open(viewer: httpx.Client, device: str, since: float, timeout: float) -> float | None:
    """When (time.perf_counter) `device`'s self_test_failed alert was seen open, polling the
    alerts API every POLL_S from now; None if not within `timeout` of `since`."""
    while time.perf_counter() - since < timeout:
        alerts = viewer.get("/api/v1/alerts", params={"device_id": device, "state": "open"}).json()
        if any(alert["type"] == "self_test_failed" for alert in alerts):
            return time.perf_counter()
        time.sleep(POLL_S)
    return None


class Receiver:
    """A webhook receiver noting when a self_test_failed alert arrives."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.at = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if any(a["type"] == "self_test_failed" and a["purpose"] == "alert" for a in body["alerts"]):
                    receiver.at = time.perf_counter()
                    receiver.arrived.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        threading.Thread(target=server.serve_forever, daemon=True).start()
