"""What the rules remember of a device (server.rules.memory) makes them find what the whole
recent history would: for any stream of states, events, fixes and self-tests, merged batch by
batch as ingest does, the findings, their details, the verdict and the next deadline are the
same as from every reading, at several moments after the last. Its stored form reads back
as it was, and a form it cannot read is rebuilt rather than trusted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aedmon.reading import DeviceKind, DeviceState, EventType, Reading, ReadingType, TestResult
from server.rules.alerting import evaluate
from server.rules.deadlines import next_change
from server.rules.facts import DeviceFacts, DeviceInfo, Policy
from server.rules.memory import RECENT_LOCATIONS, Memory, Row
from server.rules.readiness import assess

from .. import factories

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
POLICY = Policy()
KINDS = {
    DeviceKind.CABINET: DeviceInfo(id="CAB1", site="s", kind=DeviceKind.CABINET, report_interval_s=300),
    DeviceKind.AED: DeviceInfo(id="CAB1", site="s", kind=DeviceKind.AED, report_interval_s=60),
    DeviceKind.MOBILE_UNIT: DeviceInfo(
        id="CAB1", site="s", kind=DeviceKind.MOBILE_UNIT, lat=42.6, lon=23.3, geofence_m=100.0
    ),
}
EVENTS = [EventType.DOOR_OPEN, EventType.DOOR_CLOSED, EventType.AED_REMOVED, EventType.AED_RETURNED,
          EventType.RESCUE_START, EventType.RESCUE_END, EventType.SHOCK_DELIVERED]  # fmt: skip


@st.composite
def reading(draw: st.DrawFn, at: datetime, seq: int) -> Reading:
    kind = draw(st.sampled_from([ReadingType.HEARTBEAT, ReadingType.STATUS, ReadingType.HEARTBEAT,
                                 ReadingType.EVENT, ReadingType.LOCATION, ReadingType.SELFTEST]))  # fmt: skip
    fields: dict[str, object] = {}
    if kind is ReadingType.EVENT:
        fields["event"] = draw(st.sampled_from(EVENTS))
    elif kind is ReadingType.LOCATION:
        fields.update(lat=42.6 + draw(st.sampled_from([0.0, 0.01])), lon=23.3, accuracy_m=5.0)
    elif kind is ReadingType.SELFTEST:
        fields["result"] = draw(st.sampled_from(list(TestResult)))
        fields["pads_expiry"] = date(2026, 12, draw(st.integers(1, 31)))
    else:
        fields["state"] = draw(st.sampled_from([DeviceState.READY, DeviceState.IN_USE, DeviceState.SERVICE]))
        if kind is ReadingType.STATUS:
            fields["aed_present"] = draw(st.sampled_from([True, False, None]))
            fields["door_open"] = draw(st.sampled_from([True, False, None]))
    return factories.reading(kind, device="CAB1", site="s", at=at, arrived=at, seq=seq, **fields)


@st.composite
def history(draw: st.DrawFn) -> list[Row]:
    """Up to 150 readings, each later than the one before; runs of one state, with events inside
    them or not, are likely."""
    rows: list[Row] = []
    at = T0
    repeat = draw(st.integers(0, 6))
    for number in range(draw(st.integers(1, 150))):
        at += timedelta(minutes=draw(st.integers(0, 90)), seconds=draw(st.integers(1, 59)))
        states = [r for _, _, r in rows if r.type in (ReadingType.HEARTBEAT, ReadingType.STATUS)]
        if states and repeat and draw(st.booleans()):  # the newest state again, events or not between
            new = states[-1].model_copy(update={"device_time": at, "arrival_time": at, "seq": number})
        else:
            new = draw(reading(at, number))
        rows.append((at, number + 1, new))
    return rows


def whole(rows: list[Row], device: DeviceInfo) -> DeviceFacts:
    """The facts from every reading, nothing left out."""

    def of(*types: ReadingType) -> list[Reading]:
        return [r for _, _, r in rows if r.type in types]

    states, locations = of(ReadingType.HEARTBEAT, ReadingType.STATUS), of(ReadingType.LOCATION)
    tests = of(ReadingType.SELFTEST)
    return DeviceFacts(
        device=device,
        latest_selftest=tests[-1] if tests else None,
        latest_location=locations[-1] if locations else None,
        latest_state=states[-1] if states else None,
        recent_locations=tuple(locations[-RECENT_LOCATIONS:]),
        recent_states=tuple(states),
        recent_events=tuple(of(ReadingType.EVENT)),
        last_seen=rows[-1][0],
        last_site="s",
        known_since=T0,
    )


def said(facts: DeviceFacts, at: datetime) -> object:
    evaluation = evaluate(facts, at, POLICY)
    verdict = assess(facts, evaluation.findings, at, POLICY)
    findings = {kind: finding.detail.to_json() for kind, finding in evaluation.findings.items()}
    reasons = [(r.key, r.detail.to_json()) for r in verdict.reasons]
    return findings, verdict.readiness, reasons, next_change(facts, at, POLICY)


@settings(max_examples=150, deadline=None)
@given(history(), st.lists(st.integers(1, 40), min_size=1, max_size=10), st.sampled_from(list(KINDS)))
def test_remembered_facts_say_what_the_whole_history_says(
    rows: list[Row], cuts: list[int], kind: DeviceKind
) -> None:
    device = KINDS[kind]
    memory: Memory | None = Memory()
    start = 0
    for size in [*cuts, len(rows)]:  # merged batch by batch, as ingest does
        assert memory is not None
        memory = memory.merged(rows[start : start + size])
        start += size
    assert memory is not None
    assert memory == Memory.of(rows)
    assert Memory.from_json(memory.to_json()) == memory
    last = rows[-1][0]
    for later in (timedelta(0), timedelta(minutes=20), timedelta(hours=3), timedelta(days=2)):
        remembered = memory.facts(device, known_since=T0)
        assert said(remembered, last + later) == said(whole(rows, device), last + later)


def test_a_state_placed_before_the_newest_remembered_asks_for_a_rebuild() -> None:
    ready = [(T0 + timedelta(minutes=i), i + 1, factories.reading(
        ReadingType.HEARTBEAT, device="CAB1", at=T0 + timedelta(minutes=i), seq=i, state=DeviceState.READY))
        for i in range(5)]  # fmt: skip
    memory = Memory.of(ready)
    assert [row[1] for row in memory.states] == [1, 5]  # a run: its first and last
    late = factories.reading(ReadingType.STATUS, device="CAB1", at=T0 + timedelta(minutes=2, seconds=30),
                             seq=9, aed_present=False)  # fmt: skip
    assert memory.merged([(late.device_time, 6, late)]) is None
    fix = factories.reading(
        ReadingType.LOCATION, device="CAB1", at=T0, seq=10, lat=1.0, lon=2.0, accuracy_m=3.0
    )
    merged = memory.merged([(fix.device_time, 7, fix)])  # a late fix splits no run
    assert merged is not None
    assert merged.locations[-1][2].lat == 1.0


def test_a_stored_form_it_cannot_read_is_rebuilt_not_trusted() -> None:
    good = Memory.of([]).to_json()
    unreadable = (
        None,
        [],
        {"v": 99},
        {**good, "states": "x"},
        {**good, "heard": [1, 2]},
        {**good, "selftest": ["not a time", 1, {}]},
        {**good, "events": [["2026-01-01T00:00:00+00:00", 1, {"type": "nope"}]]},
    )
    for stored in unreadable:
        assert Memory.from_json(stored) is None
