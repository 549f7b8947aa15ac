"""PostgreSQL: the words of each live record in a table of their own, ``arxiv_text``.

ix0001 kept the weighted ``tsvector`` as a generated column of ``arxiv_record``. Every
update of a record (a new datestamp, a journal-ref, the same page harvested again) then
computed it again and, the row being new, put all of its hundred-odd words into the GIN
index again: an OAI-PMH page of records whose text had not changed cost as much as one
whose text had. Now ``arxiv_text`` (``record_id``, ``tsv``) holds the words of each live
record, written by ``catalog.index.store`` only for new records, records whose title,
authors or abstract changed, and deleted ones coming back; a record marked deleted
leaves it (as it leaves FTS5 on SQLite since ix0002), so a search needs no join. A first
fill also computes the words once, into a table without the GIN index, and makes the
index at its end. SQLite is unchanged.

Dropping the column is a change of the catalog only: PostgreSQL gives its space back as
rows are rewritten, or at once with ``VACUUM FULL arxiv_record`` (not run here: it
cannot run in the migration's transaction, and it locks the table while it copies it).

Revision ID: ix0003
Revises: ix0002
"""

from __future__ import annotations

from alembic import op

revision = "ix0003"
down_revision = "ix0002"
branch_labels = None
depends_on = None

# Title weighted A, authors B, abstract C (catalog.index.store computes the same).
_PG_TSV = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', authors), 'B') || "
    "setweight(to_tsvector('simple', abstract), 'C')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE arxiv_text (record_id integer PRIMARY KEY"
        " REFERENCES arxiv_record (id) ON DELETE CASCADE, tsv tsvector NOT NULL)"
    )
    op.execute(
        "INSERT INTO arxiv_text (record_id, tsv) SELECT id, tsv FROM arxiv_record WHERE NOT deleted"
    )
    op.execute("ALTER TABLE arxiv_record DROP COLUMN tsv")  # and its GIN index
    op.execute("CREATE INDEX ix_arxiv_text_tsv ON arxiv_text USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE arxiv_record ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({_PG_TSV}) STORED"
    )
    op.execute("CREATE INDEX ix_arxiv_record_tsv ON arxiv_record USING gin (tsv)")
    op.execute("DROP TABLE arxiv_text")
