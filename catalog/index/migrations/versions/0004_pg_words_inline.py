"""PostgreSQL: a record's words stay in their row, uncompressed (``arxiv_text``).

A record's ``tsvector`` is some 1.8 KB; a third of them are over the 2 KB past which
PostgreSQL compresses a row's values and moves them to the TOAST table. Words compress
little (lexemes and positions), and compressing them cost a quarter of writing a words'
row: every OAI-PMH page whose text changed, and every first fill, paid it for a third
of its records, and a search read those rows back through the TOAST table. With
``toast_tuple_target`` at its largest (8160 bytes: nearly a page) a row is left whole
unless it is bigger than that. Rows written before keep their form until rewritten.
SQLite is unchanged.

Revision ID: ix0004
Revises: ix0003
"""

from __future__ import annotations

from alembic import op

revision = "ix0004"
down_revision = "ix0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE arxiv_text SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE arxiv_text RESET (toast_tuple_target)")
