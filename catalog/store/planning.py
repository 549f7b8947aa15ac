"""Planning sessions from the catalog: sessions, talks (presentations) and presenters.

Every change is one :meth:`Catalog.write` transaction, so a talk is never half added and a
presenter merge never half done. Talk positions in a session are kept 1..n without gaps.

A talk (one row of a post) has zero papers (a survey talk with slides only), one paper,
or several. Adding a paper that is already in the session updates its talk (presenter,
slides, title) instead of adding it twice, so re-running a planning command is safe.

The stored row title and link are what the post importer would read back from the
exported post (the paper's title, its arXiv abstract page), so exporting a planned
session and importing the post changes nothing.

No click here: the CLI (``catalog.cli.sessions``) is a thin shell over these functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col

from catalog.errors import CatalogError, NotFound
from catalog.records import PaperView, PresentationView, SessionView
from catalog.store.catalog import Catalog, paper_views, resolve_paper
from catalog.store.models import Paper, Presentation, PresentationPaper, Presenter, Session
from catalog.store.selection import _nearest
from catalog.store.sessions import ensure_presenter, session_views
from catalog.text import presenter_key

__all__ = [
    "PresenterDetail",
    "PresenterSummary",
    "PresenterTalk",
    "RenameResult",
    "SessionSummary",
    "TalkResult",
    "add_talk",
    "create_session",
    "date_from_slug",
    "delete_session",
    "get_session",
    "list_presenters",
    "list_sessions",
    "move_talk",
    "presenter_detail",
    "remove_talk",
    "rename_presenter",
    "validate_slug",
]

# Jekyll post names: YYYY-MM-DD-words. Other slugs are allowed with an explicit date.
_DATED_SLUG = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ROW_REF = re.compile(r"^#(\d+)$")


@dataclass
class SessionSummary:
    """One line of ``catalog sessions``."""

    slug: str
    title: str
    date: Date | None
    term: str | None
    categories: list[str]
    tags: list[str]
    talks: int
    papers: int  # distinct papers
    presenters: int  # distinct presenters


@dataclass
class PresenterSummary:
    """One line of ``catalog presenters``."""

    name: str
    talks: int
    papers: int  # distinct papers over all their talks
    sessions: int


@dataclass
class PresenterTalk:
    slug: str
    session_title: str
    date: Date | None
    position: int
    title: str
    papers: list[PaperView] = field(default_factory=list)
    slides_url: str | None = None


@dataclass
class PresenterDetail:
    name: str
    talks: list[PresenterTalk] = field(default_factory=list)


@dataclass
class TalkResult:
    """What :func:`add_talk` did: ``added`` a row, ``updated`` or left ``unchanged`` one."""

    status: str
    talk: PresentationView


@dataclass
class RenameResult:
    old: str
    new: str
    merged: bool  # the new name was another presenter's: talks moved there, old one deleted
    talks_moved: int


# -- slugs and dates -----------------------------------------------------------------------


def date_from_slug(slug: str) -> Date | None:
    """``2018-07-31-generative`` -> 2018-07-31 (as Jekyll and the post importer read it)."""
    m = _DATED_SLUG.match(slug)
    if not m:
        return None
    try:
        return Date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def validate_slug(slug: str, day: Date | None) -> Date | None:
    """The session's date; raise CatalogError for a slug that can't be a post name.

    The date in a dated slug wins when the post is imported back, so a different
    explicit date is refused rather than silently lost.
    """
    if not _SLUG.match(slug):
        raise CatalogError(
            f"bad session slug {slug!r}: use letters, digits, '-', '_' and '.', "
            "e.g. 2018-07-31-generative"
        )
    from_slug = date_from_slug(slug)
    if _DATED_SLUG.match(slug) and from_slug is None:
        raise CatalogError(f"bad session slug {slug!r}: {slug[:10]} is not a date")
    if day is not None and from_slug is not None and day != from_slug:
        raise CatalogError(
            f"--date {day.isoformat()} contradicts the slug's date {from_slug.isoformat()}"
        )
    return day or from_slug


# -- lookups inside a transaction ----------------------------------------------------------


def _session(s: DbSession, slug: str, *, lock: bool = False) -> Session:
    stmt = select(Session).where(col(Session.slug) == slug)
    if lock:  # PostgreSQL: serialise position changes in one session (SQLite locks anyway)
        stmt = stmt.with_for_update()
    found = s.execute(stmt).scalar_one_or_none()
    if found is None:
        slugs = set(s.execute(select(col(Session.slug))).scalars())
        raise NotFound(f"no session {slug!r} in the catalog{_nearest(slug, slugs)}")
    return found


def _presenter(s: DbSession, name: str) -> Presenter:
    key = presenter_key(name)
    found = s.execute(select(Presenter).where(col(Presenter.key) == key)).scalar_one_or_none()
    if found is None:
        names = set(s.execute(select(col(Presenter.name))).scalars())
        raise NotFound(f"no presenter {name!r}{_nearest_presenter(name, names)}")
    return found


def _nearest_presenter(name: str, names: set[str]) -> str:
    # Compare folded forms too, so "gao-j" finds "GaoJi"; show the names as written.
    by_key = {presenter_key(n): n for n in names}
    hint = _nearest(presenter_key(name), set(by_key))
    if not hint:
        return _nearest(name, names)
    close = hint.removeprefix("; did you mean ").removesuffix("?").split(", ")
    return f"; did you mean {', '.join(by_key[k] for k in close)}?"


def _talks(s: DbSession, session_id: int) -> list[Presentation]:
    return list(
        s.execute(
            select(Presentation)
            .where(col(Presentation.session_id) == session_id)
            .order_by(col(Presentation.position), col(Presentation.id))
        ).scalars()
    )


def _paper_ids(s: DbSession, talk_id: int) -> list[int]:
    return [
        pid
        for (pid,) in s.execute(
            select(col(PresentationPaper.paper_id))
            .where(col(PresentationPaper.presentation_id) == talk_id)
            .order_by(col(PresentationPaper.position))
        )
        if pid is not None
    ]


def _renumber(s: DbSession, talks: Sequence[Presentation]) -> None:
    for position, talk in enumerate(talks, start=1):
        if talk.position != position:
            talk.position = position
            s.add(talk)
    s.flush()


def _talk_label(s: DbSession, talk: Presentation) -> str:
    ids = _paper_ids(s, talk.id or 0)
    papers = [s.get(Paper, i) for i in ids]
    refs = [p.arxiv_id or p.citation_key or f"#{p.id}" for p in papers if p is not None]
    return f"#{talk.position} ({', '.join(refs) if refs else talk.title})"


def _find_talk(s: DbSession, session: Session, ref: str) -> Presentation:
    """The talk ``ref`` names: a row number ``#2``, or a paper (arXiv id, key, number)."""
    talks = _talks(s, session.id or 0)
    listing = ", ".join(_talk_label(s, t) for t in talks) or "none"
    m = _ROW_REF.match(ref.strip())
    if m:
        n = int(m.group(1))
        if 1 <= n <= len(talks):
            return talks[n - 1]
        raise NotFound(
            f"session {session.slug!r} has no row {ref.strip()} (it has {len(talks)}: {listing})"
        )
    paper = resolve_paper(s, ref)
    for talk in talks:
        if paper.id in _paper_ids(s, talk.id or 0):
            return talk
    raise NotFound(
        f"paper {ref.strip()!r} is in no talk of session {session.slug!r}; its talks: {listing}"
    )


def _view_of(s: DbSession, slug: str, talk_id: int) -> PresentationView:
    view = session_views(s, [slug])[0]
    position = s.get(Presentation, talk_id)
    assert position is not None
    return next(t for t in view.presentations if t.position == position.position)


def _counts(
    s: DbSession, by: Any, counted: Any, ids: Sequence[int] | None = None
) -> dict[int, int]:
    """``{id: count of distinct counted}`` over talks grouped by ``by`` (a talk column),
    for ``ids`` (``None``: every group, one scan without a parameter list).

    Counting a PresentationPaper column joins the talks' papers.
    """
    if ids is not None and not ids:
        return {}
    stmt = select(by, func.count(func.distinct(counted)))
    if ids is not None:
        stmt = stmt.where(by.in_(list(ids)))
    if counted.table is PresentationPaper.__table__:  # type: ignore[attr-defined]
        stmt = stmt.join(
            PresentationPaper, col(PresentationPaper.presentation_id) == col(Presentation.id)
        )
    else:
        stmt = stmt.select_from(Presentation)
    rows = s.execute(stmt.group_by(by)).all()
    return {int(key): int(n) for key, n in rows if key is not None}


# -- sessions ------------------------------------------------------------------------------


def create_session(
    catalog: Catalog,
    slug: str,
    title: str,
    *,
    day: Date | None = None,
    desc: str | None = None,
    term: str | None = None,
    categories: Sequence[str] = (),
    tags: Sequence[str] = (),
    layout: str = "post",
) -> SessionView:
    """A new, empty session; CatalogError if the slug is taken or can't be a post name."""
    when = validate_slug(slug, day)
    if not title.strip():
        raise CatalogError("a session needs a title (--title)")

    def work(s: DbSession) -> SessionView:
        taken = s.execute(select(col(Session.id)).where(col(Session.slug) == slug)).first()
        if taken is not None:
            raise CatalogError(
                f"session {slug!r} already exists (see: catalog session show {slug})"
            )
        s.add(
            Session(
                slug=slug,
                title=" ".join(title.split()),
                date=when,
                desc=desc,
                term=term,
                layout=layout,
                categories=list(dict.fromkeys(categories)),
                tags=list(dict.fromkeys(tags)),
                extra={},
            )
        )
        s.flush()
        return session_views(s, [slug])[0]

    try:
        return catalog.write(work)
    except IntegrityError:  # created by another process between our check and insert
        raise CatalogError(f"session {slug!r} already exists") from None


def get_session(catalog: Catalog, slug: str, *, abstracts_too: bool = True) -> SessionView:
    """The session with its talks in order; NotFound (with the nearest slugs) if none.
    ``abstracts_too=False`` leaves the papers' abstracts out (a page that shows none)."""
    with catalog.read() as s:
        _session(s, slug)
        return session_views(s, [slug], abstracts_too=abstracts_too)[0]


def delete_session(catalog: Catalog, slug: str) -> SessionView:
    """Delete a session and its talks (papers and presenters stay in the catalog)."""

    def work(s: DbSession) -> SessionView:
        session = _session(s, slug, lock=True)
        view = session_views(s, [slug])[0]
        # Explicit deletes: correct even where the database does not enforce cascades.
        talk_ids = select(col(Presentation.id)).where(col(Presentation.session_id) == session.id)
        s.execute(
            delete(PresentationPaper).where(
                col(PresentationPaper.presentation_id).in_(talk_ids.scalar_subquery())
            )
        )
        s.execute(delete(Presentation).where(col(Presentation.session_id) == session.id))
        s.execute(delete(Session).where(col(Session.id) == session.id))
        return view

    return catalog.write(work)


def list_sessions(
    catalog: Catalog, *, terms: Sequence[str] = (), tags: Sequence[str] = ()
) -> list[SessionSummary]:
    """Sessions by date (then slug) with counts of talks, distinct papers and presenters.

    ``terms`` and ``tags``: keep sessions of any of these terms / with any of these tags.
    """
    table = Session.__table__  # type: ignore[attr-defined]
    with catalog.read() as s:
        # Plain rows, not ORM objects: a group's whole history is listed at once.
        sessions = list(
            s.execute(
                select(
                    table.c.id,
                    table.c.slug,
                    table.c.title,
                    table.c.date,
                    table.c.term,
                    table.c.categories,
                    table.c.tags,
                )
            )
        )
        # Undated sessions last, on every backend (SQLite and PostgreSQL order NULLs apart).
        sessions.sort(key=lambda x: (x.date is None, x.date or Date.min, x.slug))
        if terms:
            sessions = [x for x in sessions if x.term in set(terms)]
        if tags:
            sessions = [x for x in sessions if set(tags) & set(x.tags)]
        # Counted for every session in one grouped scan each: the talks table is small.
        by = col(Presentation.session_id)
        talks = _counts(s, by, col(Presentation.id))
        presenters = _counts(s, by, col(Presentation.presenter_id))
        papers = _counts(s, by, col(PresentationPaper.paper_id))
        return [
            SessionSummary(
                slug=x.slug,
                title=x.title,
                date=x.date,
                term=x.term,
                categories=list(x.categories),
                tags=list(x.tags),
                talks=talks.get(x.id, 0),
                papers=papers.get(x.id, 0),
                presenters=presenters.get(x.id, 0),
            )
            for x in sessions
        ]


# -- talks -------------------------------------------------------------------------------


def add_talk(
    catalog: Catalog,
    slug: str,
    papers: Sequence[str] = (),
    *,
    presenter: str | None = None,
    slides: str | None = None,
    title: str | None = None,
    position: int | None = None,
) -> TalkResult:
    """Add one talk about ``papers`` (refs: arXiv id, citation key or catalog number).

    No papers: a survey talk, which needs a ``title``. The talk already about exactly these
    papers (or, for one paper, the talk that has it) is updated with the presenter, slides
    and title given (the others are kept), never added twice; papers that are split over
    other talks are refused. ``position`` (1-based) puts the talk there; default: last.
    """
    if not papers and not (title and title.strip()):
        raise CatalogError("a talk without a paper needs a title (--title)")
    if presenter is not None and not presenter_key(presenter):
        raise CatalogError(f"bad presenter name {presenter!r}")
    if position is not None and position < 1:
        raise CatalogError(f"position must be 1 or more, not {position}")

    def work(s: DbSession) -> TalkResult:
        session = _session(s, slug, lock=True)
        assert session.id is not None
        found = [_catalogued(s, ref, slug) for ref in papers]
        chosen = list({p.id: p for p in found}.values())  # each paper once, in order
        chosen_ids = [p.id for p in chosen if p.id is not None]
        talks = _talks(s, session.id)
        owners = {t.id: _paper_ids(s, t.id or 0) for t in talks}
        presenter_id = ensure_presenter(s, presenter) if presenter else None

        existing = _existing_talk(s, session, talks, owners, chosen, papers)
        if existing is not None:
            before = (existing.presenter_id, existing.slides_url, existing.title)
            if presenter_id is not None:
                existing.presenter_id = presenter_id
            if slides is not None:
                existing.slides_url = slides.strip() or None
            if title is not None and title.strip():
                existing.title = " ".join(title.split())
            changed = before != (existing.presenter_id, existing.slides_url, existing.title)
            s.add(existing)
            if position is not None and position != existing.position:
                _move(s, talks, existing, position)
                changed = True
            s.flush()
            assert existing.id is not None
            return TalkResult("updated" if changed else "unchanged", _view_of(s, slug, existing.id))

        views = paper_views(s, chosen)
        talk = Presentation(
            session_id=session.id,
            position=len(talks) + 1,
            presenter_id=presenter_id,
            title=" ".join(title.split()) if title and title.strip() else _row_title(views),
            slides_url=(slides or "").strip() or None,
            # What the importer reads back from the row's Paper URL cell ("" for none).
            link_url=_row_link(views),
        )
        s.add(talk)
        s.flush()
        assert talk.id is not None
        if chosen_ids:
            s.execute(
                PresentationPaper.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {"presentation_id": talk.id, "paper_id": pid, "position": i}
                    for i, pid in enumerate(chosen_ids)
                ],
            )
        if position is not None:
            _move(s, [*talks, talk], talk, position)
        s.flush()
        return TalkResult("added", _view_of(s, slug, talk.id))

    return catalog.write(work)


def _catalogued(s: DbSession, ref: str, slug: str) -> Paper:
    """The paper ``ref`` names; for an arXiv id not catalogued yet, say how to fetch it."""
    from catalog.errors import InvalidArxivId
    from catalog.sources.arxiv.ids import parse_arxiv_id

    try:
        return resolve_paper(s, ref)
    except NotFound as exc:
        try:
            arxiv_id = parse_arxiv_id(ref).id
        except InvalidArxivId:
            raise exc from None
        raise NotFound(f"{exc} (to fetch it: catalog add {arxiv_id} --session {slug})") from None


def _existing_talk(
    s: DbSession,
    session: Session,
    talks: list[Presentation],
    owners: dict[int | None, list[int]],
    chosen: list[Paper],
    refs: Sequence[str],
) -> Presentation | None:
    """The talk to update instead of adding one: the talk about exactly ``chosen``, or,
    for one paper, the talk that has it. CatalogError if the papers are in other talks."""
    if not chosen:
        return None
    wanted = {p.id for p in chosen}
    for talk in talks:
        if set(owners[talk.id]) == wanted:
            return talk
    if len(chosen) == 1:
        for talk in talks:
            if chosen[0].id in owners[talk.id]:
                return talk
    for paper, ref in zip(chosen, refs, strict=False):
        for talk in talks:
            if paper.id in owners[talk.id]:
                raise CatalogError(
                    f"paper {ref!r} is already in talk {_talk_label(s, talk)} of session "
                    f"{session.slug!r}; remove it there first (catalog session remove-talk "
                    f"{session.slug} #{talk.position})"
                )
    return None


def _row_title(papers: list[PaperView]) -> str:
    return "; ".join(" ".join(p.title.split()) for p in papers)


def _row_link(papers: list[PaperView]) -> str:
    for paper in papers:
        if paper.arxiv_id:
            return f"https://arxiv.org/abs/{paper.arxiv_id}"
        if paper.url:
            return paper.url
    return ""


def _move(s: DbSession, talks: list[Presentation], talk: Presentation, to: int) -> None:
    ordered = [t for t in talks if t.id != talk.id]
    index = min(max(to, 1), len(ordered) + 1) - 1
    ordered.insert(index, talk)
    _renumber(s, ordered)


def move_talk(catalog: Catalog, slug: str, ref: str, to: int) -> PresentationView:
    """Move the talk ``ref`` names (``#2`` or a paper) to row ``to``; others shift."""

    def work(s: DbSession) -> PresentationView:
        session = _session(s, slug, lock=True)
        talk = _find_talk(s, session, ref)
        talks = _talks(s, session.id or 0)
        if not 1 <= to <= len(talks):
            raise CatalogError(f"--to must be between 1 and {len(talks)}, not {to}")
        _move(s, talks, talk, to)
        assert talk.id is not None
        return _view_of(s, slug, talk.id)

    return catalog.write(work)


def remove_talk(catalog: Catalog, slug: str, ref: str) -> PresentationView:
    """Remove a talk from a session (its papers and presenter stay in the catalog)."""

    def work(s: DbSession) -> PresentationView:
        session = _session(s, slug, lock=True)
        talk = _find_talk(s, session, ref)
        assert talk.id is not None
        view = _view_of(s, slug, talk.id)
        s.execute(
            delete(PresentationPaper).where(col(PresentationPaper.presentation_id) == talk.id)
        )
        s.execute(delete(Presentation).where(col(Presentation.id) == talk.id))
        s.expunge(talk)
        _renumber(s, _talks(s, session.id or 0))
        return view

    return catalog.write(work)


# -- presenters ----------------------------------------------------------------------------


def list_presenters(catalog: Catalog) -> list[PresenterSummary]:
    """Every presenter with talk, distinct-paper and session counts; most talks first."""
    with catalog.read() as s:
        rows = s.execute(select(col(Presenter.id), col(Presenter.name))).all()
        names = {pid: name for pid, name in rows if pid is not None}
        by = col(Presentation.presenter_id)
        ids = list(names)
        talks = _counts(s, by, col(Presentation.id), ids)
        sessions = _counts(s, by, col(Presentation.session_id), ids)
        papers = _counts(s, by, col(PresentationPaper.paper_id), ids)
        out = [
            PresenterSummary(
                name=name,
                talks=talks.get(pid, 0),
                papers=papers.get(pid, 0),
                sessions=sessions.get(pid, 0),
            )
            for pid, name in names.items()
        ]
        out.sort(key=lambda p: (-p.talks, -p.papers, presenter_key(p.name), p.name))
        return out


def presenter_detail(catalog: Catalog, name: str, *, abstracts_too: bool = True) -> PresenterDetail:
    """A presenter's talks, by session date; NotFound (with the nearest names) if unknown.
    ``abstracts_too=False`` leaves the papers' abstracts out (a page that shows none)."""
    with catalog.read() as s:
        person = _presenter(s, name)
        slugs = list(
            s.execute(
                select(col(Session.slug))
                .join(Presentation, col(Presentation.session_id) == col(Session.id))
                .where(col(Presentation.presenter_id) == person.id)
                .distinct()
            ).scalars()
        )
        detail = PresenterDetail(name=person.name)
        for view in session_views(s, slugs, abstracts_too=abstracts_too):
            for talk in view.presentations:
                if talk.presenter == person.name:
                    detail.talks.append(
                        PresenterTalk(
                            slug=view.slug,
                            session_title=view.title,
                            date=view.date,
                            position=talk.position,
                            title=talk.title,
                            papers=talk.papers,
                            slides_url=talk.slides_url,
                        )
                    )
        return detail


def rename_presenter(catalog: Catalog, old: str, new: str) -> RenameResult:
    """Rename a presenter; if ``new`` is another presenter's name, merge into them.

    A merge moves every talk to the other presenter and deletes the old one, in one
    transaction. Either way the presenter is then called ``new`` as typed.
    """
    new_name = " ".join(new.split())
    new_key = presenter_key(new_name)
    if not new_key:
        raise CatalogError(f"bad presenter name {new!r}")

    def work(s: DbSession) -> RenameResult:
        person = _presenter(s, old)
        old_name = person.name
        target = s.execute(
            select(Presenter).where(col(Presenter.key) == new_key, col(Presenter.id) != person.id)
        ).scalar_one_or_none()
        if target is None:
            person.name, person.key = new_name, new_key
            s.add(person)
            s.flush()
            return RenameResult(old_name, new_name, merged=False, talks_moved=0)
        moved = s.execute(
            update(Presentation)
            .where(col(Presentation.presenter_id) == person.id)
            .values(presenter_id=target.id)
        )
        s.execute(delete(Presenter).where(col(Presenter.id) == person.id))
        s.expunge(person)
        target.name = new_name
        s.add(target)
        s.flush()
        count = int(getattr(moved, "rowcount", 0) or 0)
        return RenameResult(old_name, new_name, merged=True, talks_moved=count)

    return catalog.write(work)
