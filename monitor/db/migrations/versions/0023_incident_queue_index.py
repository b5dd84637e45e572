"""the incident queue's index: state, current grade, latest activity, entity and category

The console's queue counts incidents per grade and sorts them by grade and latest activity,
filtered by state, entity and category; with every one of those columns in this index both
read the index alone, never the wide incident rows (SQLite keeps no statistics, so an index
on fewer columns led it to look up every row of a common state).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_queue", "incidents",
                    ["state", "grade", "last_seen_at", "entity_id", "category"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incidents_queue", table_name="incidents")
