"""What a bridge costs a small computer: resident memory of a real `aedmon bridge` taking MQTT
messages, and the size of its install, for a full install (the README's, everything) and for
`pip install "aedmon[bridge]"` alone, side by side in one run. `--source DIR` builds the
bridge-only venv from another checkout too (one built before the dependency groups existed
installs everything, so it stands for "before"):

    .venv/bin/python benchmarks/bridge_footprint.py [--messages 2000] [--source DIR …]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from aedmon.demo import free_port

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ("pyproject.toml", "README.md", "aedmon", "firmware_bridge", "server", "simulators")


def status_of(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def bridge_venv(source: Path, home: Path, extra: str) -> Path:
    """A fresh venv with `source[extra]` installed from a clean copy of its files."""
    copy = home / "source"
    for name in PACKAGE:
        if (source / name).is_dir():
            shutil.copytree(source / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (source / name).exists():
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, copy / name)
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    target = f"{copy}[{extra}]" if extra else str(copy)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", target], check=True
    )
    return venv


def measure(aedmon: Path, broker_port: int, messages: int, work: Path) -> tuple[float, float]:
    """(resident MiB after the messages, peak MiB) of a bridge taking `messages` status messages."""
    closed = free_port()  # the server is away: every reading stays in the outbox, as in an outage
    env = {**os.environ, "AEDMON_TOKEN": "a-bridge-token-long-enough"}
    args = [str(aedmon), "bridge", "--site", "bench", "--server", f"http://127.0.0.1:{closed}",
            "--mqtt", f"mqtt://127.0.0.1:{broker_port}", "--outbox", str(work / "outbox.db")]  # fmt: skip
    log = (work / "bridge.log").open("wb")
    bridge = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    try:
        deadline = time.monotonic() + 30
        while b"broker connected" not in (work / "bridge.log").read_bytes():
            if time.monotonic() > deadline:
                raise RuntimeError((work / "bridge.log").read_text())
            time.sleep(0.1)
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-{broker_port}-{aedmon.parent.parent.name}"
        )
        client.connect("127.0.0.1", broker_port)
        client.loop_start()
        for seq in range(messages):
            payload = {"ts": "2026-11-24T06:00:00Z", "seq": seq % 65536, "door_open": False, "temp_c": 20.0}
            client.publish(
                f"aedmon/v1/bench/CAB-{seq % 50}/status", json.dumps(payload), qos=1
            ).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        time.sleep(3)  # the last messages committed
        return status_of(bridge.pid, "VmRSS"), status_of(bridge.pid, "VmHWM")
    finally:
        bridge.terminate()
        bridge.wait(timeout=15)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--source", type=Path, action="append", default=[])
    options = parser.parse_args()
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        conf = work / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nuser root\n")
        broker = subprocess.Popen(
            [mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(0.5)
        try:
            installs = [("full install (.venv, everything)", ROOT / ".venv")]
            for number, source in enumerate([*options.source, ROOT]):
                home = work / f"install-{number}"
                home.mkdir()
                label = f"aedmon[bridge] from {source.resolve().name if source != ROOT else 'this checkout'}"
                installs.append((label, bridge_venv(source.resolve(), home, "bridge")))
            print(f"load average {os.getloadavg()[0]:.2f}, {options.messages} MQTT messages each")
            print(f"{'install':48} {'RSS MiB':>8} {'peak MiB':>9} {'venv MiB':>9} {'packages':>9}")
            for label, venv in installs:
                run = work / f"run-{abs(hash(label))}"
                run.mkdir()
                rss, peak = measure(venv / "bin" / "aedmon", port, options.messages, run)
                listed = [str(venv / "bin" / "pip"), "list", "--format=freeze", "--disable-pip-version-check"]
                frozen = subprocess.run(listed, capture_output=True, text=True, check=True).stdout
                count = len([line for line in frozen.splitlines() if "==" in line])
                print(f"{label:48} {rss:8.1f} {peak:9.1f} {size_mib(venv):9.1f} {count:9d}")
        finally:
            broker.terminate()
            broker.wait(timeout=10)


if __name__ == "__main__":
    main()
