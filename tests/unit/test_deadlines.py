"""`next_change` is never late: for devices in every state time can change (silent, bridge
quiet, self-test due, pads and battery near or past their dates, a door open, an AED away),
the findings, their details and the verdict are the same at every moment before it as now.
And it is not needlessly early: a quiet, healthy device is next looked at when it may fall
silent, not every few minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aedmon.reading import DeviceKind, EventType, ReadingType
from server.rules.alerting import evaluate
from server.rules.deadlines import CEILING, next_change
from server.rules.facts import DeviceFacts, DeviceInfo, Policy
from server.rules.readiness import assess

from .. import factories

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = Policy()
AED = DeviceInfo(id="SN1", site="s", kind=DeviceKind.AED, report_interval_s=60)
CABINET = DeviceInfo(id="CAB1", site="s", kind=DeviceKind.CABINET, report_interval_s=300)


def said(facts: DeviceFacts, at: datetime) -> object:
    evaluation = evaluate(facts, at, POLICY)
    verdict = assess(facts, evaluation.findings, at, POLICY)
    findings = {kind: finding.detail.to_json() for kind, finding in evaluation.findings.items()}
    return findings, verdict.readiness, [(r.key, r.detail.to_json()) for r in verdict.reasons]


minutes = st.integers(min_value=0, max_value=3 * 24 * 60)
days = st.integers(min_value=-3, max_value=70)


@st.composite
def device_facts(draw: st.DrawFn) -> DeviceFacts:
    device = draw(st.sampled_from([AED, CABINET]))
    seen = NOW - timedelta(minutes=draw(minutes), seconds=draw(st.integers(0, 59)))
    test_at = NOW - timedelta(minutes=draw(minutes))
    pads = NOW.date() + timedelta(days=draw(days)) if draw(st.booleans()) else None
    battery = NOW.date() + timedelta(days=draw(days)) if draw(st.booleans()) else None
    test = factories.selftest(device=device.id, at=test_at, arrived=test_at, pads_expiry=pads,
                              battery_expiry=battery) if draw(st.booleans()) else None  # fmt: skip
    events = []
    if device is CABINET and draw(st.booleans()):
        opened = NOW - timedelta(minutes=draw(st.integers(0, 200)), seconds=draw(st.integers(0, 59)))
        kind = draw(st.sampled_from([EventType.DOOR_OPEN, EventType.AED_REMOVED]))
        events.append(factories.reading(ReadingType.EVENT, device=device.id, at=opened, arrived=opened,
                                        seq=1, event=kind))  # fmt: skip
    bridge_seen = NOW - timedelta(minutes=draw(st.integers(0, 30))) if draw(st.booleans()) else None
    return DeviceFacts(
        device=device,
        latest_selftest=test,
        last_seen=max([seen, *(e.device_time for e in events)]),
        known_since=NOW - timedelta(days=40),
        bridge_id="BR1" if bridge_seen else None,
        bridge_last_seen=bridge_seen,
        recent_events=tuple(events),
    )


@settings(max_examples=300, deadline=None)
@given(device_facts(), st.floats(min_value=0, max_value=1))
def test_nothing_changes_before_the_next_change(facts: DeviceFacts, fraction: float) -> None:
    due = next_change(facts, NOW, POLICY)
    assert NOW < due <= NOW + CEILING + timedelta(microseconds=1)
    before = due - timedelta(microseconds=1)
    moment = NOW + (before - NOW) * fraction
    assert said(facts, moment) == said(facts, NOW)
    assert said(facts, before) == said(facts, NOW)


def test_a_quiet_healthy_aed_is_next_looked_at_when_it_may_fall_silent() -> None:
    test = factories.selftest(at=NOW - timedelta(hours=1), pads_expiry=date(2028, 1, 1))
    facts = DeviceFacts(device=AED, latest_selftest=test, last_seen=NOW - timedelta(seconds=20),
                        known_since=NOW - timedelta(days=40))  # fmt: skip
    silent_at = NOW - timedelta(seconds=20) + timedelta(minutes=5)  # min_silent: 3 × 60 s is less
    assert next_change(facts, NOW, POLICY) == silent_at + timedelta(microseconds=1)


def test_pads_in_their_lead_time_are_looked_at_each_midnight() -> None:
    test = factories.selftest(at=NOW - timedelta(minutes=5), pads_expiry=NOW.date() + timedelta(days=10))
    facts = DeviceFacts(device=DeviceInfo(id="X", site="s", kind=DeviceKind.AED, report_interval_s=86_400),
                        latest_selftest=test, last_seen=NOW - timedelta(minutes=5),
                        known_since=NOW - timedelta(days=40))  # fmt: skip
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    assert next_change(facts, NOW, POLICY) == midnight  # a day's count changes at midnight itself
