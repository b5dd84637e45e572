"""quarantined rows stored once per source (fingerprint); ingest runs leased to their instance

Rows quarantined before this revision are fingerprinted here and their repeats (the same bad
row stored again on every poll) deleted, keeping the first.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 13:30:00.000000
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_CHUNK = 1000


def _fingerprint(location: str, line: int | None, error: str, excerpt: str) -> str:
    # as monitor.pipeline.store.quarantine_fingerprint computed it at this revision
    basis = "\x1f".join((location, "" if line is None else str(line), error, excerpt))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def _fingerprint_existing() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, source_id, location, line, error, excerpt FROM quarantined_rows "
            "ORDER BY id"
        )
    ).all()
    seen: set[tuple[str, str]] = set()
    keep: list[dict[str, object]] = []
    repeats: list[int] = []
    for row in rows:
        key = (row.source_id, _fingerprint(row.location, row.line, row.error, row.excerpt))
        if key in seen:
            repeats.append(row.id)
        else:
            seen.add(key)
            keep.append({"id": row.id, "fingerprint": key[1]})
    for start in range(0, len(repeats), _CHUNK):
        conn.execute(
            sa.text("DELETE FROM quarantined_rows WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": repeats[start : start + _CHUNK]},
        )
    if keep:
        conn.execute(
            sa.text("UPDATE quarantined_rows SET fingerprint = :fingerprint WHERE id = :id"), keep
        )


def upgrade() -> None:
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_ingest_runs_lease_until", ["lease_until"], unique=False)
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=32), nullable=True))
    _fingerprint_existing()
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_quarantined_rows_fingerprint", ["source_id", "fingerprint"]
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantined_rows", schema=None) as batch_op:
        batch_op.drop_constraint("uq_quarantined_rows_fingerprint", type_="unique")
        batch_op.drop_column("fingerprint")
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_runs_lease_until")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
