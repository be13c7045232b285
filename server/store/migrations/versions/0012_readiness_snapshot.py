"""a readiness snapshot per device, kept current with each evaluation: its verdict and
reasons, what lists show of its newest readings, and the next moment time alone may change
it, so lists read one row per device and the scheduler visits only devices that are due

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness",
        sa.Column("device_id", sa.String(64), sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("readiness", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),  # [{key, id, params}], in order
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_selftest_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pads_expiry", sa.Date(), nullable=True),
        sa.Column("battery_expiry", sa.Date(), nullable=True),
        sa.Column("located_lat", sa.Float(), nullable=True),
        sa.Column("located_lon", sa.Float(), nullable=True),
        sa.Column("located_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_readiness_due_at", "readiness", ["due_at"])
    op.create_index("ix_readiness_site_readiness", "readiness", ["site", "readiness"])


def downgrade() -> None:
    op.drop_table("readiness")
