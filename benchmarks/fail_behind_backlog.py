"""How soon a FAIL behind a routine backlog is heard once the server is back: a bridge's
outbox holds `--backlog` routine cabinet statuses (500 cabinets) and then one failed
self-test, as after an outage; `aedmon server` (SQLite or PostgreSQL) is started, the
bridge's server drain starts with it, and the time from the server answering to the FAIL's
open alert (the alerts API polled every 5 ms) is reported, with how long the whole backlog
took to drain. `--fifo` drains first in, first out (as before the priority lane) for a side by
side figure.

    .venv/bin/python benchmarks/fail_behind_backlog.py --backlog 40000 --database postgresql
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from databases import failed_open, load, running_server

from aedmon.demo import free_port
from aedmon.reading import Reading, ReadingType, TestResult, TestType
from firmware_bridge.outbox import Entry, Outbox
from firmware_bridge.sinks.base import Drain
from firmware_bridge.sinks.server import ServerSink


class Fifo(Outbox):
    """The outbox as it was: the oldest rows first, whatever they say."""

    def batch(self, sink: str, limit: int) -> list[Entry]:
        rows = self._db.execute(
            "SELECT id, body FROM outbox WHERE id > (SELECT position FROM cursor WHERE sink = ?) "
            "ORDER BY id LIMIT ?",
            (sink, limit),
        ).fetchall()
        return [Entry(row_id, Reading.model_validate_json(body)) for row_id, body in rows]


def backlog(count: int) -> list[Reading]:
    start = datetime.now(UTC) - timedelta(seconds=count // 500 + 60)
    readings = [
        Reading(
            device_id=f"CAB-{i % 500:03d}",
            site="bench",
            type=ReadingType.STATUS,
            seq=(i // 500) % 65536,
            device_time=start + timedelta(seconds=i // 500),
            arrival_time=start + timedelta(seconds=i // 500),
            door_open=False,
            aed_present=True,
            temp_c=20.0,
        )  # fmt: skip
        for i in range(count)
    ]
    now = datetime.now(UTC)
    failed = Reading(device_id="AED-FAIL", site="bench", type=ReadingType.SELFTEST, seq=1,
                     device_time=now, arrival_time=now, test=TestType.DAILY, result=TestResult.FAIL,
                     codes=("C02",))  # fmt: skip
    return [*readings, failed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=40_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--fifo", action="store_true", help="drain first in, first out, as before")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        measure(args, stack)


def measure(args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
    work = Path(tempfile.mkdtemp(prefix="aedmon-bench-"))
    box = (Fifo if args.fifo else Outbox)(work / "outbox.db", sinks=["server"])
    readings = backlog(args.backlog)
    for start in range(0, len(readings), 5000):
        box.append_many(readings[start : start + 5000])
    server = running_server(stack, work, args.database, free_port())
    returned = time.perf_counter()  # the server is back: the bridge's drain finds it
    stop = threading.Event()
    stack.callback(stop.set)
    drain = Drain(box, ServerSink(server.base, server.tokens["bridge"], timeout=60), stop)
    drain.start()
    viewer = server.client("viewer")
    opened = failed_open(viewer, "AED-FAIL", returned, 600) or float("nan")
    while box.depth("server") and time.perf_counter() - returned < 900:
        time.sleep(0.1)
    drained = time.perf_counter()
    order = "first in, first out" if args.fifo else "priority lane"
    print(f"load average {load()}, {args.database}, {order}")
    print(f"  FAIL behind {args.backlog} routine readings: alert open {opened - returned:.2f} s "
          "after the server answered")  # fmt: skip
    print(f"  the whole backlog drained in {drained - returned:.1f} s")


if __name__ == "__main__":
    main()
