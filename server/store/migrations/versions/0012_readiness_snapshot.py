"""a readiness snapshot per device, kept current with each evaluation: its verdict and
reasons, what lists show of its newest readings, and the next moment time alone may change
it, so lists read one row per device and the scheduler visits only devices that are due;
and each site's counts by readiness, kept with the snapshots, so the sites list reads one
row per site, worst first through an index; and a short feed of verdict and alert changes,
which every server streams to its pages

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
        sa.Column("counted", sa.Boolean(), nullable=False),  # in its site's counts: in service, no bridge
    )
    op.create_index("ix_readiness_due_at", "readiness", ["due_at"])
    op.create_index("ix_readiness_site_readiness", "readiness", ["site", "readiness"])
    op.create_table(
        "site_counts",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("not_ready", sa.Integer(), nullable=False),
        sa.Column("attention", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("ready", sa.Integer(), nullable=False),
    )
    # read backwards for "worst first" (PostgreSQL sorts the ties by site incrementally)
    op.create_index(
        "ix_site_counts_worst_first", "site_counts", ["not_ready", "attention", "unknown", "site"]
    )

    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),  # verdict, alert
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("changes")
    op.drop_table("site_counts")
    op.drop_table("readiness")
