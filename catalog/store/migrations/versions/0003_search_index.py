"""Full-text search: an FTS5 index on SQLite, GIN indexes on PostgreSQL.

SQLite: ``paper_fts`` (FTS5, rowid = paper.id) holds each paper's title, author names and
abstracts; triggers on paper, paper_author, author and abstract keep it in step with
every write, whichever code path makes it (including ON DELETE CASCADE). Where SQLite
was built without FTS5 nothing is created and search falls back to LIKE.

PostgreSQL: expression GIN indexes on ``to_tsvector('simple', ...)`` of the title, the
author name and the abstract text; PostgreSQL keeps them up to date itself.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _insert(where: str) -> str:
    """Index rows for the papers matching ``where`` (on ``paper p``)."""
    return f"""
INSERT INTO paper_fts (rowid, title, authors, abstracts)
SELECT p.id, p.title,
       COALESCE((SELECT group_concat(a.name, ' ')
                 FROM paper_author pa JOIN author a ON a.id = pa.author_id
                 WHERE pa.paper_id = p.id), ''),
       COALESCE((SELECT group_concat(ab.text, ' ') FROM abstract ab
                 WHERE ab.paper_id = p.id), '')
FROM paper p WHERE {where};
"""


def _refresh(pid: str) -> str:
    """Rebuild the index row of paper ``pid`` (a NEW./OLD. column reference)."""
    return f" DELETE FROM paper_fts WHERE rowid = {pid};" + _insert(f"p.id = {pid}")


_AUTHOR_PAPERS = "(SELECT paper_id FROM paper_author WHERE author_id = NEW.id)"

_TRIGGERS = {
    "paper_fts_paper_ai": f"AFTER INSERT ON paper BEGIN {_refresh('NEW.id')} END",
    "paper_fts_paper_au": (
        "AFTER UPDATE OF id, title ON paper BEGIN"
        f" DELETE FROM paper_fts WHERE rowid = OLD.id; {_refresh('NEW.id')} END"
    ),
    "paper_fts_paper_ad": "AFTER DELETE ON paper BEGIN DELETE FROM paper_fts WHERE rowid = OLD.id; END",
    "paper_fts_pa_ai": f"AFTER INSERT ON paper_author BEGIN {_refresh('NEW.paper_id')} END",
    "paper_fts_pa_au": (
        "AFTER UPDATE ON paper_author BEGIN"
        f" {_refresh('OLD.paper_id')} {_refresh('NEW.paper_id')} END"
    ),
    "paper_fts_pa_ad": f"AFTER DELETE ON paper_author BEGIN {_refresh('OLD.paper_id')} END",
    "paper_fts_abstract_ai": f"AFTER INSERT ON abstract BEGIN {_refresh('NEW.paper_id')} END",
    "paper_fts_abstract_au": (
        "AFTER UPDATE OF paper_id, text ON abstract BEGIN"
        f" {_refresh('OLD.paper_id')} {_refresh('NEW.paper_id')} END"
    ),
    "paper_fts_abstract_ad": f"AFTER DELETE ON abstract BEGIN {_refresh('OLD.paper_id')} END",
    "paper_fts_author_au": (
        "AFTER UPDATE OF name ON author BEGIN"
        f" DELETE FROM paper_fts WHERE rowid IN {_AUTHOR_PAPERS};"
        f" {_insert('p.id IN ' + _AUTHOR_PAPERS)} END"
    ),
}

_PG_INDEXES = {
    "ix_paper_title_tsv": "paper USING gin (to_tsvector('simple', title))",
    "ix_author_name_tsv": "author USING gin (to_tsvector('simple', name))",
    "ix_abstract_text_tsv": "abstract USING gin (to_tsvector('simple', text))",
}


def _fts5_available() -> bool:
    """Whether this process's SQLite library has FTS5 (a throwaway in-memory probe)."""
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
    if dialect == "postgresql":
        for name, target in _PG_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {target}")
    elif dialect == "sqlite" and _fts5_available():
        op.execute(
            "CREATE VIRTUAL TABLE paper_fts USING fts5("
            "title, authors, abstracts, tokenize = 'unicode61 remove_diacritics 2')"
        )
        for name, body in _TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute(_insert("1 = 1"))  # papers stored before this revision


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in _PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    elif dialect == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS paper_fts")
