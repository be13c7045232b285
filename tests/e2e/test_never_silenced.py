"""Never silenced, on the real path (Mosquitto, a bridge process, a server process on SQLite
and on PostgreSQL): poison messages from one device, and devices whose clocks are wrong,
never keep another device's failed self-test, or their own, from opening its alert."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from .. import factories
from ..conftest import (
    BridgeStarter,
    Mosquitto,
    Process,
    Publisher,
    ServerProcess,
    aedmon_args,
    free_port,
    wait_until,
)

SITE = "town-hall"


class Device(Publisher):
    """Devices of the site, publishing as firmware does."""

    def send_as(self, device: str, channel: str, payload: bytes | dict[str, Any]) -> None:
        self.send(f"aedmon/v1/{SITE}/{device}/{channel}", payload)


@pytest.fixture
def device(mosquitto: Mosquitto) -> Iterator[Device]:
    sender = Device(mosquitto, client_id=f"dev-{free_port()}")
    yield sender
    sender.close()


stamp = factories.stamp


def selftest(seq: int, result: str, moment: datetime, **more: Any) -> dict[str, Any]:
    return factories.mqtt_payload("selftest", seq, moment, result=result, **more)


NOW_ISH = stamp(datetime.now(UTC))


def raw(tail: str, seq: int) -> bytes:
    """A self-test payload whose last field is written by hand, as no JSON encoder would."""
    return ('{"ts":"' + NOW_ISH + f'","seq":{seq},"test":"daily","result":"PASS",' + tail + "}").encode()


POISON: list[tuple[str, bytes]] = [
    ("oversized model", json.dumps(selftest(1, "PASS", datetime.now(UTC), model="M" * 300)).encode()),
    ("NUL in firmware", json.dumps(selftest(2, "PASS", datetime.now(UTC), firmware="2.4\u00001")).encode()),
    ("2,000 nested arrays", raw('"x":' + "[" * 2000 + "]" * 2000, 3)),
    ("year-1 time", b'{"ts":"0001-01-01T00:00:00+01:00","seq":4,"test":"daily","result":"FAIL"}'),
    ("NaN temperature", raw('"temp_c":NaN', 5)),
    ("a 1 MB string", b'{"ts":"' + b"2" * 1_000_000 + b'"}'),
    ("not JSON", b"\xff\xfe{"),
    ("temperature no sensor gives", json.dumps(selftest(8, "PASS", datetime.now(UTC), temp_c=1e9)).encode()),
]
# Fields no store can keep in a message otherwise whole: the field is dropped and counted, the
# reading kept (a cosmetic field never costs the FAIL it came with).
COSMETIC: list[tuple[str, bytes]] = [
    ("lone surrogate", raw('"x":"\\ud800"', 6).replace(b'"PASS"', b'"FAIL","codes":["C02"]')),
    ("huge integer", raw('"x":' + "9" * 3800, 7).replace(b'"PASS"', b'"FAIL","codes":["C02"]')),
]


def open_alerts(server: ServerProcess, device: str) -> set[str]:
    alerts = server.get_as("viewer", "/api/v1/alerts", state="open", device_id=device)
    return {a["type"] for a in alerts}


def known(server: ServerProcess, device: str) -> bool:
    with server.client() as client:
        return client.get(f"/api/v1/devices/{device}").status_code == 200


def rejected(metrics_port: int, counter: str = "aedmon_bridge_rejected_total") -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return -1
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(counter + "{"))


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_poison_from_one_device_never_keeps_another_devices_failure_from_its_alert(
    server: ServerProcess, mosquitto: Mosquitto, device: Device, start_bridge: BridgeStarter
) -> None:
    metrics_port = free_port()
    bridge = start_bridge("--site", SITE, "--mqtt", mosquitto.url, "--metrics-port", str(metrics_port))
    wait_until(lambda: "subscribed" in bridge.output(), what="the bridge's subscription")
    for _, payload in POISON:
        device.send_as("CAB-POISON", "selftest", payload)
    now = datetime.now(UTC)
    device.send_as("AED-OK", "selftest", selftest(1, "FAIL", now, codes=["C02"]))
    wait_until(lambda: "self_test_failed" in open_alerts(server, "AED-OK"), what="the FAIL's alert")
    wait_until(lambda: rejected(metrics_port) >= len(POISON), what="every poison message counted")
    for number, (_, payload) in enumerate(COSMETIC):
        device.send_as(f"AED-COSMETIC-{number}", "selftest", payload)
    for number in range(len(COSMETIC)):
        wait_until(lambda n=number: "self_test_failed" in open_alerts(server, f"AED-COSMETIC-{n}"),
                   what="the FAIL with a field no store keeps")  # fmt: skip
    assert rejected(metrics_port, "aedmon_bridge_fields_dropped_total") >= len(COSMETIC)
    assert bridge.running, bridge.output()
    # the same again after a restart: nothing poison waits in the broker or the outbox
    bridge.stop()
    bridge = start_bridge("--site", SITE, "--mqtt", mosquitto.url, "--metrics-port", str(metrics_port))
    device.send_as("AED-OK2", "selftest", selftest(1, "FAIL", now, codes=["P02"]))
    wait_until(lambda: "self_test_failed" in open_alerts(server, "AED-OK2"), what="the second FAIL's alert")
    assert bridge.running, bridge.output()
    assert "Traceback" not in bridge.output()


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("pass_at", "fail_at", "clock_fault"),
    [
        # a PASS dated 2099, then a FAIL dated now: the clock is right again, no clock_fault
        (timedelta(days=365 * 73), timedelta(0), False),
        # a PASS now, then a FAIL from a clock reset to 2000 (a battery swap): clock_fault too
        (timedelta(0), datetime(2000, 1, 1, tzinfo=UTC), True),
    ],
    ids=["pass-in-2099", "fail-in-2000"],
)
def test_a_wrong_device_clock_never_hides_a_failure(
    server: ServerProcess,
    mosquitto: Mosquitto,
    device: Device,
    start_bridge: BridgeStarter,
    pass_at: timedelta,
    fail_at: timedelta | datetime,
    clock_fault: bool,
) -> None:
    bridge = start_bridge("--site", SITE, "--mqtt", mosquitto.url)
    wait_until(lambda: "subscribed" in bridge.output(), what="the bridge's subscription")
    now = datetime.now(UTC)
    device.send_as("AED-CLOCK", "selftest", selftest(10, "PASS", now + pass_at))
    wait_until(lambda: known(server, "AED-CLOCK"), what="the PASS")
    fail_time = fail_at if isinstance(fail_at, datetime) else now + fail_at
    device.send_as("AED-CLOCK", "selftest", selftest(11, "FAIL", fail_time, codes=["C01"]))
    wait_until(lambda: "self_test_failed" in open_alerts(server, "AED-CLOCK"), what="the FAIL's alert")
    assert ("clock_fault" in open_alerts(server, "AED-CLOCK")) is clock_fault
    board = server.get_as("viewer", "/api/v1/devices/AED-CLOCK")
    assert board["readiness"] == "not_ready"
    shown = server.get_as("viewer", "/api/v1/devices/AED-CLOCK/readings", type="selftest")
    assert {r["device_time"][:4] for r in shown} == {(now + pass_at).strftime("%Y"), fail_time.strftime("%Y")}


def bridge_process(server: ServerProcess, outbox: Path, log: Path, *args: str) -> Process:
    env = {**os.environ, "AEDMON_TOKEN": server.tokens.bridge}
    return Process(aedmon_args("bridge", "--outbox", str(outbox), *args), log, env).start()


def test_a_full_outbox_acknowledges_nothing_and_recovers_when_space_returns(
    server: ServerProcess, mosquitto: Mosquitto, device: Device, processes: list[Process], tmp_path: Path
) -> None:
    """A bridge whose outbox is full (here its size limit; a full disk behaves the same) stores
    nothing it cannot keep and acknowledges nothing; the broker keeps the rest, and all of it
    arrives once the server drains the outbox and space returns."""
    full = tmp_path / "full-outbox.db"
    args = (
        "--site",
        SITE,
        "--mqtt",
        mosquitto.url,
        "--outbox-max-mb",
        "0.25",
        "--heartbeat-interval-s",
        "3600",
    )
    unreachable = f"http://127.0.0.1:{free_port()}"
    filler = bridge_process(server, full, tmp_path / "filler.log", "--server", unreachable, *args)
    processes.append(filler)
    wait_until(lambda: "subscribed" in filler.output(), what="the bridge's subscription")
    start = datetime.now(UTC) - timedelta(hours=2)
    sent = 0
    while "outbox cannot store" not in filler.output() and sent < 3000:
        status = {
            "ts": stamp(start + timedelta(seconds=sent)),
            "seq": sent,
            "door_open": False,
            "note": "n" * 1500,
        }
        device.send_as("CAB-FULL", "status", status)
        sent += 1
    assert "outbox cannot store" in filler.output(), "the outbox never filled"
    device.send_as("CAB-FULL", "event", {"ts": stamp(datetime.now(UTC)), "seq": sent, "event": "AED_REMOVED"})
    assert filler.running, filler.output()
    filler.stop()
    assert "Traceback" not in filler.output()
    drainer = bridge_process(server, full, tmp_path / "drainer.log", "--server", server.url, *args)
    processes.append(drainer)
    wait_until(lambda: "aed_removed" in open_alerts(server, "CAB-FULL"), timeout=60, what="the held event")
    readings = server.get_as("viewer", "/api/v1/devices/CAB-FULL/readings", type="status", limit=1000)
    assert sorted(r["seq"] for r in readings) == list(range(sent))


def test_a_refused_token_is_an_error_that_says_so_and_nothing_is_lost(
    server: ServerProcess, mosquitto: Mosquitto, device: Device, processes: list[Process], tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.db"
    args = ("--site", SITE, "--mqtt", mosquitto.url, "--server", server.url)
    env = {**os.environ, "AEDMON_TOKEN": "not-a-token-of-this-server"}
    wrong = Process(
        aedmon_args("bridge", "--outbox", str(outbox), *args), tmp_path / "wrong.log", env
    ).start()
    processes.append(wrong)
    wait_until(lambda: "subscribed" in wrong.output(), what="the bridge's subscription")
    device.send_as("AED-TOKEN", "selftest", selftest(1, "FAIL", datetime.now(UTC), codes=["C02"]))
    wait_until(lambda: "refused this bridge's credentials" in wrong.output(), what="the error")
    wrong.stop()
    right = bridge_process(server, outbox, tmp_path / "right.log", *args)
    processes.append(right)
    wait_until(
        lambda: "self_test_failed" in open_alerts(server, "AED-TOKEN"),
        what="the FAIL, once the token is right",
    )
