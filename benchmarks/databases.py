"""What the benchmarks share: a database to measure on (a SQLite file, or a fresh database on
the machine's PostgreSQL, dropped afterwards), waiting for a server to answer, and the
machine's load to report beside it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(kind: str, work: Path, name: str) -> Iterator[str]:
    """The URL of a new database: `kind` sqlite (a file named `name` in `work`) or postgresql."""
    if kind == "sqlite":
        yield f"sqlite:///{work / f'{name}.db'}"
        return
    created = f"aedmon_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{created}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{created}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def load() -> str:
    """The load averages of 1, 5 and 15 minutes."""
    with open("/proc/loadavg") as average:
        return " ".join(average.read().split()[:3])


def wait_healthy(base: str, timeout: float = 60) -> None:
    """Until the server at `base` answers its health check; RuntimeError if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no server answered at {base} within {timeout:.0f} s")
