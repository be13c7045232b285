"""devices can be retired (kept on record, left out of lists and rules) and carry the level
and OpenStreetMap node they were imported from; an audit of every change to devices,
contacts, people and keys, with who made it; who acted is an e-mail now, so the columns
naming them take one (320 characters)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
WHO = [
    ("alerts", "acknowledged_by"),
    ("alert_events", "actor"),
    ("silences", "created_by"),
    ("inspections", "recorded_by"),
    ("api_keys", "created_by"),
]


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("level", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("osm_ref", sa.String(32), nullable=True))
    for table, column in WHO:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.String(320), existing_type=sa.String(64))
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),  # device, contact, user, key
        sa.Column("subject_id", sa.String(320), nullable=False),
        sa.Column("site", sa.String(64), nullable=True, index=True),  # whose scope sees the entry
        sa.Column("changes", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("osm_ref")
        batch_op.drop_column("level")
        batch_op.drop_column("retired_at")
