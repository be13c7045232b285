"""the caretaker's monthly check asks whether the alarm works (older inspections did not ask:
NULL, so their record reads and verifies as before); a mobile unit's check before each shift

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("alarm_ok", sa.Boolean(), nullable=True))
    op.create_table(
        "shift_checks",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),  # fmt: skip
        sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inspector", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(320), nullable=False),
        sa.Column("aed_ready", sa.Boolean(), nullable=False),
        sa.Column("o2_bar", sa.Float(), nullable=True),
        sa.Column("o2_ok", sa.Boolean(), nullable=False),
        sa.Column("fridge_min_c", sa.Float(), nullable=True),
        sa.Column("fridge_max_c", sa.Float(), nullable=True),
        sa.Column("fridge_ok", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_shift_checks_device_at", "shift_checks", ["device_id", "at"])
    op.create_index("ix_shift_checks_at", "shift_checks", ["at"])


def downgrade() -> None:
    op.drop_table("shift_checks")
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("alarm_ok")
