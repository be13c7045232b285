"""the installation itself: its name and time zone, as its first administrator set them up

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),  # one row: 1
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("set_up_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_up_by", sa.String(length=320), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("installation")
