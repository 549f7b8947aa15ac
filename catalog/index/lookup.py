"""Finding papers in the arXiv index: by id, by title, by words.

* by id: the ``arxiv_id`` unique index; any written form of an id is accepted;
* by title: equality on ``title_key`` (:func:`catalog.text.title_key`: case, accents,
  TeX commands and punctuation set aside), served by its index;
* by words: every word must match as a word prefix in the title, authors or abstract;
  ranked by FTS5's bm25 on SQLite (title counts 10x, authors 4x the abstract), by
  ``ts_rank`` over the weighted ``tsvector`` on PostgreSQL. Without FTS5, a LIKE scan.
  :func:`search` owns what a search means (tokens, the candidate bound, the tiers);
  each backend's way of reading it is a module of its own:
  :mod:`catalog.index.search_fts5` and :mod:`catalog.index.search_pg`.

Records the OAI-PMH feed marked deleted are not returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError
from catalog.index.record import IndexRecord, Version
from catalog.index.store import as_date, as_datetime, has_fts
from catalog.text import title_key

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from catalog.sources.arxiv.ids import ArxivId

_COLUMNS = (
    "id, arxiv_id, title, authors, abstract, categories, dois, journal_ref, comments, datestamp"
)
_TOKEN = re.compile(r"[^\W_]+")
_CHUNK = 500
CANDIDATES = 2_000  # records ranked at most for one word search (see search())


def get(conn: Connection, arxiv_id: str) -> IndexRecord | None:
    found = get_many(conn, [arxiv_id])
    return next(iter(found.values()), None)


def get_many(conn: Connection, arxiv_ids: Iterable[str]) -> dict[str, IndexRecord]:
    """Keyed by the canonical form of each id asked (``math.GT/0309136`` finds the record
    arXiv files as ``math/0309136``)."""
    asked: dict[str, list[str]] = {}  # arXiv's form -> canonical ids asked
    for text in arxiv_ids:
        ident = _parse(text)
        if ident is not None:
            asked.setdefault(ident.api_id, []).append(ident.id)
    keys = list(asked)
    out: dict[str, IndexRecord] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ", ".join([_param(conn)] * len(chunk))
        rows = conn.exec_driver_sql(
            f"SELECT {_COLUMNS} FROM arxiv_record WHERE arxiv_id IN ({marks}) AND NOT deleted",
            tuple(chunk),
        ).all()
        for record in _records(conn, rows):
            for canonical in asked.get(record.arxiv_id, ()):
                out[canonical] = record
    return out


def by_title(conn: Connection, title: str, limit: int = 10) -> list[IndexRecord]:
    key = title_key(title)
    if not key:
        return []
    rows = conn.exec_driver_sql(
        f"SELECT {_COLUMNS} FROM arxiv_record WHERE title_key = {_param(conn)} AND NOT deleted"
        f" ORDER BY id LIMIT {int(limit)}",
        (key,),
    ).all()
    return _records(conn, rows)


@dataclass
class IndexHits:
    """One page of a word search, and how many records match: ``total`` exactly, or, when
    ``more`` is set, a lower bound (the search stopped counting at its candidate bound)."""

    records: list[IndexRecord]
    total: int
    more: bool = False


def search(conn: Connection, query: str, limit: int = 20, offset: int = 0) -> IndexHits:
    """Records matching every word of ``query`` as a word prefix, best first.

    Ranking needs a score for every candidate, and a word that half of arXiv uses has
    millions of matches; so when more than :data:`CANDIDATES` records match, only a
    bounded set is ranked, on SQLite and PostgreSQL alike: first the :data:`CANDIDATES`
    most recently stored records whose *title* matches (the ones a reader is after),
    ranked, then the :data:`CANDIDATES` most recently stored matches anywhere, ranked.
    ``total`` then says "more than"
    :data:`CANDIDATES`. ``limit=0`` asks for every match, all ranked.
    """
    tokens = [t for word in query.split() for t in _TOKEN.findall(word.lower())]
    if not tokens:
        return IndexHits([], 0)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from catalog.index.search_pg import pg_search

        order, total, more = pg_search(conn, tokens, limit, offset)
    elif has_fts(conn):
        from catalog.index.search_fts5 import fts_search

        order, total, more = fts_search(conn, tokens, limit, offset)
    else:
        order, total, more = _like_search(conn, tokens, limit, offset)
    if not order:
        return IndexHits([], total, more)
    marks = ", ".join([_param(conn)] * len(order))
    rows = conn.exec_driver_sql(
        f"SELECT {_COLUMNS} FROM arxiv_record WHERE id IN ({marks})", tuple(order)
    ).all()
    by_id = {row[0]: record for row, record in zip(rows, _records(conn, rows), strict=True)}
    return IndexHits([by_id[i] for i in order if i in by_id], total, more)


def query_words(tokens: list[str], quote: str) -> list[str]:
    """Each token as a prefix, but one or two letters as a whole word: "a"* would be
    every word starting with a, costly to merge and no use to narrow a search."""
    return [f"{quote}{t}{quote}*" if len(t) > 2 else f"{quote}{t}{quote}" for t in tokens]


def _like_search(
    conn: Connection, tokens: list[str], limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """Without FTS5 (a SQLite built without it): a scan, in id order."""
    # SQLite has no OFFSET without a LIMIT; -1 is its "no limit".
    page = f" LIMIT {int(limit) if limit > 0 else -1} OFFSET {int(offset)}"
    where = " AND ".join(["(title || ' ' || authors || ' ' || abstract) LIKE ?"] * len(tokens))
    params = tuple(f"%{t}%" for t in tokens)
    total = conn.exec_driver_sql(
        f"SELECT COUNT(*) FROM arxiv_record WHERE {where} AND NOT deleted", params
    ).scalar()
    ids = conn.exec_driver_sql(
        f"SELECT id FROM arxiv_record WHERE {where} AND NOT deleted ORDER BY id" + page, params
    ).scalars()
    return list(ids), int(total or 0), False


def _records(conn: Connection, rows: Sequence[Any]) -> list[IndexRecord]:
    """Rows of ``_COLUMNS`` as records, with their versions (one query for all)."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    marks = ", ".join([_param(conn)] * len(ids))
    versions: dict[int, list[Version]] = {}
    for rid, number, when, size, withdrawn in conn.exec_driver_sql(
        "SELECT record_id, number, date, size_kb, withdrawn FROM arxiv_version"
        f" WHERE record_id IN ({marks}) ORDER BY record_id, number",
        tuple(ids),
    ).all():
        versions.setdefault(rid, []).append(
            Version(number, as_datetime(when), size, None if withdrawn is None else bool(withdrawn))
        )
    return [
        IndexRecord(
            arxiv_id=row[1],
            title=row[2],
            authors=tuple(row[3].split("\n")) if row[3] else (),
            abstract=row[4],
            categories=tuple(row[5].split()),
            versions=tuple(versions.get(row[0], ())),
            dois=tuple(row[6].split()),
            journal_ref=row[7],
            comments=row[8],
            datestamp=as_date(row[9]),
        )
        for row in rows
    ]


def _parse(text: str) -> ArxivId | None:
    from catalog.sources.arxiv.ids import parse_arxiv_id

    try:
        return parse_arxiv_id(text)
    except CatalogError:
        return None


def _param(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"
