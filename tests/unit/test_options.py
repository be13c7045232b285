"""One configuration file per process: the options of the command line, by their names in
snake_case; flags > environment > file > defaults; a secret only by its *_file option;
`aedmon config check` and `config show`; `--help` as a manual."""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path

import pytest

from aedmon.options import CONFIG_FILE, manual, mistakes, read_file, secret_options, value_kind
from firmware_bridge.settings import BridgeSettings
from server.settings import ServerSettings

from ..conftest import run_aedmon

ADMIN = "an-admin-token-long-enough"
BRIDGE = "a-bridge-token-long-enough"


aedmon = run_aedmon


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens"
    path.write_text(f"admin:{ADMIN}\nbridge:{BRIDGE}\n")
    path.chmod(0o600)
    return path


def server_file(tmp_path: Path, tokens_file: Path, extra: str = "") -> Path:
    """A good server.toml, with `extra` lines instead of its own of the same option."""
    path = tmp_path / "server.toml"
    lines = [
        f'database_url = "sqlite:///{tmp_path / "a.db"}"',
        f'tokens_file = "{tokens_file}"',
        "port = 8123",
        'time_zone = "Europe/Sofia"',
        "selftest_interval_h = { aed = 12 }",
        'home_assistant_sites = ["school-1", "hall-2"]',
    ]
    replaced = {line.split("=")[0].strip() for line in extra.splitlines() if "=" in line}
    kept = [line for line in lines if line.split("=")[0].strip() not in replaced]
    path.write_text("\n".join(kept) + "\n" + extra, encoding="utf-8")
    return path


def settings_from(path: Path) -> ServerSettings:
    token = CONFIG_FILE.set(path)
    try:
        return ServerSettings()
    finally:
        CONFIG_FILE.reset(token)


def test_the_file_gives_options_by_their_names(tmp_path: Path, tokens_file: Path) -> None:
    settings = settings_from(server_file(tmp_path, tokens_file))
    assert settings.port == 8123
    assert settings.time_zone == "Europe/Sofia"
    assert settings.selftest_interval_h == {"aed": 12}
    assert settings.home_assistant_sites == ["school-1", "hall-2"]
    assert settings.token_roles[ADMIN] == "admin"


def test_the_environment_wins_over_the_file_and_a_flag_over_both(
    tmp_path: Path, tokens_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = server_file(tmp_path, tokens_file)
    monkeypatch.setenv("AEDMON_PORT", "8200")
    assert settings_from(path).port == 8200
    result = aedmon("config", "show", "--config", str(path), env={"AEDMON_PORT": "8300"})
    assert result.returncode == 0, result.stderr
    assert "port = 8300" in result.stdout
    # and a flag wins over both: the server refuses the taken port it was given on the command line
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = aedmon("server", "--config", str(path), "--port", str(port), env={"AEDMON_PORT": "8300"})
    assert started.returncode == 2
    assert f"port {port} on 127.0.0.1 is taken" in started.stderr


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('tokens = "admin:0123456789abcdef0123"',
         "tokens is a secret and is never written here; write it in a file of its own and name that file "
         "with tokens_file"),
        ('webhook_secret = "whsec_abc"', "webhook_secret is a secret"),
        ('smtp_password = "hunter2hunter2"', "smtp_password is a secret"),
        ('oidc_client_secret = "s3cr3t"', "oidc_client_secret is a secret"),
        ('database_url = "postgresql+psycopg://aed:pw@db/aedmon"',
         "database_url holds a password in its URL"),
        ('notify_mqtt = "mqtt://u:pw@broker:1883"', "notify_mqtt holds a password in its URL"),
        ("prot = 8000", "unknown option 'prot'; did you mean 'port'?"),
        ("[server]\nport = 8000", "unknown option 'server' (options are at the top level, not in [tables])"),
        ('port = "eighty"', "port: Input should be a valid integer"),
        ("port = true", "port: Input should be a valid integer"),
        ("battery_low_pct = 140", "battery_low_pct: Input should be less than or equal to 100"),
        ("clock_tolerance_s = nan", "clock_tolerance_s: Input should be a finite number"),
        ("clock_tolerance_s = -inf", "clock_tolerance_s: Input should be a finite number"),
        ("clock_tolerance_s = 0", "clock_tolerance_s: Input should be greater than 0"),
        ('time_zone = "Mars/Olympus"', "time_zone: 'Mars/Olympus' is not a time zone"),
        ('webhook_secret_file = "/nonexistent/secret"',
         "webhook_secret_file: cannot read webhook_secret_file"),
        ('channels_file = "/nonexistent/channels.toml"', "channels_file: [Errno 2]"),
        ('demo = "perhaps"', "demo: Input should be a valid boolean"),
        ('log_level = "loud"', "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("config = \"other.toml\"", "unknown option 'config'"),
    ],
)  # fmt: skip
def test_each_mistake_is_one_line_naming_the_option_never_the_secret(
    tmp_path: Path, tokens_file: Path, line: str, said: str
) -> None:
    path = server_file(tmp_path, tokens_file, extra=line + "\n")
    found = list(mistakes(path, read_file(path), ServerSettings))
    assert len(found) == 1, found
    assert said in found[0]
    for secret in ("0123456789abcdef0123", "whsec_abc", "hunter2", "s3cr3t", ":pw@"):
        assert secret not in found[0]
    result = aedmon("config", "check", str(path))
    assert result.returncode == 2
    assert said in result.stdout + result.stderr
    assert len((result.stdout + result.stderr).strip().splitlines()) == 1
    started = aedmon("server", "--config", str(path))
    assert started.returncode == 2
    assert said in started.stderr
    assert "server ready" not in started.stdout + started.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"port = 80\nport = 81\n", "not valid TOML"),
        (b"port = \n", "not valid TOML"),
        (b"\xff\xfe\x00p", "not UTF-8 text"),
        (b"port = 8000\n" + b"#" * 1_100_000, "larger than"),
    ],
)
def test_a_file_that_is_not_toml_is_refused_in_one_line(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "server.toml"
    path.write_bytes(content)
    result = aedmon("config", "check", str(path))
    assert result.returncode == 2
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_file_is_refused_before_anything_starts(tmp_path: Path) -> None:
    result = aedmon("server", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml: cannot be read: No such file or directory" in result.stderr


def test_several_mistakes_are_said_each_on_its_line(tmp_path: Path, tokens_file: Path) -> None:
    path = server_file(tmp_path, tokens_file, extra='prot = 1\ntokens = "x"\nport = "y"\n')
    result = aedmon("config", "check", str(path))
    assert result.returncode == 2
    assert len(result.stdout.strip().splitlines() + result.stderr.strip().splitlines()) == 3


def test_a_good_file_is_said_good_for_the_command_it_is_for(tmp_path: Path, tokens_file: Path) -> None:
    result = aedmon("config", "check", str(server_file(tmp_path, tokens_file)))
    assert result.returncode == 0, result.stderr
    assert "good for aedmon server" in result.stdout
    token = tmp_path / "bridge-token"
    token.write_text(BRIDGE)
    bridge = tmp_path / "bridge.toml"
    bridge.write_text(f'site = "school-1"\nserver = "http://127.0.0.1:8000"\ntoken_file = "{token}"\n'
                      'serial = ["/dev/ttyUSB0", "zoll=/dev/ttyUSB1"]\n')  # fmt: skip
    result = aedmon("config", "check", str(bridge))
    assert result.returncode == 0, result.stderr
    assert "good for aedmon bridge" in result.stdout


def test_what_the_file_leaves_out_and_the_whole_needs_is_said_too(tmp_path: Path) -> None:
    bridge = tmp_path / "bridge.toml"
    bridge.write_text('site = "school-1"\n')
    result = aedmon("config", "check", str(bridge), "--command", "bridge")
    assert result.returncode == 2
    assert "server: Field required" in result.stderr


def test_config_show_prints_the_settings_in_force_with_secrets_redacted(
    tmp_path: Path, tokens_file: Path
) -> None:
    secret = tmp_path / "webhook"
    secret.write_text("whsec_" + "A" * 40)
    path = server_file(tmp_path, tokens_file, extra=f'webhook_secret_file = "{secret}"\n')
    result = aedmon("config", "show", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert 'tokens = "(redacted)"' in result.stdout
    assert 'webhook_secret = "(redacted)"' in result.stdout
    assert ADMIN not in result.stdout
    assert "AAAA" not in result.stdout
    assert 'time_zone = "Europe/Sofia"' in result.stdout
    # what it prints is itself a file the server takes (the redacted secrets left out)
    shown = tomllib.loads(result.stdout)
    for secret in secret_options(ServerSettings):
        del shown[secret]
    assert list(mistakes(tmp_path / "shown.toml", shown, ServerSettings)) == []


@pytest.mark.parametrize("model", [ServerSettings, BridgeSettings])
def test_every_option_has_one_name_in_the_flags_the_environment_the_file_and_the_manual(
    model: type[ServerSettings] | type[BridgeSettings],
) -> None:
    text = manual(model, "aedmon x")
    grouped = [name for names in model.GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(set(model.model_fields) - {"config"})  # each in one group, none left out
    assert "Other:" not in text
    for name in model.model_fields:
        assert f"--{name.replace('_', '-')} " in text or f"--{name.replace('_', '-')} /" in text
        assert f"[AEDMON_{name.upper()}]" in text
    for internal in ("default factory", "<lambda>", "{Path,null}", "dict[", "null"):
        assert internal not in text
    assert secret_options(model) <= {"tokens", "webhook_secret", "smtp_password", "oidc_client_secret",
                                     "token", "influx_token", "mqtt_password"}  # fmt: skip


def test_the_server_help_reads_like_a_manual() -> None:
    result = aedmon("server", "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("usage: aedmon server [--config FILE] [options]")
    assert "Who may use it:" in out
    assert "--selftest-interval-h JSON" in out
    assert '(default: {"aed": 24.0})' in out
    assert "--tokens-file FILE" in out
    assert "--demo / --no-demo" in out
    assert "--port N" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_value_kinds_are_words_a_person_reads() -> None:
    fields = ServerSettings.model_fields
    assert value_kind("database_url", fields["database_url"].annotation) == "URL"
    assert value_kind("tokens_file", fields["tokens_file"].annotation) == "FILE"
    assert value_kind("escalate_after_min", fields["escalate_after_min"].annotation) == "NUMBER"
    assert value_kind("home_assistant_sites", fields["home_assistant_sites"].annotation) == "A,B,..."


def test_a_renamed_option_keeps_its_old_name_with_a_warning_on_the_line_in_the_environment_and_the_file(
    tmp_path: Path, tokens_file: Path
) -> None:
    path = server_file(tmp_path, tokens_file, extra="digest_hour_utc = 5\n")
    assert list(mistakes(path, read_file(path), ServerSettings)) == []
    assert settings_from(path).digest_hour == 5
    checked = aedmon("config", "check", str(path))
    assert checked.returncode == 0, checked.stderr
    assert "digest_hour_utc in the file is now digest_hour (a local hour now" in checked.stderr
    shown = aedmon("config", "show", "--config", str(path), env={"AEDMON_DIGEST_HOUR_UTC": "6"})
    assert "digest_hour = 6" in shown.stdout  # the environment's old name wins over the file's
    assert "AEDMON_DIGEST_HOUR_UTC is now AEDMON_DIGEST_HOUR" in shown.stderr
    with socket.socket() as holder:  # the flag's old name: the server takes it, says so, and goes on
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = aedmon("server", "--config", str(path), "--digest-hour-utc", "9", "--port", str(port))
    assert "--digest-hour-utc is now --digest-hour" in started.stderr
    assert f"port {port} on 127.0.0.1 is taken" in started.stderr  # it went on to the next check
    both = server_file(tmp_path, tokens_file, extra="digest_hour_utc = 5\ndigest_hour = 6\n")
    assert [line.split(": ", 1)[1] for line in mistakes(both, read_file(both), ServerSettings)] == [
        "digest_hour_utc and digest_hour are one option (its old and new name): keep digest_hour alone"
    ]


def test_config_show_never_prints_a_urls_password_or_a_push_urls_secret_path(
    tmp_path: Path, tokens_file: Path
) -> None:
    path = server_file(
        tmp_path, tokens_file, extra='heartbeat_url = "https://hc-ping.com/8e6b1f0c-uuid-secret"\n'
    )
    env = {"AEDMON_DATABASE_URL": "postgresql+psycopg://aedmon:pg-s3cret@db.example.org:5433/aedmon?sslmode=require",
           "AEDMON_NOTIFY_MQTT": "mqtt://notifier:mq-s3cret@broker:1883"}  # fmt: skip
    shown = aedmon("config", "show", "--config", str(path), env=env)
    assert shown.returncode == 0, shown.stderr
    for secret in ("pg-s3cret", "mq-s3cret", "8e6b1f0c-uuid-secret"):
        assert secret not in shown.stdout + shown.stderr
    assert (
        'database_url = "postgresql+psycopg://aedmon:(redacted)@db.example.org:5433/aedmon?sslmode=require"'
        in shown.stdout
    )
    assert 'heartbeat_url = "https://hc-ping.com/(redacted)"' in shown.stdout
    assert (
        'map_tiles_url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in shown.stdout
    )  # no secret: as it is
