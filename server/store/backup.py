"""Backups of the server's database while it runs, and their restore.

A SQLite file is copied with SQLite's online backup API (a consistent copy while the server
goes on writing); PostgreSQL is dumped by `pg_dump` in its custom format and restored by
`pg_restore`. Either restore is refused onto a database that already holds aedmon's tables,
unless told to replace them. A password is handed to pg_dump in its environment, never on
its command line (which `ps` shows).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from .database import make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
DUMP_DEADLINE_S = 6 * 3600  # a whole country's readings; never for ever
# What a URL's query may say to libpq, as the variable libpq reads it from.
LIBPQ_QUERY = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
               "sslkey": "PGSSLKEY", "passfile": "PGPASSFILE"}  # fmt: skip


class BackupError(Exception):
    """Why a backup or a restore could not be made; one line, no password."""


def _url(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except Exception as exc:  # noqa: BLE001  (SQLAlchemy's parse errors are of several kinds)
        raise BackupError(f"--database-url is not a database URL: {exc.__class__.__name__}") from None


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("--database-url names no SQLite file")
    return Path(url.database)


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's own variables for the URL: the password never reaches the command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    named = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGDATABASE": url.database}
    env.update({k: str(v) for k, v in named.items() if v})
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, value in url.query.items():  # sslmode=require and the like
        if key in LIBPQ_QUERY:
            env[LIBPQ_QUERY[key]] = value if isinstance(value, str) else value[0]
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed here (Debian: apt-get install postgresql-client)")
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=DUMP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(args[0]).name} did not finish within {DUMP_DEADLINE_S} s") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise BackupError(f"{Path(args[0]).name}: {said[:300]}")


def _copy_sqlite(source: Path, partial: Path, *, checked: bool = False) -> None:
    """A consistent copy of a SQLite file in one step of its online backup API, however much is
    written to it meanwhile; with `checked`, refused unless SQLite's integrity check passes."""
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        origin.backup(copy)
        if checked and copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError(f"{source} is damaged (SQLite's integrity check fails)")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source}: {exc}") from None
    finally:
        copy.close()
        origin.close()


def backup(database_url: str, dest: Path) -> str:
    """Copy the database to `dest` (written beside it, then renamed: a half-made backup is never
    taken for one); what was written, in a few words."""
    url = _url(database_url)
    if dest.exists() and dest.is_dir():
        raise BackupError(f"{dest} is a directory; name the backup file")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupError(f"no database at {source_path}")
            _copy_sqlite(source_path, partial)
        elif url.get_backend_name() == "postgresql":
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                 _pg_environment(url))  # fmt: skip
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    return f"{dest} ({dest.stat().st_size} bytes)"


def kind_of(src: Path) -> str:
    """'sqlite' or 'postgresql', from the backup file's first bytes."""
    try:
        with src.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"{src} cannot be read: {exc.strerror or exc.__class__.__name__}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise BackupError(f"{src} is not an aedmon backup (neither a SQLite file nor a pg_dump custom archive)")


def holds_tables(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(src: Path, database_url: str, *, replace: bool = False) -> str:
    """Put a backup back into the database the URL names; refused when that database already
    holds tables, unless `replace`."""
    url = _url(database_url)
    kind = kind_of(src)
    if kind != url.get_backend_name():
        raise BackupError(f"{src} is a {kind} backup; restore it to a {kind} database URL")
    if kind == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0 and not replace:
            raise BackupError(f"{target} exists; restore to a new file, or say --replace")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            _copy_sqlite(src, partial, checked=True)
            for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                stale.unlink(missing_ok=True)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)  # a half-made database is never left for one
        return f"{target} from {src}"
    if holds_tables(database_url) and not replace:
        raise BackupError(
            f"the database {url.database} holds tables; restore to an empty one, or say --replace"
        )
    args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if replace:
        args += ["--clean", "--if-exists"]
    _run([*args, f"--dbname={url.database}", str(src)], _pg_environment(url))
    return f"{url.database} from {src}"
