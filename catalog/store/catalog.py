"""The library's face on the database: a :class:`Catalog` opened once per command.

Writes are short transactions that use ``INSERT ... ON CONFLICT`` on the unique keys
(arXiv id, author name, presenter key), so several processes adding the same paper at
once end with one row, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table, delete, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.errors import NotFound
from catalog.records import ArxivRecord, Identifier, PaperView, WorkRecord
from catalog.store.engine import WRITE_OPTION, is_transient, make_engine, resolve_url
from catalog.store.migrate import ensure_schema
from catalog.store.models import (
    Abstract,
    Author,
    Paper,
    PaperAuthor,
    PaperIdentifier,
    PaperVersion,
)
from catalog.store.paper_views import all_paper_views, paper_views_by_id
from catalog.text import title_key, url_key

if TYPE_CHECKING:
    from catalog.store.search import SearchFilters, SearchResult
    from catalog.store.works import WorkResult

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC (a naive time is taken to be UTC already)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class UpsertResult:
    """What storing one arXiv record did to the catalog."""

    arxiv_id: str
    status: str  # "added" | "updated" | "unchanged"
    paper_id: int
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    merged: list[int] = field(default_factory=list)  # papers that became this one (ids gone)


class Catalog:
    """A catalog database: open it once, use it, close it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Catalog:
        engine = make_engine(resolve_url(url))
        if migrate:
            ensure_schema(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[DbSession]:
        with DbSession(self.engine, expire_on_commit=False) as session:
            yield session

    def write(
        self, work: Callable[[DbSession], T], *, attempts: int = 5, dry_run: bool = False
    ) -> T:
        """Run ``work`` in one write transaction; commit, or roll back everything.

        With ``dry_run`` the work runs in full and is then rolled back, so a caller can
        report what would change without changing it.

        SQLite writers queue on the busy timeout; a write that still loses the race
        ("database is locked"; a PostgreSQL deadlock or serialization failure) is
        retried from the start, so the user never sees it.
        """
        for attempt in range(1, attempts + 1):
            try:
                with DbSession(self._writer, expire_on_commit=False) as session:
                    result = work(session)
                    if dry_run:
                        session.rollback()
                    else:
                        session.commit()
                    return result
            except OperationalError as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    # -- papers from arXiv --------------------------------------------------------

    def upsert_arxiv(self, records: Sequence[ArxivRecord]) -> list[UpsertResult]:
        """Store arXiv records in one transaction: add new papers, update known ones.

        Every writer takes its locks in one order (all new authors by name, then papers
        by arXiv id), so concurrent writers on PostgreSQL queue instead of deadlocking.
        """
        order = sorted(range(len(records)), key=lambda i: records[i].arxiv_id)

        def work(s: DbSession) -> list[UpsertResult]:
            ensure_authors(s, sorted({name for r in records for name in r.authors}))
            done = {i: upsert_arxiv_record(s, records[i]) for i in order}
            return [done[i] for i in range(len(records))]

        return self.write(work)

    # -- papers from other sources ----------------------------------------------

    def store_works(
        self,
        records: Sequence[WorkRecord],
        paper_ids: Sequence[int | None] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[WorkResult]:
        """Store records from Crossref, DBLP, OpenReview, ... in one transaction, each onto
        the paper given beside it (``paper_ids``, ``None`` for "find or add it"): see
        :func:`catalog.store.works.store_work`. With ``dry_run`` nothing is kept, and the
        results say what would change."""
        from catalog.store.works import store_work

        targets = list(paper_ids) if paper_ids is not None else [None] * len(records)
        if len(targets) != len(records):
            raise ValueError("paper_ids must name one paper (or None) per record")
        # Merges can remove a paper a later record names: follow it to the survivor.

        def work(s: DbSession) -> list[WorkResult]:
            moved: dict[int, int] = {}
            results = []
            for rec, target in zip(records, targets, strict=True):
                while target is not None and target in moved:
                    target = moved[target]
                result = store_work(s, rec, paper_id=target)
                for merge in result.merged:
                    moved[merge.gone] = merge.kept
                results.append(result)
            return results

        return self.write(work, dry_run=dry_run)

    def papers_by_identifier(self, idents: Sequence[Identifier]) -> dict[Identifier, PaperView]:
        """The catalogued paper of each identifier the catalog knows."""
        from catalog.store.identifiers import papers_by_identifier

        with self.read() as s:
            owners = papers_by_identifier(s, idents)
            views = {v.id: v for v in paper_views_by_id(s, sorted(set(owners.values())))}
        return {ident: views[pid] for ident, pid in owners.items() if pid in views}

    # -- lookups ------------------------------------------------------------------

    def find_paper(self, ref: str) -> PaperView:
        with self.read() as s:
            return paper_view(s, resolve_paper(s, ref))

    def list_papers(self) -> list[PaperView]:
        with self.read() as s:
            return all_paper_views(s)

    def search(
        self,
        query: str,
        *,
        filters: SearchFilters | None = None,
        limit: int | None = 20,
        offset: int = 0,
        abstracts_too: bool = True,
    ) -> SearchResult:
        """A page of the papers matching ``query``, best first, and how many match.

        Every word must match the title, an author or an abstract as a word prefix, and
        every quoted phrase must appear as written; title matches come first (see
        :mod:`catalog.store.search`). A query with nothing to search for lists every
        paper. ``limit=None`` gives every match. Matches are counted and ranked up to
        :data:`catalog.store.search.BOUND`: past it ``total_is_exact`` is false.
        """
        from catalog.store.search import SearchResult, search_ids

        with self.read() as s:
            found = search_ids(s, query, filters, limit=limit, offset=offset)
            papers = paper_views_by_id(s, found.ids, abstracts_too=abstracts_too)
            return SearchResult.of(papers, found)

    def list_papers_page(
        self,
        *,
        limit: int | None = 20,
        offset: int = 0,
        sort: str = "added",
        filters: SearchFilters | None = None,
        abstracts_too: bool = True,
    ) -> SearchResult:
        """A page of the papers in ``sort`` order, and how many there are in all.

        ``sort`` is one of ``added`` (catalog order), ``key`` (citation key), ``title``,
        ``year``; a leading ``-`` reverses it (``-year``: newest first).
        """
        from catalog.store.search import SearchResult, list_ids

        with self.read() as s:
            found = list_ids(s, filters, sort=sort, limit=limit, offset=offset)
            papers = paper_views_by_id(s, found.ids, abstracts_too=abstracts_too)
            return SearchResult.of(papers, found)

    def remove_paper(self, ref: str) -> PaperView:
        def work(s: DbSession) -> PaperView:
            paper = resolve_paper(s, ref)
            view = paper_view(s, paper)
            s.execute(delete(Paper).where(col(Paper.id) == paper.id))
            return view

        return self.write(work)

    def versions(self, paper_id: int) -> list[tuple[int, datetime | None]]:
        with self.read() as s:
            rows = s.execute(
                select(PaperVersion.version, PaperVersion.date)
                .where(PaperVersion.paper_id == paper_id)
                .order_by(col(PaperVersion.version))
            ).all()
            return [(v, d) for v, d in rows]


# -- building blocks used inside transactions ------------------------------------------


def _insert_ignore(
    session: DbSession, table: Any, rows: list[dict[str, Any]], keys: list[str]
) -> int:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, in the dialect at hand; rows inserted."""
    if not rows:
        return 0
    sa_table: Table = table.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(sa_table).values(rows).on_conflict_do_nothing(index_elements=keys)
        # psycopg reports no rowcount here: count the rows RETURNING gives back instead.
        return len(session.execute(stmt.returning(sa_table.c[keys[0]])).all())
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(sa_table).values(rows).on_conflict_do_nothing(index_elements=keys)
    return int(session.execute(lite).rowcount)  # type: ignore[attr-defined]


def insert_ignore_many(
    session: DbSession, table: Any, rows: Sequence[dict[str, Any]], keys: list[str]
) -> None:
    """Like ``_insert_ignore`` for many rows: one statement compiled once, executed for
    every row (multi-row VALUES would compile thousands of parameters each time)."""
    if not rows:
        return
    sa_table: Table = table.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(sa_table).on_conflict_do_nothing(index_elements=keys)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(sa_table).on_conflict_do_nothing(index_elements=keys)
    session.execute(stmt, list(rows))


def ensure_authors(session: DbSession, names: Sequence[str]) -> dict[str, int]:
    """Author ids by name, creating the authors that are new."""
    unique = list(dict.fromkeys(n for n in names if n))
    # Sorted: concurrent writers lock new names in one order (no deadlock on PostgreSQL).
    insert_ignore_many(session, Author, [{"name": n} for n in sorted(unique)], ["name"])
    found: dict[str, int] = {}
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        stmt = select(Author.name, Author.id).where(col(Author.name).in_(chunk))
        found.update({name: author_id for name, author_id in session.execute(stmt) if author_id})
    return found


def set_authors(session: DbSession, paper_id: int, names: Sequence[str]) -> None:
    ids = ensure_authors(session, names)
    session.execute(delete(PaperAuthor).where(col(PaperAuthor.paper_id) == paper_id))
    rows = [
        {"paper_id": paper_id, "position": i, "author_id": ids[name]}
        for i, name in enumerate(dict.fromkeys(names))
        if name
    ]
    if rows:
        session.execute(PaperAuthor.__table__.insert(), rows)  # type: ignore[attr-defined]


def author_names(session: DbSession, paper_id: int) -> list[str]:
    rows = session.execute(
        select(Author.name)
        .join(PaperAuthor, col(PaperAuthor.author_id) == col(Author.id))
        .where(PaperAuthor.paper_id == paper_id)
        .order_by(col(PaperAuthor.position))
    )
    return [name for (name,) in rows]


def set_abstract(session: DbSession, paper_id: int, text: str, source: str, ref: str = "") -> None:
    existing = session.execute(
        select(Abstract).where(
            Abstract.paper_id == paper_id, Abstract.source == source, Abstract.source_ref == ref
        )
    ).scalar_one_or_none()
    if existing is None:
        _insert_ignore(
            session,
            Abstract,
            [{"paper_id": paper_id, "text": text, "source": source, "source_ref": ref}],
            ["paper_id", "source", "source_ref"],
        )
    elif existing.text != text:
        existing.text = text
        session.add(existing)


def paper_by_arxiv_id(session: DbSession, arxiv_id: str, *, lock: bool = False) -> Paper | None:
    """The paper with this arXiv id; ``lock`` holds its row until commit (PostgreSQL)."""
    stmt = select(Paper).where(Paper.arxiv_id == arxiv_id)
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def arxiv_dois(text: str | None) -> list[str]:
    """The DOIs in arXiv's DOI field (it may hold several, space-separated), canonical;
    malformed ones are left out."""
    from catalog.sources.ids import canonical_doi

    found: list[str] = []
    for part in (text or "").replace(",", " ").split():
        doi = canonical_doi(part)
        if doi and doi not in found:
            found.append(doi)
    return found


def upsert_arxiv_record(session: DbSession, rec: ArxivRecord) -> UpsertResult:
    """Add or refresh one paper from arXiv's answer, inside the caller's transaction.

    The paper is the one with this arXiv id, else (when no paper has arXiv's DOI) one
    this title names (:func:`catalog.store.works.title_match`), else a new one. Its arXiv
    id and the DOIs arXiv gives become its identifiers (an arXiv DOI it no longer gives
    is dropped); a DOI that already belongs to another paper merges that paper into this
    one (the older of the two survives and is the result's ``paper_id``), unless the
    other has another arXiv id.
    """
    from catalog.store.identifiers import (
        attach_identifiers,
        detach_identifiers,
        exclusive_conflicts,
        papers_by_identifier,
        register_arxiv_id,
    )
    from catalog.store.provenance import may_set
    from catalog.store.works import merge_papers, title_match

    now = utcnow()
    published, updated = as_utc(rec.published), as_utc(rec.updated)
    arxiv = Identifier("arxiv", rec.arxiv_id)
    # Locked (PostgreSQL; SQLite writers are serial anyway): a concurrent writer of the
    # same paper waits here, then reads what the first one committed.
    dois = [Identifier("doi", d) for d in arxiv_dois(rec.doi)]
    paper = paper_by_arxiv_id(session, rec.arxiv_id, lock=True)
    known = paper is not None  # its column names the arXiv id: so does (or will) its row
    if paper is None and not (dois and papers_by_identifier(session, dois)):
        year = published.year if published else None
        paper = title_match(session, rec.title, rec.authors, identifiers=[arxiv, *dois], year=year)
    status = "updated"
    old_authors: list[str] = []
    if paper is None:
        # A bare row, then its arXiv identifier: the unique key decides who adds the paper.
        table: Table = Paper.__table__  # type: ignore[attr-defined]
        done: Any = session.execute(
            table.insert().values(
                title=rec.title,
                title_key=title_key(rec.title),
                categories=[],
                extra_fields={},
                field_sources={},
                item_type="paper",
                created_at=now,
            )  # fmt: skip
        )
        new_id = int(done.inserted_primary_key[0])
        attached = attach_identifiers(session, new_id, [arxiv], "arxiv")
        if attached.added:
            status = "added"
        else:  # another writer added it first, and has committed
            session.execute(delete(Paper).where(col(Paper.id) == new_id))
        paper = paper_by_arxiv_id(session, rec.arxiv_id, lock=True)
        assert paper is not None and paper.id is not None
        if status != "added":
            old_authors = author_names(session, paper.id)
    else:
        assert paper.id is not None
        old_authors = author_names(session, paper.id)
        if known:
            register_arxiv_id(session, paper.id, rec.arxiv_id)
        else:  # a paper known by its title until now
            attach_identifiers(session, paper.id, [arxiv], "arxiv")
    assert paper.id is not None
    paper_id = paper.id
    doi_before = paper.doi

    # arXiv's DOIs: another paper holding one is this paper, published.
    merged: list[int] = []
    owners = papers_by_identifier(session, dois) if dois else {}
    for other in sorted(set(owners.values()) - {paper_id}):
        if not exclusive_conflicts(session, paper_id, other):
            keep, gone = min(paper_id, other), max(paper_id, other)
            merge_papers(session, keep, gone)
            merged.append(gone if keep == paper_id else paper_id)
            paper_id = keep
    if dois:
        attach_identifiers(session, paper_id, dois, "arxiv")
    # A DOI arXiv gave before and gives no more is withdrawn (only arXiv's own: one a
    # published record or a post gave stays). One query when there is none (most papers).
    ids_table: Table = PaperIdentifier.__table__  # type: ignore[attr-defined]
    from_arxiv = session.execute(
        select(ids_table.c.value).where(
            ids_table.c.paper_id == paper_id,
            ids_table.c.scheme == "doi",
            ids_table.c.source == "arxiv",
        )
    ).scalars()
    stale = [Identifier("doi", v) for v in from_arxiv if Identifier("doi", v) not in dois]
    if stale:
        detach_identifiers(session, paper_id, stale)
    paper = session.get(Paper, paper_id)
    assert paper is not None

    changes: dict[str, Any] = {}
    if status == "updated":
        if paper.version != rec.version:
            changes["version"] = (paper.version, rec.version)
        if paper.title != rec.title:
            changes["title"] = (paper.title, rec.title)
        if old_authors != list(rec.authors):
            changes["authors"] = (old_authors, list(rec.authors))

    sources = dict(paper.field_sources or {})
    for name in ("title", "authors", "url", "published"):  # arXiv's, always (the rule)
        if may_set(name, sources.get(name), "arxiv"):
            sources[name] = "arxiv"
    paper.version = rec.version
    paper.title = rec.title
    paper.title_key = title_key(rec.title)
    paper.url = rec.url
    paper.url_key = url_key(rec.url)
    paper.published = published
    paper.updated = updated
    paper.primary_category = rec.primary_category
    paper.categories = list(rec.categories)
    paper.journal_ref = rec.journal_ref
    paper.comment = rec.comment
    paper.item_type = "paper"
    paper.field_sources = sources
    paper.synced_at = now
    paper.sync_source = "arxiv"
    paper.sync_error = None  # found now, whatever an earlier sync said
    session.add(paper)
    session.flush()
    if status == "added" or merged or old_authors != list(rec.authors):
        set_authors(session, paper_id, rec.authors)
    if rec.abstract:
        set_abstract(session, paper_id, rec.abstract, "arxiv")
    version_rows = [{"paper_id": paper_id, "version": rec.version, "date": updated, "seen_at": now}]
    if rec.version > 1 and published is not None:
        version_rows.append({"paper_id": paper_id, "version": 1, "date": published, "seen_at": now})
    _insert_ignore(session, PaperVersion, version_rows, ["paper_id", "version"])
    if status == "updated" and (dois or stale or merged):
        session.refresh(paper, ["doi"])
        if paper.doi != doi_before:
            changes["doi"] = (doi_before, paper.doi)
    if status == "updated" and not changes and not merged:
        status = "unchanged"
    return UpsertResult(rec.arxiv_id, status, paper_id, changes, merged)


def resolve_paper(session: DbSession, ref: str) -> Paper:
    """Find a paper by any identifier in any accepted form (arXiv id, DOI, OpenReview,
    PMLR, NeurIPS, ACL or DBLP id, or a page URL carrying one), citation key (a key the
    paper gave up in a merge too) or catalog number."""
    from catalog.errors import InvalidIdentifier
    from catalog.sources.ids import parse_identifier
    from catalog.store.identifiers import ALIAS_SCHEME, papers_by_identifier

    ref = ref.strip()
    paper: Paper | None = None
    try:
        ident = parse_identifier(ref)
    except InvalidIdentifier:
        ident = None
    if ident is not None:
        owner = papers_by_identifier(session, [ident]).get(ident)
        paper = session.get(Paper, owner) if owner is not None else None
    if paper is None:
        paper = session.execute(select(Paper).where(Paper.citation_key == ref)).scalar_one_or_none()
    if paper is None:
        alias = Identifier(ALIAS_SCHEME, ref)
        owner = papers_by_identifier(session, [alias]).get(alias)
        paper = session.get(Paper, owner) if owner is not None else None
    if paper is None and ref.isdigit():
        paper = session.get(Paper, int(ref))
    if paper is None:
        raise NotFound(f"no paper {ref!r} in the catalog{_suggest_papers(session, ref)}")
    return paper


# Up to this many papers, every id and key is compared with a name not found; above,
# only those that begin as it does (a range of each column's index), so that a 404 on a
# catalog of 100,000 papers is answered in milliseconds.
_SUGGEST_ALL_UP_TO = 5000


def _suggest_papers(session: DbSession, ref: str) -> str:
    """``"; did you mean a, b?"``: the arXiv ids and citation keys nearest ``ref``,
    scored with rapidfuzz (difflib's ratio, in C)."""
    from rapidfuzz import fuzz, process

    largest = session.execute(select(func.max(col(Paper.id)))).scalar() or 0
    prefix = ref[:2] if largest > _SUGGEST_ALL_UP_TO and len(ref) >= 2 else ""
    names: list[str] = []
    for column in (col(Paper.arxiv_id), col(Paper.citation_key)):
        stmt = select(column).where(column.is_not(None))
        if prefix:  # the range the index serves: prefix <= name < prefix + U+10FFFF
            stmt = stmt.where(column >= prefix, column < prefix + "\U0010ffff")
        names += [name for name in session.execute(stmt).scalars() if name]
    found = process.extract(ref, names, scorer=fuzz.ratio, limit=3, score_cutoff=60)
    close = [name for name, _score, _index in found]
    return f"; did you mean {', '.join(close)}?" if close else ""


def paper_view(session: DbSession, paper: Paper) -> PaperView:
    return paper_views(session, [paper])[0]


def paper_views(session: DbSession, papers: Sequence[Paper]) -> list[PaperView]:
    """Read-only views of ``papers``, in their order."""
    return paper_views_by_id(session, [p.id for p in papers if p.id is not None])
