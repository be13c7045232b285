"""What the programme's report costs: a month's (or `--days`) report of a fleet of AEDs with nightly
self-tests and of mobile units with a fix a minute (their visits are read from every fix), on
SQLite, in one process. Each size is timed side by side in one run, with the machine's load:

    .venv/bin/python benchmarks/programme_report.py [--aeds 200] [--units 1 4] [--fix-every-s 60] [--days 30]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.demo.history import written
from aedmon.reading import Reading, ReadingType, TestResult, TestType
from server import store
from server.app import create_app
from server.settings import ServerSettings

NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)
TOKEN = "admin-benchmark-token-0123456789"


def history_of(aeds: int, units: int, every_s: int, days: int) -> list[Reading]:
    readings = [
        written(f"SN{n}", "town", ReadingType.SELFTEST, NOV_1 + timedelta(days=day, hours=3),
             test=TestType.DAILY, result=TestResult.PASS, pads_expiry=date(2028, 1, 1),
             battery_expiry=date(2029, 1, 1))
        for n in range(aeds)
        for day in range(days)
    ]  # fmt: skip
    for n in range(units):
        for step in range(days * 86400 // every_s):
            lat = 42.60 + 0.05 * ((step % 480) / 480)  # out to a village and back, each 8 hours
            at = NOV_1 + timedelta(seconds=step * every_s)
            readings.append(
                written(f"MU{n}", "unit", ReadingType.LOCATION, at, lat=lat, lon=23.04, speed_kmh=30.0)
            )
    return readings


def timed(aeds: int, units: int, every_s: int, days: int, folder: Path) -> tuple[int, float]:
    url = f"sqlite:///{folder}/bench-{aeds}-{units}.db"
    settings = ServerSettings(database_url=url, tokens=f"admin:{TOKEN}")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    clock = MovableClock(NOV_1 + timedelta(days=days + 1))
    with TestClient(create_app(settings, clock, background=False)) as api:
        for n in range(aeds):
            api.post("/api/v1/devices", json={"id": f"SN{n}", "site": "town", "kind": "aed"}, headers=auth)
        for n in range(units):
            api.post(
                "/api/v1/devices", json={"id": f"MU{n}", "site": "unit", "kind": "mobile_unit"}, headers=auth
            )
            place = {"name": "Village", "lat": 42.65, "lon": 23.04, "radius_m": 800}
            api.post(f"/api/v1/devices/MU{n}/communities", json=place, headers=auth)
        readings = history_of(aeds, units, every_s, days)
        with api.app.state.sessions() as session:  # type: ignore[attr-defined]
            for start in range(0, len(readings), 5000):
                chunk = readings[start : start + 5000]
                store.readings.insert_many(session, [(r, r.device_time, True) for r in chunk], NOV_1)
                session.commit()
        period = {"from": f"{NOV_1:%Y-%m-%d}", "to": f"{NOV_1 + timedelta(days=days - 1):%Y-%m-%d}"}
        began = time.perf_counter()
        answer = api.get("/api/v1/reports/programme", params=period, headers=auth)
        took = time.perf_counter() - began
        answer.raise_for_status()
        return len(readings), took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aeds", type=int, default=200)
    parser.add_argument("--units", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--fix-every-s", type=int, default=60)
    parser.add_argument("--days", type=int, default=30, help="the report's period, from 1 November 2026")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")  # noqa: T201
    with tempfile.TemporaryDirectory() as folder:
        for units in args.units:
            rows, took = timed(args.aeds, units, args.fix_every_s, args.days, Path(folder))
            print(
                f"{args.aeds} AEDs, {units} units, a fix every {args.fix_every_s} s: "  # noqa: T201
                f"{rows} readings, the report of {args.days} days in {took:.2f} s"
            )
    print(f"load average after: {os.getloadavg()}")  # noqa: T201


if __name__ == "__main__":
    main()
