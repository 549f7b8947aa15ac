"""Full-text search over papers: title, author names and abstracts.

A query is split on whitespace; a paper matches when every word matches somewhere in its
title, authors or abstracts, as a word prefix ("relax" finds "relaxation", "maddison
concrete" needs both). Case and (on SQLite) accents are ignored. The backend decides how:

* PostgreSQL: ``to_tsvector('simple', ...) @@ to_tsquery('simple', 'word:*')`` on each
  of the three sources, served by the GIN expression indexes of migration 0003;
* SQLite with FTS5: a ``MATCH`` on ``paper_fts``, kept in step by triggers (0003);
* SQLite without FTS5 (or a database whose index is missing): substring ``LIKE``.

Results come in catalog order (by paper id) on every backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select, text, union
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col

from catalog.store.models import Abstract, Author, Paper, PaperAuthor

FTS_TABLE = "paper_fts"
# Letters and digits: what both FTS5's unicode61 and PostgreSQL's parser call a word.
_TOKEN = re.compile(r"[^\W_]+")


def search_papers(session: DbSession, query: str) -> list[Paper]:
    """Papers matching every word of ``query``, in catalog order."""
    words = query.split()
    if not words:
        return []
    tokens = [_tokens(word) for word in words]
    dialect = session.get_bind().dialect.name
    stmt: Select[Any]
    if not any(tokens):  # only punctuation ("C++" is "c"; "++" is nothing to index)
        stmt = like_search(words)
    elif dialect == "postgresql":
        stmt = _pg_search([t for t in tokens if t])
    elif dialect == "sqlite" and has_fts_index(session):
        stmt = _fts5_search([t for t in tokens if t])
    else:
        stmt = like_search(words)
    return list(session.execute(stmt.order_by(col(Paper.id))).scalars().all())


def _tokens(word: str) -> list[str]:
    return _TOKEN.findall(word.lower())


# -- SQLite FTS5 ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def fts5_available() -> bool:
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


def has_fts_index(session: DbSession) -> bool:
    """FTS5 can be used here: SQLite has it and the database has its index (0003)."""
    if not fts5_available():
        return False
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    return found is not None


def fts5_query(tokens: list[list[str]]) -> str:
    """An FTS5 query: every token, each as a quoted prefix ("relax"*), all required."""
    return " ".join(f'"{token}"*' for word in tokens for token in word)


def _fts5_search(tokens: list[list[str]]) -> Select[Any]:
    hits: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=fts5_query(tokens)))
    )
    return select(Paper).where(col(Paper.id).in_(hits))


# -- PostgreSQL ---------------------------------------------------------------------------


def tsquery(tokens: list[str]) -> str:
    """A to_tsquery text: every token as a prefix, all required ("relax:* & concret:*")."""
    return " & ".join(f"{token}:*" for token in tokens)


def _tsvector(column: Any) -> ColumnElement[Any]:
    # The config is inlined (not a bound parameter) so the expression is the very one
    # the GIN indexes of migration 0003 were built on, and the planner can use them.
    return func.to_tsvector(literal_column("'simple'"), column)


def _pg_search(tokens: list[list[str]]) -> Select[Any]:
    stmt = select(Paper)
    for word in tokens:
        query = func.to_tsquery(literal_column("'simple'"), tsquery(word))
        author_hit = (
            select(col(PaperAuthor.paper_id))
            .join(Author, col(Author.id) == col(PaperAuthor.author_id))
            .where(_tsvector(col(Author.name)).op("@@")(query))
        )
        abstract_hit = select(col(Abstract.paper_id)).where(
            _tsvector(col(Abstract.text)).op("@@")(query)
        )
        title_hit = select(col(Paper.id)).where(_tsvector(col(Paper.title)).op("@@")(query))
        # A union of ids (not an OR) lets each of the three indexes serve its part.
        stmt = stmt.where(col(Paper.id).in_(union(title_hit, author_hit, abstract_hit)))
    return stmt


# -- LIKE fallback ------------------------------------------------------------------------


def _like_pattern(word: str) -> str:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like_search(words: list[str]) -> Select[Any]:
    """Papers whose title, an author or an abstract contains every word (substrings)."""
    stmt = select(Paper)
    for word in words:
        pattern = _like_pattern(word)
        author_hit = (
            select(col(PaperAuthor.paper_id))
            .join(Author, col(Author.id) == col(PaperAuthor.author_id))
            .where(func.lower(col(Author.name)).like(pattern, escape="\\"))
        )
        abstract_hit = select(col(Abstract.paper_id)).where(
            func.lower(col(Abstract.text)).like(pattern, escape="\\")
        )
        stmt = stmt.where(
            or_(
                func.lower(col(Paper.title)).like(pattern, escape="\\"),
                col(Paper.id).in_(author_hit),
                col(Paper.id).in_(abstract_hit),
            )
        )
    return stmt


@contextmanager
def bulk_index(session: DbSession) -> Iterator[set[int]]:
    """Suspend the FTS5 triggers for a bulk write; reindex the papers it touched once.

    The triggers rebuild a paper's index row on every author or abstract row written,
    so a bulk import would index each paper many times over. Inside the caller's write
    transaction the triggers are dropped, the caller adds the ids of every paper it
    writes to the yielded set, and at the end those papers are indexed once and the
    triggers put back as they were. SQLite's DDL is transactional and the writer holds
    the lock, so no other connection ever sees the database without its triggers.
    Elsewhere (PostgreSQL, SQLite without FTS5) this does nothing.
    """
    touched: set[int] = set()
    if session.get_bind().dialect.name != "sqlite" or not has_fts_index(session):
        yield touched
        return
    triggers = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE :p"),
        {"p": f"{FTS_TABLE}_%"},
    ).all()
    for name, _sql in triggers:
        session.execute(text(f'DROP TRIGGER "{name}"'))
    yield touched
    ids = sorted(touched)
    for start in range(0, len(ids), 500):
        chunk = ",".join(str(int(i)) for i in ids[start : start + 500])
        session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({chunk})"))
        session.execute(
            text(
                f"INSERT INTO {FTS_TABLE} (rowid, title, authors, abstracts) "
                "SELECT p.id, p.title, "
                "COALESCE((SELECT group_concat(a.name, ' ') FROM paper_author pa "
                "JOIN author a ON a.id = pa.author_id WHERE pa.paper_id = p.id), ''), "
                "COALESCE((SELECT group_concat(ab.text, ' ') FROM abstract ab "
                f"WHERE ab.paper_id = p.id), '') FROM paper p WHERE p.id IN ({chunk})"
            )
        )
    for _name, sql in triggers:
        session.execute(text(sql))
