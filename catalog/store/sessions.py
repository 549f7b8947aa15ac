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


def _is_paper_row(row: Row, footnote: Footnote | None) -> bool:
    """A row is about a paper when it links one, or cites a footnote about one.

    Survey talks ("Summary of several autoencoder models", link ``[PDF]()``) are not.
    """
    return bool(row.arxiv_id or _row_url(row) or (footnote is not None and footnote.title))


def paper_for_row(
    s: DbSession, row: Row, footnote: Footnote | None, source_ref: str
) -> tuple[int, bool]:
    """Find or create the paper a row is about; return (paper id, created)."""
    url = _row_url(row)
    title = row.title or (footnote.title if footnote else None) or url or "untitled"
    paper = find_paper_for(s, arxiv_id=row.arxiv_id, url=url, title=title)
    created = paper is None
    if paper is None:
        authors = row.authors or (footnote.authors if footnote else [])
        if row.arxiv_id:
            _insert_ignore(s, Paper, [_new_paper(row.arxiv_id, title, url, row)], ["arxiv_id"])
            paper = paper_by_arxiv_id(s, row.arxiv_id)
            assert paper is not None
        else:
            paper = Paper(**_new_paper(None, title, url, row))
            s.add(paper)
        s.flush()
        assert paper.id is not None
        if authors:
            set_authors(s, paper.id, authors)
    elif paper.sync_source in (None, "post") and row.authors and not paper.synced_at:
        assert paper.id is not None
        set_authors(s, paper.id, row.authors)
    if paper.venue is None and (row.venue or (footnote and footnote.venue)):
        paper.venue = row.venue or (footnote.venue if footnote else None)
        s.add(paper)
    assert paper.id is not None
    abstract = (footnote.abstract if footnote else None) or row.abstract
    if abstract:
        set_abstract(s, paper.id, abstract, "post", source_ref)
    return paper.id, created


def _new_paper(arxiv_id: str | None, title: str, url: str | None, row: Row) -> dict[str, Any]:
    if arxiv_id and not url:
        url = f"https://arxiv.org/abs/{arxiv_id}"
    return {
        "arxiv_id": arxiv_id,
        "title": title,
        "title_key": title_key(title),
        "url": url,
        "url_key": url_key(url),
        "venue": row.venue,
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
        if not _is_paper_row(row, footnote):
            continue
        ref = f"{post.slug}#^{footnote.label}" if footnote else f"{post.slug}#row{position}"
        refs_kept.add(ref)
        paper_id, created = paper_for_row(s, row, footnote, ref)
        if created:
            report.papers_added.append(row.title or (footnote.title if footnote else "") or "")
        _insert_ignore(
            s,
            PresentationPaper,
            [{"presentation_id": talk.id, "paper_id": paper_id, "position": 0}],
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
