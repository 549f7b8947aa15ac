"""Keep a talk's other links (code, video, ...) from its paper-URL cell.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): existing talks get no extra links.
    op.add_column(
        "presentation", sa.Column("links", sa.JSON, nullable=False, server_default="[]")
    )


def downgrade() -> None:
    with op.batch_alter_table("presentation") as batch:
        batch.drop_column("links")
