"""on-call overrides and shift swaps

Two new tables; nothing already stored changes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "oncall_overrides",
        _id(),
        sa.Column("schedule_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_oncall_overrides_schedule_end", "oncall_overrides", ["schedule_id", "ends_at"]
    )
    op.create_table(
        "oncall_swaps",
        _id(),
        sa.Column("schedule_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("with_person_id", sa.String(length=64), nullable=False),
        sa.Column("shift_start", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "schedule_id", "person_id", "shift_start", name="uq_oncall_swaps_shift"
        ),
    )


def downgrade() -> None:
    op.drop_table("oncall_swaps")
    op.drop_index("ix_oncall_overrides_schedule_end", table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
