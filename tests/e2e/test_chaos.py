"""Chaos on the real path: many devices with right, fast and reset clocks, readings resent out
of order, poison messages between them, the bridge killed with -9, and the outbox full while
the TSDB is away. Afterwards every valid FAIL has its alert, no PASS has one, and every valid
reading is at the server and in the TSDB exactly once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .. import factories
from ..conftest import (
    BridgeStarter,
    Mosquitto,
    Publisher,
    ServerProcess,
    VictoriaMetrics,
    free_port,
    wait_until,
)
from .test_never_silenced import POISON

SITE = "chaos"
DEVICES = 12
MESSAGES = 20  # per device, every other one a self-test
NOTE = "n" * 3000  # an unknown field, so that the outbox fills quickly
NOW = datetime.now(UTC).replace(microsecond=0)
CLOCKS = {
    "right": lambda seq: NOW - timedelta(minutes=30) + timedelta(seconds=seq),
    "fast": lambda seq: NOW + timedelta(hours=2, seconds=seq),  # ahead: not believed
    "reset": lambda seq: datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seq),  # behind
}


stamp = factories.stamp


class Fleet:
    """What each device sent, by channel, and the order everything is published in."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str], list[int]] = {}
        self.fails: set[str] = set()
        self.queue: list[tuple[str, bytes]] = []
        per_device: list[list[tuple[str, bytes]]] = []
        for n in range(DEVICES):
            device, clock = f"AED-{n:02d}", list(CLOCKS)[n % len(CLOCKS)]
            fails = n % 3 == 0
            if fails:
                self.fails.add(device)
            messages = []
            for seq in range(MESSAGES):
                moment = stamp(CLOCKS[clock](seq))
                if seq % 2:
                    last = seq == MESSAGES - 1
                    body: dict[str, Any] = {"ts": moment, "seq": seq, "test": "daily",
                                            "result": "FAIL" if fails and last else "PASS"}  # fmt: skip
                    if fails and last:
                        body["codes"] = ["C02"]
                    channel = "selftest"
                else:
                    body, channel = {"ts": moment, "seq": seq, "door_open": False, "note": NOTE}, "status"
                self.sent.setdefault((device, channel), []).append(seq)
                messages.append((f"aedmon/v1/{SITE}/{device}/{channel}", json.dumps(body).encode()))
            if clock == "right":  # the last self-test overtakes the one before it: resent late
                messages[-1], messages[-3] = messages[-3], messages[-1]
            per_device.append(messages)
        poison = iter(POISON * 3)
        for i in range(MESSAGES):
            for messages in per_device:
                self.queue.append(messages[i])
            self.queue.append((f"aedmon/v1/{SITE}/POISON-{i}/selftest", next(poison)[1]))


@pytest.fixture
def publisher(mosquitto: Mosquitto) -> Iterator[Publisher]:
    pub = Publisher(mosquitto, client_id="chaos-fleet")
    yield pub
    pub.close()


def lag(metrics_port: int, sink: str) -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return -1
    match = re.search(rf'aedmon_bridge_sink_lag{{sink="{sink}"}} ([0-9.e+]+)', text)
    return float(match.group(1)) if match else -1


def stored(server: ServerProcess, device: str, channel: str) -> list[int]:
    with server.client() as client:
        response = client.get(f"/api/v1/devices/{device}/readings", params={"type": channel, "limit": 1000})
    return sorted(r["seq"] for r in response.json()) if response.status_code == 200 else []


def test_chaos_loses_nothing_doubles_nothing_and_silences_no_failure(
    server: ServerProcess,
    victoria: VictoriaMetrics,
    mosquitto: Mosquitto,
    publisher: Publisher,
    start_bridge: BridgeStarter,
) -> None:
    fleet = Fleet()
    metrics_port = free_port()
    args = (
        "--site", SITE, "--mqtt", mosquitto.url, "--metrics-port", str(metrics_port),
        "--influx-url", victoria.url, "--influx-org", "aedmon", "--influx-bucket", "aedmon",
        "--influx-token", "x", "--outbox-max-mb", "0.2",
    )  # fmt: skip
    bridge = start_bridge(*args)
    wait_until(lambda: "subscribed" in bridge.output(), what="the bridge's subscription")
    third = len(fleet.queue) // 3
    for topic, payload in fleet.queue[:third]:
        publisher.send(topic, payload)
    bridge.kill9()  # mid-stream: no goodbye, no flush
    bridge = start_bridge(*args)
    victoria.process.stop()  # the TSDB goes away: its rows stay, and the small outbox fills
    for topic, payload in fleet.queue[third : 2 * third]:
        publisher.send(topic, payload)
    wait_until(lambda: "outbox cannot store" in bridge.output(), timeout=30, what="the outbox full")
    victoria.start()
    for topic, payload in fleet.queue[2 * third :]:
        publisher.send(topic, payload)

    def all_at_the_server() -> bool:
        return all(
            stored(server, device, channel) == sorted(seqs) for (device, channel), seqs in fleet.sent.items()
        )

    wait_until(all_at_the_server, timeout=120, what="every valid reading at the server")
    wait_until(lambda: lag(metrics_port, "influx") == 0, timeout=60, what="the TSDB drained")
    assert bridge.running, bridge.output()
    assert "Traceback" not in bridge.output()

    with server.client() as client:
        alerts = client.get("/api/v1/alerts", params={"state": "open", "limit": 1000}).json()
    failed = {a["device_id"] for a in alerts if a["type"] == "self_test_failed"}
    assert failed == fleet.fails
    for (device, channel), seqs in fleet.sent.items():
        in_tsdb = [
            v for s in victoria.samples(f'aedmon_{channel}_seq{{device="{device}"}}') for v in s["values"]
        ]
        assert sorted(in_tsdb) == sorted(seqs), (device, channel)
