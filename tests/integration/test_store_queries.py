"""The queries behind every evaluation and every board refresh read a device's newest readings
through the index, never by sorting the device's whole history, and give the same facts as
the readings say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from aedmon.reading import DeviceState, EventType, Reading, ReadingType
from server.store import facts as queries
from server.store import readings as stored_readings
from server.store.database import session_factory
from server.store.models import Device

from .. import factories

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def store(session: Session, *readings: Reading) -> None:
    for reading in readings:
        assert stored_readings.insert_if_new(
            session, reading, reading.arrival_time, reading.device_time, trusted=True
        )
    session.commit()


def at(minutes: int, seq: int, type: ReadingType, **fields: Any) -> Reading:  # noqa: A002
    moment = T0 + timedelta(minutes=minutes)
    return factories.reading(type, device="CAB1", site="street", at=moment, seq=seq, **fields)


def cabinet(session: Session) -> Device:
    device = Device(id="CAB1", site="street", kind="cabinet", name="", place="", report_interval_s=300,
                    confirmed=True, created_at=T0)  # fmt: skip
    session.add(device)
    session.commit()
    return device


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's query plans
def test_fact_queries_never_sort_a_devices_history(engine: Engine) -> None:
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "readings" in statement:
            statements.append((statement, parameters))

    with session_factory(engine)() as session:
        device = cabinet(session)
        store(session, *(at(i, i, ReadingType.STATUS, door_open=False) for i in range(30)))
        statements.clear()
        queries.device_facts(session, device)
        queries.last_seen(session, device.id)
        queries.latest_reading(session, device.id, ReadingType.SELFTEST)
        assert statements
        for statement, parameters in statements:
            explain = f"EXPLAIN QUERY PLAN {statement}"
            explained = session.connection().exec_driver_sql(explain, tuple(parameters))
            plan = " | ".join(row[3] for row in explained)
            assert "ix_readings_device_type_at" in plan, statement
            assert "TEMP B-TREE" not in plan, f"{statement}\n{plan}"


def test_facts_merge_heartbeats_and_statuses_and_keep_the_newest_word(engine: Engine) -> None:
    with session_factory(engine)() as session:
        device = cabinet(session)
        store(
            session,
            at(0, 1, ReadingType.STATUS, door_open=False, aed_present=True),
            at(1, 2, ReadingType.HEARTBEAT, state=DeviceState.READY),
            at(2, 3, ReadingType.STATUS, door_open=True, aed_present=True),
            at(2, 4, ReadingType.HEARTBEAT, state=DeviceState.SERVICE),  # same second: the later row is newer
            at(3, 5, ReadingType.EVENT, event=EventType.DOOR_OPEN),
            at(4, 6, ReadingType.AVAILABILITY, online=True),  # the broker's word: not "heard"
            at(1, 7, ReadingType.LOCATION, lat=42.6, lon=23.03, accuracy_m=5.0),
        )
        facts = queries.device_facts(session, device)
    assert [r.seq for r in facts.recent_states] == [1, 2, 3, 4]
    assert facts.latest_state is not None
    assert facts.latest_state.state is DeviceState.SERVICE
    assert [r.seq for r in facts.recent_events] == [5]
    assert facts.latest_location is not None
    assert facts.latest_location.lat == 42.6
    assert facts.latest_availability is not None
    assert facts.latest_availability.online is True
    assert facts.last_seen == T0 + timedelta(minutes=3)  # the event, not the availability after it
    assert facts.last_site == "street"
    assert facts.latest_selftest is None


def test_the_look_back_keeps_the_newest_states_across_both_types(engine: Engine) -> None:
    with session_factory(engine)() as session:
        device = cabinet(session)
        many = queries.RECENT_STATES
        # each state says something other than the one before it, so none is left out as a run's middle
        states = (DeviceState.READY, DeviceState.SERVICE)
        store(session, *(at(i, i, ReadingType.HEARTBEAT, state=states[i % 2]) for i in range(many)))
        store(session, *(at(many + i, many + i, ReadingType.STATUS, door_open=i % 2 == 0) for i in range(10)))
        facts = queries.device_facts(session, device)
    assert len(facts.recent_states) == many
    assert facts.recent_states[0].seq == 10  # the ten oldest heartbeats fell out of the window
    assert facts.recent_states[-1].type is ReadingType.STATUS


def test_a_run_of_states_saying_the_same_is_remembered_by_its_first_and_last(engine: Engine) -> None:
    with session_factory(engine)() as session:
        device = cabinet(session)
        store(session, *(at(i, i, ReadingType.HEARTBEAT, state=DeviceState.READY) for i in range(50)))
        store(session, at(50, 50, ReadingType.EVENT, event=EventType.DOOR_OPEN))
        again = (at(51 + i, 51 + i, ReadingType.HEARTBEAT, state=DeviceState.READY) for i in range(50))
        store(session, *again)
        store(session, *(at(101 + i, 101 + i, ReadingType.STATUS, aed_present=False) for i in range(5)))
        facts = queries.device_facts(session, device)
    # an event between two states ends a run; a state saying something else starts one
    assert [r.seq for r in facts.recent_states] == [0, 49, 51, 100, 101, 105]
    assert facts.latest_state is not None
    assert facts.latest_state.seq == 105
