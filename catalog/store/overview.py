"""Small reads for browsing the catalog: how much it holds, the latest sessions, and the
talks that presented a paper. Each is one short read transaction of indexed queries, so
a page that shows them stays fast on a catalog of any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date

from sqlalchemy import func, select
from sqlmodel import col

from catalog.records import SessionView
from catalog.store.catalog import Catalog
from catalog.store.models import Paper, Presentation, PresentationPaper, Presenter, Session
from catalog.store.sessions import session_views

__all__ = [
    "Counts",
    "PaperTalk",
    "counts",
    "latest_session_slugs",
    "latest_sessions",
    "talks_about",
]


@dataclass(frozen=True)
class Counts:
    papers: int
    sessions: int
    presenters: int
    talks: int


@dataclass(frozen=True)
class PaperTalk:
    """One talk that presented a paper, with the session it belongs to."""

    slug: str
    session_title: str
    date: Date | None
    position: int
    presenter: str | None
    title: str
    slides_url: str | None


def counts(catalog: Catalog) -> Counts:
    """Rows in the catalog's main tables."""
    with catalog.read() as s:

        def n(model: type) -> int:
            return int(s.execute(select(func.count()).select_from(model)).scalar_one())

        return Counts(n(Paper), n(Session), n(Presenter), n(Presentation))


def latest_session_slugs(catalog: Catalog, limit: int) -> list[str]:
    """The slugs of the ``limit`` newest sessions (by date; undated ones last)."""
    with catalog.read() as s:
        dated = list(
            s.execute(
                select(col(Session.slug))
                .where(col(Session.date).is_not(None))
                .order_by(col(Session.date).desc(), col(Session.slug).desc())
                .limit(limit)
            ).scalars()
        )
        if len(dated) < limit:
            dated += s.execute(
                select(col(Session.slug))
                .where(col(Session.date).is_(None))
                .order_by(col(Session.slug))
                .limit(limit - len(dated))
            ).scalars()
        return dated


def talks_about(catalog: Catalog, paper_id: int) -> list[PaperTalk]:
    """Every talk about the paper, oldest session first."""
    with catalog.read() as s:
        rows = s.execute(
            select(
                col(Session.slug),
                col(Session.title),
                col(Session.date),
                col(Presentation.position),
                col(Presenter.name),
                col(Presentation.title),
                col(Presentation.slides_url),
            )
            .join(Presentation, col(Presentation.session_id) == col(Session.id))
            .join(
                PresentationPaper,
                col(PresentationPaper.presentation_id) == col(Presentation.id),
            )
            .outerjoin(Presenter, col(Presenter.id) == col(Presentation.presenter_id))
            .where(col(PresentationPaper.paper_id) == paper_id)
        ).all()
    talks = [PaperTalk(*row) for row in rows]
    talks.sort(key=lambda t: (t.date is None, t.date or Date.min, t.slug, t.position))
    return talks


def latest_sessions(catalog: Catalog, limit: int) -> list[SessionView]:
    """The ``limit`` newest sessions, newest first, with their talks (no abstracts)."""
    slugs = latest_session_slugs(catalog, limit)
    with catalog.read() as s:
        views = {v.slug: v for v in session_views(s, slugs, abstracts_too=False)}
    return [views[slug] for slug in slugs if slug in views]
