"""Under systemd (Type=notify, WatchdogSec=): the server and a bridge say READY=1 once they serve
and feed the watchdog only while really well; the server pings its dead-man's switch only while
its scheduler evaluates. Tested against a NOTIFY_SOCKET and a push receiver of the test's own."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg
import pytest

from aedmon.demo import free_port

from ..conftest import (
    POSTGRES_ADMIN,
    Mosquitto,
    Process,
    ServerProcess,
    Tokens,
    aedmon_args,
    serve,
    wait_until,
)


class NotifySocket:
    """The datagram socket systemd listens on: what the process said, with when."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.said: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.said.append((time.monotonic(), data.decode()))

    def lines(self, prefix: str) -> list[float]:
        return [at for at, text in self.said for line in text.splitlines() if line.startswith(prefix)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()


class PushReceiver:
    """A Healthchecks.io / Uptime Kuma push URL on loopback, counting pings."""

    def __init__(self) -> None:
        self.pings: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (the standard library's name)
                receiver.pings.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        serve(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/push/Xk3pQ9?status=up&msg=OK"


def test_the_server_is_ready_once_it_listens_and_is_watched_only_while_it_evaluates(
    tmp_path: Path, tokens: Tokens, postgres_url: str, notify_socket: NotifySocket
) -> None:
    push = PushReceiver()
    port = free_port()
    env = {
        **os.environ,
        "AEDMON_TOKENS": tokens.setting,
        "NOTIFY_SOCKET": str(notify_socket.path),
        "WATCHDOG_USEC": "1000000",  # fed every half second while well
        "AEDMON_EVALUATE_INTERVAL_S": "0.5",
        "AEDMON_HEARTBEAT_URL": push.url,
        "AEDMON_HEARTBEAT_INTERVAL_S": "5",
    }
    args = aedmon_args("server", "--port", str(port), "--database-url", postgres_url)
    server = Process(args, tmp_path / "server.log", env).start()
    try:
        wait_until(lambda: notify_socket.lines("READY=1"), timeout=30, what="READY=1")
        # READY=1 came once it listens: it answers at once
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        wait_until(lambda: len(notify_socket.lines("WATCHDOG=1")) >= 3, timeout=15, what="the watchdog fed")
        wait_until(lambda: push.pings, timeout=15, what="the dead-man's switch pinged")
        assert "Xk3pQ9" not in server.output()  # the push URL's secret path is never logged

        # the database is lost: the scheduler can no longer evaluate, and both stop
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{postgres_url.rsplit("/", 1)[1]}" WITH (FORCE)')
        lost = time.monotonic()
        time.sleep(3 * 0.5 + 5 + 2)  # three intervals and the slack, and then some
        quiet_from = time.monotonic() - 1.5
        assert not [at for at in notify_socket.lines("WATCHDOG=1") if at > quiet_from]
        assert not [at for at in push.pings if at > lost + 5]  # only the one interval it was due
        assert "not feeding systemd's watchdog" in server.output()
    finally:
        server.stop()
        push.server.shutdown()
    assert notify_socket.lines("STOPPING=1")


def test_a_bridge_feeds_its_watchdog_only_while_it_hears(
    tmp_path: Path, tokens: Tokens, mosquitto: Mosquitto, notify_socket: NotifySocket, server: ServerProcess
) -> None:
    url = server.url
    env = {
        **os.environ,
        "AEDMON_TOKEN": tokens.bridge,
        "NOTIFY_SOCKET": str(notify_socket.path),
        "WATCHDOG_USEC": "1000000",
    }
    args = aedmon_args(
        "bridge", "--site", "town-hall", "--server", url, "--outbox", str(tmp_path / "outbox.db"),
        "--mqtt", mosquitto.url, "--heartbeat-interval-s", "1", "--deaf-after-s", "2",
    )  # fmt: skip
    bridge = Process(args, tmp_path / "bridge.log", env).start()
    try:
        wait_until(lambda: notify_socket.lines("READY=1"), timeout=30, what="READY=1")
        wait_until(lambda: len(notify_socket.lines("WATCHDOG=1")) >= 3, timeout=15, what="the watchdog fed")
        mosquitto.process.stop()  # its broker gone: the bridge hears nothing
        gone = time.monotonic()
        time.sleep(2 + 2.5)
        assert not [at for at in notify_socket.lines("WATCHDOG=1") if at > gone + 3.5]
        assert "has not been connected for" in bridge.output()
        mosquitto.start()  # heard again: fed again
        wait_until(
            lambda: [at for at in notify_socket.lines("WATCHDOG=1") if at > time.monotonic() - 1],
            timeout=20,
            what="the watchdog fed again",
        )
    finally:
        bridge.stop()
    assert notify_socket.lines("STOPPING=1")
