"""The README's first command: `aedmon demo` brings up everything and an alert opens."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ..conftest import free_port, wait_until


def test_demo_opens_an_alert_within_a_minute_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        demo = subprocess.Popen(
            [sys.executable, "-m", "aedmon", "demo", "--port", str(port), "--workdir", str(tmp_path / "run")],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "viewer=" in out.read_text(), timeout=60, what="the demo banner")
        viewer = re.search(r"viewer=(\S+)", out.read_text()).group(1)  # type: ignore[union-attr]
        headers = {"Authorization": f"Bearer {viewer}"}

        def alert_types() -> set[tuple[str, str]]:
            answer = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/alerts", params={"state": "open"}, headers=headers
            )
            return {(a["device_id"], a["type"]) for a in answer.json()}

        broker_port = int(re.search(r"mosquitto_sub -p (\d+)", out.read_text()).group(1))  # type: ignore[union-attr]
        told: list[str] = []
        listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-listener")
        listener.on_message = lambda c, u, m: told.append(m.topic)
        listener.connect("127.0.0.1", broker_port)
        listener.subscribe("aedmon/v1/alerts/#", qos=1)
        listener.loop_start()
        wait_until(
            lambda: ("SN10002", "self_test_failed") in alert_types(), timeout=60, what="the demo's alert"
        )
        wait_until(
            lambda: "aedmon/v1/alerts/pernik-town-hall/SN10002" in told, timeout=30, what="the notification"
        )
        listener.loop_stop()
        listener.disconnect()
        assert ("SN10002", "pads_expired") in alert_types()
        # a month seeded: the programme's report has something to say of each part of it
        today = datetime.now(ZoneInfo("Europe/Sofia")).date()  # the month before today: all seeded
        asked = {
            "from": str(today - timedelta(days=30)),
            "to": str(today - timedelta(days=1)),
            "area": "pernik",
        }
        report = httpx.get(f"http://127.0.0.1:{port}/api/v1/reports/programme", params=asked, headers=headers)
        report = report.json()
        by_id = {d["id"]: d for d in report["devices"]}
        assert not any(device_id.startswith("bridge-") for device_id in by_id)  # bridges carry, not count
        assert by_id["SN10003"]["downtime_by_cause"]["self_test_failed"] == 59 * 3600  # two nights failed
        assert len(by_id["SN10001"]["rescues"]) == 1
        assert by_id["SN10001"]["pads_replaced"] == 1
        assert by_id["SN10001"]["checks_done"] == 1
        unit = by_id["MU-01"]["unit"]
        assert (unit["days_in_service"], unit["shifts_checked"]) == (8, 7)  # one day out unchecked
        assert {visit["community"] for visit in unit["visits"]} == {"Рударци", "Кладница"}
        assert report["response"]["critical"]["time_to_repair_s"]["count"] >= 1
        status = httpx.get(f"http://127.0.0.1:{port}/api/v1/public/status/pernik").json()
        assert [aed["name"] for aed in status["public"]] == ["АВД SN10001"]
        sites = httpx.get(f"http://127.0.0.1:{port}/api/v1/sites", headers=headers).json()
        assert {s["id"]: s["name"] for s in sites}["pernik-town-hall"] == "Община Перник – кметство"
        devices = httpx.get(f"http://127.0.0.1:{port}/api/v1/devices", headers=headers).json()
        assert {d["id"] for d in devices} >= {
            "SN10001", "SN10002", "SN10003", "CAB-0007", "MU-01", "24e124136b316541", "0x00158d0001d82999",
        }  # fmt: skip
        wait_until(
            lambda: ("0x00158d0001d82999", "sensor_battery_low") in alert_types(),
            timeout=60,
            what="the Zigbee cabinet's sensor battery low",
        )
        wait_until(
            lambda: all(
                d["last_seen"]
                for d in httpx.get(f"http://127.0.0.1:{port}/api/v1/devices", headers=headers).json()
            ),
            timeout=30,
            what="every device heard from",
        )
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
    assert "demo stopped" in out.read_text()
    assert demo.returncode == 0


def children_of(pid: int) -> list[str]:
    """The processes whose parent is `pid`, from /proc (field 4 of stat is the parent)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(stat.parent.name)
    return found


def test_sigterm_stops_the_demo_and_every_child_as_ctrl_c_does(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        demo = subprocess.Popen(
            [sys.executable, "-m", "aedmon", "demo", "--port", str(port), "--workdir", str(tmp_path / "run")],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "viewer=" in out.read_text(), timeout=60, what="the demo banner")
        children = children_of(demo.pid)
        assert len(children) >= 8, children
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    assert "demo stopped" in out.read_text()
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), pid
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.ConnectError:
        return
    raise AssertionError("the demo's server still answers after SIGTERM")
