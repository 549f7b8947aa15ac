"""Storing parsed posts as sessions, many posts at a time.

Idempotent: the same paper is one paper (matched by any identifier its link carries,
arXiv id, DOI, OpenReview, PMLR, NeurIPS, ACL or DBLP id, then by normalised URL, then by
normalised title), and a re-imported post replaces its session's rows, so an edited post
updates its session and an unchanged one is reported "unchanged". The identifiers a row's
link carries are attached to its paper. A link that is not a paper (a video, slides, a
blog post, code: :func:`catalog.sources.ids.link_kind`) is an item of that type, matched
by its URL only, never by its title. What a post says never overwrites what a source said
(:mod:`catalog.store.provenance`).

The work is set-based (a few statements per batch of posts, not per row), because a
group's whole ``_posts/`` folder is imported at once: 1,000 posts of 10 rows would
otherwise cost well over a hundred thousand round trips to the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, delete, exists, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.records import Identifier
from catalog.store.catalog import ensure_authors, insert_ignore_many, utcnow
from catalog.store.identifiers import attach_many, attach_new, new_paper_columns
from catalog.store.models import (
    Abstract,
    Author,
    Paper,
    PaperAuthor,
    PaperIdentifier,
    Presentation,
    PresentationPaper,
    Presenter,
    Session,
)
from catalog.store.paper_views import preferred
from catalog.store.provenance import may_set
from catalog.store.search import bulk_index
from catalog.store.sessions import session_views
from catalog.text import presenter_key, title_key, url_key

if TYPE_CHECKING:
    from catalog.posts.model import Footnote, PaperEntry, Post, Row
    from catalog.records import SessionView

# Rows per multi-row INSERT: well under SQLite's limit on bound variables.
_CHUNK = 500


@dataclass
class PostImport:
    """What importing one post did (or would do, with --dry-run)."""

    path: str
    slug: str
    status: str  # "added" | "updated" | "unchanged"
    papers_added: list[str] = field(default_factory=list)  # titles
    presenters_added: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass(frozen=True)
class RowPaper:
    """What a row says about one of its papers (most rows have one; a joint talk several)."""

    arxiv_id: str | None
    url: str | None
    title: str
    authors: list[str]
    venue: str | None
    abstract: str | None
    footnote: Footnote | None
    identifiers: tuple[Identifier, ...] = ()  # what its link carries (arXiv id first)
    item_type: str = "paper"  # or what its link is: "video", "slides", "blog", "code", "web"


# -- what a row is about -------------------------------------------------------------------


def row_url(row: Row) -> str | None:
    """The row's paper link, if it has a real one (not empty, not a site-relative file)."""
    for link in row.paper_links:
        if link.url and not link.url.startswith("{{"):
            return link.url
    return None


_YEAR_ONLY = re.compile(r"\(?\s*(19|20)\d\d\s*\)?")


def _venue(text: str | None) -> str | None:
    """A venue worth keeping: "ICML18" is one, a bare "(2016)" after the authors is not."""
    if not text or _YEAR_ONLY.fullmatch(text.strip()):
        return None
    return text


def _other_links(row: Row, papers: Sequence[RowPaper]) -> list[dict[str, str]]:
    """The row's links that are not its papers' (``[code](...)``): kept, not lost."""
    own = {row_url(row)} | {p.url for p in papers}
    return [
        {"text": link.text, "url": link.url}
        for link in row.paper_links
        if link.url and link.url not in own
    ]


def _entry_url(entry: PaperEntry) -> str | None:
    for link in entry.links:
        if link.url and not link.url.startswith("{{"):
            return link.url
    return None


def _identity(ref: RowPaper) -> RowPaper:
    """``ref`` with the identifiers its link carries and what kind of item it is: a paper
    when it has an identifier, no link (a title and maybe a footnote), or a link to a
    paper (:func:`~catalog.sources.ids.link_kind`); a page of another kind ("web")
    that the row's footnote gives authors for is taken for a paper too."""
    from dataclasses import replace

    from catalog.sources.ids import identifier_in_url, link_kind

    idents = [Identifier("arxiv", ref.arxiv_id)] if ref.arxiv_id else []
    # Most links are the arXiv links the parser read the id from already.
    if ref.url and not (ref.arxiv_id and "arxiv.org/" in ref.url):
        found = identifier_in_url(ref.url)
        if found is not None and found not in idents and not (found.scheme == "arxiv" and idents):
            idents.append(found)
    kind = "paper"
    if not idents and ref.url:
        kind = link_kind(ref.url)
        if kind == "web" and ref.footnote is not None and ref.footnote.authors:
            kind = "paper"
    return replace(ref, identifiers=tuple(idents), item_type=kind)


def row_papers(
    row: Row, own: Mapping[int, Footnote], by_label: Mapping[str, Footnote]
) -> list[RowPaper]:
    """The papers a row is about, one per paper it names (``row.papers``), with the
    footnote about each (``own``: index in ``row.papers`` -> footnote).

    A paper is one when it has an arXiv id, a link, a footnote with a title, or a
    title with authors or an abstract (a headings entry without a link: imported by
    its title, ready for ``catalog resolve``). A survey talk names none.
    """
    papers = []
    for k, entry in enumerate(row.papers):
        fn = own.get(k)
        if fn is None and not entry.title and len(entry.labels) == 1:
            fn = by_label.get(entry.labels[0])  # named only by its link and its reference
        link = _entry_url(entry)
        described = bool(entry.title) and bool(entry.authors or entry.abstract)
        if not (entry.arxiv_id or link or (fn is not None and fn.title) or described):
            continue
        papers.append(
            _identity(
                RowPaper(
                    arxiv_id=entry.arxiv_id,
                    url=link,
                    title=entry.title or (fn.title if fn else None) or link or "untitled",
                    authors=entry.authors or (fn.authors if fn else []),
                    venue=_venue(entry.venue) or _venue(fn.venue if fn else None),
                    abstract=(fn.abstract if fn else None) or entry.abstract,
                    footnote=fn,
                )
            )
        )
    return papers


# -- papers ------------------------------------------------------------------------------------


@dataclass
class _Known:
    """The few columns of a catalogued paper that matching and filling in need."""

    id: int
    arxiv_id: str | None
    url_key: str | None
    title_key: str
    venue: str | None
    item_type: str
    sources: dict[str, str]  # field_sources: who gave each field
    has_ids: bool  # has any identifier: then it is never matched by title
    changed: bool = False  # sources or item_type to write back


_PAPER_COLUMNS = ("id", "arxiv_id", "url_key", "title_key", "venue", "item_type", "field_sources")


def _known(row: Any) -> _Known:
    return _Known(row.id, row.arxiv_id, row.url_key, row.title_key, row.venue,
                  row.item_type or "paper", dict(row.field_sources or {}),
                  bool(row.has_ids))  # fmt: skip


class _PaperIndex:
    """The catalogued papers a batch of posts may name, found the way ``find_paper_for``
    finds one (identifiers first), and kept current as the batch adds papers."""

    def __init__(self, s: DbSession, refs: Sequence[RowPaper]) -> None:
        self.by_ident: dict[Identifier, _Known] = {}
        self.by_url: dict[str, _Known] = {}
        self.by_title: dict[str, _Known] = {}  # papers without identifiers only
        self.by_id: dict[int, _Known] = {}
        # Each key only for the refs the previous one did not find: most rows have an
        # identifier, so URLs and titles are rarely asked for.
        self.load_identifiers(s, sorted({i for r in refs for i in r.identifiers}))
        rest = [r for r in refs if not any(i in self.by_ident for i in r.identifiers)]
        self.load(s, "url_key", sorted({k for r in rest if (k := url_key(r.url))}))
        rest = [r for r in rest if self.find(r) is None]
        self.load(s, "title_key", sorted({k for r in rest if (k := title_key(r.title))}))

    def _columns(self) -> list[Any]:
        table, ids = _paper_table(), _identifier_table().alias("any_id")
        some_id = exists().where(ids.c.paper_id == table.c.id, ids.c.scheme != "key")
        has_ids = or_(table.c.arxiv_id.is_not(None), some_id)
        return [table.c[name] for name in _PAPER_COLUMNS] + [has_ids.label("has_ids")]

    def load(self, s: DbSession, column: str, values: Sequence[str]) -> None:
        table = _paper_table()
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            stmt = sa_select(*self._columns()).where(table.c[column].in_(chunk))
            for row in s.execute(stmt.order_by(table.c.id)):
                self.add(_known(row))

    def load_identifiers(self, s: DbSession, idents: Sequence[Identifier]) -> None:
        table, ids = _paper_table(), _identifier_table()
        by_scheme: dict[str, list[str]] = {}
        for ident in idents:
            by_scheme.setdefault(ident.scheme, []).append(ident.value)
        for scheme, values in sorted(by_scheme.items()):
            for start in range(0, len(values), _CHUNK):
                chunk = values[start : start + _CHUNK]
                if scheme == "arxiv":  # the paper row's own copy: no join (most rows)
                    stmt = sa_select(*self._columns(), table.c.arxiv_id.label("ident_value"))
                    stmt = stmt.where(table.c.arxiv_id.in_(chunk)).order_by(table.c.id)
                else:
                    stmt = (
                        sa_select(*self._columns(), ids.c.value.label("ident_value"))
                        .join(ids, ids.c.paper_id == table.c.id)
                        .where(ids.c.scheme == scheme, ids.c.value.in_(chunk))
                        .order_by(table.c.id)
                    )
                for row in s.execute(stmt):
                    paper = self.by_id.get(row.id) or _known(row)
                    self.add(paper)
                    self.by_ident.setdefault(Identifier(scheme, row.ident_value), paper)

    def add(self, paper: _Known, idents: Sequence[Identifier] = ()) -> None:
        self.by_id.setdefault(paper.id, paper)
        for ident in idents:
            self.by_ident.setdefault(ident, paper)
        if paper.url_key:
            self.by_url.setdefault(paper.url_key, paper)
        if not paper.has_ids and paper.item_type == "paper" and paper.title_key:
            self.by_title.setdefault(paper.title_key, paper)

    def find(self, ref: RowPaper) -> _Known | None:
        for ident in ref.identifiers:
            if ident in self.by_ident:
                return self.by_ident[ident]
        key = url_key(ref.url)
        if key and key in self.by_url:
            paper = self.by_url[key]
            if not ref.arxiv_id or paper.arxiv_id in (None, ref.arxiv_id):
                return paper
        # A paper with an identifier is matched by it, or is new: a same-titled paper may
        # be another one. Links that are not papers are matched by their URL only.
        if ref.identifiers or ref.item_type != "paper":
            return None
        return self.by_title.get(title_key(ref.title))


def _paper_table() -> Table:
    return Paper.__table__  # type: ignore[attr-defined,no-any-return]


def _identifier_table() -> Table:
    return PaperIdentifier.__table__  # type: ignore[attr-defined,no-any-return]


def _new_paper(ref: RowPaper, now: datetime, *, identified: bool = False) -> dict[str, Any]:
    """A new paper's row; ``identified``: with the columns that copy its identifiers,
    which :func:`~catalog.store.identifiers.attach_new` attaches next."""
    url = ref.url or (f"https://arxiv.org/abs/{ref.arxiv_id}" if ref.arxiv_id else None)
    sources = {"title": "post"}
    if url:
        sources["url"] = "post"
    if ref.venue:
        sources["venue"] = "post"
    copies: dict[str, Any] = {}
    if identified:
        copies = new_paper_columns(ref.identifiers, "post")
        if copies.pop("doi_source"):
            sources["doi"] = "post"
    return {
        **copies,
        "title": ref.title,
        "title_key": title_key(ref.title),
        "url": url,
        "url_key": url_key(url),
        "venue": ref.venue,
        "categories": [],
        "extra_fields": {},
        "field_sources": sources,
        "item_type": ref.item_type,
        "sync_source": "post",
        "created_at": now,
    }


def _resolve_papers(
    s: DbSession, refs: Sequence[RowPaper], seen_authors: Mapping[int, list[str]]
) -> tuple[list[int], set[int]]:
    """The paper id of each ref (creating papers that are new), and the ids created."""
    index = _PaperIndex(s, refs)
    now = utcnow()
    table = _paper_table()
    pending: dict[Identifier, RowPaper] = {}  # new papers with identifiers: added together
    for ref in refs:
        if ref.identifiers and index.find(ref) is None:
            pending.setdefault(ref.identifiers[0], ref)
    created: set[int] = set()
    if pending:
        news = list(pending.values())
        rows = [_new_paper(r, now, identified=True) for r in news]
        # Papers with an arXiv id (most) in one statement, found again by that id (the
        # unique column decides between concurrent writers); the others one insert each.
        with_arxiv = [row for row in rows if row["arxiv_id"]]
        insert_ignore_many(s, Paper, with_arxiv, ["arxiv_id"])
        by_arxiv: dict[str, int] = {}
        wanted = sorted(row["arxiv_id"] for row in with_arxiv)
        for start in range(0, len(wanted), _CHUNK):
            stmt = sa_select(table.c.arxiv_id, table.c.id).where(
                table.c.arxiv_id.in_(wanted[start : start + _CHUNK])
            )
            by_arxiv.update(dict(s.execute(stmt).all()))
        new_ids = []
        for row in rows:
            if row["arxiv_id"]:
                new_ids.append(by_arxiv[row["arxiv_id"]])
            else:
                done: Any = s.execute(table.insert().values(**row))
                new_ids.append(done.inserted_primary_key[0])
        pairs = list(zip(new_ids, news, strict=True))
        attached = attach_new(s, [(pid, i, "post") for pid, r in pairs for i in r.identifiers])
        # Papers another writer added meanwhile (their first identifier is taken): theirs
        # are the papers, ours go.
        lost = {pid for pid, r in pairs if (pid, r.identifiers[0]) in attached.taken}
        if lost:
            s.execute(table.delete().where(table.c.id.in_(sorted(lost))))
            index.load_identifiers(s, [r.identifiers[0] for pid, r in pairs if pid in lost])
        for pid, ref, row in zip(new_ids, news, rows, strict=True):
            if pid not in lost:
                new = _Known(pid, ref.arxiv_id, row["url_key"], row["title_key"], row["venue"],
                             ref.item_type, row["field_sources"], True)  # fmt: skip
                index.add(new, ref.identifiers)
                created.add(pid)
    ids: list[int] = []
    for ref in refs:
        paper = index.find(ref)
        if paper is None:  # no identifier: one insert each (rare), found by URL or title after
            row = _new_paper(ref, now)
            result: Any = s.execute(table.insert().values(**row))
            paper = _Known(result.inserted_primary_key[0], None, row["url_key"],
                           row["title_key"], row["venue"], ref.item_type,
                           row["field_sources"], False)  # fmt: skip
            created.add(paper.id)
            index.add(paper)
        ids.append(paper.id)
    _attach_seen(s, refs, ids, index)
    _fill_papers(s, refs, ids, created, index, seen_authors)
    return ids, created


def _first(news: Sequence[RowPaper], new_ids: Sequence[int], pid: int) -> Identifier:
    return news[list(new_ids).index(pid)].identifiers[0]


def _attach_seen(
    s: DbSession, refs: Sequence[RowPaper], ids: Sequence[int], index: _PaperIndex
) -> None:
    """Identifiers the rows' links carry that their papers do not have yet, attached
    (one another paper has stays with it); a paper known only from posts whose link now
    reads as another kind of item is retyped."""
    items: dict[Identifier, int] = {}
    for ref, pid in zip(refs, ids, strict=True):
        paper = index.by_id[pid]
        for ident in ref.identifiers:
            if ident not in index.by_ident and ident not in items:
                items[ident] = pid
        only_posts = all(source == "post" for source in paper.sources.values())
        if (
            only_posts and not paper.has_ids and not ref.identifiers
            and paper.url_key and paper.url_key == url_key(ref.url)
            and paper.item_type != ref.item_type
        ):  # fmt: skip
            paper.item_type = ref.item_type
            paper.changed = True
    attached = attach_many(s, [(pid, ident, "post") for ident, pid in items.items()])
    for pid, ident in attached.added:
        paper = index.by_id[pid]
        paper.has_ids = True
        index.by_ident.setdefault(ident, paper)
        if ident.scheme == "arxiv":
            paper.arxiv_id = ident.value


def _fill_papers(
    s: DbSession,
    refs: Sequence[RowPaper],
    ids: list[int],
    created: set[int],
    index: _PaperIndex,
    seen_authors: Mapping[int, list[str]],
) -> None:
    """Authors and venues the posts give, for papers arXiv has not described yet.

    ``seen_authors`` holds the authors already read (with the sessions' snapshots), so
    only the other papers' authors are asked for."""
    table = _paper_table()
    authors: dict[int, list[str]] = {}
    for ref, paper_id in zip(refs, ids, strict=True):
        paper = index.by_id[paper_id]
        sources = paper.sources
        if (
            ref.authors
            and paper_id not in authors
            and may_set("authors", sources.get("authors"), "post")
        ):
            authors[paper_id] = list(dict.fromkeys(a for a in ref.authors if a))
            if sources.get("authors") != "post":
                sources["authors"] = "post"
                paper.changed = True
        # A venue is filled once: the first post that names one gives it.
        if paper.venue is None and ref.venue and may_set("venue", sources.get("venue"), "post"):
            paper.venue = ref.venue
            sources["venue"] = "post"
            paper.changed = True
            s.execute(table.update().where(table.c.id == paper_id).values(venue=ref.venue))
    dirty = [
        {"b_id": p.id, "field_sources": p.sources, "item_type": p.item_type}
        for p in index.by_id.values()
        if p.changed
    ]
    if dirty:
        s.connection().execute(
            table.update()
            .where(table.c.id == bindparam("b_id"))
            .values(field_sources=bindparam("field_sources"), item_type=bindparam("item_type")),
            dirty,
        )
    current: dict[int, list[str]] = {p: list(seen_authors[p]) for p in authors if p in seen_authors}
    known = sorted(set(authors) - created - set(current))  # new papers have no authors yet
    for start in range(0, len(known), _CHUNK):
        for paper_id, name in s.execute(
            select(PaperAuthor.paper_id, Author.name)
            .join(Author, col(Author.id) == col(PaperAuthor.author_id))
            .where(col(PaperAuthor.paper_id).in_(known[start : start + _CHUNK]))
            .order_by(col(PaperAuthor.paper_id), col(PaperAuthor.position))
        ):
            current.setdefault(paper_id or 0, []).append(name)
    changed = {pid: names for pid, names in authors.items() if current.get(pid, []) != names}
    if not changed:
        return
    author_ids = ensure_authors(s, [n for names in changed.values() for n in names])
    replaced = sorted(set(changed) - created)
    for start in range(0, len(replaced), _CHUNK):
        s.execute(
            delete(PaperAuthor).where(
                col(PaperAuthor.paper_id).in_(replaced[start : start + _CHUNK])
            )
        )
    rows = [
        {"paper_id": pid, "position": i, "author_id": author_ids[name]}
        for pid in sorted(changed)
        for i, name in enumerate(changed[pid])
    ]
    if rows:
        s.execute(PaperAuthor.__table__.insert(), rows)  # type: ignore[attr-defined]


# -- presenters ------------------------------------------------------------------------------


def _presenters(s: DbSession, names: Sequence[str]) -> tuple[dict[str, int], set[str]]:
    """Presenter id by key for ``names`` (creating new ones), and the keys created."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(presenter_key(name), name.strip())
    keys = sorted(first)
    existing: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        stmt = select(Presenter.key, Presenter.id).where(
            col(Presenter.key).in_(keys[start : start + _CHUNK])
        )
        existing.update({k: i for k, i in s.execute(stmt) if i is not None})
    new = [{"name": first[k], "key": k} for k in keys if k not in existing]
    insert_ignore_many(s, Presenter, new, ["key"])
    found = dict(existing)
    missing = [k for k in keys if k not in existing]
    for start in range(0, len(missing), _CHUNK):
        stmt = select(Presenter.key, Presenter.id).where(
            col(Presenter.key).in_(missing[start : start + _CHUNK])
        )
        found.update({k: i for k, i in s.execute(stmt) if i is not None})
    return found, set(missing)


# -- posts ------------------------------------------------------------------------------------


# (row index, index in the row's papers) -> the footnote about that paper.
OwnFootnotes = Mapping[tuple[int, int], "Footnote"]


def store_posts(s: DbSession, items: Sequence[tuple[Post, OwnFootnotes]]) -> list[PostImport]:
    """Store parsed posts as sessions, inside the caller's transaction.

    Each item pairs a post with its papers' own footnotes (the checker's assignment:
    :func:`catalog.check.match.own_footnotes`), so each paper gets the abstract written
    about it even when the post's references are rotated.
    """
    with bulk_index(s) as touched:
        return _store_posts(s, items, touched)


def _store_posts(
    s: DbSession, items: Sequence[tuple[Post, OwnFootnotes]], touched: set[int]
) -> list[PostImport]:
    # Posts with the same slug (the same file named twice): the last one wins.
    latest = {post.slug: (post, own) for post, own in items}
    items = list(latest.values())
    slugs = [post.slug for post, _ in items]
    # Abstracts are left out of the snapshots (they are most of the bytes): the abstracts
    # an import can change are its posts' own, and _store_abstracts reports those.
    before = {v.slug: _snapshot(v) for v in session_views(s, slugs, abstracts_too=False)}

    # Every row's papers, in order.
    refs: list[RowPaper] = []
    plan: list[list[tuple[int, list[int]]]] = []  # per post: (row index, indexes into refs)
    for post, own in items:
        by_label = {fn.label: fn for fn in post.footnotes}
        per_row: dict[int, dict[int, Footnote]] = {}
        for (i, k), fn in own.items():
            per_row.setdefault(i, {})[k] = fn
        rows = []
        for i, row in enumerate(post.rows):
            papers = row_papers(row, per_row.get(i, {}), by_label)
            rows.append((i, list(range(len(refs), len(refs) + len(papers)))))
            refs.extend(papers)
        plan.append(rows)
    seen_authors = {
        pid: list(names)
        for snapshot in before.values()
        for talk in snapshot[-1]
        for pid, _title, names, *_ in talk[-1]
    }
    paper_ids, created = _resolve_papers(s, refs, seen_authors)
    touched.update(paper_ids)  # their authors and abstracts may change: reindex them
    for snapshot in before.values():
        touched.update(pid for talk in snapshot[-1] for pid, *_ in talk[-1])
    presenter_ids, new_presenters = _presenters(
        s, [row.presenter for post, _ in items for row in post.rows if row.presenter]
    )
    session_ids = _upsert_sessions(s, [post for post, _ in items])

    ids = [session_ids[slug] for slug in slugs]
    for start in range(0, len(ids), _CHUNK):
        s.execute(
            delete(Presentation).where(
                col(Presentation.session_id).in_(ids[start : start + _CHUNK])
            )
        )
    talks = []
    for (post, _own), rows in zip(items, plan, strict=True):
        for (i, ref_indexes), row in zip(rows, post.rows, strict=True):
            presenter = presenter_key(row.presenter) if row.presenter else None
            talks.append(
                {
                    "session_id": session_ids[post.slug],
                    "position": i + 1,
                    "presenter_id": presenter_ids.get(presenter) if presenter else None,
                    "title": row.title or row.raw_title,
                    "slides_url": next((ln.url for ln in row.slides_links if ln.url), None),
                    "link_url": row_url(row) or "",
                    "links": _other_links(row, [refs[r] for r in ref_indexes]),
                }
            )
    for start in range(0, len(talks), _CHUNK):
        s.execute(Presentation.__table__.insert(), talks[start : start + _CHUNK])  # type: ignore[attr-defined]
    talk_ids: dict[tuple[int, int], int] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(Presentation.session_id, Presentation.position, Presentation.id).where(
            col(Presentation.session_id).in_(ids[start : start + _CHUNK])
        )
        talk_ids.update({(sid or 0, pos): tid or 0 for sid, pos, tid in s.execute(stmt)})

    links: list[dict[str, int]] = []
    abstracts: dict[tuple[int, str], str] = {}  # (paper id, source ref) -> text
    reports: list[PostImport] = []
    for (post, _own), rows in zip(items, plan, strict=True):
        report = PostImport(path=post.path, slug=post.slug, status="updated", rows=len(post.rows))
        sid = session_ids[post.slug]
        seen_links: set[tuple[int, int]] = set()
        for i, ref_indexes in rows:
            talk_id = talk_ids[(sid, i + 1)]
            for position, r in enumerate(ref_indexes):
                ref, paper_id = refs[r], paper_ids[r]
                if (talk_id, paper_id) not in seen_links:
                    seen_links.add((talk_id, paper_id))
                    links.append(
                        {"presentation_id": talk_id, "paper_id": paper_id, "position": position}
                    )
                label = ref.footnote.label if ref.footnote else None
                source = f"{post.slug}#^{label}" if label else f"{post.slug}#row{i + 1}.{position}"
                if ref.abstract:
                    abstracts[(paper_id, source)] = ref.abstract
                if paper_id in created:
                    report.papers_added.append(ref.title)
                    created.discard(paper_id)
        for row in post.rows:
            if row.presenter and presenter_key(row.presenter) in new_presenters:
                report.presenters_added.append(row.presenter)
                new_presenters.discard(presenter_key(row.presenter))
        reports.append(report)
    for start in range(0, len(links), _CHUNK):
        s.execute(PresentationPaper.__table__.insert(), links[start : start + _CHUNK])  # type: ignore[attr-defined]
    abstracts_changed = _store_abstracts(s, slugs, before, abstracts)
    s.flush()

    after = {v.slug: _snapshot(v) for v in session_views(s, slugs, abstracts_too=False)}
    for report in reports:
        if report.slug not in before:
            report.status = "added"
        elif report.slug not in abstracts_changed and before[report.slug] == after.get(report.slug):
            report.status = "unchanged"
    return reports


def _upsert_sessions(s: DbSession, posts: Sequence[Post]) -> dict[str, int]:
    """Create or update one session per post; their ids by slug."""
    rows = [_session_row(post) for post in posts]
    slugs = [r["slug"] for r in rows]
    existing: dict[str, int] = {}
    for start in range(0, len(slugs), _CHUNK):
        stmt = select(Session.slug, Session.id).where(
            col(Session.slug).in_(slugs[start : start + _CHUNK])
        )
        existing.update({slug: i for slug, i in s.execute(stmt) if i is not None})
    updates = [{**r, "b_slug": r["slug"]} for r in rows if r["slug"] in existing]
    if updates:
        # One statement executed for every row (an UPDATE per session would not be).
        table: Table = Session.__table__  # type: ignore[attr-defined]
        values: dict[str, Any] = {name: bindparam(name) for name in rows[0] if name != "slug"}
        change = table.update().where(table.c.slug == bindparam("b_slug")).values(values)
        s.connection().execute(change, updates)
    new = [r for r in rows if r["slug"] not in existing]
    insert_ignore_many(s, Session, new, ["slug"])
    missing = [r["slug"] for r in new]
    for start in range(0, len(missing), _CHUNK):
        stmt = select(Session.slug, Session.id).where(
            col(Session.slug).in_(missing[start : start + _CHUNK])
        )
        existing.update({slug: i for slug, i in s.execute(stmt) if i is not None})
    return existing


def _session_row(post: Post) -> dict[str, Any]:
    fm = post.front_matter
    known = {"title", "desc", "term", "layout", "categories", "tags", "date"}
    return {
        "slug": post.slug,
        "title": post.title or str(fm.get("title") or post.slug),
        "date": post.date,
        "desc": _str(fm.get("desc")),
        "term": _str(fm.get("term")),
        "layout": _str(fm.get("layout")),
        "categories": _str_list(fm.get("categories")),
        "tags": _str_list(fm.get("tags")),
        "extra": {k: _jsonable(v) for k, v in fm.items() if k not in known},
        "source_path": post.path,
    }


def _store_abstracts(
    s: DbSession,
    slugs: Sequence[str],
    before: Mapping[str, Any],
    wanted: Mapping[tuple[int, str], str],
) -> set[str]:
    """Write the posts' footnote abstracts; drop the ones they no longer give. Return the
    slugs of existing sessions whose papers now show another abstract."""
    paper_ids = {pid for pid, _ in wanted}
    for snapshot in before.values():
        paper_ids.update(pid for talk in snapshot[-1] for pid, *_ in talk[-1])
    prefixes = tuple(f"{slug}#" for slug in slugs)
    current: dict[tuple[int, str], tuple[int, str]] = {}  # (paper, ref) -> (id, text)
    ordered = sorted(paper_ids)
    for start in range(0, len(ordered), _CHUNK):
        stmt = select(Abstract.id, Abstract.paper_id, Abstract.source_ref, Abstract.text).where(
            Abstract.source == "post", col(Abstract.paper_id).in_(ordered[start : start + _CHUNK])
        )
        for aid, pid, ref, text in s.execute(stmt):
            if ref.startswith(prefixes):
                current[(pid or 0, ref)] = (aid or 0, text)
    known = set(slugs)

    def slug_of(ref: str) -> str:
        # A source ref is "<slug>#^<label>" or "<slug>#row<n>.<i>"; a slug may hold "#".
        cut = ref.find("#")
        while cut != -1 and ref[:cut] not in known:
            cut = ref.find("#", cut + 1)
        return ref[:cut]

    gone = [key for key in current if key not in wanted]
    edited = [key for key, text in wanted.items() if key in current and current[key][1] != text]
    added = [key for key in wanted if key not in current]
    # What a reader sees is each paper's preferred abstract (arXiv's first): a session
    # that existed before changes only if one of its papers shows another abstract now.
    touched: dict[int, set[str]] = {}
    for pid, ref in [*gone, *edited, *added]:
        touched.setdefault(pid, set()).add(slug_of(ref))
    watched = sorted(pid for pid, slugs_of in touched.items() if slugs_of & before.keys())
    shown_before = _shown_abstracts(s, watched)
    stale = [current[key][0] for key in gone]
    for start in range(0, len(stale), _CHUNK):
        s.execute(delete(Abstract).where(col(Abstract.id).in_(stale[start : start + _CHUNK])))
    for key in edited:
        s.execute(
            update(Abstract).where(col(Abstract.id) == current[key][0]).values(text=wanted[key])
        )
    new = [
        {"paper_id": pid, "text": wanted[(pid, ref)], "source": "post", "source_ref": ref}
        for pid, ref in added
    ]
    insert_ignore_many(s, Abstract, new, ["paper_id", "source", "source_ref"])
    shown_after = _shown_abstracts(s, watched)
    return {
        slug
        for pid in watched
        if shown_before.get(pid) != shown_after.get(pid)
        for slug in touched[pid]
    }


def _shown_abstracts(s: DbSession, paper_ids: Sequence[int]) -> dict[int, str | None]:
    """Each paper's preferred abstract, as its views show it."""
    found: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(paper_ids), _CHUNK):
        stmt = (
            select(Abstract.paper_id, Abstract.source, Abstract.text)
            .where(col(Abstract.paper_id).in_(paper_ids[start : start + _CHUNK]))
            .order_by(col(Abstract.id))
        )
        for pid, source, text in s.execute(stmt):
            found.setdefault(pid or 0, []).append((source, text))
    return {pid: preferred(rows) for pid, rows in found.items()}


def _snapshot(view: SessionView) -> Any:
    """What a re-import compares to call a session unchanged (the last item lists talks,
    each ending with its papers as (id, ...) tuples)."""
    return (
        view.title, view.date, view.desc, view.term, view.categories, view.tags, view.extra,
        [
            (p.position, p.presenter, p.title, p.slides_url, p.link_url, p.links,
             [(x.id, x.title, x.authors, x.abstract, x.venue) for x in p.papers])
            for p in view.presentations
        ],
    )  # fmt: skip


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value).split()  # Jekyll: "categories: a b" is two categories


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
