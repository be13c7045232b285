"""Bridge settings from the command line or `AEDMON_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from aedmon.config import CommaList, LogLevel, read_secret
from aedmon.options import FromFile
from aedmon.protocols.broker import has_password
from aedmon.reading import ID_PATTERN

NETWORKS = ("chirpstack", "things_stack", "zigbee2mqtt")  # the sensor networks' options, each its broker


class BridgeSettings(FromFile):
    """Run a bridge: read serial AEDs, a GNSS receiver and MQTT devices; deliver to the
    server and InfluxDB through a durable outbox."""

    model_config = SettingsConfigDict(
        env_prefix="AEDMON_",
        cli_kebab_case=True,
        cli_prog_name="aedmon bridge",
        cli_implicit_flags=True,
        extra="ignore",
        allow_inf_nan=False,
    )
    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Which site, which server": (
            "site", "server", "token", "token_file", "bridge_id", "heartbeat_interval_s", "deaf_after_s",
            "log_level", "metrics_port",
        ),
        "Serial AEDs and a GNSS receiver": ("serial", "baudrate", "gnss", "gnss_device", "gnss_interval_s"),
        "MQTT devices": (
            "mqtt", "mqtt_password", "mqtt_password_file", "mqtt_client_id", "mqtt_shared_group",
        ),
        "LoRaWAN and Zigbee sensors": (
            "chirpstack", "chirpstack_user", "chirpstack_password_file", "things_stack", "things_stack_user",
            "things_stack_password_file", "zigbee2mqtt", "zigbee2mqtt_user", "zigbee2mqtt_password_file",
            "profiles_dir",
        ),
        "InfluxDB": ("influx_url", "influx_org", "influx_bucket", "influx_token", "influx_token_file"),
        "The outbox (what waits for the server)": ("outbox", "outbox_max_rows", "outbox_max_mb"),
    }  # fmt: skip

    site: str = Field(
        pattern=ID_PATTERN, description="the site this bridge serves (its serial devices' site)"
    )
    server: str = Field(description="aedmon server base URL, e.g. http://127.0.0.1:8000")
    token: str = Field(
        default="",
        description="a bridge token of the server (AEDMON_TOKEN); prefer --token-file: ps shows no file",
        repr=False,
    )
    token_file: Path | None = Field(default=None, description="read the bridge token from this file")
    bridge_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="this bridge's id at the server (default bridge-<site>)"
    )
    heartbeat_interval_s: float = Field(
        default=30, gt=0, description="the bridge reports on itself (outbox, lag, rejects) this often"
    )
    deaf_after_s: float = Field(
        default=120,
        gt=0,
        description="a serial port or broker not connected for this long makes the bridge deaf: under "
        "systemd its watchdog is no longer fed, and it is restarted",
    )
    outbox: Path = Field(default=Path("aedmon-outbox.db"), description="outbox file (SQLite)")
    serial: CommaList = Field(
        default_factory=list,
        description="[PROTOCOL=]port or pyserial URL (serial-aed by default); repeatable, "
        "or comma-separated in AEDMON_SERIAL",
    )
    baudrate: int = Field(default=9600, description="serial speed (9600 or 115200)")
    gnss: str | None = Field(default=None, description="GNSS receiver serial port or pyserial URL")
    gnss_device: str | None = Field(
        default=None, pattern=ID_PATTERN, description="device id for GNSS locations (default <site>-gnss)"
    )
    gnss_interval_s: float = Field(
        default=10.0, ge=0, description="at most one GNSS location per this many s"
    )
    mqtt: str | None = Field(default=None, description="broker as mqtt://[user:pass@]host:port or mqtts://…")
    mqtt_password_file: Path | None = Field(
        default=None, description="read the broker password from this file (the user stays in --mqtt)"
    )
    mqtt_client_id: str | None = Field(
        default=None, description="fixed MQTT client id (default aedmon-bridge-<site>)"
    )
    mqtt_shared_group: str | None = Field(
        default=None, description="spread devices over bridges: $share group"
    )
    chirpstack: str | None = Field(
        default=None,
        description="ChirpStack v4's MQTT integration: mqtt[s]://[user@]host:port[/base topic] "
        "(default base: application)",
    )
    chirpstack_user: str | None = Field(default=None, description="its broker user (or the URL's)")
    chirpstack_password_file: Path | None = Field(
        default=None, description="read its broker password from this file"
    )
    things_stack: str | None = Field(
        default=None,
        description="The Things Stack v3's MQTT server: mqtts://host:8883[/base topic] (default base: v3)",
    )
    things_stack_user: str | None = Field(
        default=None, description="its user: the application id, as app@tenant (app@ttn on TTN)"
    )
    things_stack_password_file: Path | None = Field(
        default=None, description="read its password (an API key of the application) from this file"
    )
    zigbee2mqtt: str | None = Field(
        default=None,
        description="Zigbee2MQTT's broker: mqtt[s]://[user@]host:port[/base topic] "
        "(default base: zigbee2mqtt)",
    )
    zigbee2mqtt_user: str | None = Field(default=None, description="its broker user (or the URL's)")
    zigbee2mqtt_password_file: Path | None = Field(
        default=None, description="read its broker password from this file"
    )
    profiles_dir: Path | None = Field(
        default=None, description="a directory of sensor profiles (TOML) beside those aedmon ships"
    )
    influx_url: str | None = Field(default=None, description="InfluxDB URL (v2 write API)")
    influx_org: str | None = Field(default=None, description="InfluxDB organisation")
    influx_bucket: str | None = Field(default=None, description="InfluxDB bucket")
    influx_token: str | None = Field(default=None, description="InfluxDB token", repr=False)
    influx_token_file: Path | None = Field(default=None, description="read the InfluxDB token from this file")
    outbox_max_rows: int = Field(default=500_000, ge=100, description="outbox bound; see README")
    outbox_max_mb: float | None = Field(
        default=None,
        gt=0,
        description="the outbox file never grows past this; when full nothing more is acknowledged "
        "until the sinks make room (as with a full disk)",
    )
    metrics_port: int | None = Field(default=None, description="serve Prometheus metrics on 127.0.0.1:PORT")
    log_level: LogLevel = Field(default="INFO", description="how much it logs: DEBUG, INFO, WARNING or ERROR")

    mqtt_password: str | None = Field(
        default=None,
        description="broker password (AEDMON_MQTT_PASSWORD) for the user in --mqtt; "
        "prefer --mqtt-password-file",
        repr=False,
    )

    @model_validator(mode="after")
    def _secrets_from_files(self) -> BridgeSettings:
        if self.token_file is not None:
            self.token = read_secret(self.token_file, "--token-file")
        if self.influx_token_file is not None:
            self.influx_token = read_secret(self.influx_token_file, "--influx-token-file")
        if self.mqtt_password_file is not None:
            self.mqtt_password = read_secret(self.mqtt_password_file, "--mqtt-password-file")
        for option in NETWORKS:
            url = getattr(self, option)
            if url and has_password(url):
                flag = "--" + option.replace("_", "-")
                raise ValueError(f"{flag}: a password in the URL shows in ps; use {flag}-password-file")
        if not self.token:
            raise ValueError(
                "no bridge token: set --token-file (or AEDMON_TOKEN) to a bridge token of the server"
            )
        return self
