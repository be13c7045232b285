"""alerts keep what the rule found as parameters (words come from the catalogues); sites
have a row of their own with a time zone

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    op.create_table(
        "sites",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("time_zone", sa.String(64), nullable=True),  # none: the installation's default
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO sites (id, name, created_at) SELECT site, '', MIN(created_at) FROM devices GROUP BY site"
    )


def downgrade() -> None:
    op.drop_table("sites")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("params")
