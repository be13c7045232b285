"""What the readiness board costs the server: `GET /api/v1/devices` for a fleet, and one
ingested heartbeat, as each device's history grows.

Builds one SQLite store per history length, each with `--devices` AEDs that sent a heartbeat
every minute for that long and a daily self-test, then times the device list (which the
board polls every 2 s) and the ingest of one more heartbeat (which runs the rules over the
device's facts) through the real app in this process. The ratio between history lengths is
the point: the cost of a device should not grow with its age.

    .venv/bin/python benchmarks/device_list.py --devices 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert

from aedmon.reading import DeviceState, Reading, ReadingType, TestResult, TestType
from server.app import create_app
from server.settings import ServerSettings
from server.store.database import create_schema, make_engine, session_factory
from server.store.models import Device, StoredReading

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
VIEWER, BRIDGE = "v" * 24, "b" * 24
HISTORIES = {"1 day": 1440, "2 weeks": 20160}


def reading(device: str, minutes_ago: int, seq: int, **fields: Any) -> Reading:
    at = NOW - timedelta(minutes=minutes_ago)
    return Reading(device_id=device, site=f"site-{int(device[2:]) % 10}", device_time=at, arrival_time=at,
                   seq=seq % 65536, **fields)  # fmt: skip


def history(device: str, minutes: int) -> list[Reading]:
    beat = {"type": ReadingType.HEARTBEAT, "state": DeviceState.READY}
    beats = [reading(device, minutes - i, i, **beat) for i in range(minutes)]
    tests = [
        reading(device, day * 1440 + 30, minutes + day, type=ReadingType.SELFTEST, test=TestType.DAILY,
                result=TestResult.PASS, battery_pct=90, pads_expiry=date(2028, 1, 1))
        for day in range(max(1, minutes // 1440))
    ]  # fmt: skip
    return beats + tests


def build(path: Path, devices: int, minutes: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with session_factory(engine)() as session:
        for d in range(devices):
            device = f"SN{d}"
            session.add(Device(id=device, site=f"site-{d % 10}", kind="aed", name="", place="",
                               report_interval_s=60, confirmed=True, created_at=NOW))  # fmt: skip
            session.flush()
            rows = [
                {"key": r.key, "device_id": r.device_id, "site": r.site, "type": r.type.value, "seq": r.seq,
                 "device_time": r.device_time, "arrival_time": r.arrival_time, "received_at": r.arrival_time,
                 "body": r.model_dump(mode="json")}
                for r in history(device, minutes)
            ]  # fmt: skip
            session.execute(insert(StoredReading), rows)
        session.commit()
    engine.dispose()


def best_of(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    """Median and best wall time of `runs` calls, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def measure(path: Path, devices: int, runs: int) -> dict[str, tuple[float, float]]:
    settings = ServerSettings(database_url=f"sqlite:///{path}", tokens=f"viewer:{VIEWER},bridge:{BRIDGE}")
    app = create_app(settings, lambda: NOW, background=False)
    seq = iter(range(60000, 65000))
    with TestClient(app) as client:
        viewer = {"Authorization": f"Bearer {VIEWER}"}
        bridge = {"Authorization": f"Bearer {BRIDGE}"}

        def listing() -> None:
            answer = client.get("/api/v1/devices", headers=viewer)
            answer.raise_for_status()
            assert len(answer.json()) == devices

        def one_heartbeat() -> None:
            beat = reading("SN1", 0, next(seq), type=ReadingType.HEARTBEAT, state=DeviceState.READY)
            body = {"readings": [beat.model_dump(mode="json")]}
            answer = client.post("/api/v1/ingest", json=body, headers=bridge)
            answer.raise_for_status()
            assert answer.json()["accepted"] == 1

        listing()  # warm up
        return {"list": best_of(runs, listing), "ingest": best_of(runs, one_heartbeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aedmon-bench-list-"))
    results = {}
    for label, minutes in HISTORIES.items():
        path = work / f"{minutes}.db"
        build(path, args.devices, minutes)
        results[label] = measure(path, args.devices, args.runs)
    print(f"{args.devices} AEDs, heartbeat every minute, median (best) of {args.runs}:")
    print(f"{'history':<10} {'GET /api/v1/devices':>24} {'per device':>12} {'ingest 1 heartbeat':>22}")
    for label, result in results.items():
        (list_median, list_best), (ingest_median, ingest_best) = result["list"], result["ingest"]
        print(f"{label:<10} {list_median:>12.1f} ms ({list_best:.1f}) {list_median / args.devices:>9.2f} ms"
              f" {ingest_median:>12.1f} ms ({ingest_best:.1f})")  # fmt: skip
    short, long = (results[label] for label in HISTORIES)
    print(f"ratio 2 weeks / 1 day: list {long['list'][0] / short['list'][0]:.2f}, "
          f"ingest {long['ingest'][0] / short['ingest'][0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
