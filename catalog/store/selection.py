"""Choosing papers and sessions for an export or a search, and giving papers their
citation keys."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, Table, bindparam, func, or_, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.errors import NotFound
from catalog.records import PaperView, PresentationView, SessionView
from catalog.store.catalog import Catalog, resolve_paper
from catalog.store.identifiers import ALIAS_SCHEME
from catalog.store.models import (
    Paper,
    PaperIdentifier,
    Presentation,
    PresentationPaper,
    Presenter,
    Session,
)
from catalog.store.paper_views import all_paper_views, among, paper_views_by_id
from catalog.store.sessions import session_views
from catalog.text import presenter_key


@dataclass(frozen=True)
class Selection:
    """Export filters; all given filters must hold (empty = everything)."""

    sessions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    presenters: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    papers: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def filters_sessions(self) -> bool:
        return bool(
            self.sessions or self.tags or self.categories or self.terms or self.presenters
            or self.since or self.until
        )  # fmt: skip


def select_for_export(
    catalog: Catalog, sel: Selection, *, abstracts_too: bool = True
) -> tuple[list[PaperView], list[SessionView]]:
    """Papers and sessions matching ``sel``, each list in a stable order.

    Sessions keep only the talks the filters select (by ``--presenter``, and those about
    a ``--paper``), so an exporter that lists the papers of the sessions it is given
    never adds a paper the filters left out.
    """
    wanted_presenters = {presenter_key(p) for p in sel.presenters}
    with catalog.read() as s:
        # Without session filters the sessions are not chosen by their rows: skip them.
        slugs = [x.slug for x in _matching_sessions(s, sel)] if sel.filters_sessions else []
        wanted_papers = {resolve_paper(s, ref).id or 0 for ref in sel.papers}
        # The sessions' papers are read as the export reads its papers (abstracts only
        # when it shows them): the papers it exports are copies of them.
        if sel.filters_sessions:
            views = session_views(s, slugs, abstracts_too=abstracts_too)
        elif wanted_papers:  # only the sessions that presented them can be kept
            views = session_views(s, _presenting(s, wanted_papers), abstracts_too=abstracts_too)
        else:
            views = session_views(s, abstracts_too=abstracts_too)

        def keep(talk: PresentationView) -> bool:
            if wanted_presenters and presenter_key(talk.presenter or "") not in wanted_presenters:
                return False
            return not wanted_papers or any(p.id in wanted_papers for p in talk.papers)

        if wanted_presenters or wanted_papers:
            for view in views:
                view.presentations = [t for t in view.presentations if keep(t)]
            views = [v for v in views if v.presentations]
        paper_ids: set[int] | None = None
        if sel.filters_sessions:
            paper_ids = {p.id for v in views for t in v.presentations for p in t.papers}
        if wanted_papers:
            paper_ids = wanted_papers if paper_ids is None else paper_ids & wanted_papers
        if paper_ids is None:  # no filter: every paper, in one scan
            return all_paper_views(s, abstracts_too=abstracts_too), views
        presented = {p.id: p for v in views for t in v.presentations for p in t.papers}
        if paper_ids <= presented.keys():
            # Copies, as a second read would give: keys given to the exported papers
            # are not the sessions' (exporters find a talk's paper by its id).
            return [replace(presented[i]) for i in sorted(paper_ids)], views
        papers = paper_views_by_id(s, sorted(paper_ids), abstracts_too=abstracts_too)
        return papers, views


def _presenting(s: DbSession, paper_ids: set[int]) -> list[str]:
    """Slugs of the sessions with a talk about one of ``paper_ids``."""
    return list(
        s.execute(
            select(Session.slug)
            .join(Presentation, col(Presentation.session_id) == col(Session.id))
            .join(
                PresentationPaper,
                col(PresentationPaper.presentation_id) == col(Presentation.id),
            )
            .where(col(PresentationPaper.paper_id).in_(sorted(paper_ids)))
            .distinct()
        ).scalars()
    )


def presented_paper_ids(s: DbSession, sel: Selection) -> Select[Any] | None:
    """A subquery of the ids of the papers that ``sel``'s session filters keep: those of
    the talks (by one of ``sel.presenters``, when given) in the sessions it selects, as
    :func:`select_for_export` keeps them. ``None`` when ``sel`` filters no sessions.

    Raises :class:`NotFound` for a session or presenter the catalog does not have.
    """
    if not sel.filters_sessions:
        return None
    session_ids = [x.id for x in _matching_sessions(s, sel)]
    postgres = s.get_bind().dialect.name == "postgresql"  # one array parameter there
    stmt = (
        sa_select(col(PresentationPaper.paper_id))
        .join(Presentation, col(Presentation.id) == col(PresentationPaper.presentation_id))
        .where(among(col(Presentation.session_id), session_ids, postgres))
    )
    if sel.presenters:
        keys = [presenter_key(p) for p in sel.presenters]
        stmt = stmt.join(Presenter, col(Presenter.id) == col(Presentation.presenter_id)).where(
            col(Presenter.key).in_(keys)
        )
    return stmt


class _SessionRow(NamedTuple):
    id: int
    slug: str


def _matching_sessions(s: DbSession, sel: Selection) -> list[_SessionRow]:
    """(id, slug) of the sessions ``sel``'s session filters keep, by date then slug.

    Plain rows of the columns the filters test, not ORM objects: a page filtered by a
    tag tests every session of a group's history on each request. Sessions named by
    slug alone are looked up by slug; every slug is read only to suggest the nearest
    to one the catalog does not have.
    """
    table: Table = Session.__table__  # type: ignore[attr-defined]
    columns: list[Any] = [table.c.id, table.c.slug]
    tested = [
        (name, wanted)
        for name, wanted in (("tags", sel.tags), ("categories", sel.categories))
        if wanted
    ]
    columns += [type_coerce(table.c[name], String).label(name) for name, _ in tested]
    columns += [table.c.term, table.c.date]
    stmt = sa_select(*columns).order_by(table.c.date, table.c.slug)
    if sel.sessions:
        stmt = stmt.where(table.c.slug.in_(sel.sessions))
    rows = s.execute(stmt).all()
    if sel.sessions:
        known = {row.slug for row in rows}
        for slug in sel.sessions:
            if slug not in known:
                every = set(s.execute(sa_select(table.c.slug)).scalars())
                raise NotFound(f"no session {slug!r} in the catalog{_nearest(slug, every)}")
    if sel.presenters:
        _check_presenters(s, sel.presenters)
    decoded: dict[str, set[str]] = {}  # the same tag lists recur: decode each text once

    def values(raw: Any) -> set[str]:
        if not isinstance(raw, str):  # PostgreSQL's driver decodes JSON itself
            return set(raw or ())
        if raw not in decoded:
            decoded[raw] = set(json.loads(raw) or ())
        return decoded[raw]

    def keep(x: Any) -> bool:
        for name, wanted in tested:
            if not set(wanted) & values(getattr(x, name)):
                return False
        if sel.terms and x.term not in sel.terms:
            return False
        if sel.since and (x.date is None or x.date < sel.since):
            return False
        if sel.until and (x.date is None or x.date > sel.until):
            return False
        return True

    kept = [_SessionRow(x.id, x.slug) for x in rows if keep(x)]
    if sel.presenters:
        keys = [presenter_key(p) for p in sel.presenters]
        with_presenter = set(
            s.execute(
                select(Presentation.session_id)
                .join(Presenter, col(Presenter.id) == col(Presentation.presenter_id))
                .where(col(Presenter.key).in_(keys))
            ).scalars()
        )
        kept = [x for x in kept if x.id in with_presenter]
    return kept


def _check_presenters(s: DbSession, names: tuple[str, ...]) -> None:
    rows = s.execute(select(Presenter.key, Presenter.name)).all()
    keys = {k for k, _ in rows}
    for name in names:
        if presenter_key(name) not in keys:
            raise NotFound(f"no presenter {name!r}{_nearest(name, {n for _, n in rows})}")


def _nearest(name: str, candidates: set[str]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(name, sorted(candidates), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


def taken_citation_keys(session: DbSession, bases: Collection[str] | None = None) -> set[str]:
    """Every stored citation key, and every key a merged paper gave up (it still names
    the paper it became: never given to another one).

    With ``bases`` (lower-case key stems such as ``maddison2016concrete``), only the
    keys that begin with one of them, case-insensitively: all that a key allocator
    handing out those bases and their suffixes must avoid, read without fetching the
    whole catalog's keys (a page showing one paper's key).
    """
    table: Table = Paper.__table__  # type: ignore[attr-defined]
    keys = sa_select(table.c.citation_key).where(table.c.citation_key.is_not(None))
    if bases is not None:
        if not bases:
            return set()
        keys = keys.where(or_(*(_starts(table.c.citation_key, b) for b in bases)))
    return set(session.execute(keys).scalars()) | _alias_keys(session, bases)


def _alias_keys(session: DbSession, bases: Collection[str] | None = None) -> set[str]:
    """Keys merged papers gave up (beginning with one of ``bases``, if given)."""
    ids: Table = PaperIdentifier.__table__  # type: ignore[attr-defined]
    aliases = sa_select(ids.c.value).where(ids.c.scheme == ALIAS_SCHEME)
    if bases is not None:
        aliases = aliases.where(or_(*(_starts(ids.c.value, b) for b in bases)))
    return set(session.execute(aliases).scalars())


def _starts(column: Any, base: str) -> ColumnElement[bool]:
    """``column`` begins with ``base``, ignoring case (as keys are compared)."""
    escaped = base.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(escaped + "%", escape="\\")


def assign_citation_keys(
    catalog: Catalog,
    papers: list[PaperView],
    allocator: Callable[[set[str]], Callable[[PaperView], str]],
    store: Callable[[PaperView], bool] = lambda view: True,
) -> None:
    """Give every paper without a citation key one, and store it: keys never change after.

    ``allocator(taken)`` returns a function that makes a new key for a paper, unique
    against ``taken`` and the keys it made before. A paper for which ``store(view)`` is
    false gets a key for this export only, unique all the same, and no key is stored
    (see :func:`catalog.exporters.keys.settled`). Runs in one transaction; if another
    process took a key at the same moment, the unique constraint refuses it and the
    whole assignment is retried with fresh keys.
    """
    missing = [p for p in papers if not p.citation_key]
    if not missing:
        return
    table: Table = Paper.__table__  # type: ignore[attr-defined]

    def work(s: DbSession) -> dict[int, str]:
        with_key = sa_select(table.c.id, table.c.citation_key).where(
            table.c.citation_key.is_not(None)
        )
        stored: dict[int, str] = {i: k for i, k in s.execute(with_key)}
        # Keys merged papers gave up still name them: never given to another paper.
        make = allocator(set(stored.values()) | _alias_keys(s))
        given = _allocate(missing, make, store, stored)
        updates = [
            {"b_id": view.id, "key": given[view.id]}
            for view in missing
            if view.id not in stored and store(view)
        ]
        if updates:
            stmt = (
                table.update()
                .where(table.c.id == bindparam("b_id"), table.c.citation_key.is_(None))
                .values(citation_key=bindparam("key"))
            )
            s.connection().execute(stmt, updates)
        return given

    for attempt in range(5):
        try:
            given = catalog.write(work)
            break
        except IntegrityError:
            if attempt == 4:
                raise
    for view in missing:
        view.citation_key = given.get(view.id, view.citation_key)


def provisional_citation_keys(
    catalog: Catalog,
    papers: list[PaperView],
    allocator: Callable[[set[str]], Callable[[PaperView], str]],
    store: Callable[[PaperView], bool] = lambda view: True,
    bases: Collection[str] | None = None,
) -> None:
    """Give every paper without a citation key the key :func:`assign_citation_keys`
    would store for it now, on the views only: nothing is written (a web page, a
    download). Stable while the catalog's stored keys are; never one of them.

    ``bases``: the base keys the allocator can hand out to these papers, when known;
    then only the stored keys that could clash are read (see :func:`taken_citation_keys`).
    """
    missing = [p for p in papers if not p.citation_key]
    if not missing:
        return
    with catalog.read() as s:
        taken = taken_citation_keys(s, bases)
    given = _allocate(missing, allocator(taken), store, {})
    for view in missing:
        view.citation_key = given[view.id]


def _allocate(
    missing: list[PaperView],
    make: Callable[[PaperView], str],
    store: Callable[[PaperView], bool],
    stored: dict[int, str],
) -> dict[int, str]:
    """A key for each paper of ``missing``: the one ``stored`` has for it (given
    meanwhile by another process), else a new one from ``make``."""
    given: dict[int, str] = {}
    # Keys to store first: a key given for one export never pushes a stored one to a
    # suffix.
    for view in sorted(missing, key=lambda v: not store(v)):
        given[view.id] = stored[view.id] if view.id in stored else make(view)
    return given
