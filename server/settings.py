"""Server settings from the environment (`AEDMON_*`) or the command line."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from aedmon.config import CommaList, LogLevel, read_secret
from aedmon.options import FromFile
from aedmon.protocols.broker import has_password
from aedmon.reading import DeviceKind
from server.rules.facts import Policy

PLACEHOLDERS = frozenset({"changeme", "change-me", "secret", "token", "password", "demo"})
MIN_TOKEN_LENGTH = 16


class Role(StrEnum):
    ADMIN = "admin"
    TECHNICIAN = "technician"
    STAFF = "staff"  # building staff: read, and record the monthly inspection
    VIEWER = "viewer"
    BRIDGE = "bridge"


def parse_tokens(text: str) -> dict[str, Role]:
    """`role:token,role:token` → {token: role}; raises ValueError on a bad entry."""
    tokens: dict[str, Role] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        role, sep, token = entry.partition(":")
        if not sep or not token:
            raise ValueError("each token entry must be role:token")
        try:
            tokens[token] = Role(role)
        except ValueError as exc:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {role!r}; use one of {known}") from exc
    return tokens


LINK_SECRET_MIN = 32


class ServerSettings(FromFile):
    """Run the aedmon server (API, alerts, readiness)."""

    _link_secret: str = PrivateAttr(default="")  # from --link-secret-file only: never a flag

    model_config = SettingsConfigDict(
        env_prefix="AEDMON_",
        cli_kebab_case=True,
        cli_prog_name="aedmon server",
        cli_implicit_flags=True,
        extra="ignore",
        allow_inf_nan=False,
    )
    SECRET_PATHS: ClassVar[frozenset[str]] = frozenset({"heartbeat_url"})
    RENAMED: ClassVar[dict[str, tuple[str, str]]] = {
        "digest_hour_utc": ("digest_hour", "a local hour now, in each site's time zone"),
    }
    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Where it listens and what it keeps": (
            "host", "port", "forwarded_allow_ips", "database_url", "public_url", "max_body_bytes",
            "import_max_bytes", "readings_keep_days", "compliance_keep_years", "log_level",
        ),
        "Who may use it": (
            "tokens", "tokens_file", "demo", "oidc_issuer", "oidc_client_id", "oidc_client_secret",
            "oidc_client_secret_file", "oidc_name",
        ),
        "When a device is not ready": (
            "time_zone", "pads_expiring_days", "battery_expiring_days", "battery_low_pct",
            "sensor_battery_low_pct", "selftest_interval_h", "selftest_grace_h", "silent_intervals",
            "min_silent_s", "relocation_fixes", "relocation_margin_m", "aed_not_returned_h", "in_use_max_h",
            "door_open_max_min", "clock_tolerance_s", "o2_min_bar", "o2_leak_bar", "shift_checklist",
            "evaluate_interval_s",
        ),
        "Telling people": (
            "channels_file", "link_secret_file", "smtp_host", "smtp_port", "smtp_from", "smtp_username",
            "smtp_password", "smtp_password_file", "smtp_starttls", "webhook_secret", "webhook_secret_file",
            "notify_mqtt", "notify_group_window_s", "escalate_after_min", "digest_hour",
            "notify_interval_s", "notify_workers", "notify_deadline_s",
        ),
        "Home Assistant": (
            "home_assistant", "home_assistant_user", "home_assistant_password_file", "home_assistant_sites",
            "home_assistant_areas", "home_assistant_prefix", "home_assistant_language",
            "home_assistant_interval_s", "home_assistant_server_id",
        ),
        "The board's map": ("map_tiles_url", "map_attribution"),
        "Watched from outside": ("heartbeat_url", "heartbeat_interval_s"),
    }  # fmt: skip

    host: str = Field(default="127.0.0.1", description="address to listen on")
    port: int = Field(default=8000, ge=0, le=65535, description="port to listen on")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        max_length=2000,
        pattern=r"^[0-9A-Fa-f.:/,* ]+$",
        description="the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed "
        "(addresses or networks, comma-separated; * for any): behind them a request's address is "
        "the person's and https is known, so the session cookie is Secure and HSTS is sent",
    )
    database_url: str = Field(
        default="sqlite:///aedmon.db",
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user@host/db",
    )
    tokens: str = Field(
        default="",
        description="API tokens as role:token,… with roles admin, technician, staff, viewer, bridge; "
        "prefer --tokens-file: ps shows no file",
        repr=False,
    )
    tokens_file: Path | None = Field(
        default=None, description="read the API tokens (role:token,…, or one per line) from this file"
    )
    demo: bool = Field(default=False, description="allow short placeholder tokens (demo only)")
    pads_expiring_days: int = Field(default=30, ge=1, description="pads_expiring lead time in days")
    battery_low_pct: int = Field(default=20, ge=0, le=100, description="battery_low below this charge")
    sensor_battery_low_pct: int = Field(
        default=20,
        ge=0,
        le=100,
        description="sensor_battery_low below this charge of a cabinet sensor's battery",
    )
    battery_expiring_days: int = Field(default=60, ge=1, description="battery_expiring lead time in days")
    selftest_interval_h: dict[DeviceKind, float] = Field(
        default_factory=lambda: {DeviceKind.AED: 24.0},
        description='expected self-test interval per kind, e.g. {"aed": 24}; other kinds are not checked',
    )
    selftest_grace_h: float = Field(default=2, ge=0, description="grace before self_test_overdue, in hours")
    silent_intervals: float = Field(
        default=3, gt=0, description="device_silent after this many report intervals"
    )
    min_silent_s: float = Field(
        default=300, gt=0, description="never device_silent before this many seconds without a word"
    )
    relocation_fixes: int = Field(default=3, ge=1, description="consecutive fixes outside before relocated")
    relocation_margin_m: float = Field(default=25, ge=0, description="margin beyond the geofence, in metres")
    aed_not_returned_h: float = Field(default=2, gt=0, description="aed_not_returned after this many hours")
    in_use_max_h: float = Field(
        default=24,
        gt=0,
        le=24 * 30,
        description="a rescue whose end was never heard ends this many hours after it began",
    )
    door_open_max_min: float = Field(default=15, gt=0, description="door_open after this many minutes")
    clock_tolerance_s: float = Field(
        default=300,
        gt=0,
        description="a device clock off by more than this is not believed and raises clock_fault",
    )
    o2_min_bar: float = Field(
        default=50, gt=0, le=300, description="o2_low below this oxygen pressure of a mobile unit, in bar"
    )
    o2_leak_bar: float = Field(
        default=10,
        gt=0,
        le=300,
        description="o2_leak when a parked mobile unit's oxygen falls this much within 90 minutes, in bar",
    )
    shift_checklist: CommaList = Field(
        default_factory=list,
        description="what a mobile unit's crew ticks before each shift, in the programme's own words "
        "(comma-separated; the AED, the oxygen and the fridge the server checks itself)",
    )
    evaluate_interval_s: float = Field(
        default=30.0,
        gt=0,
        description="how often the time-driven rules look for devices that are due, in seconds "
        "(only those whose verdict time may have changed are evaluated)",
    )
    readings_keep_days: int = Field(
        default=30,
        ge=1,
        le=36500,
        description="raw readings (heartbeats, status, fixes, availability) are kept this many days",
    )
    compliance_keep_years: int = Field(
        default=10,
        ge=1,
        le=100,
        description="self-tests, events and inspections (the compliance record) are kept this many years",
    )
    webhook_secret: str = Field(
        default="", description="HMAC-SHA256 key that signs webhook bodies", repr=False
    )
    webhook_secret_file: Path | None = Field(
        default=None, description="read the webhook secret from this file"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail notifications")
    smtp_port: int = Field(default=25, description="SMTP port")
    smtp_from: str = Field(default="aedmon@localhost", description="From address of notifications")
    smtp_username: str | None = Field(default=None, description="SMTP login")
    smtp_password: str | None = Field(default=None, description="SMTP password", repr=False)
    smtp_password_file: Path | None = Field(default=None, description="read the SMTP password from this file")
    smtp_starttls: bool = Field(default=False, description="use STARTTLS")
    channels_file: Path | None = Field(
        default=None,
        description="the installation's chat, SMS and push services (TOML: [services.NAME] url = an "
        "Apprise URL with {address}); read at start and on SIGHUP; its secrets live only there",
    )
    link_secret_file: Path | None = Field(
        default=None,
        description="read the key that signs one-tap acknowledgement links from this file (the same "
        "on every server, at least 32 characters); without it, notifications carry no such link",
    )
    notify_mqtt: str | None = Field(
        default=None, description="broker for alert publications, mqtt://host:port (aedmon/v1/alerts/…)"
    )
    home_assistant: str | None = Field(
        default=None,
        description="publish each device's readiness for Home Assistant's MQTT discovery on this broker, "
        "mqtt[s]://[user@]host:port",
    )
    home_assistant_user: str | None = Field(default=None, description="its broker user (or the URL's)")
    home_assistant_password_file: Path | None = Field(
        default=None, description="read its broker password from this file"
    )
    home_assistant_sites: CommaList = Field(
        default_factory=list, description="only these sites' devices (with --home-assistant-areas: either)"
    )
    home_assistant_areas: CommaList = Field(default_factory=list, description="only these areas' devices")
    home_assistant_prefix: str = Field(
        default="homeassistant",
        pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        description="its discovery prefix",
    )
    home_assistant_language: str = Field(
        default="en",
        pattern="^(en|bg|uk|cs)$",
        description="entity names for sites without a language of their own",
    )
    home_assistant_interval_s: float = Field(
        default=30,
        gt=0,
        description="every device in scope is looked at this often (changes of a verdict at once)",
    )
    home_assistant_server_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="this server's name on its status topic (default: host name and port)",
    )
    notify_group_window_s: float = Field(
        default=5.0,
        ge=0,
        description="non-critical alerts of one site within this window go out as one message",
    )
    escalate_after_min: float = Field(
        default=15,
        gt=0,
        description="an unacknowledged critical alert is sent again after this, "
        "and to the escalation contacts after twice this",
    )
    digest_hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="each site's daily digest from this hour, in the site's time zone",
    )
    time_zone: str = Field(
        default="UTC",
        max_length=64,
        description="IANA time zone for sites that name none (Europe/Sofia, Europe/Kyiv, Europe/Prague…)",
    )
    notify_interval_s: float = Field(
        default=1.0, gt=0, description="how often due notifications are looked for"
    )
    notify_workers: int = Field(
        default=8,
        ge=1,
        le=256,
        description="messages sent at once (one per contact); a slow receiver holds one",
    )
    notify_deadline_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="total time one attempt on one channel may take, however slowly the receiver answers",
    )
    map_tiles_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="map tiles for the board, {z}/{x}/{y}; the browser fetches them, and lists "
        "positions instead when they cannot be reached; empty: never a map",
        pattern=r"^$|^https?://\S*\{z\}\S*\{x\}\S*\{y\}\S*$",
    )
    map_attribution: str = Field(
        default="© OpenStreetMap contributors", description="the map tiles' attribution, shown on the map"
    )
    public_url: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="where people reach this server (https://aed.example.org): the links in "
        "notifications and invitations; empty: invitations use the address asked on, "
        "notifications carry no link",
    )
    oidc_issuer: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^https?://[^\s?#]+$",
        description="single sign-on: the OpenID Connect provider (its /.well-known/openid-configuration "
        "is read); invited people sign in with it, matched by their verified e-mail",
    )
    oidc_client_id: str | None = Field(
        default=None, max_length=200, description="this server's client id there"
    )
    oidc_client_secret: str | None = Field(default=None, description="its client secret", repr=False)
    oidc_client_secret_file: Path | None = Field(
        default=None, description="read the client secret from this file"
    )
    oidc_name: str = Field(
        default="single sign-on", max_length=60, description="the provider's name on the sign-in page"
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="largest request body taken; larger ones get 413"
    )
    import_max_bytes: int = Field(
        default=32_000_000,
        ge=1024,
        le=1_000_000_000,
        description="largest file the device imports take (a 20,000-row CSV, a country's OSM export)",
    )
    heartbeat_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s/?#]+(/\S*)?$",
        description="a dead-man's switch (a Healthchecks.io or Uptime Kuma push URL): pinged every "
        "--heartbeat-interval-s while the scheduler is really evaluating, so that a hung or stopped "
        "server is told by what is not aedmon",
    )
    heartbeat_interval_s: float = Field(default=60, ge=5, le=3600, description="how often it is pinged")
    log_level: LogLevel = Field(default="INFO", description="how much it logs: DEBUG, INFO, WARNING or ERROR")

    @field_validator("tokens")
    @classmethod
    def _tokens_parse(cls, value: str) -> str:
        parse_tokens(value)
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone this machine knows (an IANA name such as Europe/Sofia)"
            ) from None
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> ServerSettings:
        if self.tokens_file is not None:
            self.tokens = ",".join(read_secret(self.tokens_file, "--tokens-file").split())
            parse_tokens(self.tokens)
        if self.webhook_secret_file is not None:
            self.webhook_secret = read_secret(self.webhook_secret_file, "--webhook-secret-file")
        if self.smtp_password_file is not None:
            self.smtp_password = read_secret(self.smtp_password_file, "--smtp-password-file")
        if self.channels_file is not None:
            from server.notify.services import Services  # noqa: PLC0415  (settings load first)

            Services.load(self.channels_file)  # a mistake stops the start, in one line
        if self.link_secret_file is not None:
            self._link_secret = read_secret(self.link_secret_file, "--link-secret-file")
            if len(self._link_secret) < LINK_SECRET_MIN:
                raise ValueError(f"--link-secret-file: the key must be at least {LINK_SECRET_MIN} characters")
        if self.home_assistant and has_password(self.home_assistant):
            raise ValueError(
                "--home-assistant: a password in the URL shows in ps; use --home-assistant-password-file"
            )
        if self.oidc_client_secret_file is not None:
            self.oidc_client_secret = read_secret(self.oidc_client_secret_file, "--oidc-client-secret-file")
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError("single sign-on needs AEDMON_OIDC_CLIENT_ID and AEDMON_OIDC_CLIENT_SECRET too")
        if self.webhook_secret:
            from server.notify.webhook import signing_key  # noqa: PLC0415  (settings load first)

            if not signing_key(self.webhook_secret):
                raise ValueError("the webhook secret is empty after its whsec_ prefix")
        if self.demo:
            return self
        # No tokens at all is allowed: people and keys may be in the database already, and a
        # server with neither says a one-time setup link for its first administrator.
        secrets = [*parse_tokens(self.tokens), *([self.webhook_secret] if self.webhook_secret else [])]
        for secret in secrets:
            if secret.lower() in PLACEHOLDERS or len(secret) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"a token or secret is a placeholder or shorter than {MIN_TOKEN_LENGTH} characters; "
                    "set real ones in AEDMON_TOKENS and AEDMON_WEBHOOK_SECRET"
                )
        return self

    @property
    def token_roles(self) -> dict[str, Role]:
        return parse_tokens(self.tokens)

    def link_key(self) -> bytes | None:
        """The key that signs one-tap links, if the installation has one."""
        return self._link_secret.encode() if self._link_secret else None

    def policy(self) -> Policy:
        return Policy(
            pads_expiring_days=self.pads_expiring_days,
            battery_low_pct=self.battery_low_pct,
            sensor_battery_low_pct=self.sensor_battery_low_pct,
            battery_expiring_days=self.battery_expiring_days,
            selftest_interval_h=dict(self.selftest_interval_h),
            selftest_grace_h=self.selftest_grace_h,
            silent_intervals=self.silent_intervals,
            min_silent=timedelta(seconds=self.min_silent_s),
            relocation_fixes=self.relocation_fixes,
            relocation_margin_m=self.relocation_margin_m,
            aed_not_returned_h=self.aed_not_returned_h,
            in_use_max_h=self.in_use_max_h,
            door_open_max_min=self.door_open_max_min,
            clock_tolerance_s=self.clock_tolerance_s,
            o2_min_bar=self.o2_min_bar,
            o2_leak_bar=self.o2_leak_bar,
            shift_checklist=tuple(self.shift_checklist),
            time_zone=self.time_zone,
        )
