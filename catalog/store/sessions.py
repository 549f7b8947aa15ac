"""Sessions and presenters: finding the paper a row names, and reading sessions back.

Storing posts is ``catalog.store.post_import``; planning sessions is
``catalog.store.planning``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.records import Identifier, PaperView, PresentationView, SessionView
from catalog.store.catalog import _insert_ignore
from catalog.store.models import (
    Paper,
    Presentation,
    PresentationPaper,
    Presenter,
    Session,
)
from catalog.store.paper_views import among, paper_views_by_id
from catalog.text import presenter_key, title_key, url_key

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
    s: DbSession,
    *,
    arxiv_id: str | None,
    url: str | None,
    title: str | None,
    identifiers: Sequence[Identifier] = (),
    by_title: bool = True,
) -> Paper | None:
    """The catalogued paper a row or .bib entry is about: by any of its identifiers
    (``arxiv_id`` among them), then URL, then title (unless ``by_title`` is false: a
    link that is not a paper). A paper is never matched when it holds another arXiv,
    PMLR or ACL id than the entry; by title, also not when both have DOIs and they
    differ (a journal version may keep its conference version's title), nor when it
    is not typed "paper"."""
    from catalog.store.identifiers import exclusive_conflicts, identifiers_of, papers_by_identifier

    idents = list(identifiers)
    if arxiv_id and Identifier("arxiv", arxiv_id) not in idents:
        idents.insert(0, Identifier("arxiv", arxiv_id))
    owners = papers_by_identifier(s, idents)
    # The owner of an arXiv (PMLR, ACL) id first: it names one paper.
    for ident in sorted(
        owners, key=lambda i: (i.scheme not in ("arxiv", "pmlr", "acl"), idents.index(i))
    ):
        if not exclusive_conflicts(s, owners[ident], idents):
            return s.get(Paper, owners[ident])
    key = url_key(url)
    if key:
        for paper in s.execute(
            select(Paper).where(Paper.url_key == key).order_by(col(Paper.id))
        ).scalars():
            if paper.id is not None and not exclusive_conflicts(s, paper.id, idents):
                return paper
    if not (by_title and title and title_key(title)):
        return None
    dois = {i.value for i in idents if i.scheme == "doi"}
    stmt = (
        select(Paper)
        .where(Paper.title_key == title_key(title), col(Paper.item_type) == "paper")
        .order_by(col(Paper.id))
    )
    candidates = list(s.execute(stmt.limit(20)).scalars())
    held = identifiers_of(s, [p.id for p in candidates if p.id is not None])
    for paper in candidates:
        assert paper.id is not None
        theirs = held.get(paper.id, [])
        their_dois = {i.value for i in theirs if i.scheme == "doi"}
        if dois and their_dois and not dois & their_dois:
            continue
        if not exclusive_conflicts(s, paper.id, idents):
            return paper
    return None


# -- reading sessions back -------------------------------------------------------------------


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def session_views(
    s: DbSession, slugs: Sequence[str] | None = None, *, abstracts_too: bool = True
) -> list[SessionView]:
    """Sessions (all, or those named) with their presentations and papers, in order.

    Plain rows rather than ORM objects, read in chunks: an import compares hundreds of
    sessions before and after, and an export reads them all.
    """
    sessions_t: Table = Session.__table__  # type: ignore[attr-defined]
    talks_t: Table = Presentation.__table__  # type: ignore[attr-defined]
    links_t: Table = PresentationPaper.__table__  # type: ignore[attr-defined]
    presenters_t: Table = Presenter.__table__  # type: ignore[attr-defined]
    order = (sessions_t.c.date, sessions_t.c.slug)
    pg = s.get_bind().dialect.name == "postgresql"
    if slugs is None:
        sessions = s.execute(sa_select(sessions_t).order_by(*order)).all()
    else:
        sessions = []
        for chunk in _chunks(list(dict.fromkeys(slugs))):
            sessions += s.execute(sa_select(sessions_t).where(sessions_t.c.slug.in_(chunk))).all()
        sessions.sort(key=lambda x: (x.date is not None, x.date or date.min, x.slug))
    talks: list[Any] = []
    for chunk in _chunks([x.id for x in sessions]):
        talks += s.execute(
            sa_select(talks_t, presenters_t.c.name.label("presenter_name"))
            .outerjoin(presenters_t, presenters_t.c.id == talks_t.c.presenter_id)
            .where(among(talks_t.c.session_id, chunk, pg))
        ).all()
    talks.sort(key=lambda t: (t.session_id, t.position))
    links: list[Any] = []
    for chunk in _chunks([t.id for t in talks]):
        links += s.execute(
            sa_select(links_t.c.presentation_id, links_t.c.paper_id, links_t.c.position).where(
                among(links_t.c.presentation_id, chunk, pg)
            )
        ).all()
    links.sort(key=lambda x: (x.presentation_id, x.position))
    paper_ids = sorted({x.paper_id for x in links})
    by_id = {v.id: v for v in paper_views_by_id(s, paper_ids, abstracts_too=abstracts_too)}
    papers_of: dict[int, list[PaperView]] = {}
    for link in links:
        papers_of.setdefault(link.presentation_id, []).append(by_id[link.paper_id])
    talks_of: dict[int, list[PresentationView]] = {}
    for talk in talks:
        talks_of.setdefault(talk.session_id, []).append(
            PresentationView(
                position=talk.position,
                presenter=talk.presenter_name,
                title=talk.title,
                papers=papers_of.get(talk.id, []),
                slides_url=talk.slides_url,
                link_url=talk.link_url,
                links=[(x["text"], x["url"]) for x in talk.links or []],
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
            presentations=talks_of.get(x.id, []),
        )
        for x in sessions
    ]
