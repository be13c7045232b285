"""Readiness: is this device ready for a rescue? A pure verdict with its reasons, each a key
(an alert type or a cause) and a phrase of the catalogues with its parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aedmon.reading import DeviceState, is_after

from .facts import DeviceFacts, Policy, ProblemReport, bridge_silent
from .findings import AlertType, Finding, Phrase, Severity


class Cause(StrEnum):
    """Why a device is as it is, where no alert type says it: the key a page translates."""

    READY = "ready"
    NOTHING_HEARD = "nothing_heard"
    OFFLINE = "offline"
    REPORTS_NOT_READY = "reports_not_ready"
    SERVICE_MODE = "service_mode"
    UNCONFIRMED = "unconfirmed"


class Readiness(StrEnum):
    READY = "ready"
    ATTENTION = "attention"
    NOT_READY = "not_ready"
    UNKNOWN = "unknown"


_ORDER = [Readiness.READY, Readiness.ATTENTION, Readiness.UNKNOWN, Readiness.NOT_READY]
_BY_SEVERITY = {
    Severity.CRITICAL: Readiness.NOT_READY,
    Severity.MAJOR: Readiness.ATTENTION,
    Severity.MINOR: Readiness.ATTENTION,
    Severity.INFO: Readiness.ATTENTION,
}
# Silence says nothing of the device itself: we do not know.
# a unit without its oxygen cannot give it at its next stop: not ready, whatever its severity
_LEVEL_OF = {AlertType.DEVICE_SILENT: Readiness.UNKNOWN, AlertType.O2_LOW: Readiness.NOT_READY}


@dataclass(frozen=True)
class Reason:
    """One reason: its key (an alert type or a cause) and what exactly, as a phrase."""

    key: AlertType | Cause
    detail: Phrase


@dataclass(frozen=True)
class Verdict:
    readiness: Readiness
    reasons: tuple[Reason, ...]


def assess(
    facts: DeviceFacts, findings: dict[AlertType, Finding], now: datetime, policy: Policy | None = None
) -> Verdict:
    """The verdict from the rules' findings and the device's own word on its state."""
    level = Readiness.READY
    reasons: list[Reason] = []

    def raise_to(new: Readiness, key: AlertType | Cause, detail: Phrase) -> None:
        nonlocal level
        if _ORDER.index(new) > _ORDER.index(level):
            level = new
        reasons.append(Reason(key, detail))

    if facts.last_seen is None:
        return Verdict(Readiness.UNKNOWN, (Reason(Cause.NOTHING_HEARD, Phrase("cause.nothing_heard")),))

    online = facts.latest_availability
    if online is not None and online.online is False and online.device_time >= facts.last_seen:
        raise_to(Readiness.UNKNOWN, Cause.OFFLINE, Phrase("cause.offline", {"at": online.device_time}))

    if facts.bridge_id and bridge_silent(facts, now, policy or Policy()):
        detail = Phrase("cause.bridge_offline", {"bridge": facts.bridge_id})
        raise_to(Readiness.UNKNOWN, AlertType.BRIDGE_OFFLINE, detail)

    for finding in findings.values():
        raise_to(_LEVEL_OF.get(finding.type, _BY_SEVERITY[finding.severity]), finding.type, finding.detail)

    state = facts.latest_state
    test = facts.latest_selftest
    if state is not None and test is not None and state.state is not None and is_after(test, state):
        state = None  # a self-test made since the heartbeat is the newer word on the device's state
    if state is not None:
        if state.state is DeviceState.NOT_READY:
            raise_to(Readiness.NOT_READY, Cause.REPORTS_NOT_READY, Phrase("cause.reports_not_ready"))
        elif state.state is DeviceState.SERVICE:
            raise_to(Readiness.ATTENTION, Cause.SERVICE_MODE, Phrase("cause.service_mode"))
        if state.aed_present is False and AlertType.AED_REMOVED not in findings:
            raise_to(Readiness.NOT_READY, AlertType.AED_REMOVED, Phrase("cause.aed_removed"))
        if state.door_open is True and AlertType.DOOR_OPEN not in findings:
            raise_to(Readiness.ATTENTION, AlertType.DOOR_OPEN, Phrase("cause.door_open"))

    report = facts.reported
    if report is not None:
        raise_to(Readiness.ATTENTION, AlertType.REPORTED_PROBLEM, _reported(report))

    if level is Readiness.READY:
        reasons.insert(0, Reason(Cause.READY, Phrase("cause.ready")))
    if not facts.device.confirmed:
        reasons.append(Reason(Cause.UNCONFIRMED, Phrase("cause.unconfirmed")))
    return Verdict(level, tuple(reasons))


def _reported(report: ProblemReport) -> Phrase:
    """What staff and the passer-by read: reported when, and who is on it since when."""
    if report.acknowledged_at is None:
        return Phrase("cause.reported", {"at": report.at})
    if report.acknowledged_by is None:
        return Phrase("cause.reported_on_it", {"at": report.at, "since_at": report.acknowledged_at})
    return Phrase(
        "cause.reported_on_it_named",
        {"at": report.at, "since_at": report.acknowledged_at, "name": report.acknowledged_by},
    )
