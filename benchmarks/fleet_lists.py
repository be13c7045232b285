"""What the lists cost as the fleet grows: `GET /api/v1/sites`, a site's device list, the
fleet board's list of what needs something, and the scheduler's pass, at several fleet
sizes, on SQLite and PostgreSQL.

Seeds each fleet with N AEDs over N/20 sites (`seed`): per device two self-tests and two
heartbeats, and its readiness snapshot as the evaluations keep it (90 % ready, 5 % needing
attention, 3 % not ready, 2 % unknown), then times the requests through the real app in
this process, p50 and p95 of `--runs` each, and the pass with nothing due and with 1 % due.

    .venv/bin/python benchmarks/fleet_lists.py --devices 1000 10000 --database sqlite postgresql
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from databases import database, load
from fastapi.testclient import TestClient
from sqlalchemy import insert, text, update

from aedmon.reading import DeviceState, Reading, ReadingType, TestResult, TestType
from server.app import create_app
from server.evaluation import evaluate_due
from server.rules.memory import Memory
from server.settings import ServerSettings
from server.store.database import create_schema, make_engine, session_factory
from server.store.models import Device, ReadinessSnapshot, Site, StoredReading
from server.store.snapshots import recount

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
VIEWER = "v" * 24
SHARE = (("ready", 90), ("attention", 5), ("not_ready", 3), ("unknown", 2))
NEEDING = "/api/v1/devices?readiness=not_ready&readiness=attention&readiness=unknown&limit=200"  # the board's
SITES = 100  # the sites list's first page, as the fleet board asks for it


def readiness_of(index: int) -> str:
    slot = index % 100
    for readiness, share in SHARE:
        if slot < share:
            return readiness
        slot -= share
    return "ready"


SCHEDULE = (
    (ReadingType.SELFTEST, 1500),
    (ReadingType.HEARTBEAT, 70),
    (ReadingType.SELFTEST, 60),
    (ReadingType.HEARTBEAT, 10),
)
TEST = {"test": TestType.DAILY, "result": TestResult.PASS, "battery_pct": 90, "pads_expiry": date(2028, 1, 1)}
WARNING = {"key": "self_test_warning", "id": "detail.self_test_warning.no_code", "params": {}}


def readings(device: str, site: str) -> list[dict[str, Any]]:
    """Two self-tests and two heartbeats, as rows of the readings table."""
    made = []
    for seq, (kind, minutes_ago) in enumerate(SCHEDULE):
        at = NOW - timedelta(minutes=minutes_ago)
        fields: dict[str, Any] = TEST if kind is ReadingType.SELFTEST else {"state": DeviceState.READY}
        said = Reading(
            type=kind, device_id=device, site=site, device_time=at, arrival_time=at, seq=seq, **fields
        )
        made.append({"key": said.key, "device_id": device, "site": site, "type": kind.value, "seq": seq,
                     "device_time": at, "arrival_time": at, "received_at": at, "at": at,
                     "clock_trusted": True, "body": said.model_dump(mode="json")})  # fmt: skip
    return made


def device_row(d: int, sites: int) -> dict[str, Any]:
    return {"id": f"SN{d:06d}", "site": f"site-{d % sites}", "kind": "aed", "name": f"AED {d}",
            "place": f"Building {d}", "report_interval_s": 3600, "confirmed": True, "created_at": NOW,
            "public": False, "public_key": uuid.uuid4().hex}  # fmt: skip


def snapshot_row(d: int, sites: int) -> dict[str, Any]:
    readiness = readiness_of(d)
    return {"device_id": f"SN{d:06d}", "site": f"site-{d % sites}", "readiness": readiness,
            "reasons": [] if readiness == "ready" else [WARNING], "last_seen": NOW - timedelta(minutes=10),
            "last_selftest_at": NOW - timedelta(minutes=60), "pads_expiry": date(2028, 1, 1),
            "battery_expiry": None, "located_lat": None, "located_lon": None, "located_at": None,
            "due_at": NOW + timedelta(hours=12), "evaluated_at": NOW, "counted": True,
            "memory": memory_of(d, sites)}  # fmt: skip


def memory_of(d: int, sites: int) -> dict[str, Any]:
    """What the rules remember of the device after its evaluations (its readings' row ids are
    their order of insertion: each device's four, one device after another)."""
    rows = readings(f"SN{d:06d}", f"site-{d % sites}")
    return Memory.of(
        (row["at"], d * len(SCHEDULE) + i + 1, Reading.model_validate(row["body"]))
        for i, row in enumerate(rows)
    ).to_json()


def seed(url: str, devices: int) -> None:
    """The fleet, in bulk: sites, devices, their readings and their snapshots."""
    engine = make_engine(url)
    create_schema(engine)
    batch = 2000
    sites = max(1, devices // 20)
    with session_factory(engine)() as session:
        rows = [{"id": f"site-{s}", "name": "", "time_zone": None, "created_at": NOW} for s in range(sites)]
        session.execute(insert(Site), rows)
        for start in range(0, devices, batch):
            chunk = range(start, min(devices, start + batch))
            session.execute(insert(Device), [device_row(d, sites) for d in chunk])
            history = [row for d in chunk for row in readings(f"SN{d:06d}", f"site-{d % sites}")]
            session.execute(insert(StoredReading), history)
            session.execute(insert(ReadinessSnapshot), [snapshot_row(d, sites) for d in chunk])
            session.commit()
        recount(session)  # the sites' counts, as the evaluations would have kept them
    with engine.connect() as connection:  # the planner's statistics, as autovacuum keeps them
        connection.execute(text("ANALYZE"))
        connection.commit()
    engine.dispose()


def percentiles(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure(url: str, devices: int, runs: int) -> dict[str, Any]:
    settings = ServerSettings(database_url=url, tokens=f"viewer:{VIEWER},admin:{'a' * 24}")
    app = create_app(settings, lambda: NOW, background=False)
    found: dict[str, Any] = {}
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {VIEWER}"

        def get(path: str, count: int | None = None) -> Callable[[], None]:
            def call() -> None:
                answer = client.get(path)
                answer.raise_for_status()
                if count is not None:
                    assert len(answer.json()) == count, (path, len(answer.json()))

            return call

        sites = min(SITES, max(1, devices // 20))
        get("/api/v1/sites", sites)()  # warm up
        found["sites"] = percentiles(runs, get("/api/v1/sites", sites))
        found["site"] = percentiles(runs, get("/api/v1/devices?site=site-7", min(20, devices)))
        found["needing"] = percentiles(runs, get(NEEDING))
        sessions = app.state.sessions
        policy = app.state.policy
        with sessions() as session:
            started = time.perf_counter()
            assert evaluate_due(session, NOW, policy) == 0
            found["pass_idle"] = (time.perf_counter() - started) * 1000
            due = [f"SN{d:06d}" for d in range(0, devices, 100)]
            session.execute(
                update(ReadinessSnapshot).where(ReadinessSnapshot.device_id.in_(due)).values(due_at=NOW)
            )
            session.commit()
            started = time.perf_counter()
            assert evaluate_due(session, NOW + timedelta(seconds=1), policy) == len(due)
            found["pass_1pct"] = (time.perf_counter() - started) * 1000
    found["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--database", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aedmon-bench-fleet-"))
    print(f"load before: {load()}")
    print(f"{'db':<11}{'devices':>8} {'seed s':>7} {'/sites p50/p95':>16} {'a site p50/p95':>16} "
          f"{'needing p50/p95':>17} {'pass idle':>10} {'pass 1 %':>9} {'rss MiB':>8}")  # fmt: skip
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for kind in args.database:
        for devices in args.devices:
            with database(kind, work, f"fleet-{devices}") as url:
                started = time.perf_counter()
                seed(url, devices)
                seeded = time.perf_counter() - started
                found = measure(url, devices, args.runs)
            results[(kind, devices)] = found

            def pair(key: str, found: dict[str, Any] = found) -> str:
                return f"{found[key][0]:.1f}/{found[key][1]:.1f}"

            print(f"{kind:<11}{devices:>8} {seeded:>7.1f} {pair('sites'):>16} {pair('site'):>16} "
                  f"{pair('needing'):>17} {found['pass_idle']:>8.1f}ms {found['pass_1pct']:>7.0f}ms "
                  f"{found['rss_mib']:>8.0f}")  # fmt: skip
    smallest = min(args.devices)
    for kind in args.database:
        for devices in args.devices:
            if devices == smallest:
                continue
            big, small = results[(kind, devices)], results[(kind, smallest)]
            print(f"{kind} {devices}/{smallest}: /sites p95 ×{big['sites'][1] / small['sites'][1]:.2f}, "
                  f"a site p95 ×{big['site'][1] / small['site'][1]:.2f}, "
                  f"needing p95 ×{big['needing'][1] / small['needing'][1]:.2f}")  # fmt: skip
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
