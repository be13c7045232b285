"""each change of a device's readiness, with its time and reasons, kept as long as the
compliance record: what the programme reports (the share of time ready, the downtime by
cause) are computed from it, never from samples

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verdicts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),  # fmt: skip
        sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("readiness", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
    )
    op.create_index("ix_verdicts_device_at", "verdicts", ["device_id", "at"])
    op.create_index("ix_verdicts_at", "verdicts", ["at"])


def downgrade() -> None:
    op.drop_table("verdicts")
