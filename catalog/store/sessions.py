"""Sessions, presenters and presentations: storing posts, and reading sessions back.

``store_post`` is idempotent: the same paper is one paper (matched by arXiv id, then by
normalised URL, then by normalised title), and a re-imported post replaces its
session's rows, so an edited post updates its session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.records import PaperView, PresentationView, SessionView
from catalog.store.catalog import (
    _insert_ignore,
    paper_by_arxiv_id,
    paper_views,
    set_abstract,
    set_authors,
    utcnow,
)
from catalog.store.models import (
    Abstract,
    Paper,
    Presentation,
    PresentationPaper,
    Presenter,
    Session,
)
from catalog.text import presenter_key, title_key, url_key

if TYPE_CHECKING:
    from catalog.posts.model import Footnote, Post, Row


@dataclass
class PostImport:
    """What importing one post did (or would do, with --dry-run)."""

    path: str
    slug: str
    status: str  # "added" | "updated" | "unchanged"
    papers_added: list[str] = field(default_factory=list)  # titles
    presenters_added: list[str] = field(default_factory=list)
    rows: int = 0


# -- presenters -------------------------------------------------------------------------


def ensure_presenter(s: DbSession, name: str) -> int:
    """The presenter's id; names match case- and space-insensitively."""
    key = presenter_key(name)
    _insert_ignore(s, Presenter, [{"name": name.strip(), "key": key}], ["key"])
    presenter_id = s.execute(select(Presenter.id).where(Presenter.key == key)).scalar_one()
    assert presenter_id is not None
    return int(presenter_id)


# -- papers from rows -----------------------------------------------------------------------


def find_paper_for(
    s: DbSession, *, arxiv_id: str | None, url: str | None, title: str | None
) -> Paper | None:
    """The catalogued paper a row is about: by arXiv id, then URL, then title."""
    if arxiv_id:
        paper = paper_by_arxiv_id(s, arxiv_id)
        if paper is not None:
            return paper
    key = url_key(url)
    if key:
        paper = s.execute(select(Paper).where(Paper.url_key == key).limit(1)).scalar_one_or_none()
        if paper is not None and (not arxiv_id or paper.arxiv_id in (None, arxiv_id)):
            return paper
    if title and title_key(title):
        stmt = select(Paper).where(Paper.title_key == title_key(title))
        if arxiv_id:  # a same-titled paper with another arXiv id is another paper
            stmt = stmt.where(col(Paper.arxiv_id).is_(None))
        return s.execute(stmt.limit(1)).scalar_one_or_none()
    return None


def _row_url(row: Row) -> str | None:
    for link in row.paper_links:
        if link.url and not link.url.startswith("{{"):
            return link.url
    return None


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


def _arxiv_links(row: Row) -> list[tuple[str, str]]:
    """(arXiv id, URL) of each distinct arXiv paper link in the row, in order."""
    from catalog.arxiv.ids import arxiv_id_from_url

    found: dict[str, str] = {}
    for link in row.paper_links:
        ident = arxiv_id_from_url(link.url) if link.url else None
        if ident is not None:
            found.setdefault(ident.id, link.url)
    return list(found.items())


def row_papers(row: Row, own: Footnote | None, by_label: Mapping[str, Footnote]) -> list[RowPaper]:
    """The papers a row is about; none for a survey talk (no link, no footnote of its own).

    A row linking several arXiv papers (``[PDF](a) + [PDF](b)``, as ``export markdown``
    writes a joint talk) is about each of them; their footnotes are the row's references
    in the same order, and their titles the ``; ``-separated parts of the title cell.
    """
    links = _arxiv_links(row)
    if len(links) > 1:
        titles = [t.strip() for t in row.title.split(";")] if row.title else []
        cited = [by_label.get(label) for label in row.labels]
        papers = []
        for i, (arxiv_id, url) in enumerate(links):
            fn = cited[i] if len(cited) == len(links) else (own if i == 0 else None)
            title = (fn.title if fn else None) or (titles[i] if len(titles) == len(links) else url)
            papers.append(
                RowPaper(arxiv_id, url, title, fn.authors if fn else [],
                         fn.venue if fn else None, fn.abstract if fn else None, fn)
            )  # fmt: skip
        return papers
    row_url = _row_url(row)
    if not (row.arxiv_id or row_url or (own is not None and own.title)):
        return []
    title = row.title or (own.title if own else None) or row_url or "untitled"
    return [
        RowPaper(
            arxiv_id=row.arxiv_id,
            url=row_url,
            title=title,
            authors=row.authors or (own.authors if own else []),
            venue=row.venue or (own.venue if own else None),
            abstract=(own.abstract if own else None) or row.abstract,
            footnote=own,
        )
    ]


def paper_for_row(s: DbSession, ref: RowPaper, source_ref: str) -> tuple[int, bool]:
    """Find or create the paper a row is about; return (paper id, created)."""
    paper = find_paper_for(s, arxiv_id=ref.arxiv_id, url=ref.url, title=ref.title)
    created = paper is None
    if paper is None:
        if ref.arxiv_id:
            _insert_ignore(s, Paper, [_new_paper(ref)], ["arxiv_id"])
            paper = paper_by_arxiv_id(s, ref.arxiv_id)
            assert paper is not None
        else:
            paper = Paper(**_new_paper(ref))
            s.add(paper)
        s.flush()
        assert paper.id is not None
        if ref.authors:
            set_authors(s, paper.id, ref.authors)
    elif paper.sync_source in (None, "post") and ref.authors and not paper.synced_at:
        assert paper.id is not None
        set_authors(s, paper.id, ref.authors)
    if paper.venue is None and ref.venue:
        paper.venue = ref.venue
        s.add(paper)
    assert paper.id is not None
    if ref.abstract:
        set_abstract(s, paper.id, ref.abstract, "post", source_ref)
    return paper.id, created


def _new_paper(ref: RowPaper) -> dict[str, Any]:
    url = ref.url
    if ref.arxiv_id and not url:
        url = f"https://arxiv.org/abs/{ref.arxiv_id}"
    return {
        "arxiv_id": ref.arxiv_id,
        "title": ref.title,
        "title_key": title_key(ref.title),
        "url": url,
        "url_key": url_key(url),
        "venue": ref.venue,
        "categories": [],
        "extra_fields": {},
        "sync_source": "post",
        "created_at": utcnow(),
    }


# -- posts ----------------------------------------------------------------------------------


def store_post(s: DbSession, post: Post, own: Mapping[int, Footnote]) -> PostImport:
    """Store one parsed post as a session, inside the caller's transaction.

    ``own`` maps a row's index to the footnote that is really about its paper (the
    checker's assignment), so each paper gets the abstract written about it even when
    the post's references are rotated.
    """
    before = _snapshot(s, post.slug)
    fm = post.front_matter
    session = s.execute(select(Session).where(Session.slug == post.slug)).scalar_one_or_none()
    if session is None:
        session = Session(slug=post.slug)
    session.title = post.title or str(fm.get("title") or post.slug)
    session.date = post.date
    session.desc = _str(fm.get("desc"))
    session.term = _str(fm.get("term"))
    session.layout = _str(fm.get("layout"))
    session.categories = _str_list(fm.get("categories"))
    session.tags = _str_list(fm.get("tags"))
    known = {"title", "desc", "term", "layout", "categories", "tags", "date"}
    session.extra = {k: _jsonable(v) for k, v in fm.items() if k not in known}
    session.source_path = post.path
    s.add(session)
    s.flush()
    assert session.id is not None

    s.execute(delete(Presentation).where(col(Presentation.session_id) == session.id))
    report = PostImport(path=post.path, slug=post.slug, status="updated", rows=len(post.rows))
    refs_kept: set[str] = set()
    by_label = {fn.label: fn for fn in post.footnotes}
    for position, row in enumerate(post.rows, start=1):
        footnote = own.get(position - 1)
        presenter_id = None
        if row.presenter:
            new = not _presenter_exists(s, row.presenter)
            presenter_id = ensure_presenter(s, row.presenter)
            if new:
                report.presenters_added.append(row.presenter)
        talk = Presentation(
            session_id=session.id,
            position=position,
            presenter_id=presenter_id,
            title=row.title or row.raw_title,
            slides_url=next((ln.url for ln in row.slides_links if ln.url), None),
            link_url=_row_url(row) or "",
        )
        s.add(talk)
        s.flush()
        for index, ref in enumerate(row_papers(row, footnote, by_label)):
            label = ref.footnote.label if ref.footnote else None
            source_ref = f"{post.slug}#^{label}" if label else f"{post.slug}#row{position}.{index}"
            refs_kept.add(source_ref)
            paper_id, created = paper_for_row(s, ref, source_ref)
            if created:
                report.papers_added.append(ref.title)
            _insert_ignore(
                s,
                PresentationPaper,
                [{"presentation_id": talk.id, "paper_id": paper_id, "position": index}],
                ["presentation_id", "paper_id"],
            )
    # Abstracts this post gave before but no longer gives (an edited footnote).
    stale = select(Abstract.id).where(
        Abstract.source == "post", col(Abstract.source_ref).startswith(f"{post.slug}#")
    )
    if refs_kept:
        stale = stale.where(col(Abstract.source_ref).not_in(refs_kept))
    s.execute(delete(Abstract).where(col(Abstract.id).in_(stale.scalar_subquery())))
    s.flush()
    after = _snapshot(s, post.slug)
    if before is None:
        report.status = "added"
    elif before == after:
        report.status = "unchanged"
    return report


def _presenter_exists(s: DbSession, name: str) -> bool:
    key = presenter_key(name)
    return s.execute(select(Presenter.id).where(Presenter.key == key)).first() is not None


def _snapshot(s: DbSession, slug: str) -> Any:
    views = session_views(s, [slug])
    if not views:
        return None
    view = views[0]
    return (
        view.title, view.date, view.desc, view.term, view.categories, view.tags, view.extra,
        [
            (p.position, p.presenter, p.title, p.slides_url, p.link_url,
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


# -- reading sessions back -------------------------------------------------------------------


def session_views(s: DbSession, slugs: Sequence[str] | None = None) -> list[SessionView]:
    """Sessions (all, or those named) with their presentations and papers, in order."""
    stmt = select(Session).order_by(col(Session.date), col(Session.slug))
    if slugs is not None:
        stmt = stmt.where(col(Session.slug).in_(list(slugs)))
    sessions = list(s.execute(stmt).scalars())
    if not sessions:
        return []
    ids = [x.id for x in sessions]
    talks = list(
        s.execute(
            select(Presentation, Presenter.name)
            .outerjoin(Presenter, col(Presenter.id) == col(Presentation.presenter_id))
            .where(col(Presentation.session_id).in_(ids))
            .order_by(col(Presentation.session_id), col(Presentation.position))
        )
    )
    talk_ids = [t.id for t, _ in talks]
    links = list(
        s.execute(
            select(PresentationPaper.presentation_id, PresentationPaper.paper_id)
            .where(col(PresentationPaper.presentation_id).in_(talk_ids))
            .order_by(col(PresentationPaper.presentation_id), col(PresentationPaper.position))
        )
    )
    paper_ids = sorted({pid for _, pid in links})
    papers = list(s.execute(select(Paper).where(col(Paper.id).in_(paper_ids))).scalars())
    by_id: dict[int, PaperView] = {v.id: v for v in paper_views(s, papers)}
    papers_of: dict[int, list[PaperView]] = {}
    for talk_id, paper_id in links:
        papers_of.setdefault(talk_id, []).append(by_id[paper_id])
    talks_of: dict[int, list[PresentationView]] = {}
    for talk, presenter in talks:
        assert talk.id is not None and talk.session_id is not None
        talks_of.setdefault(talk.session_id, []).append(
            PresentationView(
                position=talk.position,
                presenter=presenter,
                title=talk.title,
                papers=papers_of.get(talk.id, []),
                slides_url=talk.slides_url,
                link_url=talk.link_url,
            )
        )
    return [
        SessionView(
            slug=x.slug,
            title=x.title,
            date=x.date,
            desc=x.desc,
            term=x.term,
            categories=list(x.categories),
            tags=list(x.tags),
            layout=x.layout,
            extra=dict(x.extra),
            presentations=talks_of.get(x.id or 0, []),
        )
        for x in sessions
    ]
