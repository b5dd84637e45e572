"""reply deadlines of enquiries and complaints, and the replies recorded to mentions

Mentions stored before this revision get no deadline (which mentions need a reply, and by
when, depends on the configuration of the time they were stored); replies can be recorded to
any mention.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reply_deadlines",
        sa.Column("mention_id", _ID, nullable=False),
        sa.Column("intent", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("hours", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    op.create_index("ix_reply_deadlines_due_at", "reply_deadlines", ["due_at"], unique=False)
    op.create_table(
        "replies",
        sa.Column("id", _ID, nullable=False),
        sa.Column("mention_id", _ID, nullable=False),
        sa.Column("replied_at", sa.DateTime(), nullable=False),
        sa.Column("replied_by", sa.String(length=128), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mention_id", "replied_at", "via", name="uq_replies_mention_at_via"),
    )
    op.create_index("ix_replies_mention_id", "replies", ["mention_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_replies_mention_id", table_name="replies")
    op.drop_table("replies")
    op.drop_index("ix_reply_deadlines_due_at", table_name="reply_deadlines")
    op.drop_table("reply_deadlines")
