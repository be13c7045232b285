"""Alert rules: pure functions of (device facts, now, policy) → findings.

Each rule answers for one alert type: a Finding when the condition holds, None when it
does not. The alert lifecycle opens what is found and resolves what is no longer found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aedmon.reading import CODES, TestResult

from .facts import DeviceFacts, Policy


class AlertType(StrEnum):
    SELF_TEST_FAILED = "self_test_failed"
    PADS_EXPIRED = "pads_expired"
    PADS_EXPIRING = "pads_expiring"
    RELOCATED = "relocated"


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    type: AlertType
    severity: Severity
    message: str


Rule = Callable[[DeviceFacts, datetime, Policy], Finding | None]

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def describe_codes(codes: tuple[str, ...]) -> str:
    """Codes in words, unknown ones as they came: 'pads expired (P02), X99'."""
    return ", ".join(f"{CODES[c].meaning} ({c})" if c in CODES else c for c in codes)


def self_test_failed(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None or test.result is not TestResult.FAIL:
        return None
    when = test.device_time.strftime("%Y-%m-%d %H:%M UTC")
    why = describe_codes(test.codes) or "no code given"
    return Finding(AlertType.SELF_TEST_FAILED, Severity.CRITICAL, f"Self-test failed at {when}: {why}.")


def pads_expired(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    if test.pads_expiry is not None and test.pads_expiry < now.date():
        return Finding(
            AlertType.PADS_EXPIRED,
            Severity.CRITICAL,
            f"Pads expired on {test.pads_expiry.isoformat()}; replace them.",
        )
    if "P02" in test.codes:
        return Finding(
            AlertType.PADS_EXPIRED,
            Severity.CRITICAL,
            "The device reports its pads expired (P02); replace them.",
        )
    return None


def pads_expiring(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    expiry = test.pads_expiry
    if expiry is not None:
        days = (expiry - now.date()).days
        if 0 <= days <= policy.pads_expiring_days:
            return Finding(
                AlertType.PADS_EXPIRING,
                Severity.MINOR,
                f"Pads expire on {expiry.isoformat()} (in {days} days); order replacements.",
            )
        if days < 0:
            return None  # pads_expired speaks for it
    if "P01" in test.codes and (expiry is None or expiry >= now.date()):
        return Finding(
            AlertType.PADS_EXPIRING, Severity.MINOR, "The device reports pads expiring within 30 days (P01)."
        )
    return None


def relocated(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    device = facts.device
    if facts.last_site is not None and facts.last_site != device.site:
        return Finding(
            AlertType.RELOCATED,
            Severity.MAJOR,
            f"Seen through site {facts.last_site}, but it belongs to site {device.site}.",
        )
    fix = facts.latest_location
    if fix is None or fix.lat is None or fix.lon is None or device.lat is None or device.lon is None:
        return None
    fence = device.geofence_m if device.geofence_m is not None else policy.default_geofence_m
    away = distance_m(device.lat, device.lon, fix.lat, fix.lon)
    # Only a fix that is outside even at the far edge of its own error circle counts.
    if away - (fix.accuracy_m or 0.0) <= fence:
        return None
    return Finding(
        AlertType.RELOCATED,
        Severity.MAJOR,
        f"Located {away:.0f} m from its place (allowed {fence:.0f} m) "
        f"at {fix.device_time:%Y-%m-%d %H:%M} UTC.",
    )


RULES: dict[AlertType, Rule] = {
    AlertType.SELF_TEST_FAILED: self_test_failed,
    AlertType.PADS_EXPIRED: pads_expired,
    AlertType.PADS_EXPIRING: pads_expiring,
    AlertType.RELOCATED: relocated,
}


def evaluate(facts: DeviceFacts, now: datetime, policy: Policy) -> dict[AlertType, Finding]:
    """Every alert condition that holds for this device now."""
    found = {}
    for alert_type, rule in RULES.items():
        finding = rule(facts, now, policy)
        if finding is not None:
            found[alert_type] = finding
    return found
