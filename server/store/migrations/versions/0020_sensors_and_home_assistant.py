"""sensors and Home Assistant: a device's sensor profile (chosen at enrolment, read by the
bridges), a site's language (its Home Assistant entity names), and the door and temperature
a device's verdict was made with (what Home Assistant is told, without the rules' memory)

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.String(128), nullable=True))
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(8), nullable=True))
    with op.batch_alter_table("readiness", schema=None) as batch_op:
        batch_op.add_column(sa.Column("door_open", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("temp_c", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("readiness", schema=None) as batch_op:
        batch_op.drop_column("temp_c")
        batch_op.drop_column("door_open")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("profile")
