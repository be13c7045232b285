"""Request and response bodies of the REST API."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from aedmon.profiles import NAME_PATTERN
from aedmon.reading import ID_PATTERN, DeviceKind, Moment, SiteId, check_note, check_text
from server.i18n import is_zone
from server.rules.findings import Severity
from server.rules.readiness import Readiness
from server.settings import Role
from server.store.models import INT32_MAX

# Characters that reorder the text around them (Unicode's bidirectional embeddings, overrides
# and isolates): a name with one can show on a board as something it is not.
_REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_reordering(value: str) -> str:
    found = _REORDERING.search(value)
    if found is not None:
        raise ValueError(f"text-direction override U+{ord(found.group()):04X} at position {found.start()}")
    return value


# What a person types, bounded as the store is: one line, or a note with line breaks.
Line = Annotated[str, AfterValidator(check_text), AfterValidator(no_reordering)]
Note = Annotated[str, AfterValidator(check_note), AfterValidator(no_reordering)]


class Language(StrEnum):
    EN = "en"
    BG = "bg"
    UK = "uk"
    CS = "cs"


class Access(StrEnum):
    """OpenStreetMap's access values as used for defibrillators."""

    YES = "yes"
    PERMISSIVE = "permissive"
    CUSTOMERS = "customers"
    PRIVATE = "private"
    NO = "no"


# A sensor profile by its lorawan-devices name (aedmon.profiles): the bridges read the device's
# LoRaWAN payloads with it, before any the network names.
PROFILE_PATTERN = NAME_PATTERN
PROFILE_SAID = "its sensor profile, vendor/model as lorawan-devices names it (e.g. dragino/lds02); null: none"


class ProfilesOut(BaseModel):
    profiles: dict[str, str] = Field(
        description="device id → its sensor profile, for the devices that have one"
    )


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    site: SiteId
    kind: DeviceKind
    name: Line = Field(default="", max_length=200)
    place: Note = Field(default="", max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    geofence_m: float | None = Field(default=None, gt=0, le=1_000_000)
    report_interval_s: int | None = Field(default=None, gt=0, le=INT32_MAX)
    public: bool = False
    access: Access | None = None
    indoor: bool | None = None
    opening_hours: Line | None = Field(default=None, max_length=200)
    level: Line | None = Field(default=None, max_length=32, description="the floor (OpenStreetMap's level)")
    area: str | None = Field(default=None, pattern=ID_PATTERN, description="the area its site belongs to")
    profile: str | None = Field(
        default=None, pattern=PROFILE_PATTERN, max_length=128, description=PROFILE_SAID
    )


class DevicePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: SiteId | None = None
    kind: DeviceKind | None = None
    name: Line | None = Field(default=None, max_length=200)
    place: Note | None = Field(default=None, max_length=2000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    geofence_m: float | None = Field(default=None, gt=0, le=1_000_000)
    report_interval_s: int | None = Field(default=None, gt=0, le=INT32_MAX)
    confirmed: bool | None = None
    public: bool | None = None
    access: Access | None = None
    indoor: bool | None = None
    opening_hours: Line | None = Field(default=None, max_length=200)
    level: Line | None = Field(default=None, max_length=32, description="the floor (OpenStreetMap's level)")
    area: str | None = Field(default=None, pattern=ID_PATTERN, description="the area its site belongs to")
    profile: str | None = Field(
        default=None, pattern=PROFILE_PATTERN, max_length=128, description=PROFILE_SAID
    )
    retired: bool | None = Field(default=None, description="true retires it, false puts it back in service")


class OnIt(BaseModel):
    key: str = Field(description="the alert's type, as in reason_keys")
    by: str = Field(description="who acknowledged it: a person, a key, or a contact through its link")
    since: datetime


class DeviceOut(BaseModel):
    id: str
    site: str
    area: str | None = Field(description="the area its site belongs to")
    kind: DeviceKind
    name: str
    place: str
    lat: float | None
    lon: float | None
    geofence_m: float | None
    report_interval_s: int
    confirmed: bool
    located_lat: float | None = Field(description="the newest fix the device or its receiver sent")
    located_lon: float | None
    located_at: datetime | None
    manufacturer: str | None
    model: str | None
    firmware: str | None
    last_seen: datetime | None
    last_selftest_at: datetime | None
    pads_expiry: date | None
    battery_expiry: date | None
    serviced_at: datetime | None
    public: bool
    access: str | None
    indoor: bool | None
    opening_hours: str | None
    level: str | None
    osm_ref: str | None = Field(description="the OpenStreetMap object it was imported from")
    profile: str | None = Field(description=PROFILE_SAID)
    retired_at: datetime | None
    public_key: str | None  # the key in the link of the cabinet's QR code (/d/<id>?k=<key>)
    time_zone: str = Field(description="the site's time zone, in which its pages show times")
    readiness: Readiness
    reasons: list[str] = Field(description="why, in the language asked for (?lang=, English by default)")
    reason_keys: list[str] = Field(
        description="each reason's key in the same order, for a page to say it in its own language: "
        "an alert type, or ready, nothing_heard, offline, reports_not_ready, service_mode, unconfirmed"
    )
    on_it: list[OnIt] = Field(
        default_factory=list, description="the device's acknowledged alerts: who is on each, since when"
    )


class IngestIn(BaseModel):
    # Items are validated one by one in the ingest service, so one bad reading does not
    # sink the batch; the schema still documents what an item is.
    readings: list[dict[str, Any]] = Field(max_length=5000, description="Reading objects")


class ReadingOutcomeOut(BaseModel):
    index: int = Field(description="the reading's place in the batch")
    status: str = Field(description="stored, duplicate or rejected")
    key: str | None = Field(description="its idempotency key, when it could be read")
    reason: str | None = Field(default=None, description="why it was rejected")


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[dict[str, Any]] = Field(description="the rejected readings: index and error")
    results: list[ReadingOutcomeOut] = Field(description="every reading's outcome, in batch order")


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: str
    type: str
    severity: str
    state: str
    message: str = Field(description="what the rule found, in English and UTC, for machines")
    detail: str = Field(description="the same in the language asked for (?lang=) and the site's time zone")
    params: dict[str, Any] | None = Field(description="what the rule found: a message id and its parameters")
    opened_at: datetime
    last_opened_at: datetime
    occurrences: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None
    resolved_at: datetime | None
    site: str = Field(description="its device's site")
    device_name: str = Field(description="its device's name")
    place: str = Field(description="where its device is, in the site")


class SiteAlertsOut(BaseModel):
    site: str
    name: str
    total: int
    severities: dict[str, int] = Field(description="how many of each severity")


class AlertSummaryOut(BaseModel):
    total: int
    severities: dict[str, int] = Field(description="how many of each severity")
    types: dict[str, int] = Field(description="how many of each type, most first")
    sites: list[SiteAlertsOut] = Field(description="each site with alerts, worst first")


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note | None = Field(default=None, max_length=2000)


class AlertEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    at: datetime
    action: str
    actor: str
    occurrence: int
    note: str | None


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str | None = Field(default=None, pattern=ID_PATTERN)
    site: SiteId | None = None
    reason: Note = Field(min_length=3, max_length=2000)
    starts_at: Moment | None = None
    ends_at: Moment

    @model_validator(mode="after")
    def _one_target(self) -> SilenceIn:
        if (self.device_id is None) == (self.site is None):
            raise ValueError("give exactly one of device_id and site")
        if self.starts_at is not None and self.starts_at >= self.ends_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SilenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: str | None
    site: str | None
    reason: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    device_name: str | None = Field(default=None, description="its device's name, for a device's window")


HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ChannelAddress(BaseModel):
    """An address on one of the installation's services (the channels file names them)."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,23}$", description="a service the channels file names")
    address: str = Field(min_length=1, max_length=320, description="the contact's address on it")


class QuietHours(BaseModel):
    """Hours (in the contact's own zone) when minor and major alerts wait; critical ones never."""

    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=HOUR_MINUTE, description="HH:MM, local")
    end: str = Field(pattern=HOUR_MINUTE, description="HH:MM, local; before start: over midnight")
    time_zone: str = Field(max_length=64, description="an IANA zone such as Europe/Sofia")

    @model_validator(mode="after")
    def _sensible(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        if not is_zone(self.time_zone):
            raise ValueError(
                f"{self.time_zone[:64]!r} is not a time zone (an IANA name such as Europe/Sofia)"
            )
        return self


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=1, max_length=200)
    language: Language = Language.EN
    sites: list[SiteId] = Field(default_factory=list, max_length=500)
    min_severity: Severity = Severity.MINOR
    escalation: bool = False
    channels: list[ChannelAddress] = Field(
        default_factory=list,
        max_length=10,
        description="addresses on the installation's services, tried first, in order",
    )
    webhook_url: Line | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2000)
    email: Line | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
    mqtt: bool = False
    paused_until: date | None = Field(default=None, description="on holiday: told nothing before this day")
    quiet_hours: QuietHours | None = None

    @model_validator(mode="after")
    def _reachable(self) -> ContactIn:
        if not (self.channels or self.webhook_url or self.email or self.mqtt):
            raise ValueError("a contact needs at least one channel: channels, webhook_url, email or mqtt")
        if len({(c.service, c.address) for c in self.channels}) < len(self.channels):
            raise ValueError("an address is listed twice in channels")
        return self


class ContactOut(ContactIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    retired_at: datetime | None = Field(description="when it was removed; told nothing since")

    @field_validator("channels", mode="before")
    @classmethod
    def _none_listed(cls, value: object) -> object:
        return [] if value is None else value


class ChannelTry(BaseModel):
    channel: str
    at: datetime
    error: str | None = Field(description="why it did not deliver; null: delivered")


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    contact_id: int
    alert_id: int | None
    site: str
    purpose: str
    state: str
    attempts: int
    channel: str | None
    sent_at: datetime | None
    last_error: str | None
    tries: list[ChannelTry] | None = Field(default=None, description="each channel's answer, oldest first")
    created_at: datetime


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inspector: Line = Field(min_length=1, max_length=200)
    status_light_ok: bool
    pads_sealed_in_date: bool
    cabinet_intact: bool
    alarm_ok: bool | None = Field(
        default=None, description="the cabinet's alarm sounds when its door is opened (asked since 0.23)"
    )
    notes: Note = Field(default="", max_length=4000)
    at: Moment | None = None


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: str
    at: datetime
    inspector: str
    recorded_by: str
    status_light_ok: bool
    pads_sealed_in_date: bool
    cabinet_intact: bool
    alarm_ok: bool | None
    notes: str


CHECKLIST_ITEM = Annotated[str, Field(min_length=1, max_length=200)]


class ShiftCheckIn(BaseModel):
    """What the crew ticked on the programme's checklist; what the server sees (the AED, the
    oxygen, the fridge) it checks itself when the check is recorded."""

    model_config = ConfigDict(extra="forbid")
    inspector: Line = Field(min_length=1, max_length=200)
    answers: dict[CHECKLIST_ITEM, bool] = Field(default_factory=dict, max_length=50)
    notes: Note = Field(default="", max_length=4000)


class ShiftFacts(BaseModel):
    """What the server sees of a mobile unit before a shift."""

    aed_ready: bool
    aed_reasons: list[str] = Field(description="why not, in the language asked for")
    o2_bar: float | None = Field(description="the newest oxygen pressure the unit sent")
    o2_min_bar: float
    o2_ok: bool
    fridge_min_c: float | None = Field(description="the fridge's lowest temperature over the window")
    fridge_max_c: float | None
    fridge_low_c: float
    fridge_high_c: float
    fridge_window_h: float
    fridge_ok: bool
    checklist: list[str] = Field(description="the programme's checklist, for the crew to tick")
    last_check_at: datetime | None


class ShiftCheckOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: str
    at: datetime
    inspector: str
    recorded_by: str
    aed_ready: bool
    o2_bar: float | None
    o2_ok: bool
    fridge_min_c: float | None
    fridge_max_c: float | None
    fridge_ok: bool
    answers: dict[str, bool]
    notes: str


class FieldOut(BaseModel):
    """One row of the fields table (aedmon.fields), with its label in the language asked for."""

    key: str
    label: str
    unit: str
    low: float | None
    high: float | None
    types: list[str] = Field(description="the reading types that carry it")
    mqtt: list[str] = Field(description="the MQTT channels whose payload carries it")
    serial: str | None = Field(description="its serial-aed field, SENTENCE.index")


class SeriesOut(BaseModel):
    """One charted field of a device's recent readings: (device time, value) points, oldest first."""

    key: str
    label: str
    unit: str
    points: list[tuple[datetime, float]]
    steps: bool = Field(description="drawn as steps: each value holds until the next (self-tests, states)")
    levels: dict[str, float] | None = Field(description="the names of a level field's values (PASS, WARN…)")
    level_words: dict[str, str] | None = Field(
        default=None, description="each level of a level field, said in the language asked for"
    )
    range: tuple[float, float] | None = Field(
        default=None, description="the whole scale where it has one (a percentage: 0 to 100)"
    )


def _known_zone(value: str | None) -> str | None:
    if value is not None and not is_zone(value):
        raise ValueError(
            "not an IANA time zone this server knows (Europe/Sofia, Europe/Kyiv, Europe/Prague…)"
        )
    return value


class SiteOut(BaseModel):
    id: str
    name: str
    area: str | None
    time_zone: str = Field(description="the zone its pages and notices use: its own, else the installation's")
    own_time_zone: str | None = Field(description="the zone set for this site; null keeps the installation's")
    language: Language | None = Field(
        description="the site's language (its Home Assistant entity names); null: the installation's"
    )
    devices: int = Field(description="its devices in service (bridges aside)")
    counts: dict[Readiness, int] = Field(description="how many of them are of each readiness")


class SitePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Language | None = Field(
        default=None, description="en, bg, uk or cs; null for the installation's"
    )
    name: Line | None = Field(default=None, max_length=200)
    time_zone: Annotated[str | None, Field(max_length=64), AfterValidator(_known_zone)] = Field(
        default=None, description="an IANA time zone such as Europe/Sofia; null for the installation's"
    )


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line = Field(min_length=1, max_length=200)
    role: Role
    sites: list[SiteId] = Field(default_factory=list, max_length=500)
    areas: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list, max_length=100)


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    sites: list[str]
    areas: list[str]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(BaseModel):
    id: int
    key: str = Field(description="the key itself: shown this once, kept only as a hash")


class WhoAmI(BaseModel):
    name: str
    role: Role
    sites: list[str] = Field(description="the sites given; with areas both empty: every site")
    areas: list[str]
    csrf_token: str | None = Field(
        default=None, description="a signed-in person's: send it as X-CSRF-Token on every change"
    )


Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, Field(max_length=1024)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    name: Line = Field(min_length=1, max_length=200)
    role: Role
    sites: list[SiteId] = Field(default_factory=list, max_length=500)
    areas: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list, max_length=100)
    language: Language = Language.EN
    time_zone: Annotated[str | None, Field(max_length=64), AfterValidator(_known_zone)] = None


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    sites: list[SiteId] | None = Field(default=None, max_length=500)
    areas: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(default=None, max_length=100)
    language: Language | None = None
    time_zone: Annotated[str | None, Field(max_length=64), AfterValidator(_known_zone)] = None
    disabled: bool | None = None
    second_factor: Literal[False] | None = Field(
        default=None, description="false removes their second factor (a lost phone)"
    )


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    sites: list[str]
    areas: list[str]
    language: str
    time_zone: str | None
    created_at: datetime
    created_by: str
    disabled_at: datetime | None
    invited: bool = Field(description="invited, and no password set yet")
    second_factor: bool = Field(description="signs in with a one-time code too")


class Invited(BaseModel):
    id: int
    invite_token: str = Field(description="shown this once; sets the password once, within a week")
    invite_url: str
    emailed: bool = Field(default=False, description="an e-mail with the link is on its way (SMTP is set)")


class InviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password


OneTimeCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="6 digits from an authenticator app")]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, Field(min_length=1, max_length=320)]
    password: Password
    code: OneTimeCode | None = Field(default=None, description="for those with a second factor")


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: OneTimeCode


class SecondFactorOut(BaseModel):
    secret: str = Field(description="for typing into an authenticator app")
    uri: str = Field(description="the otpauth:// link its QR code holds")
    qr_svg: str


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current: Password
    new: Password
