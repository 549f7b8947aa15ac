"""Metadata sources: arXiv, Crossref, DBLP, OpenReview and proceedings pages.

One module per source, all over one polite HTTP layer (:mod:`catalog.sources.http`).
Each source declares what it can do, as JabRef's fetchers do, so the resolver and
``sync`` ask "who can fetch a DOI?" instead of naming sites:

* :class:`IdFetcher`: ``knows(identifier)`` and ``fetch(identifiers)`` (batched where the
  API allows; one :class:`FetchOutcome` per call);
* :class:`TitleSearcher`: ``search_title(title)`` gives candidate :class:`WorkRecord`
  records, never a decision (matching is :mod:`catalog.sources.resolve`'s job).

``enabled_sources()`` builds the sources named by ``CATALOG_SOURCES`` (default: all), each
configured from its own environment variables (endpoint, delay). A source talks only to
the host its variable names. The :class:`Sources` it returns answers "which sources can
fetch this identifier?" (:meth:`Sources.fetchers_for`) and "which can search titles?"
(:meth:`Sources.title_searchers`: DBLP, Crossref, arXiv, in that order).

Importing this package stays cheap (the post parser imports ``catalog.sources.arxiv.ids``
through it): each source module, and httpx with it, is imported only when built.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # (annotations only: the post parser imports this package)
    from catalog.records import Identifier, WorkRecord
    from catalog.sources.http import HttpEvent

__all__ = [
    "FETCH_ORDER",
    "SOURCE_NAMES",
    "TITLE_SEARCH_ORDER",
    "FetchOutcome",
    "IdFetcher",
    "Sources",
    "TitleSearcher",
    "enabled_sources",
    "for_paper",
    "source_names",
]

# Every source, as CATALOG_SOURCES names them.
SOURCE_NAMES = ("arxiv", "crossref", "dblp", "openreview", "proceedings")
# Who is asked first for an identifier several sources know (an arXiv DOI: arXiv, then
# Crossref): the source that owns the scheme before the general ones.
FETCH_ORDER = ("arxiv", "openreview", "proceedings", "dblp", "crossref")
# Title search: DBLP's records are curated and typed, Crossref has the DOIs, arXiv last.
TITLE_SEARCH_ORDER = ("dblp", "crossref", "arxiv")


@dataclass
class FetchOutcome:
    """What one ``fetch`` call found: records by the identifier asked, the identifiers the
    source does not know, and those it could not answer (after its retries) with why."""

    records: dict[Identifier, WorkRecord] = field(default_factory=dict)
    missing: list[Identifier] = field(default_factory=list)
    failed: dict[Identifier, str] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0


@runtime_checkable
class IdFetcher(Protocol):
    name: str

    def knows(self, ident: Identifier) -> bool: ...

    def fetch(self, idents: Sequence[Identifier]) -> FetchOutcome: ...


@runtime_checkable
class TitleSearcher(Protocol):
    name: str

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]: ...


class Sources:
    """The sources enabled for a run. A context manager: closing it closes every
    source's connections."""

    def __init__(self, sources: Iterable[Any]) -> None:
        self._by_name: dict[str, Any] = {}
        for source in sources:
            self._by_name[source.name] = source

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def get(self, name: str) -> Any | None:
        """The source called ``name``, or None when it is not enabled."""
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def fetchers_for(self, ident: Identifier) -> list[IdFetcher]:
        """The enabled sources that can fetch ``ident``, best first (FETCH_ORDER)."""
        found = []
        for name in FETCH_ORDER:
            source = self._by_name.get(name)
            if isinstance(source, IdFetcher) and source.knows(ident):
                found.append(source)
        return found

    def title_searchers(self) -> list[TitleSearcher]:
        """The enabled sources that search by title, in TITLE_SEARCH_ORDER."""
        return [
            source
            for name in TITLE_SEARCH_ORDER
            if isinstance(source := self._by_name.get(name), TitleSearcher)
        ]

    def close(self) -> None:
        for source in self._by_name.values():
            source.close()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def for_paper(rec: WorkRecord) -> WorkRecord:
    """``rec`` as the fields of a catalogued paper: with the identifiers its links carry
    (DBLP's ``ee``: OpenReview, PMLR, NeurIPS and ACL Anthology pages, so the papers they
    name are found and merged), and, for DBLP, the paper's own page (its first ``ee``)
    as its URL rather than DBLP's page about it (which its DBLP key names)."""
    from dataclasses import replace

    from catalog.sources.ids import identifier_in_url

    found = list(rec.identifiers)
    for link in rec.links:
        ident = identifier_in_url(link)
        if ident is not None and ident not in found:
            found.append(ident)
    url = rec.url
    if rec.source == "dblp":
        url = next((link for link in rec.links if link.startswith(("http://", "https://"))), None)
    if url == rec.url and len(found) == len(rec.identifiers):
        return rec
    return replace(rec, identifiers=tuple(found), url=url)


def source_names(value: str | Iterable[str] | None = None) -> list[str]:
    """The source names ``value`` (or ``CATALOG_SOURCES``, comma-separated) asks for, in
    SOURCE_NAMES order; all of them when it is unset or empty. Unknown names raise
    :class:`~catalog.errors.SourceConfigError` naming them and the valid ones."""
    from catalog.errors import SourceConfigError

    origin = "CATALOG_SOURCES"
    if value is None:
        value = os.environ.get("CATALOG_SOURCES", "")
    elif not isinstance(value, str):
        value, origin = ",".join(value), "sources"
    asked = [part.strip().lower() for part in value.split(",") if part.strip()]
    if not asked:
        return list(SOURCE_NAMES)
    unknown = [name for name in dict.fromkeys(asked) if name not in SOURCE_NAMES]
    if unknown:
        raise SourceConfigError(
            f"{origin} names unknown source{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}; valid sources: {', '.join(SOURCE_NAMES)}"
        )
    return [name for name in SOURCE_NAMES if name in asked]


def enabled_sources(
    names: str | Iterable[str] | None = None,
    *,
    on_event: Callable[[HttpEvent], None] | None = None,
) -> Sources:
    """Build the sources ``names`` (default: ``CATALOG_SOURCES``, else all), each from its
    own variables. ``on_event`` gets every source's requests and retries, for a progress
    bar. A bad variable raises before any request, and nothing is left open."""
    built: list[Any] = []
    try:
        for name in source_names(names):
            built.append(_build(name, on_event))
    except BaseException:
        for source in built:
            source.close()
        raise
    return Sources(built)


def _build(name: str, on_event: Callable[[HttpEvent], None] | None) -> Any:
    if name == "arxiv":
        from catalog.sources.arxiv.client import ArxivClient, ClientEvent
        from catalog.sources.arxiv.source import ArxivSource
        from catalog.sources.http import HttpEvent

        def arxiv_event(event: ClientEvent) -> None:
            if on_event is not None and event.kind != "batch":
                on_event(
                    HttpEvent(event.kind, "arxiv", url, event.detail, event.attempt, event.wait)
                )

        client = ArxivClient(on_event=arxiv_event if on_event else None)
        url = client.base_url
        return ArxivSource(client)
    if name == "crossref":
        from catalog.sources.crossref import CrossrefSource

        return CrossrefSource(on_event=on_event)
    if name == "dblp":
        from catalog.sources.dblp import DblpSource

        return DblpSource(on_event=on_event)
    if name == "openreview":
        from catalog.sources.openreview import OpenReviewSource

        return OpenReviewSource(on_event=on_event)
    from catalog.sources.proceedings import ProceedingsSource

    return ProceedingsSource(on_event=on_event)
