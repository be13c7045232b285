"""How soon a FAIL is heard while the server is busy with something long or slow: a 20,000-row
device import (`--during import`), or a contact whose webhook answers a byte every two seconds
(`--during stall`). Starts `aedmon server` as a process on SQLite or PostgreSQL, a healthy
webhook receiver (the FAIL's site's contact) in this process, starts the long work, and after
`--after` seconds sends a FAIL as a bridge does; it reports the ingest request's time, the time
to the open alert (the alerts API polled every 5 ms) and to the healthy receiver's webhook,
measured from the ingest request's return, and how long the long work took.

    .venv/bin/python benchmarks/fail_during_long_work.py --during import --database postgresql
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from databases import Receiver, failed_open, load, running_server

from aedmon.demo import free_port


def drip_receiver(stop: threading.Event) -> str:
    """A webhook receiver that reads each request and answers a byte every two seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)

    def drip(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 204 No Content\r\n\r\n":
                if stop.wait(2.0):
                    return
                with contextlib.suppress(OSError):
                    connection.sendall(bytes([byte]))

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/hook"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--during", choices=["import", "stall"], default="import")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the import")
    parser.add_argument("--after", type=float, default=3.0, help="seconds into the long work the FAIL comes")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        measure(args, stack)


def measure(args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
    work = Path(tempfile.mkdtemp(prefix="aedmon-bench-"))
    server = running_server(stack, work, args.database, free_port())
    admin, bridge, viewer = (
        server.client("admin", timeout=600),
        server.client("bridge"),
        server.client("viewer"),
    )
    healthy = Receiver()
    admin.post("/api/v1/contacts", json={"name": "healthy", "sites": ["bench"], "webhook_url": healthy.url})
    stop = threading.Event()
    stack.callback(stop.set)
    long_work: dict[str, float] = {}
    if args.during == "import":
        body = "id,site,kind,name,place\n" + "".join(
            f"IMP{i:05d},import-{i % 50},aed,AED {i},Entrance {i}\n" for i in range(args.rows)
        )

        def run_import() -> None:
            started = time.perf_counter()
            answer = admin.post("/api/v1/devices/import", params={"dry_run": "false"}, content=body.encode(),
                                headers={"Content-Type": "text/csv"})  # fmt: skip
            long_work["seconds"] = time.perf_counter() - started
            long_work["status"] = answer.status_code
            long_work["ended"] = time.perf_counter()

        worker = threading.Thread(target=run_import)
    else:
        slow = drip_receiver(stop)
        admin.post("/api/v1/contacts", json={"name": "stalled", "sites": ["stalled"], "webhook_url": slow})

        def run_stall() -> None:
            now = datetime.now(UTC).isoformat()
            for i in range(20):  # twenty of the stalled contact's alerts, one device each
                reading = {"device_id": f"ST{i}", "site": "stalled", "type": "selftest",
                           "device_time": now, "arrival_time": now, "seq": 1, "test": "daily",
                           "result": "FAIL", "codes": ["C02"]}  # fmt: skip
                bridge.post("/api/v1/ingest", json={"readings": [reading]})

        worker = threading.Thread(target=run_stall)
    worker.start()
    time.sleep(args.after)
    now = datetime.now(UTC).isoformat()
    failed = {"device_id": "FAIL1", "site": "bench", "type": "selftest", "device_time": now,
              "arrival_time": now, "seq": 1, "test": "daily", "result": "FAIL", "codes": ["C02"]}  # fmt: skip
    sent = time.perf_counter()
    answer = bridge.post("/api/v1/ingest", json={"readings": [failed]})
    returned = time.perf_counter()
    answer.raise_for_status()
    opened = failed_open(viewer, "FAIL1", returned, 300)
    healthy.arrived.wait(300)
    during = args.during == "import" and long_work.get("ended", float("inf")) > (opened or 0)
    busy = "the import was still running" if during else ""
    worker.join(timeout=900)
    print(f"load average {load()}, {args.database}, during {args.during}")
    print(f"  ingest request {1000 * (returned - sent):.0f} ms")
    opened_ms = 1000 * ((opened or float("nan")) - returned)
    print(f"  alert open {opened_ms:.0f} ms after the ingest returned {busy}")
    print(f"  healthy receiver told {1000 * (healthy.at - returned):.0f} ms after the ingest returned")
    if args.during == "import":
        print(f"  import of {args.rows} rows: {long_work.get('seconds', float('nan')):.1f} s, "
              f"answer {long_work.get('status')}")  # fmt: skip


if __name__ == "__main__":
    main()
