"""Sensor profiles: how one vendor's decoded LoRaWAN payload reads as the fields table.

A LoRaWAN codec names things its own way (`door: "open"`, `magnet_status: "close"`,
`DOOR_OPEN_STATUS: 1`, `status: 0`, `BAT_V: 2.95`). A profile is a small TOML file that says,
for each field of a reading it can fill, which payload keys carry it (the first one present
wins) and how to read the value: a value map, an inversion, a scale, a volts-to-percent curve,
a number at the start of a text, or a flag found in a text. Pure data and pure functions.

aedmon ships one profile per sensor it was tested with, named as TheThingsNetwork's
`lorawan-devices` repository names the device (`vendor/model`), under `aedmon/profiles/`;
an admin may add or replace profiles with a directory of their own (`--profiles-dir`).

    name = "dragino/lds02"
    aliases = ["LDS02"]              # ChirpStack device-profile names it is known by
    report_interval_s = 7200         # how often it reports when nothing happens

    [fields.door_open]
    keys = ["DOOR_OPEN_STATUS"]
    map = { "1" = true, "0" = false }

    [fields.sensor_battery_pct]
    keys = ["BAT_V"]
    curve = [[2.5, 0], [3.0, 100]]   # volts → percent, straight between the points
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aedmon.fields import FIELD_BY_KEY
from aedmon.reading import DeviceKind

SHIPPED = Path(__file__).resolve().parent
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*$"  # vendor/model, as lorawan-devices
NAME_RE = re.compile(NAME_PATTERN)
PROFILE_FILE_MAX = 64 * 1024
# The fields a sensor's payload may fill: what a cabinet's sensor can say of it and of itself.
Target = Literal[
    "door_open",
    "aed_present",
    "temp_c",
    "humidity_pct",
    "heater_on",
    "supply_voltage",
    "sensor_battery_pct",
    "sensor_battery_low",
    "tamper",
]
_NUMBER_AT_START = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)")
Scalar = bool | int | float | str


class ProfileMismatch(ValueError):
    """A payload value the profile cannot read: names the payload key and why."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"{key[:64]!r} {why}")
        self.key = key


class FieldRule(BaseModel):
    """How one field of a reading is read from a decoded payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=8)
    ]
    map: dict[str, bool | float] | None = None  # payload value (as text, any case) → field value
    invert: bool = False  # a true/false that says the opposite (a contact that is true when closed)
    scale: float = 1.0
    curve: list[tuple[float, float]] | None = None  # (volts, percent) points, volts rising
    number_in_text: bool = False  # "2.3(low battery)" reads as 2.3
    text_flag: str | None = Field(default=None, min_length=1, max_length=64)  # true when the text holds it

    @field_validator("map")
    @classmethod
    def _map_keys(cls, value: dict[str, bool | float] | None) -> dict[str, bool | float] | None:
        return None if value is None else {key.strip().lower(): item for key, item in value.items()}

    @field_validator("curve")
    @classmethod
    def _rising(cls, value: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if value is None:
            return None
        if len(value) < 2 or any(b[0] <= a[0] for a, b in zip(value, value[1:], strict=False)):
            raise ValueError("a curve needs two or more points with volts rising")
        if not all(math.isfinite(v) and math.isfinite(p) for v, p in value):
            raise ValueError("a curve's points must be finite numbers")
        return value

    def read(self, raw: object, target: str) -> bool | int | float:
        """The field's value from the payload's value, or ProfileMismatch (its key named by the caller)."""
        row = FIELD_BY_KEY[target]
        if self.text_flag is not None:
            return isinstance(raw, str) and self.text_flag.lower() in raw.lower()
        if self.map is not None:
            mapped = self.map.get(_as_text(raw))
            if mapped is None:
                raise ValueError(f"has a value the profile does not know: {_shown(raw)}")
            value: Any = mapped
        elif row.type is bool:
            if not isinstance(raw, bool):
                raise ValueError(f"should be true or false, not {_shown(raw)}")
            value = raw
        else:
            value = _number(raw, self.number_in_text)
        if row.type is bool:
            truth = bool(value)
            return (not truth) if self.invert else truth
        number = float(value) * self.scale
        if self.curve is not None:
            number = _along(self.curve, number)
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        if (row.low is not None and number < row.low) or (row.high is not None and number > row.high):
            raise ValueError(f"reads as {number:g}, outside {row.low:g}..{row.high:g} {row.unit}".rstrip())
        return round(number) if row.type is int else number


def _as_text(raw: object) -> str:
    """A payload value as a value map's key: true/false, an integer without `.0`, text as is."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip().lower()


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(raw: object, in_text: bool) -> float:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if in_text and isinstance(raw, str) and (found := _NUMBER_AT_START.match(raw)):
        return float(found.group(1))
    raise ValueError(f"should be a number, not {_shown(raw)}")


def _along(curve: list[tuple[float, float]], volts: float) -> float:
    """Percent for a voltage: straight between the curve's points, flat beyond its ends."""
    if volts <= curve[0][0]:
        return curve[0][1]
    for (v0, p0), (v1, p1) in zip(curve, curve[1:], strict=False):
        if volts <= v1:
            return p0 + (p1 - p0) * (volts - v0) / (v1 - v0)
    return curve[-1][1]


class Profile(BaseModel):
    """One sensor's profile, as its TOML file says it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=128)
    aliases: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=32
    )
    kind: DeviceKind | None = None  # None: a door or an AED's presence makes it a cabinet
    report_interval_s: int | None = Field(default=None, ge=60, le=7 * 24 * 3600)
    fields: dict[Target, FieldRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _fits(self) -> Profile:
        for target, rule in self.fields.items():
            numeric = FIELD_BY_KEY[target].type is not bool
            if rule.text_flag is not None and numeric:
                raise ValueError(f"fields.{target}: text_flag makes a true/false, and {target} is a number")
            if rule.curve is not None and not numeric:
                raise ValueError(f"fields.{target}: a curve makes a number, and {target} is true/false")
        return self

    def read(self, decoded: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The reading's fields from a decoded payload, and the payload's other keys (kept as
        they came). A value the profile cannot read raises ProfileMismatch naming its key."""
        fields: dict[str, Any] = {}
        used: set[str] = set()
        for target, rule in self.fields.items():
            key = next((k for k in rule.keys if k in decoded and decoded[k] is not None), None)
            if key is None:
                continue
            used.add(key)
            try:
                fields[target] = rule.read(decoded[key], target)
            except ValueError as exc:
                raise ProfileMismatch(key, str(exc)) from None
        rest = {key: value for key, value in decoded.items() if key not in used}
        return fields, rest

    def known_as(self) -> Iterable[str]:
        """Every name it answers to, in lower case: its own, its model alone, its aliases."""
        yield self.name
        yield self.name.split("/", 1)[1]
        yield from (alias.strip().lower() for alias in self.aliases)


@dataclass(frozen=True)
class Profiles:
    """The profiles a bridge knows, by every name each answers to."""

    by_name: Mapping[str, Profile]

    @classmethod
    def load(cls, directory: Path | None = None) -> Profiles:
        """The shipped profiles, and those of `directory` (which win over shipped ones of the
        same name). A file that is not a valid profile is a ValueError naming it and why."""
        found: dict[str, Profile] = {}
        for root in [SHIPPED, *([directory] if directory is not None else [])]:
            if not root.is_dir():
                raise ValueError(f"--profiles-dir {root} is not a directory")
            for path in sorted(root.rglob("*.toml")):
                profile = parse_file(path)
                found[profile.name] = profile
        return cls.of(found.values())

    @classmethod
    def of(cls, profiles: Iterable[Profile]) -> Profiles:
        by_name: dict[str, Profile] = {}
        ordered = list(profiles)
        for profile in ordered:  # own names first: an alias never hides another's name
            by_name[profile.name] = profile
        for profile in ordered:
            for name in profile.known_as():
                by_name.setdefault(name, profile)
        return cls(by_name)

    def find(self, *names: str | None) -> Profile | None:
        """The profile of the first name given that one answers to (first match wins)."""
        for name in names:
            if name:
                profile = self.by_name.get(name.strip().lower())
                if profile is not None:
                    return profile
        return None


def parse_file(path: Path) -> Profile:
    try:
        if path.stat().st_size > PROFILE_FILE_MAX:
            raise ValueError(f"larger than {PROFILE_FILE_MAX // 1024} KiB")
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"profile {path}: {str(exc).splitlines()[0][:300]}") from None


def parse(text: str) -> Profile:
    """A profile from its TOML text; ValueError says what is wrong."""
    try:
        return Profile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not TOML: {exc}") from None
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "profile"
        raise ValueError(f"{where}: {err['msg']}") from None
