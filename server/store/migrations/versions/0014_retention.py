"""retention: how far each kind of data has been pruned, and an index on where readings were
placed, which the prune of old raw readings reads

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pruned",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("before", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_readings_at", "readings", ["at"])


def downgrade() -> None:
    op.drop_index("ix_readings_at", table_name="readings")
    op.drop_table("pruned")
