"""How fast a bridge takes MQTT messages: into its outbox (the server away), and on to a real
`aedmon server`, next to `mosquitto_sub` taking the same queued stream, with the bridge's
resident memory. `--source DIR` runs the bridge from other checkouts too, side by side:

    git worktree add /tmp/aedmon-before 7760cc3
    .venv/bin/python benchmarks/bridge_rate.py --source /tmp/aedmon-before --source . [--messages 20000]

The stream waits at the broker for each subscriber's persistent session (QoS 1), as after a
bridge restart or an outage, so each takes it as fast as it can. The broker lets 1,000
messages be in flight to one client (`max_inflight_messages`; Mosquitto's default is 20,
which caps any subscriber's group, and a production broker should raise it the same way).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from databases import wait_healthy
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.demo import free_port

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "aedmon/v1/bench/+/status"
BRIDGE_TOKEN = "b" * 24


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise SystemExit(f"{name} is not installed; `python3 scripts/dev.py test` as root installs it")
    return found


def wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """The moment `condition` first held (time.monotonic), polling every 20 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return time.monotonic()


def publish(port: int, messages: int) -> None:
    """The stream: status messages of 500 cabinets, QoS 1, each acknowledged by the broker."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-publisher-{port}")
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    sent = []
    for seq in range(messages):
        payload = {"ts": "2026-11-24T06:00:00Z", "seq": seq % 65536, "door_open": False, "temp_c": 20.0}
        sent.append(client.publish(f"aedmon/v1/bench/CAB-{seq % 500}/status", json.dumps(payload), qos=1))
    for info in sent:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def mosquitto_sub(port: int, messages: int) -> float:
    """Messages a second `mosquitto_sub` takes of the queued stream."""
    sub = [binary("mosquitto_sub"), "-p", str(port), "-c", "-i", f"bench-sub-{port}", "-q", "1", "-t", TOPIC]
    subprocess.run([*sub, "-E"], check=True)  # the persistent session and its subscription
    publish(port, messages)
    started = time.monotonic()
    subprocess.run([*sub, "-C", str(messages)], check=True, stdout=subprocess.DEVNULL)
    return messages / (time.monotonic() - started)


class Bridge:
    """`aedmon bridge` from a checkout, with its outbox in `work`."""

    def __init__(self, source: Path, work: Path, broker: int, server: str) -> None:
        self.work, self.outbox = work, work / "outbox.db"
        env = {**os.environ, "AEDMON_TOKEN": BRIDGE_TOKEN, "PYTHONPATH": str(source)}
        args = [sys.executable, "-m", "aedmon", "bridge", "--site", "bench", "--server", server,
                "--mqtt", f"mqtt://127.0.0.1:{broker}", "--outbox", str(self.outbox)]  # fmt: skip
        self.log = work / "bridge.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=source)

    def said(self, words: bytes) -> bool:
        return words in self.log.read_bytes()

    def rows(self) -> int:
        try:
            with sqlite3.connect(f"file:{self.outbox}?mode=ro", uri=True, timeout=1) as db:
                return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        except sqlite3.Error:
            return -1

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.write_bytes(self.log.read_bytes() + b"\n--- stopped ---\n")


def bridge_rates(source: Path, work: Path, broker: int, messages: int) -> dict[str, float]:
    """Messages a second into the outbox (the server away), then on to a server, and memory."""
    away = f"http://127.0.0.1:{free_port()}"
    first = Bridge(source, work, broker, away)  # its persistent session and subscription
    try:
        wait(lambda: first.said(b"subscribed"), 30, "the subscription")
    finally:
        first.stop()
    publish(broker, messages)
    bridge = Bridge(source, work, broker, away)
    try:
        connected = wait(lambda: bridge.said(b"subscribed"), 30, "the subscription")
        done = wait(lambda: bridge.rows() >= messages, 300, f"{messages} rows in the outbox")
        found = {"outbox": messages / (done - connected), "rss": rss_mib(bridge.process.pid, "VmRSS")}
        found["peak"] = rss_mib(bridge.process.pid, "VmHWM")
    finally:
        bridge.stop()
    port = free_port()
    env = {**os.environ, "AEDMON_TOKENS": f"bridge:{BRIDGE_TOKEN}", "AEDMON_LOG_LEVEL": "WARNING"}
    database = f"sqlite:///{work / 'server.db'}"
    args = [sys.executable, "-m", "aedmon", "server", "--port", str(port), "--database-url", database]
    with (work / "server.log").open("ab") as log:
        server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        bridge = Bridge(source, work, broker, f"http://127.0.0.1:{port}")
        try:
            started = time.monotonic()
            done = wait(lambda: bridge.rows() == 0, 600, "the outbox delivered")
            found["server"] = messages / (done - started)
        finally:
            bridge.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--source", type=Path, action="append", default=[],
                        help="run the bridge from this checkout (repeat; '.' is this one)")  # fmt: skip
    options = parser.parse_args()
    sources = [ROOT if str(s) == "." else s.resolve() for s in options.source] or [ROOT]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        conf = work / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nuser root\n"
            "max_queued_messages 0\nmax_inflight_messages 1000\npersistence false\n"
        )
        broker = subprocess.Popen([binary("mosquitto"), "-c", str(conf)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"load average {load}, {options.messages} messages each")
            print(f"{'subscriber':34} {'→ outbox/s':>11} {'→ server/s':>11} {'RSS MiB':>8} {'peak MiB':>9}")
            print(f"{'mosquitto_sub':34} {mosquitto_sub(port, options.messages):11.0f}")
            for number, source in enumerate(sources):
                run = work / f"bridge-{number}"
                run.mkdir()
                found = bridge_rates(source, run, port, options.messages)
                label = "this checkout" if source == ROOT else str(source)
                print(
                    f"{label[-34:]:34} {found['outbox']:11.0f} {found['server']:11.0f} "
                    f"{found['rss']:8.1f} {found['peak']:9.1f}"
                )
        finally:
            broker.terminate()
            broker.wait(timeout=10)


if __name__ == "__main__":
    main()
