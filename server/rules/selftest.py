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


def _expired(
    expiry: date | None,
    code_given: bool,
    now: datetime,
    alert: AlertType,
    severity: Severity,
    by_date: str,
    by_code: str,
) -> Finding | None:
    """Past its date (`by_date` takes the date), or the device's own code says so."""
    if expiry is not None and _days(expiry, now) < 0:
        return Finding(alert, severity, by_date.format(expiry.isoformat()))
    if code_given:
        return Finding(alert, severity, by_code)
    return None


def _expiring(
    expiry: date | None, now: datetime, lead_days: int, alert: AlertType, text: str
) -> Finding | None:
    """Due within `lead_days` (`text` takes the date and the days left)."""
    if expiry is None:
        return None
    days = _days(expiry, now)
    if not 0 <= days <= lead_days:
        return None
    return Finding(alert, Severity.MINOR, text.format(expiry.isoformat(), days))


def pads_expired(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    return _expired(
        test.pads_expiry,
        "P02" in test.codes,
        now,
        AlertType.PADS_EXPIRED,
        Severity.CRITICAL,
        "Pads expired on {}; replace them.",
        "The device reports its pads expired (P02); replace them.",
    )


def pads_expiring(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    text = "Pads expire on {} (in {} days); order replacements."
    found = _expiring(test.pads_expiry, now, policy.pads_expiring_days, AlertType.PADS_EXPIRING, text)
    if found is not None or (test.pads_expiry is not None and _days(test.pads_expiry, now) < 0):
        return found  # an expired date is pads_expired's to speak of
    if "P01" in test.codes:
        message = "The device reports pads expiring within 30 days (P01)."
        return Finding(AlertType.PADS_EXPIRING, Severity.MINOR, message)
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
    if pct is not None and pct < policy.battery_low_pct:
        message = f"The battery is low at {pct} %; replace it soon."
        return Finding(AlertType.BATTERY_LOW, Severity.MAJOR, message)
    if "B01" in test.codes:
        message = "The device reports its battery low (B01); replace it soon."
        return Finding(AlertType.BATTERY_LOW, Severity.MAJOR, message)
    return None


def battery_expired(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    return _expired(
        test.battery_expiry,
        "B03" in test.codes,
        now,
        AlertType.BATTERY_EXPIRED,
        Severity.MAJOR,
        "The battery passed its install-by date on {}; replace it.",
        "The device reports its battery past its install-by date (B03); replace it.",
    )


def battery_expiring(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    text = "The battery is to be replaced by {} (in {} days); order one."
    return _expiring(test.battery_expiry, now, policy.battery_expiring_days, AlertType.BATTERY_EXPIRING, text)
