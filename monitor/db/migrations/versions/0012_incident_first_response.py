"""the first public response of an incident (crisiswatch respond)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("responded_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("responded_by")
        batch_op.drop_column("responded_at")
