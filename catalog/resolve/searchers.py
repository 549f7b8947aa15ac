"""Title searchers of the resolver's own, beside the sources' (DBLP, Crossref, arXiv).

* :class:`CatalogSearcher` looks in the catalog first: a paper a post names by its title
  alone may be one the catalog already has from a source (an arXiv paper another post
  links); then it is merged into that paper, and nothing is asked of anybody.
* :class:`ArxivTitles` is arXiv's title search keeping arXiv's own records, so that a
  paper found there is stored as ``catalog sync`` stores arXiv papers (versions,
  categories, dates), not as a bare work.

* :class:`IndexTitles` is the local arXiv index of ``catalog harvest``
  (:mod:`catalog.index`), asked after the catalog and before any API: a title it holds
  costs no request, and its record is stored as arXiv's would be.

Any other :class:`~catalog.sources.TitleSearcher` can be handed to the resolver: it is
asked after these and before the sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog.records import ArxivRecord, WorkRecord
from catalog.store.catalog import Catalog

if TYPE_CHECKING:
    from catalog.index.store import ArxivIndex

__all__ = ["ArxivTitles", "CatalogSearcher", "IndexTitles", "catalog_paper_id"]

_DESCRIBING = frozenset({"arxiv", "crossref", "dblp", "openreview", "proceedings"})


def catalog_paper_id(rec: WorkRecord) -> int | None:
    """The catalogued paper a :class:`CatalogSearcher` record stands for."""
    if rec.source == "catalog" and rec.source_id and rec.source_id.startswith("#"):
        return int(rec.source_id[1:])
    return None


class CatalogSearcher:
    """The catalog's own papers of a title (normalised), that a source has described:
    videos, blog posts and papers known only from posts are never candidates."""

    name = "catalog"

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]:
        from sqlalchemy import select
        from sqlmodel import col

        from catalog.store.models import Paper
        from catalog.store.paper_views import paper_views_by_id
        from catalog.text import title_key

        key = title_key(title)
        if not key:
            return []
        stmt = (
            select(col(Paper.id), col(Paper.field_sources), col(Paper.synced_at))
            .where(col(Paper.title_key) == key, col(Paper.item_type) == "paper")
            .order_by(col(Paper.id))
            .limit(50)
        )
        with self.catalog.read() as s:
            ids = [
                pid
                for pid, sources, synced in s.execute(stmt)
                if pid is not None
                and (synced is not None or set((sources or {}).values()) & _DESCRIBING)
            ][:limit]
            views = paper_views_by_id(s, ids)
        return [
            WorkRecord(
                source="catalog",
                title=v.title,
                authors=tuple(v.authors),
                year=v.year,
                kind=v.kind or ("preprint" if v.arxiv_id else "other"),
                venue=v.venue,
                url=v.url,
                identifiers=tuple(v.identifiers),
                source_id=f"#{v.id}",
            )
            for v in views
        ]

    def close(self) -> None:
        pass


class ArxivTitles:
    """arXiv's title search (``ti:"..."``) through an enabled arXiv source, keeping the
    :class:`ArxivRecord` behind each record it returns (:attr:`records`)."""

    name = "arxiv"

    def __init__(self, source: Any) -> None:
        self.source = source
        self.records: dict[str, ArxivRecord] = {}

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]:
        from catalog.sources.arxiv.source import work_record

        found = self.source.client.search_title(title, limit=limit)
        for rec in found:
            self.records[rec.arxiv_id] = rec
        return [work_record(rec) for rec in found]


class IndexTitles:
    """The local arXiv index's papers of a title (the same matching key), as arXiv's
    records (:attr:`records`, by arXiv id); withdrawn and deleted ones left out."""

    name = "index"

    def __init__(self, index: ArxivIndex) -> None:
        self.index = index
        self.records: dict[str, ArxivRecord] = {}

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]:
        from catalog.sources.arxiv.source import work_record

        found = []
        for rec in self.index.by_title(title, limit=limit):
            if rec.deleted or rec.withdrawn:
                continue
            try:
                arxiv = rec.to_arxiv_record()
            except ValueError:  # no version date: arXiv's own answer is needed
                continue
            self.records[arxiv.arxiv_id] = arxiv
            found.append(work_record(arxiv))
        return found

    def close(self) -> None:
        pass
