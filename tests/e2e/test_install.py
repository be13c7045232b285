"""The README's "Install" section, as far as a machine without systemd as process 1 allows: the
install script run on a clean copy of the source, the units it installed verified by
`systemd-analyze` and their command lines run as the units give them (READY=1 from the server
and a bridge, a nightly backup that restores), and the container files only calling it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from aedmon.demo import free_port

from ..conftest import Process, wait_until
from .test_supervision import NotifySocket

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install"
PASSWORD = "an administrator's long password"
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "node_modules", "__pycache__", "demo-run"
)


@dataclass
class Installed:
    root: Path

    def __getattr__(self, name: str) -> Path:
        return self.root / name

    def unit(self, name: str) -> str:
        return (self.root / "units" / name).read_text()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The install script, run from a clean copy of the source into directories of the test's own."""
    root = tmp_path_factory.mktemp("install")
    shutil.copytree(ROOT, root / "src", ignore=SKIP)
    where = {name: root / name for name in ("opt", "etc", "state", "backups", "units")}
    args = [str(root / "src/scripts/install/install.sh"), "--no-user"]
    for name, path in where.items():
        args += [f"--{'prefix' if name == 'opt' else name}", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return Installed(root)


def exec_start(unit: str, instance: str = "") -> list[str]:
    """The unit's ExecStart as systemd runs it: its specifiers (%i, %%) expanded, words split."""
    line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace("%i", instance).replace("%%", "%")
    return shlex.split(command)


def test_the_installed_units_verify_and_their_exposure_is_what_the_readme_says(installed: Installed) -> None:
    units = sorted((installed.root / "units").iterdir())
    assert {u.name for u in units} == {
        "aedmon-server.service", "aedmon-bridge@.service", "aedmon-backup.service", "aedmon-backup.timer",
    }  # fmt: skip
    verified = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True,
                              timeout=60, cwd=installed.root / "units")  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr  # not even a warning
    readme = (ROOT / "README.md").read_text()
    for unit in ("aedmon-server.service", "aedmon-bridge@.service", "aedmon-backup.service"):
        security = subprocess.run(["systemd-analyze", "security", "--offline=true", f"./{unit}"],
                                  capture_output=True, text=True, timeout=60,
                                  cwd=installed.root / "units")  # fmt: skip
        score = re.search(
            r"Overall exposure level for \S+: ([0-9.]+) (\w+)", security.stdout + security.stderr
        )
        assert score is not None, security.stdout + security.stderr
        assert float(score.group(1)) <= 2.0, (unit, score.group(0))
        assert f"`{unit}` | {score.group(1)} {score.group(2)}" in readme  # the README says it as measured


def test_the_server_and_a_bridge_run_as_their_units_say_and_the_nightly_backup_restores(
    installed: Installed, tmp_path: Path
) -> None:
    aedmon = installed.opt / "bin" / "aedmon"
    server_toml = installed.etc / "server.toml"
    checked = subprocess.run([str(aedmon), "config", "check", str(server_toml)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AEDMON_", "NOTIFY_", "WATCHDOG_"))}
    notify = NotifySocket(tmp_path / "notify.sock")
    env = {**clean, "NOTIFY_SOCKET": str(notify.path), "AEDMON_PORT": str(port)}
    server = Process(
        exec_start(installed.unit("aedmon-server.service")), tmp_path / "server.log", env
    ).start()
    try:
        wait_until(lambda: notify.lines("READY=1"), timeout=30, what="the server's READY=1")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        assert "/setup#token=" in server.output()  # a new installation: the first administrator's link
        token = server.output().split("/setup#token=")[1].split()[0]
        first = {"token": token, "name": "Admin", "email": "admin@example.org", "password": PASSWORD,
                 "installation": "Test", "time_zone": "Europe/Sofia", "area": "test"}  # fmt: skip
        assert httpx.post(f"http://127.0.0.1:{port}/api/v1/setup", json=first).status_code == 201

        # a bridge for site town-hall, from its settings file, as aedmon-bridge@town-hall runs it
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as web:
            web.post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
            csrf = web.get("/api/v1/whoami").json()["csrf_token"]
            key = web.post("/api/v1/keys", json={"name": "town hall bridge", "role": "bridge"},
                           headers={"X-CSRF-Token": csrf})  # fmt: skip
            assert key.status_code == 201, key.text
        (installed.etc / "bridge-token").write_text(key.json()["key"])
        example = (installed.etc / "bridge-town-hall.toml.example").read_text()
        bridge_toml = example.replace(
            'server = "https://aed.example.org"', f'server = "http://127.0.0.1:{port}"'
        )
        (installed.etc / "bridge-town-hall.toml").write_text(
            bridge_toml.replace('serial = ["/dev/aed-townhall"]', "")
        )
        command = exec_start(installed.unit("aedmon-bridge@.service"), "town-hall")
        command = [word.replace("/var/lib/aedmon-bridge-town-hall", str(tmp_path)) for word in command]
        bridge = Process(
            command, tmp_path / "bridge.log", {**clean, "NOTIFY_SOCKET": str(notify.path)}
        ).start()
        try:
            wait_until(lambda: len(notify.lines("READY=1")) >= 2, timeout=30, what="the bridge's READY=1")
            assert (tmp_path / "outbox.db").exists()  # in its state directory, as the unit says
        finally:
            bridge.stop()

        # the nightly backup, as aedmon-backup.service runs it, while the server runs
        backup = subprocess.run(exec_start(installed.unit("aedmon-backup.service")), capture_output=True,
                                text=True, timeout=120, env=clean)  # fmt: skip
        assert backup.returncode == 0, backup.stderr
    finally:
        server.stop()
        notify.close()
    (made,) = list(installed.backups.glob("aedmon-*.backup"))
    assert re.fullmatch(r"aedmon-[1-7]\.backup", made.name)  # one a weekday
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    assert subprocess.run([str(aedmon), "restore", str(made), "--database-url", restored],
                          timeout=120).returncode == 0  # fmt: skip
    current = subprocess.run([str(aedmon), "migrate", "--check", "--database-url", restored],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert current.returncode == 0, current.stdout + current.stderr


def test_the_container_image_only_calls_the_install_script_and_compose_keeps_what_must_last() -> None:
    dockerfile = (INSTALL / "container" / "Dockerfile").read_text()
    runs = [line for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert runs == ["RUN /src/scripts/install/install.sh --no-units && rm -rf /src /root/.cache"]
    assert "USER aedmon" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    compose = yaml.safe_load((INSTALL / "container" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "mosquitto", "server", "bridge"}
    for name, service in services.items():
        assert "healthcheck" in service, name
        assert service.get("restart") == "unless-stopped", name
    for name in ("server", "bridge", "mosquitto"):
        assert services[name]["user"] not in ("root", "0", "0:0"), name
    assert {"pgdata", "state", "outbox", "backups"} <= set(compose["volumes"])
    for name, secret in compose["secrets"].items():
        assert secret["file"].startswith("./secrets/"), name  # secrets in files, never in the compose file
    for name, service in services.items():
        for variable in service.get("environment", {}):
            assert not variable.endswith(("PASSWORD", "TOKEN", "SECRET")), (name, variable)
