"""What the rules know of a device: its registration, its latest and recent readings, and
the policy (thresholds and lead times, per kind). Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
    time_zone: str | None = None  # its site's (None: the installation's); a shift is a local day


@dataclass(frozen=True)
class ProblemReport:
    """A passer-by's report still open: when it came, and who took it on (a person's name; None
    for a key, whose name says nothing to a passer-by)."""

    at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


@dataclass(frozen=True)
class DeviceFacts:
    device: DeviceInfo
    latest_selftest: Reading | None = None
    latest_location: Reading | None = None
    latest_state: Reading | None = None  # newest heartbeat or status
    latest_availability: Reading | None = None  # MQTT online/offline (last will)
    last_seen: datetime | None = None  # newest device time of any reading but availability
    last_site: str | None = None  # the site the newest reading came through
    known_since: datetime | None = None  # when the server first registered the device
    serviced_at: datetime | None = None  # a technician last confirmed it back in service
    # the bridge that delivered the newest reading, and when that bridge was last heard
    bridge_id: str | None = None
    bridge_last_seen: datetime | None = None
    bridge_report_interval_s: int = 30
    # newest last, each within the store's look-back (see server.store.facts)
    recent_locations: tuple[Reading, ...] = ()
    recent_states: tuple[Reading, ...] = ()
    recent_events: tuple[Reading, ...] = ()
    # device time minus where the server placed its newest numbered reading; 0 when believed
    clock_offset_s: float | None = None
    reported: ProblemReport | None = None  # a passer-by's report no technician has resolved
    last_shift_check: datetime | None = None  # a mobile unit's newest check before a shift
    unchecked_since: datetime | None = None  # when its open shift_unchecked alert opened, if one is


def _per_kind(**values: float) -> dict[DeviceKind, float]:
    return {DeviceKind(kind): value for kind, value in values.items()}


@dataclass(frozen=True)
class Policy:
    """Thresholds and lead times. Per-kind tables say which kinds a rule applies to."""

    pads_expiring_days: int = 30
    battery_low_pct: int = 20
    sensor_battery_low_pct: int = 20  # a cabinet sensor's own battery
    battery_expiring_days: int = 60
    # An AED tests itself daily; overdue after the interval plus grace (26 h).
    selftest_interval_h: dict[DeviceKind, float] = field(default_factory=lambda: _per_kind(aed=24))
    selftest_grace_h: float = 2
    # Silent after this many report intervals without any message, and never before `min_silent`.
    silent_intervals: float = 3
    min_silent: timedelta = timedelta(minutes=5)
    default_geofence_m: float = 100.0
    # Relocation wants this many consecutive fixes outside the fence by more than the margin,
    # each counted at the near edge of its own error circle.
    relocation_fixes: int = 3
    relocation_margin_m: float = 25.0
    aed_not_returned_h: float = 2
    in_use_max_h: float = 24  # a rescue whose end was lost ends this long after it began
    door_open_max_min: float = 15
    # Storage temperature ranges (°C): the AED's own or its cabinet's, and a medicine fridge.
    storage_temp_c: tuple[float, float] = (0.0, 50.0)
    fridge_temp_c: tuple[float, float] = (2.0, 8.0)
    # A device time further than this ahead of arrival, or behind the device's last believed
    # time, is not believed (see server.rules.clock); a clock off by more is a clock_fault.
    clock_tolerance_s: float = 300.0
    # A mobile unit's oxygen: its minimum pressure, and a fall this large within the window
    # while the unit is parked is a leak.
    o2_min_bar: float = 50.0
    o2_leak_bar: float = 10.0
    o2_leak_window_min: float = 90.0
    # What a mobile unit's crew ticks before a shift (the programme's words), and how far back
    # its fridge must have stayed in range.
    shift_checklist: tuple[str, ...] = ()
    time_zone: str = "UTC"  # the installation's, for sites without their own
    fridge_window_h: float = 12.0


DEFAULT_REPORT_INTERVAL_S: dict[DeviceKind, int] = {
    DeviceKind.AED: 60,  # heartbeat every 60 s (serial-aed v1)
    DeviceKind.CABINET: 300,
    DeviceKind.MOBILE_UNIT: 300,
    DeviceKind.FRIDGE: 300,
    DeviceKind.OTHER: 3600,
    DeviceKind.BRIDGE: 30,  # the bridge's own heartbeat
}


def silent_after(facts: DeviceFacts, policy: Policy) -> timedelta:
    """How long a device may say nothing before it counts as silent."""
    return max(policy.min_silent, timedelta(seconds=facts.device.report_interval_s * policy.silent_intervals))


def bridge_silent(facts: DeviceFacts, now: datetime, policy: Policy) -> bool:
    """Whether the bridge this device is heard through has itself gone quiet."""
    if facts.bridge_last_seen is None:
        return False
    interval = timedelta(seconds=facts.bridge_report_interval_s * policy.silent_intervals)
    return now - facts.bridge_last_seen > max(policy.min_silent, interval)
