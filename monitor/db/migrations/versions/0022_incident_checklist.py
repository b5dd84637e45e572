"""ticked playbook checklist items of incidents

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incident_checklist",
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("item_key", sa.String(length=80), nullable=False),
        sa.Column("item_text", sa.Text(), nullable=False),
        sa.Column("done_by", sa.String(length=128), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id", "item_key"),
    )


def downgrade() -> None:
    op.drop_table("incident_checklist")
