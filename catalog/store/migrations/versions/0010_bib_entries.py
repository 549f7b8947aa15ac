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

SQLite: row triggers (an index probe per row written). PostgreSQL: row triggers that a
.bib import turns off for its own transaction (``SET LOCAL catalog.bib_import = 'on'``):
it forgets the rows of the papers it writes itself, set-based, once per batch, rather
than calling a function per row written.

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

# PostgreSQL: row triggers, off while a .bib import writes (it forgets what it changes
# itself, set-based: catalog/importers/bib_digests.py); a WHEN costs no function call.
_IMPORTING = "catalog.bib_import"  # catalog.importers.bib_digests.IMPORTING
_PG_WHEN = f"WHEN (current_setting('{_IMPORTING}', true) IS DISTINCT FROM 'on')"
_PG_FUNCTIONS = {
    "bib_entry_forget_child": """
        IF TG_OP = 'INSERT' THEN
            DELETE FROM bib_entry WHERE paper_id = NEW.paper_id;
        ELSIF TG_OP = 'DELETE' THEN
            DELETE FROM bib_entry WHERE paper_id = OLD.paper_id;
        ELSE
            DELETE FROM bib_entry WHERE paper_id IN (OLD.paper_id, NEW.paper_id);
        END IF;""",
    "bib_entry_forget_paper": """
        DELETE FROM bib_entry WHERE paper_id IN (OLD.id, NEW.id)
            OR (NEW.title_key IS DISTINCT FROM OLD.title_key
                OR NEW.item_type IS DISTINCT FROM OLD.item_type)
               AND paper_id IN (SELECT id FROM paper WHERE title_key = NEW.title_key)
            OR NEW.url_key IS DISTINCT FROM OLD.url_key
               AND paper_id IN (SELECT id FROM paper WHERE url_key = NEW.url_key);""",
    "bib_entry_forget_author": """
        IF NEW.name IS DISTINCT FROM OLD.name THEN
            DELETE FROM bib_entry WHERE paper_id IN
                (SELECT paper_id FROM paper_author WHERE author_id = NEW.id);
        END IF;""",
}
_PG_TRIGGERS: dict[str, tuple[str, str, str]] = {
    "bib_entry_paper_au": (f"UPDATE OF {_PAPER_COLUMNS}", "paper", "bib_entry_forget_paper"),
    "bib_entry_author_au": ("UPDATE OF name", "author", "bib_entry_forget_author"),
}
for _table in _CHILDREN:
    _PG_TRIGGERS[f"bib_entry_{_table}_aiud"] = (
        "INSERT OR UPDATE OR DELETE", _table, "bib_entry_forget_child"
    )


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
                f" BEGIN {body} RETURN NULL; END $$"
            )
        for name, (event, table, function) in _PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                f" FOR EACH ROW {_PG_WHEN} EXECUTE FUNCTION {function}()"
            )
        return
    for name, body in _SQLITE.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (_event, table, _function) in _PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in _SQLITE:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("bib_entry")
