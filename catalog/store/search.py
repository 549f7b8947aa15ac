"""Ranked full-text search and paged listing of papers: one function under the CLI and
the web alike.

A query (read by :mod:`catalog.store.search_query`) matches a paper when every word
matches somewhere in its title, authors or abstracts, as a word prefix, and every quoted
phrase appears as written. Matches are ranked in two tiers: first the papers whose
title alone holds every term, then the rest; within a tier by relevance (FTS5's bm25 on
SQLite, ``ts_rank`` on PostgreSQL, titles weighing more than authors, authors more
than abstracts), then by catalog number, so the order is the same on every run. Pages
are taken with limit and offset, and the total number of matches comes with each page.

Counting and ranking are bounded, so that a broad query costs what a narrow one does
("kernel" may match most of a catalog): a search reads at most :data:`BOUND` + 1
candidates per query and reports the total exactly up to :data:`BOUND`, as "more than
:data:`BOUND`" past it (``Found.total_is_exact``). The first :data:`BOUND` places (the
window) are:

* up to :data:`BOUND` matches: every match, ranked as above;
* past it, when the title tier alone passes it: :data:`BOUND` title matches, ranked
  (SQLite: the newest; PostgreSQL: the first its title index finds);
* past it otherwise: every title match, ranked, then the newest other matches, newest
  first (scoring them would read every matching word's whole index: FTS5's bm25 does).

Pages past the window list the other matches newest first (by catalog number,
descending), so every match is reachable and every page is stable. ``limit=None``
(every match) counts and ranks every match, as asked.

Backends:

* SQLite with FTS5: ``paper_fts`` (migration 0003), kept in step by triggers;
* PostgreSQL: ``paper_search``, one weighted ``tsvector`` per paper with a GIN index
  (migration 0006), kept in step by triggers; the title tier is found with the GIN
  expression index on ``to_tsvector('simple', title)`` (0003) and ranked by its papers'
  stored documents;
* SQLite without FTS5 (or a database without its index), and a query of punctuation
  alone (``C++`` is a word, ``++`` is not): substring ``LIKE``, title matches first, then
  by catalog number.

Filters (year, session tags and terms, presenters) are subqueries of paper ids; tags,
terms and presenters are chosen as ``catalog export`` chooses them
(:func:`catalog.store.selection.presented_paper_ids`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    String,
    all_,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    extract,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col

from catalog.errors import InvalidSearch
from catalog.store.models import Abstract, Author, Paper, PaperAuthor
from catalog.store.search_query import (
    SearchQuery,
    Term,
    parse_query,
    tsquery_text,
)

if TYPE_CHECKING:
    from catalog.records import PaperView

FTS_TABLE = "paper_fts"  # SQLite (migration 0003)
FTS_TITLE_TABLE = "paper_title_fts"  # SQLite, titles alone (migration 0006)
PG_TABLE = "paper_search"  # PostgreSQL (migration 0006)
# Relevance weights of title, authors and abstracts (PostgreSQL's weights A, B and D
# are 1.0, 0.4 and 0.1: the same proportions).
FTS5_WEIGHTS = (10.0, 4.0, 1.0)
# Listing orders; a leading "-" reverses one. Ties are broken by catalog number.
SORTS = ("added", "key", "title", "year")
# The transaction-local setting that tells PostgreSQL's index triggers to wait for
# bulk_index to reindex the papers it wrote.
_PG_DEFER = "catalog.defer_search_index"


@dataclass(frozen=True)
class SearchFilters:
    """What a search or a listing is narrowed to; all given filters must hold.

    ``year`` is the year a paper appeared (the YEAR column of ``catalog list``);
    ``tags``, ``terms`` and ``presenters`` keep the papers presented in talks of sessions
    with one of the tags, in one of the terms, by one of the presenters, as ``catalog
    export --tag/--term/--presenter`` choose them.
    """

    year: int | None = None
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    presenters: tuple[str, ...] = ()


# How many matches a search counts and ranks at most (see the module's docstring); read
# at each call, so tests can make it small.
BOUND = 2_000


@dataclass(frozen=True)
class Found:
    """One page of paper ids, and how many match in all.

    ``total`` is exact when ``total_is_exact``; otherwise more than ``total`` match (the
    search stopped counting at :data:`BOUND`). ``has_more``: a further match exists past
    this page (the next page is not empty).
    """

    ids: list[int]
    total: int
    total_is_exact: bool = True
    has_more: bool = False


@dataclass(frozen=True)
class SearchResult:
    """One page of papers, and how many match in all (for pagination): ``total``
    exactly, or, when ``total_is_exact`` is false, a lower bound ("more than")."""

    papers: list[PaperView]
    total: int
    total_is_exact: bool = True
    has_more: bool = False

    @classmethod
    def of(cls, papers: list[PaperView], found: Found) -> SearchResult:
        return cls(papers, found.total, found.total_is_exact, found.has_more)


# -- the two entry points -----------------------------------------------------------------


def search_ids(
    session: DbSession,
    query: str,
    filters: SearchFilters | None = None,
    *,
    limit: int | None = 20,
    offset: int = 0,
    bound: int | None = None,
) -> Found:
    """The ids of one page of papers matching ``query``, best first, and the total.

    A query with nothing to search for (blank, or quotes alone) matches every paper, in
    the order ``list_ids`` gives by default. ``limit=None`` means every match, all
    ranked and counted. ``bound`` (default :data:`BOUND`) is how many matches are
    counted and ranked at most.
    Raises :class:`InvalidSearch` for a query too long or a negative limit or offset,
    and :class:`~catalog.errors.NotFound` for a presenter the catalog does not have.
    """
    _check_window(limit, offset)
    parsed = parse_query(query)
    if parsed.is_empty:
        return list_ids(session, filters, limit=limit, offset=offset)
    scope = _scope(session, filters)
    if limit is None:
        bound = None
    elif bound is None:
        bound = BOUND
    return _ranked_page(session, _tiers(session, parsed), scope, limit, offset, bound)


def list_ids(
    session: DbSession,
    filters: SearchFilters | None = None,
    *,
    sort: str = "added",
    limit: int | None = 20,
    offset: int = 0,
) -> Found:
    """The ids of one page of papers in ``sort`` order (see :data:`SORTS`), and the total."""
    _check_window(limit, offset)
    order = _sort_order(session, sort)
    paper = _paper_table()
    scope = _scope(session, filters)
    stmt = scope.apply(select(paper.c.id), paper.c.id)
    ids = _page(session, stmt.order_by(*order), limit, offset)
    total = _count(session, stmt)
    return Found(ids, total, True, offset + len(ids) < total)


def _check_window(limit: int | None, offset: int) -> None:
    if limit is not None and limit < 0:
        raise InvalidSearch(f"limit {limit} is negative; give 0 or more (None: every paper)")
    if offset < 0:
        raise InvalidSearch(f"offset {offset} is negative; give 0 or more")


# -- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Filters as subqueries of paper ids, to apply to any statement's id column."""

    conditions: tuple[Select[Any], ...] = ()
    # Conditions on the paper table itself (the year): tested in place on a statement
    # of paper ids, as a subquery of ids on any other. (In place, PostgreSQL reads each
    # paper of the year once, not once more to join it to itself.)
    on_paper: tuple[ColumnElement[bool], ...] = ()

    def apply(self, stmt: Select[Any], id_column: Any) -> Select[Any]:
        if self.on_paper and id_column is _paper_table().c.id:
            stmt = stmt.where(*self.on_paper)
        else:
            paper = _paper_table()
            for condition in self.on_paper:
                stmt = stmt.where(id_column.in_(select(paper.c.id).where(condition)))
        for ids in self.conditions:
            # Never correlated: the subquery may read the statement's own table.
            stmt = stmt.where(id_column.in_(ids.correlate(None)))
        return stmt


def _scope(session: DbSession, filters: SearchFilters | None) -> _Scope:
    if filters is None:
        return _Scope()
    from catalog.store.selection import Selection, presented_paper_ids

    on_paper = []
    if filters.year is not None:
        if not 1 <= filters.year <= 9998:
            raise InvalidSearch(f"{filters.year} is not a year; give one such as 2018")
        on_paper.append(year_condition(filters.year))
    presented = presented_paper_ids(
        session,
        Selection(tags=filters.tags, terms=filters.terms, presenters=filters.presenters),
    )
    return _Scope(() if presented is None else (presented,), tuple(on_paper))


def year_of(paper: PaperView) -> int | None:
    """The year a paper appeared, the one rule the catalog shows, filters and sorts by:
    its published record's year, else its v1 date's year (both ``PaperView.year``), else
    the year its arXiv id names (``1804.01694``: 2018; ``hep-th/9901001``: 1999), else
    None. :func:`paper_year` is this rule in SQL and :func:`year_condition` selects by it;
    the tests keep the three in step."""
    if paper.year is not None:
        return paper.year
    if paper.published is not None:
        return paper.published.year
    digits = (paper.arxiv_id or "").rsplit("/", 1)[-1][:2]
    if not digits.isdigit():
        return None
    return int(digits) + (1900 if int(digits) >= 91 else 2000)


def year_condition(year: int) -> ColumnElement[bool]:
    """Papers of ``year`` (as :func:`year_of` gives it), in terms the indexes serve
    (migration 0008): the published record's year (``ix_paper_year``), else a range of
    v1 dates (``ix_paper_published_year``), else the arXiv id's digits."""
    paper = _paper_table().c
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    # "No published record of another year", written so that no index on year alone can
    # serve it: SQLite would then look up every yearless paper (most of a catalog)
    # instead of the year's range of v1 dates, reading year from that index's entries.
    unclaimed = func.coalesce(paper.year, year) == year
    dated = and_(paper.published >= start, paper.published < end, unclaimed)
    if not 1991 <= year <= 2090:  # no arXiv id names such a year
        return or_(paper.year == year, dated)
    yy = f"{year % 100:02d}"
    # New-style ids start with YYMM and a dot; old-style ones have YYMM after the slash.
    named = or_(paper.arxiv_id.like(f"{yy}__.%"), paper.arxiv_id.like(f"%/{yy}%"))
    return or_(paper.year == year, dated, and_(paper.published.is_(None), unclaimed, named))


def paper_year(dialect: str) -> ColumnElement[Any]:
    """:func:`year_of` in SQL: the published record's year, else the v1 date's year,
    else the year the arXiv id names, else NULL."""
    paper = _paper_table().c
    if dialect == "postgresql":
        # substring(... from pattern) is NULL where the id holds no such digits.
        old = func.substring(paper.arxiv_id, literal_column("'/([0-9]{2})[0-9]{2}'"))
        new = func.substring(paper.arxiv_id, literal_column("'^([0-9]{2})[0-9]{2}[.]'"))
    else:  # SQLite: canonical ids only ever hold digits there
        old = func.substr(paper.arxiv_id, func.instr(paper.arxiv_id, "/") + 1, 2)
        new = func.substr(paper.arxiv_id, 1, 2)
    yy = cast(case((paper.arxiv_id.like("%/%"), old), else_=new), Integer)
    from_id = case((yy >= 91, yy + 1900), else_=yy + 2000)
    return case(
        (paper.year.is_not(None), paper.year),
        (paper.published.is_not(None), cast(extract("year", paper.published), Integer)),
        else_=from_id,
    )


def _sort_order(session: DbSession, sort: str) -> list[Any]:
    name = sort.removeprefix("-")
    if name not in SORTS:
        raise InvalidSearch(
            f"cannot sort by {sort!r}; use one of {', '.join(SORTS)} (a leading - reverses)"
        )
    descending = sort.startswith("-")
    paper = _paper_table().c
    keys: dict[str, Any] = {
        "added": None,
        "key": paper.citation_key,
        "title": paper.title_key,
        "year": paper_year(session.get_bind().dialect.name),
    }
    order = []
    key = keys[name]
    if key is not None:
        order.append((key.desc() if descending else key.asc()).nulls_last())
    order.append(paper.id.desc() if descending else paper.id.asc())
    return order


# -- ranked pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tier:
    """Some of a query's matches as the backend finds them: a statement selecting their
    ids (the first column), the column filters test, the order candidates are taken in
    (newest first where the backend's index gives that order without reading every
    match; None: the order the server finds them in), and the relevance score
    (``ascending``: lower is better): a column of the same statement, or, with
    ``rescore``, a statement of (id, score) for given ids."""

    ids: Select[Any]
    id_column: Any
    newest: Any
    score: Any
    ascending: bool
    rescore: Callable[[list[int]], Select[Any]] | None = None
    # The first n matches newest first among the papers a scope's conditions on the
    # paper table keep, where testing those papers newest first beats testing every
    # match against them (a year's papers and a common word: see _pg_tiers); None
    # where it would not.
    newest_of: Callable[[DbSession, _Scope, int], Select[Any] | None] | None = None

    def scoped(self, scope: _Scope) -> Select[Any]:
        return scope.apply(self.ids, self.id_column)

    def first(self, session: DbSession, scope: _Scope, n: int | None) -> list[int]:
        """The ids of the first ``n`` matches in candidate order (None: all)."""
        stmt = None
        if self.newest_of is not None and scope.on_paper and n is not None:
            stmt = self.newest_of(session, scope, n)
        if stmt is None:
            stmt = self._first(self.scoped(scope), n)
        # .all(): one fetch of every row (iterating fetches them one at a time).
        return [int(i) for i in session.execute(stmt).scalars().all()]

    def scored(self, session: DbSession, scope: _Scope, n: int | None) -> list[_Scored]:
        """(id, score) of the first ``n`` matches in candidate order (None: all)."""
        if self.rescore is not None:
            ids = self.first(session, scope, n)
            scores = {int(i): float(v) for i, v in session.execute(self.rescore(ids)).all()}
            return [(i, scores.get(i, 0.0)) for i in ids]
        stmt = self._first(self.scoped(scope).add_columns(self.score), n)
        return [(int(i), float(score)) for i, score in session.execute(stmt).all()]

    def ranked(self, rows: list[_Scored]) -> list[int]:
        """The ids of ``rows``, best first, ties by catalog number."""
        sign = 1.0 if self.ascending else -1.0
        return [i for i, _ in sorted(rows, key=lambda row: (sign * row[1], row[0]))]

    def _first(self, stmt: Select[Any], n: int | None) -> Select[Any]:
        if n is None:
            return stmt
        if self.newest is not None:
            stmt = stmt.order_by(self.newest)
        return stmt.limit(n)


_Scored = tuple[int, float]


@dataclass(frozen=True)
class _Tiers:
    """A query's matches: every match, and the title tier."""

    matches: _Tier
    title: _Tier


def _ranked_page(
    session: DbSession,
    tiers: _Tiers,
    scope: _Scope,
    limit: int | None,
    offset: int,
    bound: int | None,
) -> Found:
    """One page of the ranked window (see the module's docstring), or past it.

    Each query reads ``bound`` + 1 candidates at most, and the count comes with them:
    the title tier with its scores; unless it alone passes the bound, the ids of every
    match; and, when they are ``bound`` or fewer, their scores.
    """
    n = None if bound is None else bound + 1
    title = tiers.title.scored(session, scope, n)
    if bound is not None and len(title) > bound:  # then so do all matches
        window = tiers.title.ranked(title[:bound])
        total, more = bound, True
    else:
        in_title = {i for i, _ in title}
        found = tiers.matches.first(session, scope, n)
        more = bound is not None and len(found) > bound
        total = len(found)
        if bound is not None and more:
            # Scoring would cost a pass over every match (FTS5's bm25 reads each word's
            # whole doclist): the rest of the window comes newest first.
            total = bound
            rest = [i for i in found if i not in in_title][: total - len(title)]
        else:
            scored = tiers.matches.scored(session, scope, n)
            rest = tiers.matches.ranked([row for row in scored if row[0] not in in_title])
        window = tiers.title.ranked(title) + rest
    end = None if limit is None else offset + limit
    ids = window[offset:end]
    if not more:
        return Found(ids, total, True, end is not None and end < total)
    assert limit is not None  # every match is counted otherwise
    wanted = limit - len(ids)
    if wanted == 0:
        return Found(ids, total, False, True)
    # Past the window: the other matches, newest first.
    matches = tiers.matches
    past = matches.scoped(scope).where(_not_among(session, matches.id_column, window))
    skip = offset + len(ids) - total  # of the matches past the window
    later = _page(session, past.order_by(matches.newest), wanted + 1, skip)
    return Found(ids + later[:wanted], total, False, len(later) > wanted)


def _int_array(ids: list[int]) -> Any:
    """``ids`` as one PostgreSQL array parameter (not one parameter per id), sent as
    the array's text (``{1,2,3}``): the driver's list dumper costs more than the query
    for 2,000 ids."""
    literal = "{" + ",".join(str(int(i)) for i in ids) + "}"
    return cast(bindparam("ids", literal, type_=String, unique=True), ARRAY(Integer))


def _not_among(session: DbSession, target: Any, ids: list[int]) -> ColumnElement[bool]:
    """``target`` is none of ``ids``, given as one parameter: an array on PostgreSQL,
    a JSON list on SQLite (2,000 parameters cost more to bind than the query)."""
    condition: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        condition = target != all_(_int_array(ids))
    else:
        listed: Select[Any] = select(column("value")).select_from(func.json_each(json.dumps(ids)))
        condition = target.not_in(listed)
    return condition


def _count(session: DbSession, stmt: Select[Any]) -> int:
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(session.execute(counted).scalar_one())


def _page(session: DbSession, stmt: Select[Any], limit: int | None, offset: int) -> list[int]:
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return [int(i) for i in session.execute(stmt).scalars().all()]


def _tiers(session: DbSession, query: SearchQuery) -> _Tiers:
    if not query.terms:  # punctuation alone: "++", ":"
        return _like_tiers([_like_pattern([symbol]) for symbol in query.symbols])
    if has_fts_index(session):
        return _fts5_tiers(_fts5_words(session, query.terms))
    if _pg_search_ready(session):
        return _pg_tiers(query.terms)
    return _like_tiers([_like_pattern(list(term.tokens)) for term in query.terms])


def _paper_table() -> Any:
    return Paper.__table__  # type: ignore[attr-defined]


# -- SQLite FTS5 --------------------------------------------------------------------------


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
    """FTS5 can be used here: SQLite has it and the database has its indexes (0003, 0006)."""
    if session.get_bind().dialect.name != "sqlite" or not fts5_available():
        return False
    found = session.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (:a, :b)"),
        {"a": FTS_TABLE, "b": FTS_TITLE_TABLE},
    ).scalar()
    return found == 2


# -- SQLite FTS5: prefixes as the words they stand for --------------------------------
#
# A prefix is asked as the words it stands for, ("kernel" OR "kernels"): the same
# matches, read lazily (catalog.store.fts5_words says why, and keeps the lookups).

_MAX_WORDS = 8  # a prefix standing for more stays a prefix ("a"*, "re"*)


def _fts5_words(session: DbSession, terms: tuple[Term, ...]) -> list[tuple[str, ...]]:
    """Each term as the phrases that can match it (one: itself, or several: its
    prefix's words), each phrase a tuple of tokens with "*" on a last prefix token."""
    wanted = {t.tokens[-1] for t in terms if t.prefix and t.tokens[-1].isascii()}
    words = _words_of(session, wanted) if wanted else {}
    out = []
    for term in terms:
        head, last = term.tokens[:-1], term.tokens[-1]
        found = words.get(last) if term.prefix else None
        if found:
            out.append(tuple(" ".join((*head, w)) for w in found))
        else:
            out.append((" ".join(term.tokens) + ("*" if term.prefix else ""),))
    return out


def _words_of(session: DbSession, prefixes: set[str]) -> dict[str, tuple[str, ...] | None]:
    """The indexed words each prefix starts (None: more than :data:`_MAX_WORDS`)."""
    from catalog.store.fts5_words import words_of

    return words_of(session.connection(), FTS_TABLE, prefixes, _MAX_WORDS)


def _fts5_match(phrases: list[tuple[str, ...]]) -> str:
    """The MATCH expression: every term, each any of its phrases. Tokens are letters and
    digits only and every phrase is quoted, so nothing the user typed is FTS5 syntax."""

    def quoted(phrase: str) -> str:
        return f'"{phrase[:-1]}"*' if phrase.endswith("*") else f'"{phrase}"'

    parts = [
        quoted(alts[0]) if len(alts) == 1 else "(" + " OR ".join(map(quoted, alts)) + ")"
        for alts in phrases
    ]
    return " AND ".join(parts)


def _fts5_tiers(phrases: list[tuple[str, ...]]) -> _Tiers:
    # The hidden column named like each table: the left side of MATCH, and bm25's handle.
    fts = table(FTS_TABLE, column("rowid", Integer))
    whole: ColumnElement[Any] = literal_column(FTS_TABLE)
    expression = _fts5_match(phrases)
    matches = select(fts.c.rowid).select_from(fts).where(whole.op("MATCH")(expression))
    titles = table(FTS_TITLE_TABLE, column("rowid", Integer))
    in_titles: ColumnElement[Any] = literal_column(FTS_TITLE_TABLE)
    title = select(titles.c.rowid).select_from(titles).where(in_titles.op("MATCH")(expression))
    bm25 = func.bm25(whole, *FTS5_WEIGHTS)  # lower is better
    # Filters test "rowid + 0", an expression FTS5 is not shown: given "rowid IN (...)"
    # it would run the whole MATCH again for every id of the list. "ORDER BY rowid
    # DESC LIMIT n" is FTS5's own order: it walks its doclists from the end and stops,
    # scoring those rows only.
    return _Tiers(
        _Tier(matches, fts.c.rowid + 0, fts.c.rowid.desc(), bm25, True),
        _Tier(title, titles.c.rowid + 0, titles.c.rowid.desc(), func.bm25(in_titles), True),
    )


# -- PostgreSQL ---------------------------------------------------------------------------


def has_pg_index(session: DbSession) -> bool:
    """The database has PostgreSQL's search table (migration 0006)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(text("SELECT to_regclass(:name)"), {"name": PG_TABLE}).scalar()
    return found is not None


def _pg_search_ready(session: DbSession) -> bool:
    """:func:`has_pg_index`, and if so, no parallel scans for the rest of the
    transaction, in one round trip: candidates taken in the order the server finds them
    must be the same ones on every page, and a parallel scan returns them in any order."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    found = session.execute(
        text(
            "SELECT CASE WHEN to_regclass(:name) IS NULL THEN false"
            " ELSE set_config('max_parallel_workers_per_gather', '0', true) = '0' END"
        ),
        {"name": PG_TABLE},
    ).scalar()
    return bool(found)


def _simple(value: Any) -> Any:
    # The config is inlined (not a bound parameter) so the expression is the very one
    # the GIN index of migration 0003 was built on, and the planner can use it.
    return func.to_tsvector(literal_column("'simple'"), value)


def _pg_tiers(terms: tuple[Term, ...]) -> _Tiers:
    query = func.to_tsquery(literal_column("'simple'"), tsquery_text(terms))
    search = table(PG_TABLE, column("paper_id", Integer), column("document"))
    paper = _paper_table()
    doc_id = search.c.paper_id
    matches = select(doc_id).where(search.c.document.op("@@")(query))
    title_vector = _simple(paper.c.title)
    title = select(paper.c.id).where(title_vector.op("@@")(query))
    rank = func.ts_rank(search.c.document, query)

    def rank_of(ids: list[int]) -> Select[Any]:
        # Titles have no stored vector, and to_tsvector(title) for each candidate costs
        # more than the search: their papers' documents are ranked instead (the title
        # weighs most there).
        return select(doc_id, rank).where(doc_id == any_(_int_array(ids)))

    def newest_of(session: DbSession, scope: _Scope, n: int) -> Select[Any] | None:
        # A year's papers (a few thousand, found by the year's indexes), newest first,
        # each tested against its document until n match: the planner would rather
        # test every one of them before sorting (a LATERAL subquery with OFFSET 0 is
        # not flattened into a join: it runs per paper, in the order given). That pays
        # for words in many documents; for rarer ones the planner's own plan (the GIN
        # index's few matches, then their years) is better.
        if not _common(session, matches):
            return None
        kept = select(paper.c.id).where(*scope.on_paper).order_by(paper.c.id.desc()).subquery()
        probe = (
            select(doc_id)
            .where(doc_id == kept.c.id, search.c.document.op("@@")(query))
            .offset(0)
            .lateral()
        )
        stmt = select(probe.c.paper_id).select_from(kept).join(probe, true())
        for ids in scope.conditions:
            stmt = stmt.where(kept.c.id.in_(ids.correlate(None)))
        return stmt.order_by(kept.c.id.desc()).limit(n)

    # Every match newest first: the planner walks paper_search's key backwards,
    # testing each document, and stops at the limit (or, for a rare word, sorts the
    # few the GIN index finds). The title tier's candidates are the first its GIN
    # index finds (storage order; no parallel scan: see _tiers).
    return _Tiers(
        _Tier(matches, doc_id, doc_id.desc(), rank, False, newest_of=newest_of),
        _Tier(title, paper.c.id, None, None, False, rank_of),
    )


def _common(session: DbSession, matches: Select[Any]) -> bool:
    """Whether PostgreSQL expects ``matches`` to hold so many documents M of the N that
    testing papers one by one until :data:`BOUND` + 1 match (about (BOUND + 1) * N / M
    tests) costs less than reading every match (M): M * M > (BOUND + 1) * N. From the
    planner's estimates (one EXPLAIN); False while the table has no statistics."""
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {_compiled(session, matches)}")).scalar()
    found: Any = json.loads(plan) if isinstance(plan, str) else plan
    estimate = float(found[0]["Plan"]["Plan Rows"])
    size = session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"), {"name": PG_TABLE}
    ).scalar()
    return size is not None and size > 0 and estimate * estimate > (BOUND + 1) * float(size)


def _compiled(session: DbSession, stmt: Select[Any]) -> str:
    """``stmt`` as SQL text with its values inlined (the search's own words, already
    reduced to a tsquery of letters and digits)."""
    dialect = session.get_bind().dialect
    return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@contextmanager
def _pg_deferred(session: DbSession, touched: set[int]) -> Iterator[None]:
    session.execute(text("SELECT set_config(:name, 'on', true)"), {"name": _PG_DEFER})
    yield
    ids = sorted(touched)
    for start in range(0, len(ids), 5000):
        session.execute(
            text("SELECT paper_search_refresh(CAST(:ids AS integer[]))"),
            {"ids": ids[start : start + 5000]},
        )
    session.execute(text("SELECT set_config(:name, 'off', true)"), {"name": _PG_DEFER})


# -- LIKE fallback ------------------------------------------------------------------------


def _like_pattern(parts: list[str]) -> str:
    """``%a%b%``: the parts in this order (a phrase's words, or one word as typed)."""
    escaped = [_escape_like(p.lower()) for p in parts]
    return "%" + "%".join(escaped) + "%"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(value: Any, pattern: str) -> ColumnElement[bool]:
    return func.lower(value).like(pattern, escape="\\")


def like_search(patterns: list[str]) -> Select[Any]:
    """Papers whose title, an author or an abstract matches every LIKE pattern."""
    paper = _paper_table()
    stmt = select(paper.c.id)
    for pattern in patterns:
        author_hit = (
            select(col(PaperAuthor.paper_id))
            .join(Author, col(Author.id) == col(PaperAuthor.author_id))
            .where(_contains(col(Author.name), pattern))
        )
        abstract_hit = select(col(Abstract.paper_id)).where(_contains(col(Abstract.text), pattern))
        stmt = stmt.where(
            or_(
                _contains(paper.c.title, pattern),
                paper.c.id.in_(author_hit),
                paper.c.id.in_(abstract_hit),
            )
        )
    return stmt


def _like_tiers(patterns: list[str]) -> _Tiers:
    paper = _paper_table()
    matches = like_search(patterns)
    in_title = and_(*(_contains(paper.c.title, p) for p in patterns))
    newest = paper.c.id.desc()
    unscored: ColumnElement[Any] = literal_column("0")
    return _Tiers(
        _Tier(matches, paper.c.id, newest, unscored, True),
        _Tier(matches.where(in_title), paper.c.id, newest, unscored, True),
    )


# -- bulk writes --------------------------------------------------------------------------


@contextmanager
def bulk_index(session: DbSession) -> Iterator[set[int]]:
    """Suspend the search index triggers for a bulk write; reindex the papers it touched
    once, at the end.

    The triggers rebuild a paper's index row on every author or abstract row written,
    so a bulk import would index each paper many times over. Inside the caller's write
    transaction the caller adds the ids of every paper it writes to the yielded set; at
    the end those papers are indexed once.

    * SQLite: the FTS5 triggers are dropped and put back as they were. SQLite's DDL is
      transactional and the writer holds the lock, so no other connection ever sees the
      database without its triggers.
    * PostgreSQL: a transaction-local setting tells the triggers to do nothing, so other
      transactions' writes are indexed as usual meanwhile.
    """
    touched: set[int] = set()
    if has_pg_index(session):
        with _pg_deferred(session, touched):
            yield touched
        return
    if not has_fts_index(session):
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
