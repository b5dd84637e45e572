"""full-text index of mentions (monitor.search.index), filled from the stored mentions; indexes
for the incident queue

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 19:10:00.000000
"""

from __future__ import annotations

from alembic import op

from monitor.search import index

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    index.create(conn)
    index.backfill(conn)
    op.create_index("ix_incidents_state_grade_updated_at", "incidents",
                    ["state", "grade", "updated_at"])
    op.create_index("ix_incidents_peak_grade", "incidents", ["peak_grade"])


def downgrade() -> None:
    op.drop_index("ix_incidents_peak_grade", table_name="incidents")
    op.drop_index("ix_incidents_state_grade_updated_at", table_name="incidents")
    index.drop(op.get_bind())
