"""message keys: a reading's idempotency key names the message itself, (device, type, seq,
device time) and a digest of what the device said (aedmon.reading.message_digest), so that two
different readings under one seq and time are both kept. Every stored key gains the digest
of its stored body, so a reading resent across the upgrade is still a duplicate.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from aedmon.reading import message_digest

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_CHUNK = 2000
_readings = sa.table(
    "readings",
    sa.column("id", sa.BigInteger),
    sa.column("key", sa.String),
    sa.column("type", sa.String),
    sa.column("device_time", sa.DateTime(timezone=True)),
    sa.column("body", sa.JSON),
)


def _rekey(change: Any) -> None:
    """Every stored key through `change(key, body)`, a chunk of rows at a time by id."""
    bind = op.get_bind()
    update = _readings.update().where(_readings.c.id == sa.bindparam("row_id"))
    if bind.dialect.name == "postgresql":  # only the row's own partition is looked into
        update = update.where(
            _readings.c.type == sa.bindparam("row_type"), _readings.c.device_time == sa.bindparam("row_time")
        )
    update = update.values(key=sa.bindparam("new_key"))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                _readings.c.id, _readings.c.key, _readings.c.type, _readings.c.device_time, _readings.c.body
            )
            .where(_readings.c.id > last)
            .order_by(_readings.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        changes = [
            {"row_id": row.id, "row_type": row.type, "row_time": row.device_time, "new_key": new_key}
            for row in rows
            if (new_key := change(row.key, row.body)) is not None
        ]
        if changes:
            bind.execute(update, changes)
        last = rows[-1].id


def _with_digest(key: str, body: Any) -> str | None:
    if key.count("|") != 3 or not isinstance(body, dict):
        return None  # already a message key
    return f"{key}|{message_digest(body)}"


def _without_digest(key: str, body: Any) -> str | None:
    return key.rsplit("|", 1)[0] if key.count("|") == 4 else None


def upgrade() -> None:
    _rekey(_with_digest)


def downgrade() -> None:
    # Two readings that differ only in what they said would share one old key: the later is
    # dropped first, as the old code would have dropped it.
    op.execute(
        sa.text(
            "DELETE FROM readings WHERE id IN (SELECT r.id FROM readings r JOIN readings o "
            "ON o.device_id = r.device_id AND o.type = r.type AND o.device_time = r.device_time "
            "AND o.id < r.id AND COALESCE(o.seq, -1) = COALESCE(r.seq, -1))"
        )
    )
    _rekey(_without_digest)
