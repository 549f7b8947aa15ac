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
the host its variable names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from catalog.records import Identifier, WorkRecord

__all__ = ["FetchOutcome", "IdFetcher", "TitleSearcher"]


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
