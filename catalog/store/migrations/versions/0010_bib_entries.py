"""Which .bib entries the catalog already holds exactly, so a re-import skips them.

``bib_entry`` maps a digest of an entry's raw block text (and of what else its reading
depends on: the file's ``@string`` macros, the reader's version) to the paper the entry
was merged into and the entry's key. ``catalog import refs.bib`` hands the digests to
its reader, which then neither parses nor converts a block whose digest is stored; the
store counts it "unchanged" (catalog/importers/bib_digests.py says when an entry is
recorded and why skipping it leaves the catalog as merging it would).

A row stands only while its paper is as the import left it: triggers delete the rows of
a paper whenever anything a merge reads of it changes, whichever code path writes it:

* ``paper``: the merged columns, its identifier copies, its type; and the rows of the
  papers sharing the new title key or URL key of a paper whose keys changed (an entry
  matched by title or URL could now match that paper instead);
* ``paper_identifier``, ``paper_author``, ``abstract``: any row of the paper;
* ``author``: a renamed author's papers;
* deleting a paper deletes its rows by the foreign key's cascade.

SQLite: row triggers. PostgreSQL: statement triggers over the transition tables, so a
bulk write costs one set-based DELETE per statement rather than one per row.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Columns of paper a .bib merge reads (bib_bulk._MERGED, what it matches on, the copies).
_PAPER_COLUMNS = (
    "id, title, title_key, published, url, url_key, journal_ref, venue, entry_type, "
    "extra_fields, field_sources, citation_key, item_type, arxiv_id, doi"
)
_CHILDREN = ("paper_identifier", "paper_author", "abstract")

_SQLITE = {
    "bib_entry_paper_au": (
        f"AFTER UPDATE OF {_PAPER_COLUMNS} ON paper BEGIN"
        " DELETE FROM bib_entry WHERE paper_id IN (OLD.id, NEW.id)"
        " OR (NEW.title_key IS NOT OLD.title_key OR NEW.item_type IS NOT OLD.item_type)"
        "  AND paper_id IN (SELECT id FROM paper WHERE title_key = NEW.title_key)"
        " OR NEW.url_key IS NOT OLD.url_key"
        "  AND paper_id IN (SELECT id FROM paper WHERE url_key = NEW.url_key);"
        " END"
    ),
    "bib_entry_author_au": (
        "AFTER UPDATE OF name ON author BEGIN DELETE FROM bib_entry WHERE paper_id IN"
        " (SELECT paper_id FROM paper_author WHERE author_id = NEW.id); END"
    ),
}
for _table in _CHILDREN:
    _SQLITE[f"bib_entry_{_table}_ai"] = (
        f"AFTER INSERT ON {_table} BEGIN"
        " DELETE FROM bib_entry WHERE paper_id = NEW.paper_id; END"
    )
    _SQLITE[f"bib_entry_{_table}_ad"] = (
        f"AFTER DELETE ON {_table} BEGIN"
        " DELETE FROM bib_entry WHERE paper_id = OLD.paper_id; END"
    )
    _SQLITE[f"bib_entry_{_table}_au"] = (
        f"AFTER UPDATE ON {_table} BEGIN"
        " DELETE FROM bib_entry WHERE paper_id IN (OLD.paper_id, NEW.paper_id); END"
    )

# PostgreSQL: one function per shape of transition table.
_PG_FUNCTIONS = {
    "bib_entry_forget_new": (
        "DELETE FROM bib_entry WHERE paper_id IN (SELECT paper_id FROM new_rows)"
    ),
    "bib_entry_forget_old": (
        "DELETE FROM bib_entry WHERE paper_id IN (SELECT paper_id FROM old_rows)"
    ),
    "bib_entry_forget_both": (
        "DELETE FROM bib_entry WHERE paper_id IN"
        " (SELECT paper_id FROM old_rows UNION SELECT paper_id FROM new_rows)"
    ),
    "bib_entry_forget_papers": (
        "DELETE FROM bib_entry WHERE paper_id IN ("
        " SELECT id FROM old_rows UNION SELECT id FROM new_rows"
        " UNION SELECT p.id FROM paper p JOIN new_rows n ON p.title_key = n.title_key"
        "  JOIN old_rows o ON o.id = n.id"
        "  WHERE n.title_key IS DISTINCT FROM o.title_key"
        "   OR n.item_type IS DISTINCT FROM o.item_type"
        " UNION SELECT p.id FROM paper p JOIN new_rows n ON p.url_key = n.url_key"
        "  JOIN old_rows o ON o.id = n.id WHERE n.url_key IS DISTINCT FROM o.url_key)"
    ),
    "bib_entry_forget_authors": (
        "DELETE FROM bib_entry WHERE paper_id IN (SELECT pa.paper_id FROM paper_author pa"
        " JOIN new_rows n ON n.id = pa.author_id JOIN old_rows o ON o.id = n.id"
        " WHERE n.name IS DISTINCT FROM o.name)"
    ),
}
# PostgreSQL allows transition tables on triggers of one event only.
_PG_TRIGGERS: dict[str, tuple[str, str, str]] = {
    "bib_entry_paper_au": ("UPDATE", "paper", "bib_entry_forget_papers"),
    "bib_entry_author_au": ("UPDATE", "author", "bib_entry_forget_authors"),
}
for _table in _CHILDREN:
    _PG_TRIGGERS[f"bib_entry_{_table}_ai"] = ("INSERT", _table, "bib_entry_forget_new")
    _PG_TRIGGERS[f"bib_entry_{_table}_ad"] = ("DELETE", _table, "bib_entry_forget_old")
    _PG_TRIGGERS[f"bib_entry_{_table}_au"] = ("UPDATE", _table, "bib_entry_forget_both")
_REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def upgrade() -> None:
    op.create_table(
        "bib_entry",
        sa.Column("digest", sa.LargeBinary(16), primary_key=True),
        sa.Column(
            "paper_id",
            sa.Integer,
            sa.ForeignKey("paper.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("entry_key", sa.String, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, body in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body}; RETURN NULL; END $$"
            )
        for name, (event, table, function) in _PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                f" REFERENCING {_REFERENCING[event]}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        return
    for name, body in _SQLITE.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, (_event, table, _function) in _PG_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("bib_entry")
