"""The arXiv index: records, their versions, harvest state, snapshot loads; full text.

``arxiv_record`` holds one row per paper (``title_key`` indexed for lookup by title;
``datestamp`` for status and incremental harvests); ``arxiv_version`` every version with
its date and size (``withdrawn`` for arXiv's 0kb versions); ``arxiv_harvest`` one row per
OAI-PMH set with the resumption token and datestamps of the list under way, written in
the same transaction as each page; ``arxiv_snapshot`` the snapshot files loaded.

Full text: on SQLite an external-content FTS5 table over title, authors and abstract
(no second copy of the text), kept in step by ``catalog.index.store`` a batch at a time
(set-based: per-row triggers made a bulk load five to ten times slower); on PostgreSQL a
stored ``tsvector`` column (title weighted A, authors B, abstract C) with a GIN index.

Revision ID: ix0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ix0001"
down_revision = None
branch_labels = None
depends_on = None

_PG_TSV = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', authors), 'B') || "
    "setweight(to_tsvector('simple', abstract), 'C')"
)


def _fts5_available() -> bool:
    import sqlite3

    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "arxiv_record",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("arxiv_id", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_key", sa.Text, nullable=False),
        sa.Column("authors", sa.Text, nullable=False),  # names, one per line
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),  # space-separated, primary first
        sa.Column("dois", sa.Text, nullable=False),  # space-separated, lower case
        sa.Column("journal_ref", sa.Text),
        sa.Column("comments", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),  # the latest
        sa.Column("published", sa.DateTime(timezone=True)),  # v1's date
        sa.Column("updated", sa.DateTime(timezone=True)),  # the latest version's date
        sa.Column("datestamp", sa.Date),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_arxiv_record_title_key", "arxiv_record", ["title_key"])
    op.create_index("ix_arxiv_record_datestamp", "arxiv_record", ["datestamp"])
    op.create_table(
        "arxiv_version",
        sa.Column(
            "record_id",
            sa.Integer,
            sa.ForeignKey("arxiv_record.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("date", sa.DateTime(timezone=True)),
        sa.Column("size_kb", sa.Integer),  # None: the source did not say
        sa.Column("withdrawn", sa.Boolean),  # arXiv's 0kb version; None: size unknown
        sqlite_with_rowid=False,
    )
    op.create_table(
        "arxiv_harvest",
        sa.Column("set_spec", sa.Text, primary_key=True),  # "" for the whole archive
        sa.Column("prefix", sa.Text, nullable=False),
        sa.Column("token", sa.Text),  # the list under way: where it goes on
        sa.Column("list_from", sa.Date),
        sa.Column("list_until", sa.Date),
        sa.Column("list_max_datestamp", sa.Date),
        sa.Column("list_ordered", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("list_pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("list_records", sa.Integer, nullable=False, server_default="0"),
        sa.Column("list_size", sa.Integer),  # completeListSize, when the server says
        sa.Column("through", sa.Date),  # every record up to this datestamp is stored
        sa.Column("started", sa.DateTime(timezone=True)),
        sa.Column("updated", sa.DateTime(timezone=True)),
        sa.Column("finished", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "arxiv_snapshot",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("through", sa.Date),  # the newest update_date in the file
        sa.Column("loaded", sa.DateTime(timezone=True), nullable=False),
    )
    if dialect == "sqlite" and _fts5_available():  # else search falls back to LIKE
        op.execute(
            "CREATE VIRTUAL TABLE arxiv_fts USING fts5(title, authors, abstract,"
            " content='arxiv_record', content_rowid='id',"
            " tokenize='unicode61 remove_diacritics 2')"
        )
    elif dialect == "postgresql":
        op.execute(
            f"ALTER TABLE arxiv_record ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({_PG_TSV}) STORED"
        )
        op.execute("CREATE INDEX ix_arxiv_record_tsv ON arxiv_record USING gin (tsv)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS arxiv_fts")
    for table in ("arxiv_snapshot", "arxiv_harvest", "arxiv_version", "arxiv_record"):
        op.drop_table(table)
