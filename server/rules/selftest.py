"""Rules on the latest self-test: result, overdue, pads and battery."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aedmon.reading import TestResult

from .facts import DeviceFacts, Policy
from .findings import AlertType, Finding, Phrase, Severity


def _about_codes(message_id: str, at: datetime, codes: tuple[str, ...]) -> Phrase:
    if not codes:
        return Phrase(f"{message_id}.no_code", {"at": at})
    return Phrase(message_id, {"at": at, "codes": codes})


def self_test_failed(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None or test.result is not TestResult.FAIL:
        return None
    return Finding(
        AlertType.SELF_TEST_FAILED,
        Severity.CRITICAL,
        _about_codes("detail.self_test_failed", test.device_time, test.codes),
    )


def self_test_warning(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None or test.result is not TestResult.WARN:
        return None
    return Finding(
        AlertType.SELF_TEST_WARNING,
        Severity.MINOR,
        _about_codes("detail.self_test_warning", test.device_time, test.codes),
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
        detail = Phrase("detail.self_test_overdue.never", {"since_at": since})
    else:
        detail = Phrase("detail.self_test_overdue", {"at": since, "n": interval_h})
    return Finding(AlertType.SELF_TEST_OVERDUE, Severity.MAJOR, detail)


def _days(expiry: date, now: datetime) -> int:
    return (expiry - now.date()).days


def _expired(
    expiry: date | None,
    code_given: bool,
    now: datetime,
    alert: AlertType,
    severity: Severity,
) -> Finding | None:
    """Past its date, or the device's own code says so."""
    if expiry is not None and _days(expiry, now) < 0:
        return Finding(alert, severity, Phrase(f"detail.{alert}.by_date", {"expiry_on": expiry}))
    if code_given:
        return Finding(alert, severity, Phrase(f"detail.{alert}.by_code"))
    return None


def _expiring(expiry: date | None, now: datetime, lead_days: int, alert: AlertType) -> Finding | None:
    """Due within `lead_days`."""
    if expiry is None:
        return None
    days = _days(expiry, now)
    if not 0 <= days <= lead_days:
        return None
    return Finding(alert, Severity.MINOR, Phrase(f"detail.{alert}.by_date", {"expiry_on": expiry, "n": days}))


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
    )


def pads_expiring(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    found = _expiring(test.pads_expiry, now, policy.pads_expiring_days, AlertType.PADS_EXPIRING)
    if found is not None or (test.pads_expiry is not None and _days(test.pads_expiry, now) < 0):
        return found  # an expired date is pads_expired's to speak of
    if "P01" in test.codes:
        return Finding(AlertType.PADS_EXPIRING, Severity.MINOR, Phrase("detail.pads_expiring.by_code"))
    return None


def battery_low(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    if "B02" in test.codes:
        return Finding(AlertType.BATTERY_LOW, Severity.CRITICAL, Phrase("detail.battery_low.depleted"))
    pct = test.battery_pct
    if pct is not None and pct < policy.battery_low_pct:
        return Finding(
            AlertType.BATTERY_LOW, Severity.MAJOR, Phrase("detail.battery_low.percent", {"pct": pct})
        )
    if "B01" in test.codes:
        return Finding(AlertType.BATTERY_LOW, Severity.MAJOR, Phrase("detail.battery_low.by_code"))
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
    )


def battery_expiring(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    test = facts.latest_selftest
    if test is None:
        return None
    return _expiring(test.battery_expiry, now, policy.battery_expiring_days, AlertType.BATTERY_EXPIRING)
