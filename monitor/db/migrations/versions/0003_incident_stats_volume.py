"""incident evidence aggregates and per-interval volume counts for spike detection

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stats", sa.JSON(), nullable=True))
    op.create_table(
        "volume_counts",
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("span", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "category", "span", "bucket"),
    )


def downgrade() -> None:
    op.drop_table("volume_counts")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("stats")
