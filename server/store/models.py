"""SQLAlchemy models: devices, readings (idempotent on their key), alerts and their trail,
silences, contacts, notifications, inspections; and the closed sets their columns hold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from server.rules.findings import Phrase


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(StrEnum):
    """What happened to an alert, in its audit trail."""

    OPENED = "opened"
    REOPENED = "reopened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REPORTED = "reported"


class Purpose(StrEnum):
    """Why a contact is told something."""

    ALERT = "alert"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"


class NotificationState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SILENCED = "silenced"  # planned inside a maintenance window: recorded, never sent
    FAILED = "failed"
    CANCELLED = "cancelled"  # its contact was removed before it went out


INT32_MAX = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL: ids, intervals


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return (
            value.astimezone(UTC) if dialect.name != "sqlite" else value.astimezone(UTC).replace(tzinfo=None)
        )

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    geofence_m: Mapped[float | None] = mapped_column(Float)
    report_interval_s: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    serviced_at: Mapped[datetime | None]
    bridge_id: Mapped[str | None] = mapped_column(String(64))  # the bridge it was last heard through
    # the open-data feed (opt-in) and its OpenStreetMap tags
    public: Mapped[bool] = mapped_column(default=False)
    access: Mapped[str | None] = mapped_column(String(32))
    indoor: Mapped[bool | None]
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    # the key in the link on the cabinet's QR code: opens the public page, allows a report
    public_key: Mapped[str | None] = mapped_column(String(64))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    firmware: Mapped[str | None] = mapped_column(String(200))
    # the device's clock as the server holds it (server.rules.clock.ClockHead), and how far off
    # its newest numbered reading's time was (0 when believed)
    clock_seq: Mapped[int | None]
    clock_at: Mapped[datetime | None]
    clock_trusted: Mapped[datetime | None]
    clock_boot: Mapped[str | None] = mapped_column(String(32))
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    # a retired device stays on record (history, compliance) but is left out of lists and rules
    retired_at: Mapped[datetime | None]
    level: Mapped[str | None] = mapped_column(String(32))  # the floor, as OpenStreetMap's level=
    osm_ref: Mapped[str | None] = mapped_column(String(32))  # node/123 when imported from OSM
    profile: Mapped[str | None] = mapped_column(
        String(128)
    )  # its sensor profile (aedmon.profiles), if chosen


class Area(Base):
    """A municipality or a programme: the sites it runs, and whoever is given it."""

    __tablename__ = "areas"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class Site(Base):
    """A place devices belong to (a building, a street, a mobile unit's base): its area and time zone."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str | None] = mapped_column(String(64))  # None: the installation's default
    language: Mapped[str | None] = mapped_column(
        String(8)
    )  # None: the installation's (Home Assistant's names)
    area_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id", name="fk_sites_area"), index=True)
    created_at: Mapped[datetime]


class ApiKey(Base):
    """A named key (a bridge's, an integration's): its role over listed sites, listed areas, or
    everything (both lists empty). Only the SHA-256 of the key is kept; it is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # its first characters, to tell keys apart
    sites: Mapped[list[str]] = mapped_column(JSON)
    areas: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class StoredReading(Base):
    __tablename__ = "readings"
    __table_args__ = (
        Index("ix_readings_device_type_time", "device_id", "type", "device_time"),
        Index("ix_readings_device_type_at", "device_id", "type", "at"),
        Index("ix_readings_at", "at"),  # the retention prune's
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(300), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    site: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int | None]
    device_time: Mapped[datetime]  # what the device said, kept and shown
    arrival_time: Mapped[datetime]
    received_at: Mapped[datetime]
    at: Mapped[datetime]  # where the server placed it in the device's history: orders it
    clock_trusted: Mapped[bool]
    body: Mapped[dict[str, Any]]


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # One open (or acknowledged) alert per device and type, enforced by the database so
        # that several server processes cannot both open it.
        Index(
            "uq_alerts_one_open",
            "device_id",
            "type",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    message: Mapped[str] = mapped_column(Text)  # in English, for the API; pages and notices use params
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=dict)  # what the rule found, by name
    opened_at: Mapped[datetime]  # first opened
    last_opened_at: Mapped[datetime]  # opened or reopened, newest
    occurrences: Mapped[int] = mapped_column(default=1)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))  # an e-mail or a key's name
    ack_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]

    @property
    def detail(self) -> Phrase:
        """What its rule found, as a phrase of the catalogues; for an alert opened before alerts
        kept their parameters (migration 0007), its message as it was recorded."""
        if not self.params:
            return Phrase("detail.as_recorded", {"text": self.message})
        return Phrase.from_json(self.params)


class AlertEvent(Base):
    """The audit trail: every change of an alert, with who and when."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(320))
    occurrence: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)


class Silence(Base):
    """A maintenance window: alerts of the device or site inside it are recorded, not notified."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    site: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]


class Contact(Base):
    """Who hears of alerts: by site and least severity, in their language, on their channels."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    sites: Mapped[list[str]] = mapped_column(JSON)  # empty: every site
    min_severity: Mapped[str] = mapped_column(String(16))
    escalation: Mapped[bool] = mapped_column(default=False)  # hears unacknowledged criticals late
    webhook_url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    mqtt: Mapped[bool] = mapped_column(default=False)
    # Addresses on the installation's services, tried first and in order: [{service, address}].
    channels: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    paused_until: Mapped[date | None]  # on holiday: told nothing before this day (UTC)
    # Minor and major alerts wait out these hours: {"start": "22:00", "end": "07:00", "time_zone": …}
    quiet_hours: Mapped[dict[str, str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    # Removed: told nothing more, kept so that what it was told stays on record.
    retired_at: Mapped[datetime | None]


class Notification(Base):
    """The durable notification outbox: one row per (alert event, contact, purpose), so a
    notification is planned once however often the server restarts."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("dedupe_key", "contact_id", name="uq_notifications_once"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    site: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))  # alert, resolved, reminder, escalation, digest
    # pending, sending, sent, silenced, failed, cancelled (its contact was removed)
    state: Mapped[str] = mapped_column(String(16), index=True)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # each channel's answer, oldest first: [{channel, at, error (null: delivered)}]
    tries: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Inspection(Base):
    """A monthly visual inspection on site: the checklist, who did it and when."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    at: Mapped[datetime]
    inspector: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    status_light_ok: Mapped[bool]
    pads_sealed_in_date: Mapped[bool]
    cabinet_intact: Mapped[bool]
    alarm_ok: Mapped[bool | None]  # asked since migration 0024; None on older inspections
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Community(Base):
    """A community a mobile unit serves: a circle on the map (an admin's), its name."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]


class ShiftCheck(Base):
    """A mobile unit's check before a shift: what the server saw (its AED ready, its oxygen
    above the minimum, its fridge in range over the last hours) and what the crew ticked on
    the programme's checklist, with who did it and when."""

    __tablename__ = "shift_checks"
    __table_args__ = (
        Index("ix_shift_checks_device_at", "device_id", "at"),
        Index("ix_shift_checks_at", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[datetime]
    inspector: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(320))
    aed_ready: Mapped[bool]
    o2_bar: Mapped[float | None] = mapped_column(Float)
    o2_ok: Mapped[bool]
    fridge_min_c: Mapped[float | None] = mapped_column(Float)
    fridge_max_c: Mapped[float | None] = mapped_column(Float)
    fridge_ok: Mapped[bool]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # checklist item → ticked
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class User(Base):
    """A named person: a role over listed sites, listed areas, or everything; a password set
    once through an invite (Argon2, never stored itself); disabled, never deleted."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))  # None: their sites' zones
    sites: Mapped[list[str]] = mapped_column(JSON)
    areas: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    disabled_at: Mapped[datetime | None]
    # a second factor (TOTP): set once confirmed with a code; the last 30-s step a code was used
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def second_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def invited(self) -> bool:
        """Invited, and no password set yet."""
        return self.password_hash is None


class UserSession(Base):
    """A signed-in browser: the cookie's value is kept only as its hash."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class TrustedDevice(Base):
    """A browser a person has signed in from: its device cookie's value, kept only as its hash."""

    __tablename__ = "trusted_devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]


class LoginFailure(Base):
    """A failed login, for slowing the next ones of the same account or address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(400), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """A change to a device, contact, person or key, and who made it (an e-mail or a key's
    name). Alerts keep their own trail (alert_events) and inspections their recorder."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(320))
    site: Mapped[str | None] = mapped_column(String(64), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReadinessSnapshot(Base):
    """A device's verdict as its last evaluation found it, and what lists show of it; `due_at`
    is when time alone may next change it (server.rules.deadlines)."""

    __tablename__ = "readiness"
    __table_args__ = (
        Index("ix_readiness_due_at", "due_at"),
        Index("ix_readiness_site_readiness", "site", "readiness"),
    )

    device_id: Mapped[str] = mapped_column(String(64), ForeignKey("devices.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    readiness: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    last_seen: Mapped[datetime | None]
    last_selftest_at: Mapped[datetime | None]
    pads_expiry: Mapped[date | None]
    battery_expiry: Mapped[date | None]
    located_lat: Mapped[float | None] = mapped_column(Float)
    located_lon: Mapped[float | None] = mapped_column(Float)
    located_at: Mapped[datetime | None]
    door_open: Mapped[bool | None]  # the newest state's door, as the verdict read it
    temp_c: Mapped[float | None] = mapped_column(Float)  # the newest temperature it read
    due_at: Mapped[datetime]
    evaluated_at: Mapped[datetime]
    counted: Mapped[bool]  # in its site's counts: a device in service, not a bridge
    # what the rules remember of the device (server.rules.memory), read only by evaluations;
    # None when it must be rebuilt from the readings
    memory: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, deferred=True)


class SiteCounts(Base):
    """How many devices in service (bridges aside) each site has of each readiness, kept with
    the snapshots in the same transactions; the sites list reads it worst first."""

    __tablename__ = "site_counts"
    __table_args__ = (Index("ix_site_counts_worst_first", "not_ready", "attention", "unknown", "site"),)

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    not_ready: Mapped[int]
    attention: Mapped[int]
    unknown: Mapped[int]
    ready: Mapped[int]


class Change(Base):
    """A verdict or alert change, for the pages' event streams: every server reads the feed
    and tells its readers; kept an hour."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class Pruned(Base):
    """How far each kind of data has been pruned (server.store.retention): `before` is the
    midnight (UTC) it now begins at."""

    __tablename__ = "pruned"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    before: Mapped[datetime]


class Installation(Base):
    """The installation itself (one row, id 1): its name and time zone, as its first
    administrator set them up; the zone is the default of sites that name none."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    set_up_at: Mapped[datetime]
    set_up_by: Mapped[str] = mapped_column(String(320))


class Verdict(Base):
    """A change of a device's readiness: when, to what, and why (its reasons' ids, worst
    first). Kept as long as the compliance record; the programme's reports read it."""

    __tablename__ = "verdicts"
    __table_args__ = (
        Index("ix_verdicts_device_at", "device_id", "at"),
        Index("ix_verdicts_at", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    site: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    readiness: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON)
