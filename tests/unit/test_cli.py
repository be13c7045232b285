"""The `aedmon` command: help for every part, and options from AEDMON_* variables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from firmware_bridge.daemon import parse_serial_option
from firmware_bridge.settings import BridgeSettings
from server.settings import ServerSettings


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["server", "--help"],
        ["bridge", "--help"],
        ["demo", "--help"],
        ["simulate", "aed", "--help"],
        ["simulate", "cabinet", "--help"],
        ["simulate", "mobile-unit", "--help"],
        ["simulate", "gnss", "--help"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aedmon", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage: aedmon" in result.stdout


def test_the_command_says_its_version_as_the_installed_distribution_has_it() -> None:
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "aedmon", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"aedmon {version('aedmon')}\n"


def test_a_server_whose_port_is_taken_says_so_in_one_line_and_never_says_it_is_ready(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {
            **os.environ,
            "AEDMON_TOKENS": "admin:an-admin-token-long-enough,bridge:a-bridge-token-long-enough",
        }
        args = ["server", "--port", str(port), "--database-url", f"sqlite:///{tmp_path / 'a.db'}"]
        result = subprocess.run([sys.executable, "-m", "aedmon", *args], capture_output=True, text=True,
                                timeout=60, env=env)  # fmt: skip
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is taken" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "server ready" not in result.stdout + result.stderr
    assert not (tmp_path / "a.db").exists()  # refused before anything was made


def test_unknown_command_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aedmon", "frobnicate"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "unknown command" in result.stderr


def test_server_options_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEDMON_DATABASE_URL", "postgresql://postgres@127.0.0.1/aedmon")
    monkeypatch.setenv("AEDMON_TOKENS", "admin:0123456789abcdef0123,bridge:fedcba98765432100000")
    monkeypatch.setenv("AEDMON_PORT", "9001")
    settings = ServerSettings()
    assert settings.database_url == "postgresql://postgres@127.0.0.1/aedmon"
    assert settings.port == 9001
    assert settings.token_roles == {"0123456789abcdef0123": "admin", "fedcba98765432100000": "bridge"}


def test_bridge_options_come_from_the_environment_with_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEDMON_SITE", "town-hall")
    monkeypatch.setenv("AEDMON_SERVER", "http://127.0.0.1:8000")
    monkeypatch.setenv("AEDMON_TOKEN", "a-bridge-token")
    monkeypatch.setenv("AEDMON_SERIAL", "/dev/ttyUSB0, nmea=/dev/ttyACM0")
    settings = BridgeSettings()
    assert settings.serial == ["/dev/ttyUSB0", "nmea=/dev/ttyACM0"]
    assert "a-bridge-token" not in repr(settings)  # secrets stay out of logs


def test_serial_option_names_its_protocol_or_defaults_to_serial_aed() -> None:
    assert parse_serial_option("/dev/ttyUSB0") == ("serial-aed", "/dev/ttyUSB0")
    assert parse_serial_option("socket://10.0.0.5:4001") == ("serial-aed", "socket://10.0.0.5:4001")
    assert parse_serial_option("nmea=/dev/ttyACM0") == ("nmea", "/dev/ttyACM0")
    with pytest.raises(ValueError, match="unknown serial protocol"):
        parse_serial_option("zoll=/dev/ttyUSB1")


@pytest.mark.parametrize("bad", ["admin", "root:abcdefghijklmnopqrstu", "admin:"])
def test_malformed_token_settings_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="role"):
        ServerSettings(tokens=bad)
