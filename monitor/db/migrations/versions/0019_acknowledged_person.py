"""who acknowledged, bound to a configured person (people[].id); NULL: unverified

Acknowledgements recorded before this revision keep their free-text ``acknowledged_by`` and
are unverified (``acknowledged_person`` NULL).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_person", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_person")
