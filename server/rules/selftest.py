"""Rules on the latest self-test: result, overdue, pads and battery."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aedmon.reading import TestResult

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Severity, describe_codes


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def self_test_failed(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None or test.result is not TestResult.FAIL:
        return None
    why = describe_codes(test.codes) or "no code given"
    return Finding(
        AlertType.SELF_TEST_FAILED,
        Severity.CRITICAL,
        f"Self-test failed at {_when(test.device_time)}: {why}.",
    )


def self_test_warning(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None or test.result is not TestResult.WARN:
        return None
    why = describe_codes(test.codes) or "no code given"
    return Finding(
        AlertType.SELF_TEST_WARNING,
        Severity.MINOR,
        f"Self-test at {_when(test.device_time)} needs attention: {why}.",
    )


def self_test_overdue(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    interval_h = policy.selftest_interval_h.get(facts.device.kind)
    if not interval_h:
        return None
    allowed = timedelta(hours=interval_h + policy.selftest_grace_h)
    test = facts.latest_selftest
    since = test.device_time if test is not None else facts.known_since
    if since is None or now - since <= allowed:
        return None
    if test is None:
        message = f"No self-test received since the device was registered at {_when(since)}."
    else:
        message = f"Last self-test was at {_when(since)}; one is expected every {interval_h:g} h."
    return Finding(AlertType.SELF_TEST_OVERDUE, Severity.MAJOR, message)


def _days(expiry: date, now: datetime) -> int:
    return (expiry - now.date()).days


def pads_expired(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    if test.pads_expiry is not None and _days(test.pads_expiry, now) < 0:
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
        days = _days(expiry, now)
        if 0 <= days <= policy.pads_expiring_days:
            return Finding(
                AlertType.PADS_EXPIRING,
                Severity.MINOR,
                f"Pads expire on {expiry.isoformat()} (in {days} days); order replacements.",
            )
        if days < 0:
            return None  # pads_expired speaks for it
    if "P01" in test.codes:
        return Finding(
            AlertType.PADS_EXPIRING, Severity.MINOR, "The device reports pads expiring within 30 days (P01)."
        )
    return None


def battery_low(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    if "B02" in test.codes:
        return Finding(
            AlertType.BATTERY_LOW, Severity.CRITICAL, "The battery is depleted (B02); replace it now."
        )
    pct = test.battery_pct
    if "B01" in test.codes or (pct is not None and pct < policy.battery_low_pct):
        level = f" at {pct} %" if pct is not None else ""
        return Finding(AlertType.BATTERY_LOW, Severity.MAJOR, f"The battery is low{level}; replace it soon.")
    return None


def battery_expired(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    if test.battery_expiry is not None and _days(test.battery_expiry, now) < 0:
        return Finding(
            AlertType.BATTERY_EXPIRED,
            Severity.MAJOR,
            f"The battery passed its install-by date on {test.battery_expiry.isoformat()}; replace it.",
        )
    if "B03" in test.codes:
        return Finding(
            AlertType.BATTERY_EXPIRED,
            Severity.MAJOR,
            "The device reports its battery past its install-by date (B03); replace it.",
        )
    return None


def battery_expiring(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None or test.battery_expiry is None:
        return None
    days = _days(test.battery_expiry, now)
    if not 0 <= days <= policy.battery_expiring_days:
        return None
    return Finding(
        AlertType.BATTERY_EXPIRING,
        Severity.MINOR,
        f"The battery is to be replaced by {test.battery_expiry.isoformat()} (in {days} days); order one.",
    )
