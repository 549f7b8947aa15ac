"""Remember sync attempts that found nothing: ``paper.sync_error`` and ``sync_attempted_at``.

A paper arXiv does not know (or answers with an error entry) keeps ``synced_at`` empty,
since nothing was fetched, but records when it was asked and why it failed, so that
``catalog sync`` does not ask for it again on every run.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch table copy: a copy would drop 0003's FTS triggers on paper.
def upgrade() -> None:
    op.add_column("paper", sa.Column("sync_error", sa.Text, nullable=True))
    op.add_column("paper", sa.Column("sync_attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("paper", "sync_attempted_at")
    op.drop_column("paper", "sync_error")
