"""public key per device, for the QR code on its cabinet

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))
    devices = sa.table("devices", sa.column("id", sa.String), sa.column("public_key", sa.String))
    connection = op.get_bind()
    for (device_id,) in connection.execute(sa.select(devices.c.id)).all():
        connection.execute(
            devices.update().where(devices.c.id == device_id).values(public_key=secrets.token_urlsafe(16))
        )


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("public_key")
