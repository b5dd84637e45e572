"""outbox: per-incident commit-ordered sequence, claim owner, time of the first failure

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alert_seq", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(), nullable=True))
    # Rows queued before this revision keep the order the dispatcher gave them until now.
    op.execute(
        """
        UPDATE alerts SET seq = (
            SELECT COUNT(*) FROM alerts AS earlier
            WHERE earlier.incident_id = alerts.incident_id
              AND (earlier.created_at < alerts.created_at
                   OR (earlier.created_at = alerts.created_at AND earlier.id <= alerts.id))
        )
        WHERE incident_id IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE incidents SET alert_seq = COALESCE(
            (SELECT MAX(seq) FROM alerts WHERE alerts.incident_id = incidents.id), 0)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("seq")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("alert_seq")
