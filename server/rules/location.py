"""Where a device is: relocated (a fixed device out of its place, or heard through another
site) and outside_service_area (a mobile unit beyond the area it serves).

Robust to GNSS jitter: a fix counts as outside only when even the near edge of its own
error circle lies beyond the fence plus a margin, and only several consecutive such fixes
raise the alert, so a stationary device never appears to wander."""

from __future__ import annotations

import math
from datetime import datetime

from aedmon.reading import DeviceKind, Reading

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _beyond(facts: DeviceFacts, policy: Policy) -> tuple[float, float, Reading] | None:
    """(distance, fence, newest fix) when the last N fixes are all surely outside."""
    device = facts.device
    if device.lat is None or device.lon is None:
        return None
    fence = device.geofence_m if device.geofence_m is not None else policy.default_geofence_m
    fixes = [f for f in facts.recent_locations if f.lat is not None and f.lon is not None]
    last = fixes[-policy.relocation_fixes :]
    if len(last) < policy.relocation_fixes:
        return None
    distances = [distance_m(device.lat, device.lon, f.lat, f.lon) for f in last]  # type: ignore[arg-type]
    for fix, away in zip(last, distances, strict=True):
        if away - (fix.accuracy_m or 0.0) <= fence + policy.relocation_margin_m:
            return None
    return distances[-1], fence, last[-1]


def relocated(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    device = facts.device
    if facts.last_site is not None and facts.last_site != device.site:
        return Finding(
            AlertType.RELOCATED,
            Severity.MAJOR,
            Phrase("detail.relocated.site", {"seen_site": facts.last_site, "site": device.site}),
        )
    if device.kind is DeviceKind.MOBILE_UNIT:
        return None  # it is meant to move: outside_service_area speaks for it
    beyond = _beyond(facts, policy)
    if beyond is None:
        return None
    away, fence, fix = beyond
    return Finding(
        AlertType.RELOCATED,
        Severity.MAJOR,
        Phrase("detail.relocated.distance", {"away_m": away, "fence_m": fence, "at": fix.device_time}),
    )


def outside_service_area(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    if facts.device.kind is not DeviceKind.MOBILE_UNIT:
        return None
    beyond = _beyond(facts, policy)
    if beyond is None:
        return None
    away, radius, fix = beyond
    return Finding(
        AlertType.OUTSIDE_SERVICE_AREA,
        Severity.MAJOR,
        Phrase(
            "detail.outside_service_area",
            {"away_km": away / 1000, "radius_km": radius / 1000, "at": fix.device_time},
        ),
    )
