"""Ranked search: an index of titles alone on SQLite, and one weighted tsvector per
paper on PostgreSQL, each kept in step by triggers; an index on publication dates.

Search ranks the papers whose title holds every term first (catalog/store/search.py).

SQLite: ``paper_title_fts``, an FTS5 index of titles alone (external content: the
``paper`` table itself, rowid = paper.id), with the tokenizer of ``paper_fts`` (0003).
Asking ``paper_fts`` for title matches with a column filter reads the whole index's
lists for every term (a common word is in most abstracts); this index holds titles
only, so the title tier is found and ranked from short lists. Triggers on paper keep it
in step; bulk writes leave them on (one row per paper, cheap).

PostgreSQL: ranking (``ts_rank``) needs each matching paper's document, and recomputing
``to_tsvector`` over every match's abstracts costs seconds at 100,000 papers. So
``paper_search`` keeps it: the title (weight A), the author names (B) and the abstracts
(D) of each paper, with a GIN index; triggers on paper, paper_author, author and
abstract refresh a paper's row whenever any of them changes, whichever code path
writes (the same rule as SQLite's ``paper_fts`` of 0003). A bulk write sets
``catalog.defer_search_index`` for its transaction and refreshes its papers once at
the end (``catalog.store.search.bulk_index``).

The GIN expression indexes on author names and abstract texts of 0003 are dropped (the
document serves their queries); the one on titles stays: it finds the title tier.

Both: ``ix_paper_published``, so a search or listing filtered by year reads one year's
papers rather than every paper.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Set-based, and with no join for the planner to get wrong: each author name is looked
# up by primary key (a join with author, planned before the tables have statistics,
# can scan every author once per paper).
_REFRESH = """
CREATE FUNCTION paper_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM paper_search WHERE paper_id = ANY(ids);
    INSERT INTO paper_search (paper_id, document)
    SELECT p.id,
           setweight(to_tsvector('simple', p.title), 'A')
        || setweight(to_tsvector('simple', coalesce(au.names, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(ab.texts, '')), 'D')
    FROM paper p
    LEFT JOIN (
        SELECT pa.paper_id,
               string_agg((SELECT a.name FROM author a WHERE a.id = pa.author_id), ' '
                          ORDER BY pa.position) AS names
        FROM paper_author pa WHERE pa.paper_id = ANY(ids) GROUP BY pa.paper_id
    ) au ON au.paper_id = p.id
    LEFT JOIN (
        SELECT ab.paper_id, string_agg(ab.text, ' ' ORDER BY ab.id) AS texts
        FROM abstract ab WHERE ab.paper_id = ANY(ids) GROUP BY ab.paper_id
    ) ab ON ab.paper_id = p.id
    WHERE p.id = ANY(ids);
$$
"""

# One trigger function for the four tables: which papers a changed row belongs to.
_TRIGGER_FUNCTION = """
CREATE FUNCTION paper_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('catalog.defer_search_index', true) = 'on' THEN
        RETURN NULL;  -- a bulk write reindexes its papers itself
    END IF;
    IF TG_TABLE_NAME = 'paper' THEN
        PERFORM paper_search_refresh(ARRAY[NEW.id]);
    ELSIF TG_TABLE_NAME = 'author' THEN
        PERFORM paper_search_refresh(
            ARRAY(SELECT paper_id FROM paper_author WHERE author_id = NEW.id));
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM paper_search_refresh(ARRAY[NEW.paper_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM paper_search_refresh(ARRAY[OLD.paper_id]);
    ELSE
        PERFORM paper_search_refresh(ARRAY[OLD.paper_id, NEW.paper_id]);
    END IF;
    RETURN NULL;
END
$$
"""

# Deleting a paper deletes its row by the foreign key's cascade.
_TRIGGERS = {
    "paper_search_paper": "AFTER INSERT OR UPDATE OF title ON paper",
    "paper_search_paper_author": "AFTER INSERT OR UPDATE OR DELETE ON paper_author",
    "paper_search_abstract": "AFTER INSERT OR UPDATE OF paper_id, text OR DELETE ON abstract",
    "paper_search_author": "AFTER UPDATE OF name ON author",
}

_TITLE_TRIGGERS = {
    "paper_title_fts_ai": (
        "AFTER INSERT ON paper BEGIN"
        " INSERT INTO paper_title_fts (rowid, title) VALUES (NEW.id, NEW.title); END"
    ),
    "paper_title_fts_au": (
        "AFTER UPDATE OF id, title ON paper BEGIN"
        " INSERT INTO paper_title_fts (paper_title_fts, rowid, title)"
        " VALUES ('delete', OLD.id, OLD.title);"
        " INSERT INTO paper_title_fts (rowid, title) VALUES (NEW.id, NEW.title); END"
    ),
    "paper_title_fts_ad": (
        "AFTER DELETE ON paper BEGIN"
        " INSERT INTO paper_title_fts (paper_title_fts, rowid, title)"
        " VALUES ('delete', OLD.id, OLD.title); END"
    ),
}

# 0003's indexes that the document replaces.
_OLD_INDEXES = {
    "ix_author_name_tsv": "author USING gin (to_tsvector('simple', name))",
    "ix_abstract_text_tsv": "abstract USING gin (to_tsvector('simple', text))",
}


def _has_fts_index() -> bool:
    # 0003 made paper_fts only where SQLite has FTS5; the title index goes with it.
    found = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'paper_fts'"
    )
    return found.first() is not None


def upgrade() -> None:
    op.create_index("ix_paper_published", "paper", ["published"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite" and _has_fts_index():
        op.execute(
            "CREATE VIRTUAL TABLE paper_title_fts USING fts5(title, content = 'paper',"
            " content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute("INSERT INTO paper_title_fts (paper_title_fts) VALUES ('rebuild')")
        for name, body in _TITLE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    if dialect != "postgresql":
        return
    op.execute(
        "CREATE TABLE paper_search ("
        " paper_id integer PRIMARY KEY REFERENCES paper (id) ON DELETE CASCADE,"
        " document tsvector NOT NULL)"
    )
    op.execute(_REFRESH)
    op.execute(_TRIGGER_FUNCTION)
    for name, when in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION paper_search_trigger()"
        )
    op.execute("SELECT paper_search_refresh(ARRAY(SELECT id FROM paper))")
    op.execute("CREATE INDEX ix_paper_search_document ON paper_search USING gin (document)")
    for name in _OLD_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    op.drop_index("ix_paper_published", "paper")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _TITLE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS paper_title_fts")
    if dialect != "postgresql":
        return
    for name, target in _OLD_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {target}")
    for name, when in _TRIGGERS.items():
        table = when.rsplit(" ON ", 1)[1]
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS paper_search_trigger()")
    op.execute("DROP FUNCTION IF EXISTS paper_search_refresh(integer[])")
    op.execute("DROP TABLE IF EXISTS paper_search")
