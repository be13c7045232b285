"""Silence: no message at all from a device within its expected interval."""

from __future__ import annotations

from datetime import datetime

from .facts import DeviceFacts, Policy, silent_after
from .findings import AlertType, Finding, Severity


def device_silent(facts: DeviceFacts, now: datetime, policy: Policy) -> Finding | None:
    if facts.last_seen is None or now - facts.last_seen <= silent_after(facts, policy):
        return None
    return Finding(
        AlertType.DEVICE_SILENT,
        Severity.MAJOR,
        f"Nothing heard from the device since {facts.last_seen:%Y-%m-%d %H:%M} UTC "
        f"(it reports every {facts.device.report_interval_s} s).",
    )
