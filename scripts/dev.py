#!/usr/bin/env python3
"""Set everything up and run the demo or the whole test suite. Needs only Python 3.11+.

    python3 scripts/dev.py demo    venv + install + `aedmon demo`
    python3 scripts/dev.py test    venv + install + Debian services (as root) + lint + types + layers + tests

This is the single source of set-up: the README's two commands and .ci/run call it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".aedmon-installed"
# Debian packages the tests start their own instances of, by the command each provides.
TEST_PACKAGES = {
    "mosquitto": "mosquitto",
    "victoria-metrics": "victoria-metrics",
    "influxd": "influxdb",
    "chromium": "chromium",  # driven by Playwright with its executable path, never a downloaded browser
    "node": "nodejs",  # runs the identity provider of the single sign-on tests
    "npm": "npm",
    "haproxy": "haproxy",  # the load balancer in front of two servers in the several-servers test
    "pg_dump": "postgresql-client",  # aedmon backup of a PostgreSQL database
    "systemd-analyze": "systemd",  # the service units are verified and their exposure measured
    "promtool": "prometheus",  # aedmon's own alert rules are checked and tested
}
IDENTITY_PROVIDER = ROOT / "tests" / "oidc"


def say(text: str) -> None:
    sys.stderr.write(f"[dev] {text}\n")
    sys.stderr.flush()


def run(*args: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        say(f"failed ({result.returncode}): {' '.join(str(a) for a in args)}")
        sys.exit(result.returncode)
    return result.returncode


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-q", env=env)
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", *packages, env=env)


def ensure_venv() -> None:
    if not PY.exists():
        say("creating .venv")
        if run(sys.executable, "-m", "venv", VENV, check=False) != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            if not is_root():
                say("python3 -m venv failed: install python3-venv (apt-get install python3-venv)")
                sys.exit(1)
            apt_install([f"python3.{sys.version_info.minor}-venv"])
            run(sys.executable, "-m", "venv", VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        say("installing aedmon and its test tools into .venv")
        run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "-q", "-e", ".[test]")
        STAMP.write_text(digest)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_services() -> None:
    missing = [
        pkg
        for cmd, pkg in TEST_PACKAGES.items()
        if not (shutil.which(cmd) or Path(f"/usr/sbin/{cmd}").exists())
    ]
    if missing:
        if not is_root():
            say(f"missing Debian packages {', '.join(missing)}: run as root, or apt-get install them")
            sys.exit(1)
        say(f"installing Debian packages: {', '.join(missing)}")
        apt_install(missing)
    if not port_open(5432) and is_root() and shutil.which("pg_ctlcluster"):
        versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").exists() else []
        if versions:
            say("starting PostgreSQL")
            run("pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start", check=False)
    if not port_open(5432):
        say("PostgreSQL is not listening on 127.0.0.1:5432; the storage tests need it")
        sys.exit(1)


def ensure_identity_provider() -> None:
    """The npm-packaged OpenID Connect provider the tests start, as its lock file pins it."""
    lock = IDENTITY_PROVIDER / "package-lock.json"
    stamp = IDENTITY_PROVIDER / "node_modules" / ".aedmon-lock"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say("installing the test identity provider (npm ci in tests/oidc)")
    run("npm", "ci", "--no-audit", "--no-fund", "--prefix", IDENTITY_PROVIDER)
    stamp.write_text(wanted)


def test(extra: list[str]) -> None:
    ensure_venv()
    ensure_services()
    ensure_identity_provider()
    os.environ["PATH"] = f"{VENV / 'bin'}:{os.environ['PATH']}:/usr/sbin:/sbin"
    say("ruff check")
    run(PY, "-m", "ruff", "check", ".")
    say("ruff format --check")
    run(PY, "-m", "ruff", "format", "--check", ".")
    say("mypy (strict)")
    run(PY, "-m", "mypy")
    say("import-linter (the layers in pyproject.toml)")
    run(VENV / "bin" / "lint-imports")
    say("pytest")
    # In parallel (pytest-xdist): every fixture starts its own services on free ports, with its own
    # databases and files, so workers share nothing; two on a 2-core machine, at most four.
    workers = ("--numprocesses=auto", "--maxprocesses=4", "--dist=worksteal")
    sys.exit(run(PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, *extra, check=False))


def demo(extra: list[str]) -> None:
    ensure_venv()
    os.execv(str(PY), [str(PY), "-m", "aedmon", "demo", *extra])


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test", "setup"):
        sys.exit(2)
    command, extra = sys.argv[1], sys.argv[2:]
    if command == "setup":
        ensure_venv()
    elif command == "test":
        test(extra)
    else:
        demo(extra)


if __name__ == "__main__":
    main()
