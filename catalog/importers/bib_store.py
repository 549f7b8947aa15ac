"""Merge a .bib file's entries into the catalog.

Entries are matched to catalogued papers by any identifier they carry (arXiv id, DOI,
one in their URL), then URL, then title; a match is filled in (never overwriting what a
source said: :mod:`catalog.store.provenance`), gets the entry's identifiers, and keeps
the .bib citation key when it has none yet, so existing LaTeX documents keep citing it.
An entry whose only link is a video, slides, code or a blog post is an item of that type,
never matched by title.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session as DbSession
from sqlmodel import select

from catalog.errors import PostReadError
from catalog.records import Identifier, PaperView
from catalog.store.catalog import Catalog, set_abstract, set_authors, utcnow
from catalog.store.models import Paper
from catalog.store.sessions import find_paper_for
from catalog.text import title_key, url_key


@dataclass
class BibReport:
    path: str
    added: list[str] = field(default_factory=list)  # citation keys
    merged: list[str] = field(default_factory=list)
    # Entries skipped unread: the catalog held exactly what they say (bib_digests).
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _key_taken(s: DbSession, key: str, paper_id: int | None) -> bool:
    """Whether another paper has citation key ``key`` (as its key, or as a key it gave up
    in a merge, which still names it)."""
    from catalog.store.identifiers import ALIAS_SCHEME, papers_by_identifier

    owner = s.execute(select(Paper.id).where(Paper.citation_key == key)).scalar_one_or_none()
    if owner is None:
        alias = Identifier(ALIAS_SCHEME, key)
        owner = papers_by_identifier(s, [alias]).get(alias)
    return owner is not None and owner != paper_id


def entry_identity(view: PaperView) -> tuple[list[Identifier], str]:
    """The identifiers an entry carries (its arXiv id, its DOI, one its URL carries) and
    what it is: a paper, unless it has no identifier and its URL is a video, slides,
    code or a blog post (an entry's unknown web page is still a paper: someone cites it)."""
    from catalog.sources.ids import canonical_doi, identifier_in_url, link_kind

    idents = [Identifier("arxiv", view.arxiv_id)] if view.arxiv_id else []
    doi = canonical_doi(view.doi)
    if doi:
        idents.append(Identifier("doi", doi))
    found = identifier_in_url(view.url) if view.url else None
    if found is not None and found not in idents:
        if not (found.scheme == "arxiv" and view.arxiv_id):  # the eprint's id wins
            idents.append(found)
    kind = "paper"
    if not idents and view.url:
        kind = link_kind(view.url)
        kind = "paper" if kind == "web" else kind
    return idents, kind


def merge_entry(s: DbSession, view: PaperView) -> tuple[str, str]:
    """Store one .bib entry; return (status, citation key).

    What the entry says fills the paper where the precedence rule lets a .bib file
    (:mod:`catalog.store.provenance`): never over a source's value (arXiv, a published
    record), over a post's. Its identifiers are attached to the paper."""
    from catalog.store.identifiers import attach_identifiers
    from catalog.store.provenance import may_set

    idents, kind = entry_identity(view)
    paper = find_paper_for(
        s, arxiv_id=view.arxiv_id, url=view.url, title=view.title, identifiers=idents,
        by_title=kind == "paper",
    )  # fmt: skip
    status = "merged"
    if paper is None:
        status = "added"
        paper = Paper(
            title=view.title,
            title_key=title_key(view.title),
            categories=[],
            extra_fields={},
            field_sources={},
            item_type=kind,
            sync_source="bib",
            created_at=utcnow(),
        )
    sources = dict(paper.field_sources or {})
    if view.title and may_set("title", sources.get("title"), "bib"):
        paper.title = view.title
        paper.title_key = title_key(paper.title)
        sources["title"] = "bib"
    dated = may_set("published", sources.get("published"), "bib")
    if view.published and paper.published is None and dated:
        from datetime import UTC, datetime

        paper.published = datetime(
            view.published.year, view.published.month, view.published.day, tzinfo=UTC
        )
        sources["published"] = "bib"
    # Filled when empty: a link, arXiv's journal reference, a venue, a type.
    if view.url and not paper.url and may_set("url", sources.get("url"), "bib"):
        paper.url = view.url
        sources["url"] = "bib"
    paper.url_key = url_key(paper.url)
    paper.journal_ref = paper.journal_ref or view.journal_ref
    if view.venue and not paper.venue and may_set("venue", sources.get("venue"), "bib"):
        paper.venue = view.venue
        sources["venue"] = "bib"
    paper.entry_type = paper.entry_type or view.entry_type
    extra = dict(view.extra_fields)
    if view.doi and not any(i.scheme == "doi" for i in idents) and not view.arxiv_id:
        extra["doi"] = view.doi  # not a DOI the catalog can use: kept as written
    paper.extra_fields = {**extra, **(paper.extra_fields or {})}
    set_authors_now = bool(view.authors) and may_set("authors", sources.get("authors"), "bib")
    if set_authors_now:
        sources["authors"] = "bib"
    paper.field_sources = sources
    key = view.citation_key
    if key and paper.citation_key is None and not _key_taken(s, key, paper.id):
        paper.citation_key = key
    s.add(paper)
    s.flush()
    assert paper.id is not None
    if set_authors_now:
        set_authors(s, paper.id, view.authors)
    if view.abstract:
        set_abstract(s, paper.id, view.abstract, "bib", view.citation_key or "")
    attach_identifiers(s, paper.id, idents, "bib")  # last: it rewrites the copied columns
    return status, paper.citation_key or key or ""


# Entries stored per batch (bib_bulk.store_batch): the reader's pieces, gathered to about
# this many, bound what is held in memory whatever the file's size.
BATCH = 5000
# A file this big gets a page cache of IMPORT_CACHE_KB for its import (SQLite).
IMPORT_CACHE_FROM = 4 << 20
IMPORT_CACHE_KB = 128 << 10


def import_bib(
    catalog: Catalog,
    path: Path,
    *,
    dry_run: bool = False,
    piece: int | None = None,
    reread: bool = False,
) -> BibReport:
    """Import one .bib file: read in pieces, stored in batches, in one transaction.

    The whole file is one transaction (Catalog.write): an import that fails or is
    interrupted anywhere, on a file of any size, leaves the catalog as it was, and a
    re-run starts from a clean state. On SQLite other writers wait for it (they queue on
    the busy timeout); readers are not blocked (WAL). A big file is read by a forked
    worker while this process stores (:mod:`catalog.importers.bib_workers`;
    ``CATALOG_IMPORT_WORKERS=1`` reads it here). Entries the catalog already holds
    exactly are skipped unread and reported unchanged (:mod:`catalog.importers.bib_digests`);
    ``reread`` reads and merges every entry all the same."""
    try:
        path.open("rb").close()  # a missing or unreadable file fails before any write
        return catalog.write(bib_import_work(path, piece=piece, reread=reread), dry_run=dry_run)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PostReadError(f"{path}: cannot read .bib file: {reason}") from None


def bib_import_work(
    path: Path, *, piece: int | None = None, reread: bool = False
) -> Callable[[DbSession], BibReport]:
    """What :func:`import_bib` does inside its write transaction, as a function of it."""
    from catalog.gc_pause import fewer_collections
    from catalog.importers.bib import PIECE_CHARS, Unchanged, file_parse_stack, read_entry
    from catalog.importers.bib_bulk import Item, store_batch
    from catalog.importers.bib_digests import stored_digests
    from catalog.importers.bib_workers import read_batches, worker_count

    size = piece or PIECE_CHARS

    def open_lines() -> Iterator[str]:
        with path.open(encoding="utf-8") as f:
            yield from f

    stack: list[Any] = []

    def read_again(entry: Unchanged) -> PaperView:
        if not stack:  # only when a skipped entry's paper changed during this import
            stack.extend(file_parse_stack(open_lines, size))
        return read_entry(entry.text, stack)

    def work(s: DbSession) -> BibReport:
        with _sqlite_cache(s, path.stat().st_size), fewer_collections():
            return _work(s)

    def _work(s: DbSession) -> BibReport:
        report = BibReport(str(path))  # anew on each attempt: a retried write starts over
        pending: list[Item] = []
        lists = {"added": report.added, "merged": report.merged, "unchanged": report.unchanged}

        def store() -> None:
            for status, key in store_batch(s, pending, read_again):
                lists[status].append(key)
            pending.clear()

        known = {} if reread else stored_digests(s)  # before the reader starts: skipped unread
        workers = worker_count(path.stat().st_size, size)
        # closing: a failed store stops the worker now, not when the generator is collected
        with closing(
            read_batches(open_lines, str(path), size=size, workers=workers, known=known)
        ) as batches:
            for batch in batches:
                report.failed += batch.failed
                pending.extend(_items(batch))
                if len(pending) >= BATCH:
                    store()
        store()
        report.failed.sort()
        return report

    return work


@contextmanager
def _sqlite_cache(s: DbSession, size: int) -> Iterator[None]:
    """A bigger SQLite page cache while a big file is imported: SQLite's default of 2 MB
    holds a small part of the papers' indexes and full-text index once a catalog has
    tens of thousands of papers, and each batch then reads their pages back from the
    file. Taken for the import only (pooled connections keep their settings)."""
    conn = s.connection()
    if conn.dialect.name != "sqlite" or size < IMPORT_CACHE_FROM:
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def _items(batch: Any) -> Iterator[Any]:
    """A batch's papers (with their digests) and skipped entries, in the file's order."""
    digests = batch.digests or [None] * len(batch.papers)
    skipped = iter(batch.unchanged)
    following = next(skipped, None)
    for n, view in enumerate(batch.papers):
        while following is not None and following.position == n:
            yield following
            following = next(skipped, None)
        yield (view, digests[n])
    if following is not None:
        yield following
    yield from skipped


def import_bib_files(catalog: Catalog, files: list[Path], *, dry_run: bool, fmt: str) -> int:
    """The CLI side of ``catalog import refs.bib``; returns the number of failures."""
    reports = [import_bib(catalog, path, dry_run=dry_run) for path in files]
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in reports], indent=2, ensure_ascii=False))
    else:
        verb = "would add" if dry_run else "added"
        for r in reports:
            click.echo(
                f"{r.path}: {verb} {len(r.added)}, merged {len(r.merged)}"
                + (f", unchanged {len(r.unchanged)}" if r.unchanged else "")
                + (f", {len(r.failed)} blocks failed" if r.failed else "")
            )
    for r in reports:
        for line, message in r.failed:
            click.echo(f"{r.path}:{line}: could not parse: {message}", err=True)
    return sum(len(r.failed) for r in reports)
