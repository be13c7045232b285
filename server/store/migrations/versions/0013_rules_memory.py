"""what the rules remember of each device, kept with its readiness snapshot so that an
evaluation reads one row instead of the device's history (server.rules.memory); empty at
first, each device's is built from its readings when next evaluated

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("readiness", schema=None) as batch_op:
        batch_op.add_column(sa.Column("memory", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("readiness", schema=None) as batch_op:
        batch_op.drop_column("memory")
