"""Backups: `aedmon backup` of a running server's database while a bridge goes on writing, and
`aedmon restore` into a new database that a second server then runs on, with its compliance
record whole and its alerts, people and keys all there; on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from aedmon.reading import TestResult

from .. import factories
from ..conftest import POSTGRES_ADMIN, ServerProcess, Tokens, run_aedmon
from ..fixtures.databases import drop
from ..fixtures.server import start_server


def aedmon(*args: str) -> subprocess.CompletedProcess[str]:
    """Without the test run's PG* variables either: pg_dump takes only what the URL says."""
    return run_aedmon(*args, timeout=300, clear=("AEDMON_", "PG"))


def new_database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = f"aedmon_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def made(server: ServerProcess) -> dict[str, str]:
    """What an installation holds: a failed AED's alert, a person, a key, a compliance record."""
    now = datetime.now(UTC).replace(microsecond=0)
    with server.client("admin") as admin:
        admin.post("/api/v1/devices", json=factories.device("SN1", name="Foyer AED")).raise_for_status()
        person = admin.post(
            "/api/v1/users", json={"email": "ivana@pernik.bg", "name": "Ivana", "role": "staff"}
        )
        person.raise_for_status()
        key = admin.post("/api/v1/keys", json={"name": "board in the hall", "role": "viewer"})
        key.raise_for_status()
    with server.client("bridge") as bridge:
        failed = factories.selftest(TestResult.FAIL, device="SN1", seq=1, at=now, codes=("C02",))
        bridge.post("/api/v1/ingest", json={"readings": [factories.as_json(failed)]}).raise_for_status()
    with server.client("technician") as technician:
        check = {"inspector": "Ivana", "status_light_ok": True, "pads_sealed_in_date": True,
                 "cabinet_intact": True, "at": now.isoformat()}  # fmt: skip
        technician.post("/api/v1/devices/SN1/inspections", json=check).raise_for_status()
    return {"key": key.json()["key"]}


def load(server: ServerProcess, stop: threading.Event, sent: list[int]) -> None:
    """A bridge's heartbeats and self-tests, as fast as the server takes them, until stopped."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    with server.client("bridge") as bridge:
        seq = 2
        while not stop.is_set():
            at = start + timedelta(seconds=seq)
            reading = factories.selftest(TestResult.PASS, device=f"LOAD{seq % 7}", seq=seq, at=at)
            bridge.post("/api/v1/ingest", json={"readings": [factories.as_json(reading)]}).raise_for_status()
            sent.append(seq)
            seq += 1


@pytest.mark.parametrize("server_database", ["sqlite", "postgresql"], indirect=True)
def test_a_backup_taken_under_load_restores_to_a_whole_installation(
    server: ServerProcess, server_database: str, tokens: Tokens, tmp_path: Path
) -> None:
    kind = "postgresql" if server_database.startswith("postgresql") else "sqlite"
    held = made(server)
    stop, sent = threading.Event(), []
    writer = threading.Thread(target=load, args=(server, stop, sent), daemon=True)
    writer.start()
    try:
        while len(sent) < 20:  # the load is on
            stop.wait(0.05)
        dest = tmp_path / "nightly.backup"
        taken = aedmon("backup", "--database-url", server_database, str(dest))
        during = len(sent)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert taken.returncode == 0, taken.stderr
    assert f"backed up: {dest}" in taken.stdout
    assert len(sent) > during - 1  # ingest went on while it was taken
    assert not dest.with_name("nightly.backup.partial").exists()

    restored_url = new_database(kind, tmp_path)
    try:
        again = aedmon("restore", str(dest), "--database-url", restored_url)
        assert again.returncode == 0, again.stderr
        refused = aedmon("restore", str(dest), "--database-url", restored_url)  # never over what is there
        assert refused.returncode == 2
        assert "restore to" in refused.stderr
        second = start_server(tmp_path, tokens, restored_url)
        try:
            alerts = second.get_as("viewer", "/api/v1/alerts", device_id="SN1")
            assert [a["type"] for a in alerts if a["state"] == "open"] == ["self_test_failed"]
            people = second.get_as("admin", "/api/v1/users")
            assert [p["email"] for p in people] == ["ivana@pernik.bg"]
            with httpx.Client(base_url=second.url, headers={"Authorization": f"Bearer {held['key']}"}) as key:
                assert key.get("/api/v1/devices").status_code == 200  # the key works on the restored server
            today = datetime.now(UTC).date().isoformat()
            with second.client("viewer") as viewer:
                record = viewer.get("/api/v1/reports/compliance",
                                    params={"from": today, "to": today, "format": "csv"})  # fmt: skip
            record.raise_for_status()
            exported = tmp_path / "record.csv"
            exported.write_text(record.text, encoding="utf-8")
            whole = aedmon("verify-record", str(exported))
            assert whole.returncode == 0, whole.stdout + whole.stderr
            assert "the record is whole" in whole.stdout
        finally:
            second.process.stop()
    finally:
        if kind == "postgresql":
            drop(restored_url.rsplit("/", 1)[1])


def test_a_backup_and_a_restore_refuse_what_cannot_work_in_one_line(tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    damaged = tmp_path / "damaged.backup"  # a SQLite file's first bytes, then nothing of one
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    into, nowhere = f"sqlite:///{tmp_path / 'r.db'}", f"sqlite:///{tmp_path / 'none.db'}"
    unreachable = "postgresql+psycopg://aedmon:s3cret-pw@127.0.0.1:1/none"
    cases = [
        (("backup", "--database-url", nowhere, str(tmp_path / "b")), "no database at"),
        (("backup", "--database-url", "sqlite:///x.db", str(tmp_path)), "is a directory"),
        (("restore", str(not_a_backup), "--database-url", into), "not an aedmon backup"),
        (("restore", str(tmp_path / "missing"), "--database-url", into), "cannot be read"),
        (("backup", "--database-url", unreachable, str(tmp_path / "b")), "pg_dump:"),
        (
            ("restore", str(damaged), "--database-url", f"sqlite:///{tmp_path / 'd.db'}"),
            "SQLite could not copy",
        ),
    ]
    for args, said in cases:
        result = aedmon(*args)
        assert result.returncode == 2, (args, result.stdout)
        assert said in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
        assert "s3cret-pw" not in result.stderr
    assert not list(tmp_path.glob("*.partial"))  # nothing half-made is left for a database
    assert not (tmp_path / "d.db").exists()
    sqlite_backup = tmp_path / "s.backup"
    source = f"sqlite:///{tmp_path / 'src.db'}"
    assert aedmon("migrate", "--database-url", source).returncode == 0
    assert aedmon("backup", "--database-url", source, str(sqlite_backup)).returncode == 0
    crossed = aedmon(
        "restore", str(sqlite_backup), "--database-url", "postgresql+psycopg://postgres@127.0.0.1/x"
    )
    assert crossed.returncode == 2
    assert "is a sqlite backup; restore it to a sqlite database URL" in crossed.stderr
