"""A bridge installed alone, as on a small computer: `pip install "aedmon[bridge]"` in a fresh
venv, no web framework, SQL or templates, and it still carries a serial AED's and an MQTT
cabinet's failures to a real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from aedmon.clock import utc_now
from simulators.aed import AedSimulator

from ..conftest import Mosquitto, Process, Publisher, ServerProcess, wait_until

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "psycopg",
    "alembic",
    "jinja2",
    "apscheduler",
    "amqtt",
    "babel",
)
BRIDGE_TOOLS = ("paho", "serial", "influxdb_client", "httpx", "prometheus_client")
PACKAGE = ("pyproject.toml", "README.md", "aedmon", "firmware_bridge", "server", "simulators")


@pytest.fixture(scope="module")
def bridge_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("bridge-only")
    source = home / "source"  # a clean copy: no build/ left over from an earlier install
    for name in PACKAGE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", f"{source}[bridge]"],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return venv


def test_the_bridge_group_installs_nothing_of_the_server(bridge_venv: Path) -> None:
    probe = (
        "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    )
    found = subprocess.run(
        [str(bridge_venv / "bin" / "python"), "-c", probe, *SERVER_ONLY, *BRIDGE_TOOLS],
        check=True,
        capture_output=True,
        text=True,
        cwd=bridge_venv,  # not the checkout, whose packages would shadow the installed ones
    ).stdout.split()
    assert found == list(BRIDGE_TOOLS)


def test_aedmon_server_says_in_one_line_what_to_install(bridge_venv: Path) -> None:
    done = subprocess.run(
        [str(bridge_venv / "bin" / "aedmon"), "server", "--port", "1"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "AEDMON_TOKENS": "admin:a-long-enough-admin-token,bridge:a-long-enough-bridge-tok",
        },
        cwd=bridge_venv,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "aedmon server: needs aedmon's server dependencies, not installed here: pip install 'aedmon[server]'"
    ]


def test_a_bridge_installed_alone_carries_serial_and_mqtt_failures_to_the_server(
    bridge_venv: Path,
    server: ServerProcess,
    mosquitto: Mosquitto,
    aed: AedSimulator,
    tmp_path: Path,
    processes: list[Process],
) -> None:
    env = {**os.environ, "AEDMON_TOKEN": server.tokens.bridge}
    args = [str(bridge_venv / "bin" / "aedmon"), "bridge", "--site", "school-7", "--server", server.url]
    args += ["--outbox", str(tmp_path / "outbox.db"), "--serial", str(aed.link), "--mqtt", mosquitto.url]
    bridge = Process(args, tmp_path / "bridge.log", env)
    bridge.proc = subprocess.Popen(
        bridge.args, stdout=bridge.log.open("ab"), stderr=subprocess.STDOUT, env=env, cwd=bridge_venv
    )
    processes.append(bridge)
    wait_until(lambda: "broker connected" in bridge.output(), timeout=30, what="the bridge's subscription")

    aed.trigger("pads-expired")
    publisher = Publisher(mosquitto, client_id="CAB-0201")
    try:
        stamp = (utc_now() - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        publisher.send("aedmon/v1/school-7/CAB-0201/event", {"ts": stamp, "seq": 1, "event": "AED_REMOVED"})

        def open_types() -> set[tuple[str, str]]:
            alerts = server.get("/api/v1/alerts", state="open")
            return {(a["device_id"], a["type"]) for a in alerts}  # type: ignore[attr-defined, index]

        wanted = {("SN10442", "self_test_failed"), ("SN10442", "pads_expired"), ("CAB-0201", "aed_removed")}
        wait_until(lambda: wanted <= open_types(), timeout=30, what="the alerts of both devices")
    finally:
        publisher.close()
    assert bridge.running, bridge.output()
