"""index labels by mention and kind, for the review queue's "not reviewed yet"

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_labels_mention_kind", "labels", ["mention_id", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_labels_mention_kind", table_name="labels")
