"""full-text index of mentions (monitor.search.index), filled from the stored mentions

The index is made and filled by monitor.search.index (the same code that keeps it in step),
as the terms come from Python (monitor.search.terms).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 19:10:00.000000
"""

from __future__ import annotations

from alembic import op

from monitor.search import index

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    index.create(conn)
    index.backfill(conn)


def downgrade() -> None:
    index.drop(op.get_bind())
