"""channels through Apprise: a contact's addresses on the installation's services, its
holiday and quiet hours; each notification's record of what every channel answered, and
channel names as long as a service's

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("quiet_hours", sa.JSON(), nullable=True))
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tries", sa.JSON(), nullable=True))
        batch_op.alter_column("channel", type_=sa.String(32), existing_type=sa.String(16))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("channel", type_=sa.String(16), existing_type=sa.String(32))
        batch_op.drop_column("tries")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("quiet_hours")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("channels")
