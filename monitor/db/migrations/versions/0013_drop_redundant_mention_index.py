"""drop ix_mentions_source_id: the unique (source_id, external_id) index serves those lookups

Every ingested row paid for one more index; nothing needs it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_mentions_source_id", table_name="mentions")


def downgrade() -> None:
    op.create_index("ix_mentions_source_id", "mentions", ["source_id"], unique=False)
