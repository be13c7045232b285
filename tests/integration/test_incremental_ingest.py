"""Ingest in bulk, evaluating each device from what the rules remember of it, on SQLite and
PostgreSQL: batch after batch, late readings among them, the verdicts and alerts are what an
evaluation from the whole history finds; a value the store refuses costs only its reading;
a device whose rules fail costs only itself, is evaluated afresh later, and its readings
stay stored; a remembered form that cannot be read is rebuilt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from aedmon.reading import DeviceState, EventType, Reading, ReadingType
from server import evaluation, store
from server.ingest import Outcome, ingest
from server.rules import alerting
from server.rules.facts import Policy
from server.rules.findings import AlertType
from server.rules.memory import VERSION
from server.store.database import session_factory
from server.store.models import Alert, AlertState, ReadinessSnapshot, StoredReading

from .. import factories

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
POLICY = Policy()


def cabinet(device: str, minute: int, seq: int, reading_type: ReadingType, **fields: Any) -> Reading:
    at = T0 + timedelta(minutes=minute)
    return factories.reading(reading_type, device=device, site="street", at=at, arrived=at, seq=seq, **fields)


def said(session: Session) -> dict[str, Any]:
    """Every device's verdict and reasons, and its open alerts with what they say."""
    snapshots = session.scalars(select(ReadinessSnapshot).execution_options(populate_existing=True))
    alerts = session.scalars(select(Alert).where(Alert.state != AlertState.RESOLVED.value))
    return {
        "verdicts": {s.device_id: (s.readiness, s.reasons, s.last_seen, s.due_at) for s in snapshots},
        "alerts": sorted((a.device_id, a.type, repr(a.params)) for a in alerts),
    }


def removed_alerts(session: Session) -> set[str]:
    alerts = session.scalars(select(Alert).where(Alert.type == AlertType.AED_REMOVED.value))
    return {alert.device_id for alert in alerts}


def send(session: Session, readings: list[Reading], now: datetime) -> list[Outcome]:
    result = ingest(session, [r.model_dump(mode="json") for r in readings], now, POLICY)
    return [outcome.status for outcome in result.outcomes]


def test_batches_with_late_readings_find_what_the_whole_history_finds(engine: Engine) -> None:
    sessions = session_factory(engine)
    stream = []
    for minute in range(0, 120):
        present = not (30 <= minute < 80 or minute >= 100)  # the AED out, back, out again
        stream.append(
            cabinet("CAB1", minute, minute, ReadingType.STATUS, aed_present=present, door_open=False)
        )
        stream.append(cabinet("CAB2", minute, minute, ReadingType.HEARTBEAT, state=DeviceState.READY))
    stream.append(cabinet("CAB2", 60, 500, ReadingType.EVENT, event=EventType.RESCUE_START))
    # It was back for five minutes in the middle of its last time out, which the store hears late.
    back = range(105, 110)
    late = [cabinet("CAB1", m, m, ReadingType.STATUS, aed_present=True, door_open=False) for m in back]
    on_time = [r for r in stream if not (r.device_id == "CAB1" and r.seq in back)]
    with sessions() as session:
        for start in range(0, len(on_time), 37):
            now = on_time[min(start + 36, len(on_time) - 1)].device_time
            assert set(send(session, on_time[start : start + 37], now)) == {Outcome.STORED}
        now = T0 + timedelta(minutes=125)
        assert send(session, late, now) == [Outcome.STORED] * len(late)  # placed before what is remembered
        assert send(session, late[:3], now) == [Outcome.DUPLICATE] * 3
        evaluation.evaluate_due(session, now, POLICY)
        incremental = said(session)
        remembered = store.snapshots.with_memory(session, ["CAB1", "CAB2"])
        assert all(row.memory is not None for row in remembered.values())
        # the same, evaluated from the whole history
        session.execute(update(ReadinessSnapshot).values(memory=None))
        evaluation.evaluate_many(session, store.devices.by_ids(session, ["CAB1", "CAB2"]), now, POLICY)
        session.commit()
        assert said(session) == incremental

    def kinds(device: str) -> dict[str, str]:
        return {alert_type: said for at, alert_type, said in incremental["alerts"] if at == device}

    assert AlertType.IN_USE.value in kinds("CAB2")  # the rescue the event began
    # out again since it came back from the five minutes the store heard late
    assert "2026-11-24T07:50:00" in kinds("CAB1")[AlertType.AED_REMOVED.value]


def test_a_value_the_store_refuses_costs_only_its_reading(engine: Engine) -> None:
    """The database itself refuses one reading (a trigger, standing for any value a store may
    refuse that the boundary let through): the batch falls back to one reading at a time."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.seq = 9 THEN "
                "RAISE check_violation USING MESSAGE = 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            ))  # fmt: skip
            conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION refuse()"
            ))  # fmt: skip
        else:
            conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON readings WHEN NEW.seq = 9 "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ))  # fmt: skip
    readings = [cabinet("CAB1", n, n, ReadingType.HEARTBEAT, state=DeviceState.READY) for n in range(12)]
    with session_factory(engine)() as session:
        outcomes = send(session, readings, T0 + timedelta(minutes=12))
        assert outcomes == [Outcome.STORED] * 9 + [Outcome.REJECTED] + [Outcome.STORED] * 2
        stored = session.scalars(select(StoredReading.seq).order_by(StoredReading.seq)).all()
        assert stored == [n for n in range(12) if n != 9]
        snapshot = store.snapshots.with_memory(session, ["CAB1"])["CAB1"]
        assert snapshot.readiness == "ready"
        assert snapshot.last_seen == readings[11].device_time


def test_a_device_whose_rules_fail_costs_only_itself_and_is_evaluated_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(facts: Any, now: datetime, policy: Policy) -> None:
        if facts.device.id == "CAB2":
            raise ZeroDivisionError("a rule's own bug")

    monkeypatch.setitem(alerting.RULES, AlertType.DOOR_OPEN, failing)
    sessions = session_factory(engine)
    now = T0 + timedelta(minutes=1)
    readings = [cabinet(d, 0, 1, ReadingType.STATUS, aed_present=False) for d in ("CAB1", "CAB2", "CAB3")]
    with sessions() as session:
        assert send(session, readings, now) == [Outcome.STORED] * 3
    with sessions() as session:
        stored = store.snapshots.with_memory(session, ["CAB1", "CAB2", "CAB3"])
        assert sorted(stored) == ["CAB1", "CAB3"]  # CAB2 has none: it was never evaluated
        assert session.scalar(select(StoredReading.id).where(StoredReading.device_id == "CAB2"))
        assert removed_alerts(session) == {"CAB1", "CAB3"}
        # a pass while its rules still fail visits it once, and ends
        assert evaluation.evaluate_due(session, now, POLICY) == 1
    monkeypatch.undo()  # the bug fixed: the scheduler's next pass evaluates it from its readings
    with sessions() as session:
        assert evaluation.evaluate_due(session, now, POLICY) == 1
        assert removed_alerts(session) == {"CAB1", "CAB2", "CAB3"}


def test_a_failing_device_with_a_snapshot_is_tried_again_after_a_while(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        send(session, [cabinet("CAB1", 0, 1, ReadingType.STATUS, aed_present=True)], T0)

    def failing(facts: Any, now: datetime, policy: Policy) -> None:
        raise ValueError("a rule's own bug")

    monkeypatch.setitem(alerting.RULES, AlertType.DOOR_OPEN, failing)
    now = T0 + timedelta(minutes=1)
    with sessions() as session:
        taken = [cabinet("CAB1", 1, 2, ReadingType.STATUS, aed_present=False)]
        assert send(session, taken, now) == [Outcome.STORED]
        snapshot = store.snapshots.with_memory(session, ["CAB1"])["CAB1"]
        assert snapshot.memory is None  # rebuilt from the readings next time
        assert snapshot.due_at == now + evaluation.RETRY
    monkeypatch.undo()
    with sessions() as session:
        assert evaluation.evaluate_due(session, now + evaluation.RETRY, POLICY) == 1
        snapshot = store.snapshots.with_memory(session, ["CAB1"])["CAB1"]
        assert snapshot.memory is not None
        assert snapshot.readiness == "not_ready"  # the AED taken out, seen from its readings


@pytest.mark.parametrize(
    "stored",
    [
        {"v": VERSION, "states": "garbage"},
        {"v": VERSION},
        [1, 2],
        "text",
        {"v": VERSION, "heard": ["x", 1, {}]},
        {"v": VERSION - 1, "states": []},  # an earlier version's form
    ],
)
def test_a_remembered_form_that_cannot_be_read_is_rebuilt(engine: Engine, stored: Any) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        send(session, [cabinet("CAB1", 0, 1, ReadingType.STATUS, aed_present=False)], T0)
        before = said(session)
        session.execute(update(ReadinessSnapshot).values(memory=stored))
        session.commit()
        send(session, [cabinet("CAB1", 0, 1, ReadingType.STATUS, aed_present=False)], T0)  # a repeat
        evaluation.evaluate(session, store.devices.by_ids(session, ["CAB1"])[0], T0, POLICY)
        session.commit()
        assert said(session) == before
        memory = store.snapshots.with_memory(session, ["CAB1"])["CAB1"].memory
        assert memory is not None
        assert memory["v"] == VERSION
