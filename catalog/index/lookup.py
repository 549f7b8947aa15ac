"""Finding papers in the arXiv index: by id, by title, by words.

* by id: the ``arxiv_id`` unique index; any written form of an id is accepted;
* by title: equality on ``title_key`` (:func:`catalog.text.title_key`: case, accents,
  TeX commands and punctuation set aside), served by its index;
* by words: every word must match as a word prefix in the title, authors or abstract;
  ranked by FTS5's bm25 on SQLite (title counts 10x, authors 4x the abstract), by
  ``ts_rank`` over the weighted ``tsvector`` on PostgreSQL. Without FTS5, a LIKE scan.

Records the OAI-PMH feed marked deleted are not returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
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


def search(conn: Connection, query: str, limit: int = 20, offset: int = 0) -> list[IndexRecord]:
    tokens = [t for word in query.split() for t in _TOKEN.findall(word.lower())]
    if not tokens:
        return []
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit > 0 else f" OFFSET {int(offset)}"
    dialect = conn.dialect.name
    if dialect == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in tokens)
        ids = conn.exec_driver_sql(
            "SELECT id FROM arxiv_record, to_tsquery('simple', %s) q"
            " WHERE tsv @@ q AND NOT deleted ORDER BY ts_rank(tsv, q) DESC, id" + page,
            (tsquery,),
        ).scalars()
    elif has_fts(conn):
        match = " ".join(f'"{t}"*' for t in tokens)
        ids = conn.exec_driver_sql(
            "SELECT r.id FROM arxiv_fts f JOIN arxiv_record r ON r.id = f.rowid"
            " WHERE arxiv_fts MATCH ? AND NOT r.deleted"
            " ORDER BY bm25(arxiv_fts, 10.0, 4.0, 1.0), r.id" + page,
            (match,),
        ).scalars()
    else:
        where = " AND ".join(["(title || ' ' || authors || ' ' || abstract) LIKE ?"] * len(tokens))
        ids = conn.exec_driver_sql(
            f"SELECT id FROM arxiv_record WHERE {where} AND NOT deleted ORDER BY id" + page,
            tuple(f"%{t}%" for t in tokens),
        ).scalars()
    order = list(ids)
    if not order:
        return []
    marks = ", ".join([_param(conn)] * len(order))
    rows = conn.exec_driver_sql(
        f"SELECT {_COLUMNS} FROM arxiv_record WHERE id IN ({marks})", tuple(order)
    ).all()
    by_id = {row[0]: record for row, record in zip(rows, _records(conn, rows), strict=True)}
    return [by_id[i] for i in order if i in by_id]


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
