"""`aedmon demo`: the whole system on one machine with simulated devices.

A server on SQLite, the municipality of Pernik's sites named as its people name them, with a
month of history (`history`) so the reports have something to say; three AEDs on
pseudo-terminals at the town hall (one public, on the status page and the map; one fails its
self-test with expired pads 20 s in); a street cabinet and a mobile medical unit over MQTT
(the crew checks it before its shift); the unit's GNSS receiver on a pty; a LoRaWAN street
cabinet through ChirpStack (its door opens a minute in) and a Zigbee school cabinet through
Zigbee2MQTT (its sensor's battery runs low); a bridge for the town hall, one for the sensor
networks and one on board the unit. Every part is a child process started with the same
`aedmon` commands a user runs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from simulators.broker import start_broker

from .history import CHECKLIST, COMMUNITIES, Town, seed_month

TOWN_HALL = "pernik-town-hall"
STREET = "pernik-street"
UNIT_SITE = "mobile-unit-1"
SCHOOL = "pernik-school-5"
LORAWAN_CABINET = "24e124136b316541"  # a Milesight EM300-MCS's DevEUI
ZIGBEE_CABINET = "0x00158d0001d82999"  # an Aqara door sensor's IEEE address
UNIT_BASE = (42.6062, 23.0379)
AEDS = [
    ("SN10001", "Партер, до информацията", []),
    ("SN10002", "Първи етаж, пред заседателната зала", ["pads-expired@20"]),
    ("SN10003", "Сутерен, вход на спортната зала", []),
]
AREA = "pernik"
SITE_NAMES = {
    TOWN_HALL: "Община Перник – кметство",
    STREET: "Община Перник – площад „Кракра“",
    UNIT_SITE: "Община Перник – мобилна медицинска единица",
    SCHOOL: "Община Перник – 5. СУ",
}


# The demo's sites are in Pernik, Bulgaria: pages and notices say times as people there read them.
DEMO_TIME_ZONE = "Europe/Sofia"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def _register(base: str, admin: str) -> None:
    devices: list[dict[str, object]] = [
        {
            "id": serial,
            "site": TOWN_HALL,
            "area": AREA,
            "kind": "aed",
            "name": f"АВД {serial}",
            "place": place,
        }
        for serial, place, _ in AEDS
    ]
    # the one at reception is public: on the status page and its map, in the open-data feed
    devices[0].update(public=True, lat=42.6057, lon=23.0322, access="yes", indoor=True,
                      opening_hours="Mo-Fr 08:00-17:00")  # fmt: skip
    devices.append(
        {
            "id": "CAB-0007",
            "site": STREET,
            "area": AREA,
            "kind": "cabinet",
            "name": "Уличен шкаф, площад „Кракра“",
            "place": "Пред пощата",
            "lat": 42.6062,
            "lon": 23.0379,
            "geofence_m": 50,
        }
    )
    devices.append(
        {
            "id": "MU-01",
            "site": UNIT_SITE,
            "area": AREA,
            "kind": "mobile_unit",
            "name": "Мобилна медицинска единица 1",
            "place": "Обслужва селата на Пернишка област",
            "lat": UNIT_BASE[0],
            "lon": UNIT_BASE[1],
            "geofence_m": 30000,
        }
    )
    devices.append(
        {
            "id": LORAWAN_CABINET,
            "site": STREET,
            "area": AREA,
            "kind": "cabinet",
            "name": "Уличен шкаф, гарата (LoRaWAN)",
            "place": "До билетното гише",
            "report_interval_s": 600,
        }
    )
    devices.append(
        {
            "id": ZIGBEE_CABINET,
            "site": SCHOOL,
            "area": AREA,
            "kind": "cabinet",
            "name": "Стенен шкаф в училището (Zigbee)",
            "place": "Коридорът към физкултурния салон",
            "report_interval_s": 3600,
        }
    )
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"}) as client:
        for device in devices:
            client.post("/api/v1/devices", json=device).raise_for_status()
        for site, name in SITE_NAMES.items():
            client.patch(f"/api/v1/sites/{site}", json={"name": name, "language": "bg"}).raise_for_status()
        for name, lat, lon, radius in COMMUNITIES:  # where the unit goes, placed on its map
            place = {"name": name, "lat": lat, "lon": lon, "radius_m": radius}
            client.post("/api/v1/devices/MU-01/communities", json=place).raise_for_status()
        contact = {"name": "Демо техник", "language": "bg", "mqtt": True, "min_severity": "minor"}
        client.post("/api/v1/contacts", json=contact).raise_for_status()


TOWN = Town(
    TOWN_HALL, STREET, UNIT_SITE, tuple(serial for serial, _, _ in AEDS), "CAB-0007", "MU-01", UNIT_BASE
)


def _shift_check(base: str, staff: str) -> None:
    """The crew's check before today's shift, as they make it on the vehicle's QR code."""
    body = {"inspector": "Петя Иванова", "answers": dict.fromkeys(CHECKLIST, True)}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {staff}"}, timeout=10) as client:
        client.post("/api/v1/devices/MU-01/shift-checks", json=body).raise_for_status()


def run_demo(port: int, workdir: Path, duration_s: float) -> int:
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    roles = ("admin", "technician", "staff", "viewer", "bridge")
    tokens = {role: secrets.token_urlsafe(18) for role in roles}
    env = {
        **os.environ,
        "AEDMON_TOKENS": ",".join(f"{role}:{token}" for role, token in tokens.items()),
        "AEDMON_TOKEN": tokens["bridge"],
    }
    aedmon = [sys.executable, "-m", "aedmon"]
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    logs = workdir / "logs"
    logs.mkdir()

    def spawn(name: str, args: list[str]) -> None:
        out = (logs / f"{name}.log").open("ab")
        children.append((name, subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)))

    def stop_on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops everything as Ctrl-C does

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    base = f"http://127.0.0.1:{port}"
    broker_port = free_port()
    try:
        broker, broker_name = start_broker(broker_port, workdir)
        children.append(("broker", broker))
        mqtt = f"mqtt://127.0.0.1:{broker_port}"
        spawn(
            "server",
            [
                *aedmon,
                "server",
                "--port",
                str(port),
                "--database-url",
                f"sqlite:///{workdir / 'aedmon.db'}",
                "--evaluate-interval-s",
                "30",
                "--time-zone",
                DEMO_TIME_ZONE,
                "--shift-checklist",
                ",".join(CHECKLIST),
                "--notify-mqtt",
                mqtt,
            ],
        )
        _wait_for(f"{base}/healthz")
        _register(base, tokens["admin"])
        seed_month(f"sqlite:///{workdir / 'aedmon.db'}", datetime.now(UTC), ZoneInfo(DEMO_TIME_ZONE), TOWN)
        for serial, _, faults in AEDS:
            args = [
                *aedmon,
                "simulate",
                "aed",
                "--serial",
                serial,
                "--link",
                str(workdir / serial),
                "--selftest-interval-s",
                "30",
                "--heartbeat-interval-s",
                "10",
            ]
            for fault in faults:
                args += ["--fault", fault]
            spawn(f"aed-{serial}", args)
        spawn(
            "cabinet",
            [
                *aedmon,
                "simulate",
                "cabinet",
                "--mqtt",
                mqtt,
                "--site",
                STREET,
                "--device",
                "CAB-0007",
                "--interval-s",
                "15",
                "--fault",
                "door@40",
                "--fault",
                "door@50",
            ],
        )
        spawn(
            "mobile-unit",
            [
                *aedmon,
                "simulate",
                "mobile-unit",
                "--mqtt",
                mqtt,
                "--site",
                UNIT_SITE,
                "--device",
                "MU-01",
                "--interval-s",
                "15",
                "--lat",
                str(UNIT_BASE[0]),
                "--lon",
                str(UNIT_BASE[1]),
            ],
        )
        spawn(
            "lorawan-cabinet",
            [*aedmon, "simulate", "lorawan-cabinet", "--network", "chirpstack", "--mqtt", mqtt,
             "--dev-eui", LORAWAN_CABINET, "--interval-s", "15", "--fault", "door@60"],
        )  # fmt: skip
        spawn(
            "zigbee-cabinet",
            [*aedmon, "simulate", "zigbee-cabinet", "--mqtt", mqtt, "--ieee", ZIGBEE_CABINET,
             "--interval-s", "15", "--fault", "battery-low@45"],
        )  # fmt: skip
        spawn(
            "gnss",
            [
                *aedmon,
                "simulate",
                "gnss",
                "--link",
                str(workdir / "gnss"),
                "--lat",
                str(UNIT_BASE[0]),
                "--lon",
                str(UNIT_BASE[1]),
            ],
        )
        bridge = [*aedmon, "bridge", "--server", base]
        serial_args = [arg for serial, _, _ in AEDS for arg in ("--serial", str(workdir / serial))]
        spawn(
            "bridge-town-hall",
            [
                *bridge,
                "--site",
                TOWN_HALL,
                *serial_args,
                "--mqtt",
                mqtt,
                "--outbox",
                str(workdir / "outbox-town-hall.db"),
                "--metrics-port",
                str(free_port()),
            ],
        )
        spawn(
            "bridge-sensors",
            [*bridge, "--site", STREET, "--chirpstack", mqtt, "--zigbee2mqtt", mqtt,
             "--outbox", str(workdir / "outbox-sensors.db")],
        )  # fmt: skip
        spawn(
            "bridge-unit",
            [
                *bridge,
                "--site",
                UNIT_SITE,
                "--gnss",
                str(workdir / "gnss"),
                "--gnss-device",
                "MU-01",
                "--gnss-interval-s",
                "15",
                "--outbox",
                str(workdir / "outbox-unit.db"),
            ],
        )
        _banner(base, tokens, broker_name, broker_port, workdir)
        deadline = time.monotonic() + duration_s if duration_s else None
        shift_at: float | None = time.monotonic() + 20  # once the unit has said how its fridge and oxygen are
        while deadline is None or time.monotonic() < deadline:
            if shift_at is not None and time.monotonic() > shift_at:
                shift_at = None
                _shift_check(base, tokens["staff"])
            for name, child in children:
                if child.poll() is not None:
                    print(f"demo: {name} exited with {child.returncode}; see {logs / (name + '.log')}")  # noqa: T201
                    return 1
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for _, child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for _, child in reversed(children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        print("demo stopped")  # noqa: T201


def _banner(base: str, tokens: dict[str, str], broker: str, broker_port: int, workdir: Path) -> None:
    lines = [
        "",
        "aedmon demo is running.",
        f"  board      {base}/board#token={tokens['viewer']}",
        f"  console    {base}/console#token={tokens['technician']}",
        f"  contacts   {base}/console#token={tokens['admin']}   (as admin: add and change contacts)",
        f"  inspection {base}/devices/SN10001#token={tokens['staff']}   (building staff's checklist)",
        f"  reports    {base}/reports/programme#token={tokens['viewer']}   (a month seeded)",
        f"  record     {base}/reports/compliance#token={tokens['viewer']}",
        f"  shift      {base}/devices/MU-01#token={tokens['staff']}   (the crew's check before a shift)",
        f"  status     {base}/status/{AREA}   (public, embeddable)",
        f"  API        {base}/docs   (health: {base}/healthz, metrics: {base}/metrics)",
        f"  broker     {broker}",
        f"  files      {workdir}  (logs in logs/)",
        "  tokens     " + "  ".join(f"{role}={token}" for role, token in tokens.items()),
        "",
        "Within a minute AED SN10002 fails its self-test (pads expired), the Zigbee school cabinet's",
        "sensor battery runs low, and the LoRaWAN street cabinet's door opens. Watch the alerts:",
        f"  curl -s -H 'Authorization: Bearer {tokens['viewer']}' '{base}/api/v1/alerts?state=open'",
        f"  curl -s -H 'Authorization: Bearer {tokens['viewer']}' {base}/api/v1/devices",
        "",
        "Notifications for the demo technician are published on MQTT:",
        f"  mosquitto_sub -p {broker_port} -t 'aedmon/v1/alerts/#' -v",
        "",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201
