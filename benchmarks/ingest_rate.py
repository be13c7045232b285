"""How fast the server takes readings: batches of 100 from 4 concurrent bridges against a real
`aedmon server` process, next to the raw insert rate of the same database measured in the
same run (the same rows, inserted in bulk by this script with no rules at all).

Each bridge sends heartbeats of its own 250 AEDs, every reading new and of the moment (the
devices are in service, as most of a fleet is; none of them opens an alert); the server stores
each once, places it, and evaluates each touched device once per batch (keeping its snapshot).
`--source` runs the server from other checkouts too, side by side in the same run.

    git worktree add /tmp/aedmon-before 242fc42
    .venv/bin/python benchmarks/ingest_rate.py --source /tmp/aedmon-before --source . --batches 20
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from databases import database, load, wait_healthy
from sqlalchemy import insert

from aedmon.demo import free_port
from aedmon.reading import DeviceState, Reading, ReadingType
from server.store.database import create_schema, make_engine, session_factory
from server.store.models import Device, StoredReading

NOW = datetime.now(UTC).replace(microsecond=0)
BRIDGES, DEVICES_PER_BRIDGE, BATCH = 4, 250, 100
ADMIN, BRIDGE = "a" * 24, "b" * 24


def heartbeat(bridge: int, n: int, start: datetime = NOW) -> Reading:
    """The `n`th heartbeat of a bridge's AEDs, `n` milliseconds after `start`."""
    device = f"B{bridge}-{n % DEVICES_PER_BRIDGE:04d}"
    at = start + timedelta(milliseconds=n)
    return Reading(type=ReadingType.HEARTBEAT, device_id=device, site=f"site-{bridge}", device_time=at,
                   arrival_time=at, seq=n % 65536, state=DeviceState.READY)  # fmt: skip


def devices(url: str) -> None:
    engine = make_engine(url)
    create_schema(engine)
    with session_factory(engine)() as session:
        session.execute(insert(Device), [
            {"id": f"B{b}-{n:04d}", "site": f"site-{b}", "kind": "aed", "name": "", "place": "",
             "report_interval_s": 86400, "confirmed": True, "created_at": NOW, "public": False}
            for b in range(BRIDGES) for n in range(DEVICES_PER_BRIDGE)
        ])  # fmt: skip
        session.commit()
    engine.dispose()


def raw_rate(url: str, batches: int) -> float:
    """Rows of the readings table a second, inserted in bulk by batches of 100, nothing else."""
    devices(url)
    engine = make_engine(url)
    rows = [heartbeat(b, n) for b in range(BRIDGES) for n in range(batches * BATCH)]
    started = time.perf_counter()
    with session_factory(engine)() as session:
        for start in range(0, len(rows), BATCH):
            session.execute(insert(StoredReading), [
                {"key": r.key, "device_id": r.device_id, "site": r.site, "type": r.type.value, "seq": r.seq,
                 "device_time": r.device_time, "arrival_time": r.arrival_time, "received_at": NOW,
                 "at": r.device_time, "clock_trusted": True, "body": r.model_dump(mode="json")}
                for r in rows[start : start + BATCH]
            ])  # fmt: skip
            session.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(rows) / elapsed


def server_rate(url: str, work: Path, batches: int, source: Path | None) -> tuple[float, int]:
    """Readings stored a second through `POST /api/v1/ingest`, 4 bridges at once, and how many
    it refused; the server runs from `source` (a checkout of another commit) when given, and
    registers the devices itself."""
    port = free_port()
    env = {**os.environ, "AEDMON_TOKENS": f"admin:{ADMIN},bridge:{BRIDGE}", "AEDMON_LOG_LEVEL": "WARNING"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    args = [sys.executable, "-m", "aedmon", "server", "--port", str(port), "--database-url", url]
    with open(work / "server.log", "ab") as log:
        server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=source)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30) as admin:
            for b in range(BRIDGES):
                for n in range(DEVICES_PER_BRIDGE):
                    body = {
                        "id": f"B{b}-{n:04d}",
                        "site": f"site-{b}",
                        "kind": "aed",
                        "report_interval_s": 60,
                    }
                    admin.post("/api/v1/devices", json=body).raise_for_status()

        start = datetime.now(UTC)  # heartbeats of devices in service, as a fleet sends them

        def body(bridge: int, i: int) -> dict[str, Any]:
            numbers = range(i * BATCH, (i + 1) * BATCH)
            return {"readings": [heartbeat(bridge, n, start).model_dump(mode="json") for n in numbers]}

        bodies = {b: [body(b, i) for i in range(batches)] for b in range(BRIDGES)}
        refused: list[int] = []

        def send(bridge: int) -> None:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {BRIDGE}"}, timeout=60
            ) as client:
                for body in bodies[bridge]:
                    answer = client.post("/api/v1/ingest", json=body)
                    accepted = answer.json()["accepted"] if answer.status_code == 200 else 0
                    refused.append(BATCH - accepted)

        threads = [threading.Thread(target=send, args=(b,)) for b in range(BRIDGES)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        return (BRIDGES * batches * BATCH - sum(refused)) / elapsed, sum(refused)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    engines = ["sqlite", "postgresql"]
    parser.add_argument("--database", nargs="+", default=engines, choices=engines)
    parser.add_argument("--batches", type=int, default=40, help="batches of 100 per bridge")
    parser.add_argument("--source", type=Path, action="append", default=[],
                        help="also run the server from this checkout (repeat; '.' is this one)")  # fmt: skip
    args = parser.parse_args()
    sources: list[Path | None] = [None if str(s) == "." else s.resolve() for s in args.source] or [None]
    work = Path(tempfile.mkdtemp(prefix="aedmon-bench-ingest-"))
    print(f"load before: {load()}")
    print(f"{'db':<11} {'server':<28} {'stored/s':>9} {'refused':>8} {'raw inserts/s':>14} {'ratio':>6}")
    for kind in args.database:
        with database(kind, work, "raw") as url:
            raw = raw_rate(url, args.batches)
        for number, source in enumerate(sources):
            with database(kind, work, f"server-{number}") as url:
                through, refused = server_rate(url, work, args.batches, source)
            said = str(source) if source else "this checkout"
            print(
                f"{kind:<11} {said[-28:]:<28} {through:>9.0f} {refused:>8} {raw:>14.0f} {through / raw:>6.3f}"
            )


if __name__ == "__main__":
    main()
