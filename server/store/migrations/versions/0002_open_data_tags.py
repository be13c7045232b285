"""open data tags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:09:12.341788
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("access", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("indoor", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("opening_hours", sa.String(length=200), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("opening_hours")
        batch_op.drop_column("indoor")
        batch_op.drop_column("access")
        batch_op.drop_column("public")
