"""What the rules know of a device: its registration and its latest readings. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aedmon.reading import DeviceKind, Reading


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    site: str
    kind: DeviceKind
    name: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    geofence_m: float | None = None
    report_interval_s: int = 3600
    confirmed: bool = True


@dataclass(frozen=True)
class DeviceFacts:
    device: DeviceInfo
    latest_selftest: Reading | None = None
    latest_location: Reading | None = None
    latest_state: Reading | None = None  # newest heartbeat or status
    latest_availability: Reading | None = None  # MQTT online/offline (last will)
    last_seen: datetime | None = None  # newest device time of any reading but availability
    last_site: str | None = None  # the site the newest reading came through


@dataclass(frozen=True)
class Policy:
    pads_expiring_days: int = 30
    default_geofence_m: float = 100.0


DEFAULT_REPORT_INTERVAL_S: dict[DeviceKind, int] = {
    DeviceKind.AED: 60,  # heartbeat every 60 s (serial-aed v1)
    DeviceKind.CABINET: 300,
    DeviceKind.MOBILE_UNIT: 300,
    DeviceKind.FRIDGE: 300,
    DeviceKind.OTHER: 3600,
}
