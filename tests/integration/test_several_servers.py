"""Server processes are interchangeable, on SQLite and PostgreSQL: two that read the outbox at
the same moment send each notification once (a claim takes only rows still as they were
read, and skips rows another is claiming); servers started at once migrate one after
another; a time-driven job runs on one server at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from server import store
from server.store.database import create_schema, exclusive, make_engine, session_factory
from server.store.migrate import alembic_config
from server.store.models import Contact, Notification, NotificationState, Purpose

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def outbox(session: Session, n: int) -> list[int]:
    contact = Contact(
        name="on call", language="en", sites=[], min_severity="minor", mqtt=True, created_at=NOW
    )
    contact = store.contacts.add(session, contact)
    for index in range(n):
        store.notifications.insert_once(
            session, dedupe_key=f"k{index}", contact_id=contact.id, alert_id=None, site="s",
            purpose=Purpose.ALERT, state=NotificationState.PENDING, body={"severity": "critical"}, now=NOW,
        )  # fmt: skip
    session.commit()
    return [row.id for row in session.query(Notification).order_by(Notification.id)]


def test_two_servers_reading_the_outbox_at_once_claim_each_row_once(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as setup:
        ids = outbox(setup, 5)
    # Both servers read the same five rows as pending; one claims them first.
    with sessions() as first:
        assert store.notifications.claim(first, ids, {}, NOW) == ids
        first.commit()
    with sessions() as second:
        assert store.notifications.claim(second, ids, {}, NOW) == []  # no longer pending
        second.commit()
    # The first dies before sending; after its lease both see them stale, and one takes them.
    later = NOW + LEASE + timedelta(seconds=1)
    with sessions() as first:
        assert store.notifications.claim(first, [], {LEASE: ids}, later) == ids
        first.commit()
    with sessions() as second:
        assert store.notifications.claim(second, [], {LEASE: ids}, later) == []  # claimed again just now
        second.commit()
    with sessions() as check:
        rows = check.query(Notification).all()
        assert {(row.state, row.due_at) for row in rows} == {(NotificationState.SENDING.value, later)}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_row_being_claimed_is_skipped_not_waited_for(engine: Engine) -> None:
    """Row locks are PostgreSQL's (SQLite has one writer at a time): a claim in progress on
    another server is skipped at once, and the rows it did not lock are still taken."""
    sessions = session_factory(engine)
    with sessions() as setup:
        ids = outbox(setup, 4)
    first = sessions()
    assert store.notifications.claim(first, ids[:2], {}, NOW) == ids[:2]  # not committed yet
    with sessions() as second:
        second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail the test
        assert store.notifications.claim(second, ids, {}, NOW) == ids[2:]
        second.commit()
    first.commit()
    first.close()


def test_servers_started_at_once_migrate_one_after_another(empty_database_url: str) -> None:
    engines = [make_engine(empty_database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def migrate(engine: Engine) -> None:
        try:
            create_schema(engine)
        except BaseException as exc:  # noqa: BLE001  (reported below, with the test's failure)
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with engines[0].connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(engines[0])).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
    assert "audit" in inspect(engines[0]).get_table_names()
    for engine in engines:
        engine.dispose()


def test_a_time_driven_job_runs_on_one_server_at_a_time(engine: Engine, database_url: str) -> None:
    other = make_engine(database_url)
    try:
        with exclusive(engine, "evaluate") as mine:
            assert mine
            with exclusive(other, "evaluate") as theirs:
                # PostgreSQL: the other server skips this run. SQLite: one server has the file.
                assert theirs is (engine.dialect.name == "sqlite")
            with exclusive(other, "digest") as theirs:
                assert theirs  # another job is not held
        with exclusive(other, "evaluate") as theirs:
            assert theirs  # released when the run ended
    finally:
        other.dispose()
