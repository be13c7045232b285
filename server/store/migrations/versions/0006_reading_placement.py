"""each reading's place in its device's history (`at`) and each device's clock head

Which reading is newest is decided by `at`, where the server placed the reading (see
server.rules.clock), never by a device clock it cannot trust. Existing readings stand at
their device time.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("clock_trusted", sa.Boolean(), nullable=True))
    op.execute("UPDATE readings SET at = device_time, clock_trusted = true")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.alter_column("at", nullable=False)
        batch_op.alter_column("clock_trusted", nullable=False)
    op.create_index("ix_readings_device_type_at", "readings", ["device_id", "type", "at"])
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("clock_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("clock_trusted", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("clock_offset_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        for column in ("clock_offset_s", "clock_trusted", "clock_at", "clock_seq"):
            batch_op.drop_column(column)
    op.drop_index("ix_readings_device_type_at", table_name="readings")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_column("clock_trusted")
        batch_op.drop_column("at")
