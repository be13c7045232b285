"""Latency from a failing self-test written to a pty to its open alert at the server and
to the technician's webhook.

Starts `aedmon server` (SQLite) and `aedmon bridge` as processes, drives a simulated AED
and a webhook receiver in this process, and for each run writes a failing self-test,
polls the alerts API every 5 ms until `self_test_failed` is open, and notes when the
signed webhook arrives; then a passing self-test resolves it. With `--load N` another bridge
sends the server N readings a second from 500 other AEDs all the while (batches of 100,
paced by the clock), and the rate it achieved is reported beside the latencies.

    .venv/bin/python benchmarks/pty_to_alert.py --runs 50 [--load 1000] [--database postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from databases import POLL_S, Receiver, database

from aedmon.demo import free_port
from simulators.aed import AedModel, AedSimulator


def wait(predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(POLL_S)
    raise TimeoutError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--load", type=int, default=0, help="readings a second from other devices meanwhile")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        measure(args, stack)


def measure(args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
    work = Path(tempfile.mkdtemp(prefix="aedmon-bench-"))
    tokens = {role: secrets.token_urlsafe(18) for role in ("viewer", "bridge", "admin")}
    env = {
        **os.environ,
        "AEDMON_TOKENS": ",".join(f"{role}:{token}" for role, token in tokens.items()),
        "AEDMON_TOKEN": tokens["bridge"],
        "AEDMON_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "AEDMON_LOG_LEVEL": "WARNING",
    }
    hook = Receiver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    aedmon = [sys.executable, "-m", "aedmon"]
    log = (work / "processes.log").open("wb")
    url = stack.enter_context(database(args.database, work, "db"))
    server = subprocess.Popen(
        [*aedmon, "server", "--port", str(port), "--database-url", url],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    model = AedModel("SN-BENCH")
    aed = TimedAed(
        model, lambda: datetime.now(UTC), selftest_interval_s=1e9, heartbeat_interval_s=1e9, link=work / "tty"
    ).start()
    bridge = subprocess.Popen(
        [*aedmon, "bridge", "--site", "bench", "--serial", str(work / "tty"), "--server", base,
         "--outbox", str(work / "outbox.db")],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['viewer']}"})

    def failing_open() -> bool:
        try:
            answer = client.get("/api/v1/alerts", params={"state": "open", "device_id": "SN-BENCH"})
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 and any(a["type"] == "self_test_failed" for a in answer.json())

    latencies: list[float] = []
    webhook_latencies: list[float] = []
    try:
        wait(lambda: client.get("/healthz").status_code == 200 if _up(client) else False)
        wait(lambda: _registered(client))
        admin = {"Authorization": f"Bearer {tokens['admin']}"}
        client.post("/api/v1/contacts", json={"name": "bench", "webhook_url": hook.url}, headers=admin)
        load = Load(base, tokens["bridge"], args.load)
        if args.load:
            load.start()
            time.sleep(3)  # the load under way before the first run
        for _ in range(args.runs):
            aed.written_at = None
            hook.arrived.clear()
            aed.trigger("fail")
            wait(failing_open)
            assert aed.written_at is not None
            latencies.append(time.perf_counter() - aed.written_at)
            if not hook.arrived.wait(30):
                raise TimeoutError("no webhook")
            webhook_latencies.append(hook.at - aed.written_at)
            aed.trigger("recover")
            wait(lambda: not failing_open())
            time.sleep(1.0)  # next self-test in a new second: the serial protocol's time resolution
        load.stop.set()
        if args.load:
            load.join(timeout=30)
    finally:
        for proc in (bridge, server):
            proc.terminate()
            proc.wait(timeout=15)
        aed.close()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {args.database}, "
          f"other devices' readings stored meanwhile: {load.rate():.0f}/s (asked {args.load}/s)")  # fmt: skip
    report(f"pty → open alert (API polled every {POLL_S * 1000:.0f} ms)", latencies)
    report("pty → signed webhook received", webhook_latencies)


def report(what: str, seconds: list[float]) -> None:
    ms = sorted(x * 1000 for x in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    print(f"{what}, {len(ms)} runs")
    print(f"  p50 {statistics.median(ms):.1f} ms   p99 {p99:.1f} ms   worst {ms[-1]:.1f} ms")


class Load(threading.Thread):
    """Another bridge: `rate` heartbeats a second of 500 other AEDs, in batches of 100."""

    def __init__(self, base: str, token: str, rate: int) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.asked = base, token, rate
        self.stop = threading.Event()
        self.stored = 0
        self.started = self.ended = 0.0

    def run(self) -> None:
        period = 100 / self.asked
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=60) as client:
            self.started = due = time.monotonic()
            n = 0
            while not self.stop.is_set():
                now = datetime.now(UTC).isoformat()
                readings = [{"type": "heartbeat", "device_id": f"LOAD-{(n + i) % 500:03d}", "site": "load",
                             "device_time": now, "arrival_time": now, "seq": (n + i) % 65536,
                             "state": "READY"} for i in range(100)]  # fmt: skip
                n += 100
                answer = client.post("/api/v1/ingest", json={"readings": readings})
                if answer.status_code == 200:
                    self.stored += answer.json()["accepted"]
                due += period
                self.stop.wait(max(0.0, due - time.monotonic()))
            self.ended = time.monotonic()

    def rate(self) -> float:
        return self.stored / (self.ended - self.started) if self.ended > self.started else 0.0


class TimedAed(AedSimulator):
    """Notes when a self-test sentence is written to the pty: the clock starts there."""

    written_at: float | None = None

    def _write(self, data: bytes, elapsed: float) -> None:
        super()._write(data, elapsed)
        if data.startswith(b"$AEDST"):
            self.written_at = time.perf_counter()


def _up(client: httpx.Client) -> bool:
    try:
        client.get("/healthz")
    except httpx.HTTPError:
        return False
    return True


def _registered(client: httpx.Client) -> bool:
    return bool(client.get("/api/v1/devices").json())


if __name__ == "__main__":
    main()
