"""on PostgreSQL, the readings table partitioned by kind and by the device's time, so that
retention drops a day's or a year's table instead of deleting its rows (server.store.partitions);
the rows are copied over. SQLite is left as it is.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import op
from sqlalchemy import text

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    "id, key, device_id, site, type, seq, device_time, arrival_time, received_at, body, at, clock_trusted"
)
RAW = "'heartbeat', 'status', 'location', 'availability', 'identity'"
RECORD = "'selftest', 'event'"
INDEXES = {
    "ix_readings_at": "(at)",
    "ix_readings_device_type_at": "(device_id, type, at)",
    "ix_readings_device_type_time": "(device_id, type, device_time)",
}


def _table(name: str, keys: str, tail: str) -> str:
    return f"""CREATE TABLE {name} (
        id bigint NOT NULL DEFAULT nextval('readings_id_seq'),
        key varchar(300) NOT NULL,
        device_id varchar(64) NOT NULL,
        site varchar(64) NOT NULL,
        type varchar(16) NOT NULL,
        seq integer,
        device_time timestamptz NOT NULL,
        arrival_time timestamptz NOT NULL,
        received_at timestamptz NOT NULL,
        body json NOT NULL,
        at timestamptz NOT NULL,
        clock_trusted boolean NOT NULL,
        CONSTRAINT readings_pkey PRIMARY KEY (id{keys}),
        CONSTRAINT readings_key_key UNIQUE (key{keys}),
        CONSTRAINT readings_device_id_fkey FOREIGN KEY (device_id) REFERENCES devices (id)
    ){tail}"""


def _set_aside() -> None:
    """The table as it was, renamed with its constraints and indexes out of the new one's way."""
    op.execute("ALTER TABLE readings RENAME TO readings_before")
    for constraint in ("readings_pkey", "readings_key_key", "readings_device_id_fkey"):
        op.execute(f"ALTER TABLE readings_before RENAME CONSTRAINT {constraint} TO {constraint}_before")
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RENAME TO {index}_before")


def _move_in() -> None:
    """The rows copied into the new table, its id sequence taken over, the old table dropped."""
    op.execute(f"INSERT INTO readings ({COLUMNS}) SELECT {COLUMNS} FROM readings_before")
    op.execute("ALTER SEQUENCE readings_id_seq OWNED BY readings.id")
    op.execute("DROP TABLE readings_before")
    for index, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {index} ON readings {columns}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set_aside()
    op.execute(_table("readings", ", type, device_time", " PARTITION BY LIST (type)"))
    op.execute(
        f"CREATE TABLE readings_raw PARTITION OF readings FOR VALUES IN ({RAW}) "
        "PARTITION BY RANGE (device_time)"
    )
    op.execute(
        f"CREATE TABLE readings_record PARTITION OF readings FOR VALUES IN ({RECORD}) "
        "PARTITION BY RANGE (device_time)"
    )
    op.execute("CREATE TABLE readings_other PARTITION OF readings DEFAULT")
    op.execute("CREATE TABLE readings_raw_default PARTITION OF readings_raw DEFAULT")
    op.execute("CREATE TABLE readings_record_default PARTITION OF readings_record DEFAULT")
    today = datetime.now(UTC).date()
    for n in range(-31, 8):  # the default retention's month, and a week ahead; the prune adds the rest
        day = today + timedelta(days=n)
        op.execute(
            f"CREATE TABLE readings_raw_{day:%Y%m%d} PARTITION OF readings_raw "
            f"FOR VALUES FROM ('{day} 00:00:00+00') TO ('{day + timedelta(days=1)} 00:00:00+00')"
        )
    oldest = op.get_bind().scalar(
        text(
            f"SELECT min(device_time) FROM readings_before WHERE type IN ({RECORD}) "
            "AND device_time > now() - interval '100 years'"
        )
    )
    for year in range((oldest or datetime.now(UTC)).year, today.year + 2):
        op.execute(
            f"CREATE TABLE readings_record_{year} PARTITION OF readings_record "
            f"FOR VALUES FROM ('{date(year, 1, 1)} 00:00:00+00') TO ('{date(year + 1, 1, 1)} 00:00:00+00')"
        )
    _move_in()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set_aside()
    op.execute(_table("readings", "", ""))
    _move_in()
