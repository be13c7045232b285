"""The `aedmon` command: server, bridge, simulate aed|cabinet|mobile-unit|gnss, demo.

Every option can also be given as an `AEDMON_<OPTION>` environment variable; options are
parsed by pydantic-settings, so the command line, the environment and the code share one
definition of each setting.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, CliApp, CliPositionalArg, SettingsConfigDict, SettingsError

from aedmon import __version__, logs, options, systemd
from aedmon.clock import utc_now
from aedmon.config import CommaList
from aedmon.options import FromFile
from aedmon.reading import ID_PATTERN
from firmware_bridge.settings import BridgeSettings
from server.settings import ServerSettings

USAGE = """usage: aedmon COMMAND [options]   (each command takes --help)

commands:
  server                       run the API server, alerting and readiness
  bridge                       run a bridge: serial AEDs, GNSS, MQTT → outbox → sinks
  bridge dead-letters          list (or --requeue) what a sink refused for good
  verify-record FILE           check a compliance record exported as CSV: its hash chain
  simulate aed|cabinet|mobile-unit|gnss|lorawan-cabinet|zigbee-cabinet
                               run a simulated device (CI's hardware)
  demo                         run everything together with simulated devices
  config check FILE            say what is wrong with a configuration file, one line each
  config show [--config FILE]  print the settings in force (secrets redacted)
  migrate [--check]            bring the database to this version's schema (or say if due)
  backup DEST                  copy the server's database while it runs
  restore SRC                  put a backup into a new database
  --version                    say which aedmon this is
"""


EXIT_CONFIG = 2  # a configuration mistake: one line says what and how to fix it


class ConfigurationError(Exception):
    """A setting that cannot work; its message is one line and holds no secret."""


def refuse(command: str, message: str) -> None:
    print(f"aedmon {command}: {message}", file=sys.stderr)  # noqa: T201  (the command's own output)
    sys.exit(EXIT_CONFIG)


def describe(exc: ValidationError) -> str:
    """A settings error as one line: each option and what is wrong with it, never its value."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        option = "--" + "-".join(str(p) for p in error["loc"] if not isinstance(p, int)).replace("_", "-")
        message = error["msg"].removeprefix("Value error, ")
        parts.append(message if option == "--" else f"{option}: {message}")
    return "; ".join(parts)


def port_taken(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (taken, or not an address of this
    machine), or None when it can. The port is let go at once; the server binds it itself."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        return f"--host {host!r} is not an address of this machine ({exc.__class__.__name__})"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is taken (another aedmon server?); choose another --port"
            return f"cannot listen on {host}:{port}: {exc.strerror or exc.__class__.__name__}"
    return None


class ServerCommand(ServerSettings):
    """Run the aedmon server (API, alerts, readiness)."""

    def cli_cmd(self) -> None:
        import authlib.deprecate  # noqa: F401  (sets its own "always show" filter when imported)
        import uvicorn
        from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

        # Authlib then warns that its httpx integration will move: a library's notice, not the
        # operator's business, so a refusal stays the one line it is meant to be.
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from sqlalchemy.exc import OperationalError as StoreUnreachable

        from server.app import create_app
        from server.store.migrate import SchemaNewer

        logs.configure(self.log_level)
        taken = port_taken(self.host, self.port)
        if taken:  # said before anything starts, rather than after "server ready"
            raise ConfigurationError(taken)
        try:
            app = create_app(self)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise ConfigurationError(
                "--database-url is not a usable SQLAlchemy URL (sqlite:///file.db or "
                f"postgresql+psycopg://user@host/db): {str(exc).splitlines()[0][:200]}"
            ) from None
        except SchemaNewer as exc:  # a rollback that would corrupt: the database is left as it is
            raise ConfigurationError(str(exc)) from None
        except ValueError as exc:  # a setting read only now (a broker URL, a secret's file)
            raise ConfigurationError(str(exc).splitlines()[0][:300]) from None
        except (StoreUnreachable, DBAPIError) as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()
            raise ConfigurationError(
                f"cannot use the database: {(reason[0] if reason else exc.__class__.__name__)[:300]}; "
                "check --database-url and that the database is running"
            ) from None
        # Open event streams never end by themselves: on SIGTERM they get a few seconds, then
        # are closed, and their pages reconnect to another server.
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=3,
            proxy_headers=True,
            forwarded_allow_ips=self.forwarded_allow_ips,
        )
        server = uvicorn.Server(config)
        threading.Thread(target=_ready_when_listening, args=(server,), daemon=True, name="ready").start()
        server.run()


def _ready_when_listening(server: Any) -> None:
    """READY=1 to systemd (Type=notify) once the server listens, never before."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        systemd.notify(f"READY=1\nSTATUS=serving on port {server.config.port}")


class BridgeCommand(BridgeSettings):
    """Run a bridge: read serial AEDs, a GNSS receiver and MQTT devices; deliver to the
    server and InfluxDB through a durable outbox."""

    def cli_cmd(self) -> None:
        from aedmon.errors import StorageUnavailable
        from firmware_bridge.daemon import Bridge

        logs.configure(self.log_level)
        try:
            bridge = Bridge(self)
        except StorageUnavailable as exc:
            raise ConfigurationError(f"{exc}; check --outbox") from None
        except ValueError as exc:
            raise ConfigurationError(str(exc).splitlines()[0][:300]) from None
        sys.exit(bridge.run_forever())


# What every command but the server and the bridge shares: AEDMON_* variables, kebab-case flags.
_COMMAND_CONFIG = SettingsConfigDict(
    env_prefix="AEDMON_",
    cli_kebab_case=True,
    cli_implicit_flags=True,
    cli_hide_none_type=True,
    cli_avoid_json=True,
    extra="ignore",
)


class DeadLettersCommand(BaseSettings):
    """List the readings a sink refused for good (the dead letters of a bridge's outbox), or put
    them back in the queue with --requeue (all, or the ids given)."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon bridge dead-letters")

    outbox: Path = Field(default=Path("aedmon-outbox.db"), description="the bridge's outbox file")
    requeue: CommaList = Field(default_factory=list, description="ids to re-queue, or all")

    def cli_cmd(self) -> None:
        from firmware_bridge.outbox import Outbox

        if not self.outbox.exists():
            raise ConfigurationError(f"no outbox at {self.outbox}; check --outbox")
        box = Outbox(self.outbox, sinks=())
        try:
            if self.requeue:
                ids = None if self.requeue == ["all"] else [int(i) for i in self.requeue if i.isdigit()]
                print(f"re-queued {box.requeue(ids)} dead letters")  # noqa: T201
                return
            for letter in box.dead_letters():
                print(f"{letter.id}\t{letter.sink}\t{letter.at}\t{letter.key}\t{letter.reason}")  # noqa: T201
        finally:
            box.close()


class VerifyRecordCommand(BaseSettings):
    """Check a compliance record exported as CSV (the report page's CSV, or the API's
    ?format=csv): every row follows from the one before by its hash. Exit 0 if it does, 1 with
    the first row that does not."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon verify-record")

    file: CliPositionalArg[Path] = Field(description="the CSV file")

    def cli_cmd(self) -> None:
        from server.reports.compliance import from_csv, verify

        try:
            text = self.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{self.file} cannot be read: {exc.__class__.__name__}") from None
        try:
            rows = from_csv(text)
        except ValueError as exc:
            raise ConfigurationError(f"{self.file} is not a compliance record: {exc}") from None
        broken = verify(rows)
        if broken is not None:
            print(f"row {broken} does not follow from the one before: the record was altered")  # noqa: T201
            sys.exit(1)
        print(f"all {len(rows)} rows follow from the one before: the record is whole")  # noqa: T201


def _wait_until_interrupted(close: Callable[[], None]) -> None:
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        close()


class SimulateAed(BaseSettings):
    """Simulate an AED on a pseudo-terminal (or on --port), with scripted faults:
    fail, pads-expired, pads-expiring, pads-disconnected, battery-low, recover, selftest,
    silence, noise, reset, resend, lid-open, each as NAME@SECONDS[:DURATION]."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon simulate aed")

    serial: str = Field(default="SN10442", pattern=ID_PATTERN, description="the AED's serial number")
    port: str | None = Field(default=None, description="write to this pyserial URL instead of a new pty")
    link: Path | None = Field(default=None, description="make this symlink point at the pty")
    selftest_interval_s: float = Field(default=86400, gt=0, description="seconds between self-tests")
    heartbeat_interval_s: float = Field(default=60, gt=0, description="seconds between heartbeats")
    pads_expiry: date | None = Field(default=None, description="pads expiry date (default in 2 years)")
    battery_expiry: date | None = Field(default=None, description="battery expiry (default in 3 years)")
    seq_start: int = Field(default=0, ge=0, le=65535, description="first sequence number")
    fault: CommaList = Field(default_factory=list, description="NAME@SECONDS[:DURATION], repeatable")
    log_level: str = "INFO"

    def cli_cmd(self) -> None:
        from datetime import timedelta

        from simulators.aed import FAULTS, AedModel, AedSimulator
        from simulators.faults import Fault

        logs.configure(self.log_level)
        today = utc_now().date()
        model = AedModel(
            self.serial,
            seq=self.seq_start,
            pads_expiry=self.pads_expiry or today + timedelta(days=730),
            battery_expiry=self.battery_expiry or today + timedelta(days=1095),
        )
        sim = AedSimulator(
            model,
            utc_now,
            selftest_interval_s=self.selftest_interval_s,
            heartbeat_interval_s=self.heartbeat_interval_s,
            faults=[Fault.parse(text, FAULTS) for text in self.fault],
            link=self.link,
            port=self.port,
        ).start()
        print(sim.path, flush=True)  # noqa: T201  (tells the user where the port is)
        _wait_until_interrupted(sim.close)


class _SimulateMqtt(BaseSettings):
    model_config = _COMMAND_CONFIG
    device_class: ClassVar[str]

    mqtt: str = Field(default="mqtt://127.0.0.1:1883", description="broker as mqtt://host:port")
    site: str = Field(default="demo-site", pattern=ID_PATTERN, description="site in the topic")
    device: str = Field(default="CAB-0007", pattern=ID_PATTERN, description="device id in the topic")
    lat: float = Field(default=42.6062, description="where it stands (or its base)")
    lon: float = Field(default=23.0379)
    interval_s: float | None = Field(
        default=None, gt=0, description="seconds between reports (cabinet 60, unit 30)"
    )
    fault: CommaList = Field(default_factory=list, description="NAME@SECONDS[:DURATION], repeatable")
    log_level: str = "INFO"

    def cli_cmd(self) -> None:
        from simulators import mqtt_devices
        from simulators.faults import Fault

        logs.configure(self.log_level)
        device_type: type[mqtt_devices.MqttDevice] = getattr(mqtt_devices, self.device_class)
        faults = [Fault.parse(text, device_type.faults_allowed) for text in self.fault]
        sim = device_type(
            self.mqtt,
            self.site,
            self.device,
            utc_now,
            place=mqtt_devices.Place(self.lat, self.lon),
            interval_s=self.interval_s,
            faults=faults,
        ).start()
        _wait_until_interrupted(sim.close)


class SimulateCabinet(_SimulateMqtt):
    """Simulate a smart AED cabinet over MQTT. Faults: move, door, remove, return,
    silence, bad-payload, warm."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon simulate cabinet")
    device_class = "Cabinet"


class SimulateMobileUnit(_SimulateMqtt):
    """Simulate a mobile medical unit (fridge, oxygen, position) over MQTT. Faults: move,
    fridge-warm, silence, bad-payload, o2-low, o2-leak."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon simulate mobile-unit")
    device_class = "MobileUnit"


class SimulateLorawanCabinet(BaseSettings):
    """Simulate a LoRaWAN street cabinet (a Milesight EM300-MCS) as its network server publishes
    it: ChirpStack v4 or The Things Stack v3. Faults: door, warm, battery-low, offline, rejoin,
    undecoded, recover."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon simulate lorawan-cabinet")

    mqtt: str = Field(default="mqtt://127.0.0.1:1883", description="the network server's broker")
    network: Literal["chirpstack", "things-stack"] = Field(default="chirpstack", description="whose format")
    dev_eui: str = Field(default="24e124136b316541", pattern=r"^[0-9a-fA-F]{16}$", description="its DevEUI")
    interval_s: float = Field(default=30, gt=0, description="seconds between uplinks")
    fault: CommaList = Field(default_factory=list, description="NAME@SECONDS, repeatable")
    log_level: str = "INFO"

    def cli_cmd(self) -> None:
        from simulators.faults import Fault
        from simulators.sensors import LORAWAN_FAULTS, LorawanCabinet

        logs.configure(self.log_level)
        faults = [Fault.parse(text, LORAWAN_FAULTS) for text in self.fault]
        sim = LorawanCabinet(
            self.mqtt,
            utc_now,
            network=self.network,
            dev_eui=self.dev_eui,
            interval_s=self.interval_s,
            faults=faults,
        ).start()
        _wait_until_interrupted(sim.close)


class SimulateZigbeeCabinet(BaseSettings):
    """Simulate a Zigbee wall cabinet (an Aqara door sensor) as Zigbee2MQTT publishes it. Faults:
    door, warm, battery-low, offline, coordinator-down, tamper, recover."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon simulate zigbee-cabinet")

    mqtt: str = Field(default="mqtt://127.0.0.1:1883", description="Zigbee2MQTT's broker")
    base: str = Field(default="zigbee2mqtt", description="Zigbee2MQTT's base topic")
    ieee: str = Field(
        default="0x00158d0001d82999", pattern=r"^0x[0-9a-fA-F]{16}$", description="its IEEE address"
    )
    name: str = Field(
        default="school/aed cabinet", min_length=1, max_length=200, description="its friendly name"
    )
    interval_s: float = Field(default=30, gt=0, description="seconds between state reports")
    fault: CommaList = Field(default_factory=list, description="NAME@SECONDS, repeatable")
    log_level: str = "INFO"

    def cli_cmd(self) -> None:
        from simulators.faults import Fault
        from simulators.sensors import ZIGBEE_FAULTS, ZigbeeCabinet

        logs.configure(self.log_level)
        faults = [Fault.parse(text, ZIGBEE_FAULTS) for text in self.fault]
        sim = ZigbeeCabinet(
            self.mqtt, utc_now, ieee=self.ieee, name=self.name, base=self.base, interval_s=self.interval_s,
            faults=faults,
        ).start()  # fmt: skip
        _wait_until_interrupted(sim.close)


class SimulateGnss(BaseSettings):
    """Simulate a GNSS receiver on a pseudo-terminal: NMEA GGA+RMC, or replay a capture.
    Faults: nofix, move, noise."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon simulate gnss")

    link: Path | None = Field(default=None, description="make this symlink point at the pty")
    lat: float = Field(default=42.0167, description="centre of the route")
    lon: float = Field(default=23.0944)
    interval_s: float = Field(default=1.0, gt=0, description="seconds between fixes (or replayed lines)")
    replay: Path | None = Field(default=None, description="replay this NMEA capture instead")
    fault: CommaList = Field(default_factory=list, description="NAME@SECONDS[:DURATION], repeatable")
    log_level: str = "INFO"

    def cli_cmd(self) -> None:
        from simulators.faults import Fault
        from simulators.gnss import FAULTS, GnssSimulator
        from simulators.mqtt_devices import Place

        logs.configure(self.log_level)
        sim = GnssSimulator(
            utc_now,
            place=Place(self.lat, self.lon),
            interval_s=self.interval_s,
            faults=[Fault.parse(text, FAULTS) for text in self.fault],
            replay=self.replay,
            link=self.link,
        ).start()
        print(sim.path, flush=True)  # noqa: T201  (tells the user where the port is)
        _wait_until_interrupted(sim.close)


class DemoCommand(BaseSettings):
    """Run the demo: a server on SQLite, three AEDs on ptys, a cabinet and a mobile unit
    over MQTT (Mosquitto when on PATH, else an embedded broker), a GNSS receiver, and a
    bridge reading them all. Ctrl-C stops everything."""

    model_config = SettingsConfigDict(
        env_prefix="AEDMON_", cli_kebab_case=True, cli_prog_name="aedmon demo", extra="ignore"
    )

    port: int = Field(default=8000, description="server port on 127.0.0.1")
    workdir: Path = Field(default=Path("demo-run"), description="where the demo keeps its files")
    duration_s: float = Field(
        default=0, ge=0, description="stop after this many seconds (0: run until Ctrl-C)"
    )

    def cli_cmd(self) -> None:
        from aedmon.demo import run_demo

        logs.configure("INFO")
        sys.exit(run_demo(self.port, self.workdir, self.duration_s))


# ---- the configuration file ------------------------------------------------------------

_FOR: dict[str, type[FromFile]] = {"server": ServerSettings, "bridge": BridgeSettings}


def _file_for(data: dict[str, object]) -> str:
    """Which command a file is for: the one whose options it names most (the server on a tie)."""
    return max(_FOR, key=lambda name: (sum(key in _FOR[name].model_fields for key in data), name == "server"))


class ConfigCheckCommand(BaseSettings):
    """Check a configuration file: one line per mistake (an unknown option and the nearest known
    one, a secret written in the file, a value of the wrong type, a file it names that cannot be
    read), then whether the whole, with the AEDMON_* variables, makes a process that can start.
    Exit 0 when it does, 2 when it does not."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon config check")

    file: CliPositionalArg[Path] = Field(description="the TOML file (server.toml, bridge.toml)")
    command: Literal["server", "bridge"] | None = Field(
        default=None, description="the command it is for (default: the one whose options it names most)"
    )

    def cli_cmd(self) -> None:
        try:
            data = options.read_file(self.file)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        name = self.command or _file_for(data)
        model = _FOR[name]
        wrong = list(options.mistakes(self.file, data, model))
        if not wrong:
            token = options.CONFIG_FILE.set(self.file)
            try:
                model()
            except ValidationError as exc:
                wrong = [f"{self.file}: {line}" for line in options.file_errors(exc)]
            except ValueError as exc:
                wrong = [f"{self.file}: {str(exc).splitlines()[0][:300]}"]
            finally:
                options.CONFIG_FILE.reset(token)
        if wrong:
            for line in wrong:
                print(line, file=sys.stderr)  # noqa: T201  (the command's own output)
            sys.exit(EXIT_CONFIG)
        for line in options.renames(model, [], {}, data)[1]:
            print(f"{self.file}: {line}", file=sys.stderr)  # noqa: T201  (a warning: the file still works)
        print(f"{self.file}: good for aedmon {name} ({len(data)} options)")  # noqa: T201


class ConfigShowCommand(BaseSettings):
    """Print the settings a server (or a bridge) would run with, from its --config file, the
    AEDMON_* variables and the defaults, as a TOML file; secrets redacted."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon config show")

    config: Path | None = Field(default=None, description="the TOML file (as the command would be given it)")
    command: Literal["server", "bridge"] = Field(default="server", description="the command")

    def cli_cmd(self) -> None:
        model = _FOR[self.command]
        data = _checked_file("config show", self.config, model) if self.config is not None else {}
        for line in options.renames(model, [], os.environ, data)[1]:
            print(f"aedmon config show: {line}", file=sys.stderr)  # noqa: T201  (a warning)
        print(options.effective(model, model()), end="")  # noqa: T201  (the command's own output)


def _checked_file(command: str, path: Path, model: type[BaseSettings]) -> dict[str, Any]:
    """Refuse a file with mistakes, one line each; else make it the options' file, and say what
    it holds."""
    try:
        data = options.read_file(path)
    except ValueError as exc:
        refuse(command, str(exc))
    wrong = list(options.mistakes(path, data, model))
    if wrong:
        for line in wrong:
            print(f"aedmon {command}: {line}", file=sys.stderr)  # noqa: T201
        sys.exit(EXIT_CONFIG)
    options.CONFIG_FILE.set(path)
    return data


# ---- the database: migrations, backups ----------------------------------------------------


class _DatabaseCommand(FromFile):
    """A command on the server's database, named by --database-url or by the server's --config file."""

    FILE_OF: ClassVar[type[BaseSettings]] = ServerSettings
    model_config = SettingsConfigDict(**_COMMAND_CONFIG)

    database_url: str = Field(
        default=ServerSettings.model_fields["database_url"].default,
        description=ServerSettings.model_fields["database_url"].description,
    )


class MigrateCommand(_DatabaseCommand):
    """Bring the database to this aedmon's schema (the server also does it at start). With
    --check, change nothing: exit 0 when the schema is current, 1 when a migration is due, 2
    when the database is newer than this aedmon (a later version used it)."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon migrate")

    check: bool = Field(default=False, description="only say whether a migration is due")

    def cli_cmd(self) -> None:
        from server.store.database import make_engine
        from server.store.migrate import SchemaNewer, schema, upgrade

        engine = make_engine(self.database_url)
        try:
            before = schema(engine)
            print(before.describe())  # noqa: T201  (the command's own output)
            if self.check:
                sys.exit(1 if before.due else 0)
            if before.due:
                upgrade(engine)
                print(f"migrated: {schema(engine).describe()}")  # noqa: T201
        except SchemaNewer as exc:
            raise ConfigurationError(str(exc)) from None
        finally:
            engine.dispose()


class BackupCommand(_DatabaseCommand):
    """Copy the server's database to a file while the server runs: SQLite through its online
    backup API, PostgreSQL through pg_dump's custom format. Keep the copies off this machine."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon backup")

    dest: CliPositionalArg[Path] = Field(description="the backup file to write")

    def cli_cmd(self) -> None:
        from server.store.backup import BackupError, backup

        try:
            print(f"backed up: {backup(self.database_url, self.dest)}")  # noqa: T201
        except BackupError as exc:
            raise ConfigurationError(str(exc)) from None


class RestoreCommand(_DatabaseCommand):
    """Put a backup made by `aedmon backup` into a new database (stop the server first); the
    server then migrates it as it starts, if it is older."""

    model_config = SettingsConfigDict(**_COMMAND_CONFIG, cli_prog_name="aedmon restore")

    src: CliPositionalArg[Path] = Field(description="the backup file")
    replace: bool = Field(default=False, description="replace what the database holds")

    def cli_cmd(self) -> None:
        from server.store.backup import BackupError, restore

        try:
            print(f"restored: {restore(self.src, self.database_url, replace=self.replace)}")  # noqa: T201
        except BackupError as exc:
            raise ConfigurationError(str(exc)) from None


SIMULATORS: dict[str, type[BaseSettings]] = {
    "aed": SimulateAed,
    "cabinet": SimulateCabinet,
    "mobile-unit": SimulateMobileUnit,
    "lorawan-cabinet": SimulateLorawanCabinet,
    "zigbee-cabinet": SimulateZigbeeCabinet,
    "gnss": SimulateGnss,
}
COMMANDS: dict[str, type[BaseSettings]] = {
    "server": ServerCommand,
    "bridge": BridgeCommand,
    "demo": DemoCommand,
    "verify-record": VerifyRecordCommand,
    "migrate": MigrateCommand,
    "backup": BackupCommand,
    "restore": RestoreCommand,
}
CONFIG_COMMANDS: dict[str, type[BaseSettings]] = {"check": ConfigCheckCommand, "show": ConfigShowCommand}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)  # noqa: T201  (the command's own output)
        return
    if args[0] in ("--version", "version"):
        print(f"aedmon {__version__}")  # noqa: T201  (the command's own output)
        return
    command, rest = args[0], args[1:]
    if command == "simulate":
        if not rest or rest[0] not in SIMULATORS:
            names = "|".join(SIMULATORS)
            print(f"usage: aedmon simulate {names} [--help]", file=sys.stderr)  # noqa: T201
            sys.exit(2)
        _run(f"simulate {rest[0]}", SIMULATORS[rest[0]], rest[1:])
        return
    if command == "config":
        if not rest or rest[0] not in CONFIG_COMMANDS:
            print("usage: aedmon config check FILE | aedmon config show [--config FILE]", file=sys.stderr)  # noqa: T201
            sys.exit(2)
        _run(f"config {rest[0]}", CONFIG_COMMANDS[rest[0]], rest[1:])
        return
    if command == "bridge" and rest[:1] == ["dead-letters"]:
        _run("bridge dead-letters", DeadLettersCommand, rest[1:])
        return
    if command not in COMMANDS:
        print(f"aedmon: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    _run(command, COMMANDS[command], rest)


# The optional dependency group each command needs (pyproject.toml) and a module that group
# installs: a bridge-only machine is told what to install before any setting is looked at.
_EXTRA = {
    "server": ("server", "fastapi"),
    "bridge": ("bridge", "paho"),
    "bridge dead-letters": ("bridge", "paho"),
    "verify-record": ("server", "sqlalchemy"),
    "migrate": ("server", "alembic"),
    "backup": ("server", "sqlalchemy"),
    "restore": ("server", "sqlalchemy"),
    "config check": ("server", "fastapi"),
    "config show": ("server", "fastapi"),
}
_DEMO_EXTRA = ("demo", "amqtt")
_OWN_PACKAGES = ("aedmon", "firmware_bridge", "server", "simulators")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _run(command: str, settings: type[BaseSettings], args: list[str]) -> None:
    extra, marker = _EXTRA.get(command, _DEMO_EXTRA)
    if not _installed(marker):
        refuse(
            command, f"needs aedmon's {extra} dependencies, not installed here: pip install 'aedmon[{extra}]'"
        )
    if isinstance(settings, type) and issubclass(settings, FromFile):
        model: type[BaseSettings] = getattr(settings, "FILE_OF", settings)
        path = options.config_in(args, os.environ)
        data = _checked_file(command, path, model) if path is not None else {}
        args, said = options.renames(model, args, os.environ, data)
        for line in said:
            print(f"aedmon {command}: {line}", file=sys.stderr)  # noqa: T201  (a warning, said once)
        if settings.GROUPS and ("-h" in args or "--help" in args):
            print(options.manual(settings, f"aedmon {command}"), end="")  # noqa: T201  (the command's own output)
            return
    try:
        CliApp.run(settings, cli_args=args)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] in _OWN_PACKAGES:
            raise
        refuse(command, f"needs {exc.name}, which is not installed here: pip install 'aedmon[{extra}]'")
    except ValidationError as exc:
        refuse(command, describe(exc))
    except (SettingsError, ConfigurationError) as exc:
        refuse(command, str(exc).splitlines()[0][:300] if str(exc) else exc.__class__.__name__)
