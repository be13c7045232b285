"""Every Grafana panel's InfluxQL runs against a real InfluxDB 1.x holding the bridge's own
line protocol, and returns data; the committed dashboards are what dashboards/build.py makes."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from aedmon.reading import (
    DeviceKind,
    DeviceState,
    EventType,
    Reading,
    TestResult,
)
from firmware_bridge.sinks.influx import to_point

from .. import factories
from ..conftest import Influx1

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
NOW = datetime.now(UTC).replace(microsecond=0)


def load_builder() -> Any:
    spec = importlib.util.spec_from_file_location("dashboards_build", DASHBOARDS / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def readings() -> list[Reading]:
    """A day of a small fleet: two AEDs (one failing), a cabinet, a mobile unit, a bridge."""
    out: list[Reading] = []
    for hour in range(24):
        moment = NOW - timedelta(hours=24 - hour)
        common: dict[str, Any] = {"arrived": moment + timedelta(seconds=2), "seq": hour}
        for device, result in (
            ("SN1", TestResult.PASS),
            ("SN2", TestResult.FAIL if hour > 12 else TestResult.PASS),
        ):
            out.append(
                factories.selftest(
                    result, device=device, kind=DeviceKind.AED, at=moment,
                    codes=("C02",) if result is TestResult.FAIL else (), battery_pct=90 - hour,
                    pads_expiry=date(2027, 3, 31), pads_connected=True, temp_c=21.5, **common,
                )
            )  # fmt: skip
            state = DeviceState.NOT_READY if result is TestResult.FAIL else DeviceState.READY
            beat_at = moment + timedelta(minutes=1)
            out.append(factories.heartbeat(state, device=device, kind=DeviceKind.AED, at=beat_at, **common))
        cabinet = {"device": "CAB-1", "kind": DeviceKind.CABINET}
        unit = {"device": "MU-1", "kind": DeviceKind.MOBILE_UNIT}
        out.append(factories.status(at=moment, door_open=False, aed_present=True, temp_c=4.0 + hour / 10,
                                    sensor_battery_pct=90 - hour, **cabinet, **common))  # fmt: skip
        out.append(factories.status(at=moment, fridge_temp_c=5.0, o2_pressure_bar=180.0, **unit, **common))
        fix_at = moment + timedelta(seconds=5)
        out.append(factories.location(42.6, 23.0, at=fix_at, speed_kmh=40.0, **unit, **common))
        opened_at = moment + timedelta(seconds=30)
        out.append(factories.event(EventType.DOOR_OPEN, at=opened_at, **cabinet, **common))
        figures = {"outbox_rows": hour, "sink_lag_server": 0, "sink_lag_influx": hour % 3, "rejected": hour,
                   "write_ms_server": 12.5, "write_ms_influx": 30.0}  # fmt: skip
        beat_at = moment + timedelta(seconds=10)
        out.append(factories.heartbeat(device="bridge-town-hall", kind=DeviceKind.BRIDGE, at=beat_at,
                                       extra=figures, **common))  # fmt: skip
    return out


def grafana(query: str, device: str) -> str:
    """The query as Grafana sends it for the last two days, all sites, one device."""
    return (
        query.replace("$timeFilter", "time > now() - 2d")
        .replace("$__interval", "1h")
        .replace("$site", ".*")
        .replace("$device", device)
    )


def panels() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                found.append((path.name, panel["title"], target["query"]))
        for var in board["templating"]["list"]:
            found.append((path.name, f"variable {var['name']}", var["query"]))
    return found


def test_committed_dashboards_are_what_the_builder_makes() -> None:
    made = load_builder().rendered()
    assert made == {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}


@pytest.mark.parametrize(("board", "title", "query"), panels(), ids=[f"{b}:{t}" for b, t, _ in panels()])
def test_every_panel_query_returns_data_from_the_bridges_line_protocol(
    influx1: Influx1, board: str, title: str, query: str
) -> None:
    influx1.query("CREATE DATABASE aedmon")
    lines = "\n".join(to_point(r).to_line_protocol() for r in readings())
    written = httpx.post(
        f"{influx1.url}/write", params={"db": "aedmon", "precision": "ns"}, content=lines, timeout=10
    )
    assert written.status_code == 204, written.text
    device = "MU-1" if any(m in query for m in ("fridge_temp_c", "speed_kmh")) else "SN2"
    device = "CAB-1" if "sensor_battery_pct" in query else device  # a cabinet's own sensor
    if "aedmon_status" in query and "fridge" not in query:
        device = "CAB-1"
    if "aedmon_event" in query:
        device = "CAB-1"
    result = influx1.query(grafana(query, device))["results"][0]
    assert "error" not in result, result
    series = result.get("series", [])
    assert series, f"{board} / {title} returned no data"
    assert any(value is not None for s in series for row in s["values"] for value in row[1:])
