"""Word search in the arXiv index on PostgreSQL: ``ts_rank`` over the weighted
``tsvector`` of ``arxiv_text``, with the bounded two tiers of
:func:`catalog.index.lookup.search` past :data:`catalog.index.lookup.CANDIDATES` matches,
each read the way the planner's estimate says is cheap (see :func:`_pg_newest`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from catalog.index import lookup

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["pg_search"]


def pg_search(
    conn: Connection, tokens: list[str], limit: int, offset: int
) -> tuple[list[int], int, bool]:
    """``ts_rank`` over the weighted ``tsvector`` (title A, authors B, abstract C) of
    ``arxiv_text``, which holds live records only (a deleted one leaves it). Past the
    bound, the two tiers of :func:`catalog.index.search_fts5.fts_search`: the newest
    CANDIDATES records whose title matches, ranked, then the newest CANDIDATES matches
    anywhere, ranked."""
    words = [w.replace("*", ":*") for w in lookup.query_words(tokens, "")]
    tsquery = " & ".join(words)
    if limit <= 0:
        ids = list(
            conn.exec_driver_sql(
                "SELECT record_id FROM arxiv_text, to_tsquery('simple', %s) q"
                " WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC, record_id"
                f" OFFSET {int(offset)}",
                (tsquery,),
            ).scalars()
        )
        return ids, offset + len(ids), False
    need = offset + limit
    scored = _pg_newest(conn, _ANYWHERE, words, lookup.CANDIDATES + 1)
    if len(scored) <= lookup.CANDIDATES:  # every match is a candidate: all ranked
        scored.sort(key=_by_rank)
        return [r[0] for r in scored[offset:need]], len(scored), False
    # The title's words are the A-weighted ones: "w:*A" matches a title word only.
    in_titles = " & ".join(f"{w}A" if w.endswith(":*") else f"{w}:A" for w in words)
    tier = _pg_newest(conn, _IN_TITLE, words, lookup.CANDIDATES, in_titles)
    in_title = {rowid for rowid, _rank in tier}
    rest = [r for r in scored[: lookup.CANDIDATES] if r[0] not in in_title]
    ordered = sorted(tier, key=_by_rank) + sorted(rest, key=_by_rank)
    return [r[0] for r in ordered[offset:need]], lookup.CANDIDATES, True


def _by_rank(row: tuple[int, float]) -> tuple[float, int]:
    return (-row[1], row[0])  # ts_rank: higher is better; ties by id


# Where a word search's words must match on PostgreSQL: anywhere (the GIN index of
# ``tsv``), or in the title (ix0005's GIN index of the title's lexemes).
_ANYWHERE = "tsv"
_IN_TITLE = "ts_filter(tsv, '{a}')"
# The ids a first, bounded statement looks through: this many times those expected to
# hold the matches wanted, from the planner's estimate (which is rough for rare words).
_SPAN = 2
# A word whose matches are this many times fewer than every other word's alone makes
# the bitmap of a search (_pg_newest).
_RAREST = 10


def _pg_newest(
    conn: Connection, words: str, parts: list[str], n: int, weighted: str | None = None
) -> list[tuple[int, float]]:
    """The ``n`` newest records whose ``words`` match every one of ``parts`` (tsquery
    words), with their rank.

    A GIN index gives its matches as a bitmap of all of them: a word in every abstract
    is a million rows read to keep 2,001 (seconds). Walking the records from the newest
    and testing each instead costs ``n`` times the records per match: cheap exactly when
    the words are frequent. So, as the catalog's own search does (catalog.store.search),
    the planner's estimate of the matches decides: walk when it is above the square
    root of ``n`` times the records (each way then reads about as many rows), else the
    bitmap. Either looks at the newest ids first, as many as should hold ``n`` matches
    (``_SPAN`` times over), and reads the rest from the bitmap only if they did not.
    The bitmap is of the word with the fewest matches when the others have far more
    (``_RAREST`` times), the others tested on its rows: a GIN index merges all of a
    prefix's postings first, and "dortrilo:* & learning:*" on titles read dortrilo's
    650,000 to keep learning's 19,000 (130 ms). Nearer, reading the rarest word's rows
    costs more than merging (a row read is some ten postings). ``weighted``
    is the query as the walk tests it (the title's weight), if not the same."""
    tsquery = " & ".join(parts)
    plain = f"{words} @@ to_tsquery('simple', %s)"
    estimate, *each = _pg_estimates(conn, plain, [tsquery, *parts] if len(parts) > 1 else parts)
    rarest = tsquery
    if each and sorted(each)[1] > _RAREST * min(each):
        rarest = parts[each.index(min(each))]
    match = plain
    if rarest != tsquery:  # the rarest word from the index, then the whole query
        match = f"{plain} AND ({words} @@ to_tsquery('simple', %s)) IS TRUE"
    bitmap_params = (rarest, tsquery) if rarest != tsquery else (tsquery,)
    size, top = conn.exec_driver_sql(
        "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'arxiv_text'::regclass),"
        " (SELECT max(record_id) FROM arxiv_text)"
    ).one()
    if top is None:
        return []
    size = float(size or 0)
    # Without statistics (reltuples -1 before the first ANALYZE) the bitmap, of all.
    span = int(_SPAN * n * size / max(estimate, 1.0)) if size > 0 else top
    low = top - span
    # The rank in the same statement, of the rows kept: a sort that carried their
    # tsvectors (1.8 KB each) went to disk past work_mem.
    ranked = "SELECT record_id, ts_rank(tsv, to_tsquery('simple', %s)) FROM arxiv_text"
    if size > 0 and estimate * estimate > n * size:
        # (tsv @@ q) IS TRUE is no condition a GIN index serves: the primary key's
        # order, newest first, is the only way the LIMIT cuts short.
        test = "tsv @@ to_tsquery('simple', %s)" if weighted else plain
        first = (
            f"{ranked} WHERE ({test}) IS TRUE AND record_id > %s ORDER BY record_id DESC LIMIT %s"
        )
        params: tuple[Any, ...] = (tsquery, weighted or tsquery, low, n)
    else:
        # ORDER BY record_id + 0: not the primary key's order, which with the LIMIT
        # would make the planner walk; the GIN bitmap of the words instead (and of
        # the newest ids, which it may AND with).
        first = f"{ranked} WHERE {match} AND record_id > %s ORDER BY record_id + 0 DESC LIMIT %s"
        params = (tsquery, *bitmap_params, low, n)
    rows = [(r[0], float(r[1])) for r in conn.exec_driver_sql(first, params)]
    if len(rows) < n and low > 0:  # the newest ids held fewer: the rest from the bitmap
        rest = f"{ranked} WHERE {match} AND record_id <= %s ORDER BY record_id + 0 DESC LIMIT %s"
        older = conn.exec_driver_sql(rest, (tsquery, *bitmap_params, low, n - len(rows)))
        rows += [(r[0], float(r[1])) for r in older]
    return rows


def _pg_estimates(conn: Connection, match: str, queries: list[str]) -> list[float]:
    """The planner's estimates of the records ``match`` finds for each query. For a
    prefix it guesses from the share of its sampled words the prefix starts, and a
    small table's sample (or a word with few relatives) makes that a few rows even for
    a word in every record; the prefix matches at least what its whole words do, which
    the planner counts from their own frequency. So the larger of the two. (One EXPLAIN
    each: of a UNION ALL the planner may give a parallel plan's rows per worker.)"""
    select = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM arxiv_text WHERE {match}"
    estimates = []
    for query in queries:
        rows = 0.0
        for form in {query, query.replace(":*", "")}:
            plan = conn.exec_driver_sql(select, (form,)).scalar()
            found: Any = json.loads(plan) if isinstance(plan, str) else plan
            rows = max(rows, float(found[0]["Plan"]["Plan Rows"]))
        estimates.append(rows)
    return estimates
