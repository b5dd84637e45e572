"""intent of each mention; stories (one per real-world event) and incidents per story

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", _ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("negative_count", sa.Integer(), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=True),
        sa.Column("merged_into", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["merged_into"], ["stories.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stories_updated_at", "stories", ["updated_at"], unique=False)
    op.create_table(
        "story_links",
        sa.Column("story_id", _ID, nullable=False),
        sa.Column("other_id", _ID, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "other_id"),
    )
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intent", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("intent_probs", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("story_id", _ID, nullable=True))
        batch_op.create_index("ix_mentions_intent", ["intent"], unique=False)
        batch_op.create_index("ix_mentions_story_id", ["story_id"], unique=False)
        batch_op.create_foreign_key("fk_mentions_story_id", "stories", ["story_id"], ["id"])
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("categories", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("merged_into", _ID, nullable=True))
        batch_op.drop_column("signature")  # near-duplicates are the stories' business now
        batch_op.create_index("ix_incidents_story_id", ["story_id"], unique=False)
        batch_op.create_foreign_key("fk_incidents_story_id", "stories", ["story_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_incidents_merged_into", "incidents", ["merged_into"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_incidents_merged_into", type_="foreignkey")
        batch_op.drop_constraint("fk_incidents_story_id", type_="foreignkey")
        batch_op.drop_index("ix_incidents_story_id")
        batch_op.drop_column("merged_into")
        batch_op.add_column(sa.Column("signature", sa.Text(), nullable=True))
        batch_op.drop_column("categories")
        batch_op.drop_column("story_id")
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_mentions_story_id", type_="foreignkey")
        batch_op.drop_index("ix_mentions_story_id")
        batch_op.drop_index("ix_mentions_intent")
        batch_op.drop_column("story_id")
        batch_op.drop_column("intent_probs")
        batch_op.drop_column("intent")
    op.drop_table("story_links")
    op.drop_index("ix_stories_updated_at", table_name="stories")
    op.drop_table("stories")
