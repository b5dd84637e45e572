"""post-incident reviews and their action items

Two new tables; no existing row changes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "reviews",
        _id(),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("causes", sa.JSON(), nullable=False),
        sa.Column("went_well", sa.JSON(), nullable=False),
        sa.Column("went_badly", sa.JSON(), nullable=False),
        sa.Column("revisions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.UniqueConstraint("incident_id"),
    )
    op.create_index("ix_reviews_completed_at", "reviews", ["completed_at"], unique=False)
    op.create_table(
        "review_actions",
        _id(),
        sa.Column(
            "review_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(), nullable=False),
        sa.Column("state_changed_by", sa.String(length=128), nullable=False),
        sa.Column("jira_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_review_actions_review_id", "review_actions", ["review_id"], unique=False)
    op.create_index(
        "ix_review_actions_state_due", "review_actions", ["state", "due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_review_actions_state_due", table_name="review_actions")
    op.drop_index("ix_review_actions_review_id", table_name="review_actions")
    op.drop_table("review_actions")
    op.drop_index("ix_reviews_completed_at", table_name="reviews")
    op.drop_table("reviews")
