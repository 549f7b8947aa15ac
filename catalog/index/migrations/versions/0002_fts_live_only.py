"""The full-text index holds live records only; FTS5 tuned for batches.

Word search no longer joins each match to ``arxiv_record`` to drop the records OAI-PMH
marked deleted (on a common word that join read hundreds of thousands of rows): a
deleted record now leaves ``arxiv_fts`` when it is marked, and this revision takes out
those an older index still has. FTS5's ``hashsize`` (pending terms held before they are
written out as a segment) goes from 1 MB to 64 MB, so a snapshot batch or an OAI-PMH page
becomes one segment instead of several to merge later. PostgreSQL is unchanged (its
search filters on the row it reads anyway).

Revision ID: ix0002
Revises: ix0001
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "ix0002"
down_revision = "ix0001"
branch_labels = None
depends_on = None

_HASH_BYTES = 64 * 1024 * 1024


def _has_fts() -> bool:
    found = op.get_bind().execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'arxiv_fts'")
    )
    return found.first() is not None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite" or not _has_fts():
        return
    op.execute(
        "INSERT INTO arxiv_fts (arxiv_fts, rowid, title, authors, abstract)"
        " SELECT 'delete', id, title, authors, abstract FROM arxiv_record WHERE deleted"
    )
    op.execute(f"INSERT INTO arxiv_fts (arxiv_fts, rank) VALUES ('hashsize', {_HASH_BYTES})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite" or not _has_fts():
        return
    op.execute(
        "INSERT INTO arxiv_fts (arxiv_fts, rowid, title, authors, abstract)"
        " SELECT id, title, authors, abstract FROM arxiv_record WHERE deleted"
    )
    op.execute("DELETE FROM arxiv_fts_config WHERE k = 'hashsize'")
