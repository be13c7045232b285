"""A long admin operation never holds the store: while a device import of thousands of rows
runs on the real server, a FAIL is stored and its alert opens before the import ends, on
SQLite and PostgreSQL; and the import takes a file past the general body limit, up to its
own."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ..conftest import ServerProcess, wait_until

ROWS = 8_000


def csv_of(rows: int, name_length: int = 8) -> bytes:
    lines = ["id,site,kind,name,place"]
    lines += [f"IMP{i:05d},import-{i % 40},aed,{'A' * name_length} {i},Entrance {i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def failed_now(device: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"device_id": device, "site": "school", "type": "selftest", "device_time": now,
            "arrival_time": now, "seq": 1, "test": "daily", "result": "FAIL", "codes": ["C02"]}  # fmt: skip


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_a_fail_is_heard_while_a_long_import_runs(server: ServerProcess) -> None:
    done: dict[str, Any] = {}

    def run_import() -> None:
        with server.client("admin") as admin:
            answer = admin.post("/api/v1/devices/import", params={"dry_run": "false"}, content=csv_of(ROWS),
                                headers={"Content-Type": "text/csv"}, timeout=600)  # fmt: skip
        done["status"], done["body"], done["at"] = answer.status_code, answer.json(), time.monotonic()

    importing = threading.Thread(target=run_import)
    importing.start()
    with server.client("admin") as admin:
        wait_until(lambda: admin.get("/api/v1/devices", params={"q": "IMP0"}).json(), timeout=60,
                   what="the import's first devices")  # fmt: skip
    with server.client("bridge") as bridge:
        answer = bridge.post("/api/v1/ingest", json={"readings": [failed_now("SCHOOL-AED")]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1

    def opened() -> bool:
        alerts = server.get_as("viewer", "/api/v1/alerts", device_id="SCHOOL-AED", state="open")
        return any(alert["type"] == "self_test_failed" for alert in alerts)

    wait_until(opened, timeout=30, what="the FAIL's alert")
    heard = time.monotonic()
    importing.join(timeout=600)
    assert done["status"] == 200, done
    assert done["body"]["counts"]["create"] == ROWS
    assert heard < done["at"], "the FAIL was heard only once the import had ended"


def test_an_import_takes_a_file_past_the_general_body_limit(server: ServerProcess) -> None:
    big = csv_of(10_000, name_length=80)  # about 1.3 MB, past the general 1 MB
    assert len(big) > 1_000_000
    with server.client("admin") as admin:
        answer = admin.post("/api/v1/devices/import", params={"dry_run": "true"}, content=big,
                            headers={"Content-Type": "text/csv"}, timeout=120)  # fmt: skip
        assert answer.status_code == 200, answer.text[:300]
        assert answer.json()["counts"]["create"] == 10_000
        too_big = admin.patch("/api/v1/sites/school", content=b"{" + b" " * 1_100_000 + b"}",
                              headers={"Content-Type": "application/json"})  # fmt: skip
        assert too_big.status_code == 413
    with httpx.Client(base_url=server.url, timeout=10) as anonymous:  # and never without a key
        refused = anonymous.post("/api/v1/devices/import", content=big, headers={"Content-Type": "text/csv"})
        assert refused.status_code == 401
