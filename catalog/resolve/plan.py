"""Which papers ``catalog resolve`` looks for, and what the catalog knows of each.

* Without ``published``: the papers only a post or a .bib file knows (no source has
  given a field of theirs yet), typed "paper" (videos, slides, blog posts and code are
  never looked for);
* with ``published``: arXiv papers (filled from arXiv) that no published record
  (Crossref, DBLP, OpenReview, a proceedings page) has described yet;
* named papers (any identifier form, citation key or catalog number), whatever they hold.

Without names, a paper looked for within ``older_than`` without success (ambiguous, not
found: ``paper.resolve_attempted_at``) is left out, so running ``catalog resolve`` again
asks only what is new, as ``catalog sync`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from catalog.errors import NotFound
from catalog.records import PaperView
from catalog.resolve.rule import Known, year_in_venue
from catalog.store.catalog import Catalog, as_utc, utcnow

__all__ = ["DEFAULT_OLDER_THAN", "ResolvePlan", "Target", "known_of", "plan_resolve"]

DEFAULT_OLDER_THAN = timedelta(days=30)
# Sources whose fields say a paper has been described (not only named) by a source.
_DESCRIBING_SOURCES = frozenset({"arxiv", "crossref", "dblp", "openreview", "proceedings"})
_PUBLISHED_SOURCES = frozenset({"crossref", "dblp", "openreview", "proceedings"})
_THESIS_TYPES = frozenset({"phdthesis", "mastersthesis", "thesis"})


@dataclass(frozen=True)
class Target:
    """One paper to look for."""

    paper_id: int
    label: str  # how reports name it: arXiv id, first identifier, citation key or #N
    title: str  # the paper's title as the catalog has it (for reports)
    known: Known
    search_title: str | None  # what to search by title (its own, or its link's slug)
    arxiv_id: str | None = None


@dataclass(frozen=True)
class ResolvePlan:
    targets: list[Target]
    mode: Literal["fill", "published"]
    which: Literal["ids", "due"]
    older_than: timedelta | None = None
    skipped_recent: int = 0  # papers left out: looked for recently without success


def label_of(view: PaperView) -> str:
    if view.arxiv_id:
        return view.arxiv_id
    if view.identifiers:
        return str(view.identifiers[0])
    return view.citation_key or f"#{view.id}"


def known_of(view: PaperView, *, published: bool = False) -> Known:
    """What the catalog knows of a paper, for the rule. A title that is only the row's
    link (a post's row without text) is no title."""
    from catalog.text import url_key

    title: str | None = view.title.strip()
    if not title or title == "untitled" or (view.url and url_key(title) == url_key(view.url)):
        title = None
    year = view.year
    if year is None and not published:
        year = year_in_venue(view.venue)
    thesis = (view.entry_type or "").lower() in _THESIS_TYPES or view.kind == "thesis"
    return Known(
        title=title,
        authors=tuple(view.authors),
        year=year,
        url=view.url,
        identifiers=tuple(view.identifiers),
        thesis=thesis,
    )


def target_of(view: PaperView, *, published: bool = False) -> Target:
    from catalog.sources.ids import title_hint

    known = known_of(view, published=published)
    return Target(
        paper_id=view.id,
        label=label_of(view),
        title=view.title,
        known=known,
        search_title=known.title or title_hint(view.url),
        arxiv_id=view.arxiv_id,
    )


def plan_resolve(
    catalog: Catalog,
    refs: Sequence[str] = (),
    *,
    published: bool = False,
    older_than: timedelta = DEFAULT_OLDER_THAN,
    now: datetime | None = None,
) -> ResolvePlan:
    """Plan a resolve of ``refs`` (each found as ``catalog show`` finds a paper; every one
    not in the catalog is named in one :class:`NotFound`), else of the papers due."""
    mode: Literal["fill", "published"] = "published" if published else "fill"
    if refs:
        views, missing = [], []
        for ref in dict.fromkeys(refs):
            try:
                views.append(catalog.find_paper(ref))
            except NotFound:
                missing.append(ref)
        if missing:
            raise NotFound(f"not in the catalog: {', '.join(missing)}")
        unique = list({v.id: v for v in views}.values())
        return ResolvePlan([target_of(v, published=published) for v in unique], mode, "ids")
    ids, skipped = _due_ids(catalog, published, (now or utcnow()) - older_than)
    from catalog.store.paper_views import paper_views_by_id

    with catalog.read() as s:
        views = paper_views_by_id(s, ids)
    targets = [target_of(v, published=published) for v in views]
    return ResolvePlan(targets, mode, "due", older_than, skipped)


def _due_ids(catalog: Catalog, published: bool, cutoff: datetime) -> tuple[list[int], int]:
    """Papers to look for, in catalog order, and how many were left out as recent."""
    from sqlalchemy import select
    from sqlmodel import col

    from catalog.store.models import Paper

    stmt = (
        select(
            col(Paper.id), col(Paper.synced_at), col(Paper.kind), col(Paper.field_sources),
            col(Paper.resolve_attempted_at), col(Paper.resolve_error),
        )
        .where(col(Paper.item_type) == "paper")
        .order_by(col(Paper.id))
    )  # fmt: skip
    if published:
        stmt = stmt.where(col(Paper.arxiv_id).is_not(None), col(Paper.synced_at).is_not(None))
    found: list[int] = []
    skipped = 0
    with catalog.read() as s:
        for pid, synced_at, kind, sources, attempted, error in s.execute(stmt):
            given = set((sources or {}).values())
            if published:
                if kind not in (None, "preprint") or given & _PUBLISHED_SOURCES:
                    continue
            elif synced_at is not None or given & _DESCRIBING_SOURCES:
                continue
            # Only a recent try without success waits: a paper a plain run filled from its
            # arXiv link is still due for --published.
            when = as_utc(attempted)
            if error is not None and when is not None and when >= cutoff:
                skipped += 1
                continue
            if pid is not None:
                found.append(pid)
    return found, skipped
