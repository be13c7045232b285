"""The Alembic migrations build exactly the schema the models describe, on both engines,
and carry a database made by an older build forward without losing what it holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from aedmon.reading import TestResult
from server import store
from server.i18n import Words
from server.ingest import Outcome, ingest
from server.rules.facts import Policy
from server.store.database import create_schema, make_engine
from server.store.migrate import alembic_config
from server.store.models import Base

from .. import factories


def said(change: Any) -> Any:
    """A difference autogenerate found, a constraint's by its table and columns."""
    if isinstance(change, tuple) and change[0] in ("add_constraint", "remove_constraint"):
        return (change[0], change[1].table.name, tuple(column.name for column in change[1].columns))
    return change


def test_migrations_build_the_models_schema_and_run_twice_harmlessly(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    create_schema(engine)
    create_schema(engine)  # a restart applies nothing twice
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        # PostgreSQL's readings are partitioned (server.store.partitions): its partitions are
        # the parent's, which alone the models describe.
        children = set()
        if engine.dialect.name == "postgresql":
            children = set(connection.scalars(text("SELECT relname FROM pg_class WHERE relispartition")))
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name not in children,
            },
        )
        found = [said(change) for change in compare_metadata(context, Base.metadata)]
        # Its unique key holds the partitions' keys too: as unique, since the key says both.
        partitioned = [
            ("remove_constraint", "readings", ("key", "type", "device_time")),
            ("add_constraint", "readings", ("key",)),
        ]
        assert found == (partitioned if engine.dialect.name == "postgresql" else [])
        assert context.get_current_revision() == head
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("alerts")}
    assert indexes["uq_alerts_one_open"]["unique"]
    engine.dispose()


def test_a_database_of_the_first_release_keeps_its_devices_through_the_upgrade(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO devices (id, site, kind, name, place, report_interval_s, confirmed, created_at) "
                "VALUES ('SN1', 'town-hall', 'aed', 'Reception', 'Ground floor', 60, true, :now)"
            ),
            {"now": datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)},
        )
    create_schema(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT name, place, public FROM devices WHERE id = 'SN1'")).one()
    assert (row.name, row.place, bool(row.public)) == ("Reception", "Ground floor", False)
    engine.dispose()


def test_an_upgrade_gives_each_site_a_row_and_old_alerts_keep_their_words(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    config = alembic_config(engine)
    opened = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        connection.execute(
            text(
                "INSERT INTO devices (id, site, kind, name, place, report_interval_s, confirmed, created_at, "
                "public) "
                "VALUES ('SN1', 'town-hall', 'aed', '', '', 60, true, :now, false), "
                "('SN2', 'school-3', 'aed', '', '', 60, true, :now, false)"
            ),
            {"now": opened},
        )
        connection.execute(
            text(
                "INSERT INTO alerts (device_id, type, severity, state, message, opened_at, last_opened_at, "
                "occurrences) VALUES ('SN1', 'pads_expired', 'critical', 'open', "
                "'Pads expired on 2026-11-01; replace them.', :now, :now, 1)"
            ),
            {"now": opened},
        )
    create_schema(engine)
    with Session(engine) as session:
        assert [site.id for site in store.sites.listed(session)] == ["school-3", "town-hall"]
        alert = store.alerts.open_of(session, "SN1")[0]
        assert alert.params is None
        assert Words("bg").phrase(alert.detail) == "Pads expired on 2026-11-01; replace them."
    engine.dispose()


def test_an_installation_with_readings_and_alerts_upgrades_keeping_them(empty_database_url: str) -> None:
    """SQLite alters a table by copying it: with rows that refer to it (readings, alerts) the
    copy must not trip the foreign keys, and no reference may be left dangling afterwards."""
    engine = make_engine(empty_database_url)
    config = alembic_config(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
        connection.execute(
            text(
                "INSERT INTO devices (id, site, kind, name, place, report_interval_s, confirmed, created_at, "
                "public) VALUES ('SN1', 'town-hall', 'aed', '', '', 60, true, :now, false)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO readings (key, device_id, site, type, seq, device_time, arrival_time, "
                "received_at, at, clock_trusted, body) VALUES ('SN1|heartbeat|1|x', 'SN1', 'town-hall', "
                "'heartbeat', 1, :now, :now, :now, :now, true, '{}')"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO alerts (id, device_id, type, severity, state, message, opened_at, "
                "last_opened_at, occurrences) "
                "VALUES (1, 'SN1', 'pads_expired', 'critical', 'open', 'Pads expired.', :now, :now, 1)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO alert_events (alert_id, action, actor, at, occurrence) "
                "VALUES (1, 'opened', 'system', :now, 1)"
            ),
            {"now": now},
        )
    create_schema(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM readings")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM alerts")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM alert_events")).scalar() == 1
        assert connection.execute(text("SELECT retired_at FROM devices")).scalar() is None
    engine.dispose()


def test_readings_keep_their_ids_and_keys_through_partitioning_and_back(empty_database_url: str) -> None:
    """0015 partitions PostgreSQL's readings (SQLite's stay as they are): the rows are copied
    with their ids, the id sequence goes on after them, a key stored before is still refused
    after, and a downgrade gives the plain table back with the same rows."""
    engine = make_engine(empty_database_url)
    config = alembic_config(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    insert = text(
        "INSERT INTO readings (key, device_id, site, type, seq, device_time, arrival_time, received_at, "
        "at, clock_trusted, body) VALUES (:key, 'SN1', 'town-hall', :type, 1, :time, :now, :now, :now, "
        "true, '{}') ON CONFLICT DO NOTHING RETURNING id"
    )
    rows = [("SN1|heartbeat|1|a", "heartbeat", now), ("SN1|selftest|1|b", "selftest", now.replace(year=2019)),
            ("SN1|heartbeat|2|c", "heartbeat", now.replace(year=1975))]  # fmt: skip
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0014")
        connection.execute(
            text(
                "INSERT INTO devices (id, site, kind, name, place, report_interval_s, confirmed, created_at, "
                "public) VALUES ('SN1', 'town-hall', 'aed', '', '', 60, true, :now, false)"
            ),
            {"now": now},
        )
        for key, kind, moment in rows:
            connection.execute(insert, {"key": key, "type": kind, "time": moment, "now": now})
    query = text("SELECT id, key FROM readings ORDER BY id")
    with engine.connect() as connection:
        before = connection.execute(query).all()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0015")  # 0016 rewrites the keys (its own test below)
        assert connection.execute(query).all() == before
        for key, kind, moment in rows:  # stored before the partitioning: still a repeat
            assert (
                connection.execute(insert, {"key": key, "type": kind, "time": moment, "now": now}).all() == []
            )
        fresh = connection.execute(
            insert, {"key": "SN1|heartbeat|3|d", "type": "heartbeat", "time": now, "now": now}
        )
        assert fresh.scalar_one() > max(row.id for row in before)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")
        assert [row.key for row in connection.execute(query)] == [
            *(row.key for row in before),
            "SN1|heartbeat|3|d",
        ]
        kind = connection.execute(
            text("SELECT count(*) FROM readings WHERE key = 'SN1|selftest|1|b'")
        ).scalar()
        assert kind == 1
    create_schema(engine)  # and up again
    engine.dispose()


def test_a_reading_stored_before_message_keys_is_still_a_duplicate_after(empty_database_url: str) -> None:
    """0016 gives every stored key the digest of what its device said: the same reading resent
    across the upgrade is a duplicate, while a different reading under its seq and time (a
    device whose clock and counter restarted) is stored beside it."""
    engine = make_engine(empty_database_url)
    config = alembic_config(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    passed = factories.selftest(TestResult.PASS, at=datetime(2000, 1, 1, 0, 0, 5, tzinfo=UTC), arrived=now)
    failed = passed.model_copy(update={"result": TestResult.FAIL, "codes": ("P02",)})
    old_key = passed.key.rsplit("|", 1)[0]  # (device, type, seq, device time), as before 0016
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0015")
        connection.execute(
            text(
                "INSERT INTO devices (id, site, kind, name, place, report_interval_s, confirmed, created_at, "
                "public) VALUES ('SN1', :site, 'aed', '', '', 60, true, :now, false)"
            ),
            {"now": now, "site": passed.site},
        )
        connection.execute(
            text(
                "INSERT INTO readings (key, device_id, site, type, seq, device_time, arrival_time, "
                "received_at, at, clock_trusted, body) VALUES (:key, 'SN1', :site, 'selftest', 1, :time, "
                ":now, :now, :now, false, :body)"
            ),
            {"key": old_key, "site": passed.site, "time": passed.device_time.replace(tzinfo=None),
             "now": now.replace(tzinfo=None),
             "body": json.dumps(passed.model_dump(mode="json"))},
        )  # fmt: skip
    create_schema(engine)
    with Session(engine) as session:
        resent = ingest(session, [factories.as_json(passed), factories.as_json(failed)], now, Policy())
    assert [outcome.status for outcome in resent.outcomes] == [Outcome.DUPLICATE, Outcome.STORED]
    with engine.connect() as connection:
        keys = set(connection.scalars(text("SELECT key FROM readings")))
    assert keys == {passed.key, failed.key}
    engine.dispose()


def test_sites_that_differ_only_in_case_become_one_in_lower_case(empty_database_url: str) -> None:
    """0019: `Site-A` and `site-a` were two sites; they are one, and every row and list of
    sites says it in lower case."""
    engine = make_engine(empty_database_url)
    config = alembic_config(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0018")
        for site, name in (("Site-A", "upper"), ("site-a", "lower"), ("Town-Hall", "town")):
            connection.execute(text("INSERT INTO sites (id, name, created_at) VALUES (:id, :name, :now)"),
                               {"id": site, "name": name, "now": now})  # fmt: skip
        for device, site in (("SN1", "Site-A"), ("SN2", "site-a"), ("SN3", "Town-Hall")):
            connection.execute(
                text("INSERT INTO devices (id, site, kind, name, place, report_interval_s, confirmed, "
                     "created_at, public) VALUES (:id, :site, 'aed', '', '', 60, true, :now, false)"),
                {"id": device, "site": site, "now": now},
            )  # fmt: skip
        connection.execute(
            text("INSERT INTO api_keys (name, role, key_hash, prefix, sites, areas, created_at, created_by) "
                 "VALUES ('k', 'bridge', 'h', 'p', :sites, '[]', :now, 'admin')"),
            {"sites": json.dumps(["Site-A", "site-a", "Town-Hall"]), "now": now},
        )  # fmt: skip
    create_schema(engine)
    with engine.connect() as connection:
        sites = dict(connection.execute(text("SELECT id, name FROM sites")).all())
        assert sites == {"site-a": "lower", "town-hall": "town"}
        devices = dict(connection.execute(text("SELECT id, site FROM devices")).all())
        assert devices == {"SN1": "site-a", "SN2": "site-a", "SN3": "town-hall"}
        listed = connection.execute(text("SELECT sites FROM api_keys")).scalar_one()
        assert (json.loads(listed) if isinstance(listed, str) else listed) == ["site-a", "town-hall"]
    engine.dispose()
