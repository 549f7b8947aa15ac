"""Keep every arXiv version seen, with its date.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_version",
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Papers synced before this revision: their latest version is the one we know.
    op.execute(
        "INSERT INTO paper_version (paper_id, version, date, seen_at) "
        "SELECT id, version, updated, COALESCE(synced_at, created_at) FROM paper "
        "WHERE version IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("paper_version")
