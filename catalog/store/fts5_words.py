"""What an FTS5 table's own index says, kept until the index changes: the words a prefix
stands for (fts5vocab), and any other figure a search wants to reuse (document counts).

FTS5 reads a prefix ("diffusion"*) by merging the whole doclist of every word it starts,
up front: 25 ms for a word in most of 100,000 papers, seconds for a 3-letter prefix over a
million records, where a word itself is read lazily, row by row. So searches look a prefix
up in the vocabulary and ask for the words it stands for, ("kernel" OR "kernels"): the
same matches. The lookup costs a pass over each word's doclist too, so its answers are
kept per database and table until the full-text index changes (FTS5's structure record,
rowid 10 of ``<table>_data``, changes on every write). Used by the catalog's search
(``paper_fts``) and the arXiv index's (``arxiv_fts``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_STRUCTURE_ROWID = 10  # FTS5's structure record in <table>_data
_PLACES = 16  # databases x tables remembered at once
_ENTRIES = 10_000  # answers remembered per table before starting again

# (database, table) -> (structure record, {key: answer}); shared by a server's threads:
# read and added to, never relied on (a lost entry is looked up again).
_known: dict[tuple[str, str], tuple[bytes, dict[Any, Any]]] = {}


def known(conn: Connection, table: str) -> dict[Any, Any]:
    """The answers kept for ``table`` while its full-text index stays as it is (an empty
    dict when it changed, or for an in-memory database, whose name says nothing)."""
    state = conn.exec_driver_sql(
        f"SELECT block FROM {table}_data WHERE id = {_STRUCTURE_ROWID}"
    ).scalar()
    place = (str(conn.engine.url.database or ""), table)
    cached = _known.get(place)
    if cached is None or cached[0] != state or not place[0] or place[0] == ":memory:":
        if len(_known) > _PLACES:
            _known.clear()
        cached = _known[place] = (bytes(state or b""), {})
    if len(cached[1]) > _ENTRIES:
        cached[1].clear()
    return cached[1]


def words_of(
    conn: Connection, table: str, prefixes: set[str], max_words: int
) -> dict[str, tuple[str, ...] | None]:
    """The indexed words each (ASCII) prefix starts (None: more than ``max_words``). Each
    word's document count (the records it is in) is kept too, as ``("documents", word)``
    in :func:`known`."""
    cache = known(conn, table)
    words = {p: cache[("words", p)] for p in prefixes if ("words", p) in cache}
    missing = sorted(prefixes - words.keys())
    if missing:
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_vocabulary"
            f" USING fts5vocab(main, {table}, row)"
        )  # a temp table: nothing is written
    for prefix in missing:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # ASCII: every word it starts is below
        rows = conn.exec_driver_sql(
            f"SELECT term, doc FROM temp.{table}_vocabulary WHERE term >= ? AND term < ? LIMIT ?",
            (prefix, upper, max_words + 1),
        ).all()
        found = tuple(term for term, _doc in rows)
        for term, doc in rows:  # the records with the word: counted to list it anyway
            cache[("documents", term)] = doc
        words[prefix] = cache[("words", prefix)] = found if len(found) <= max_words else None
    return words
