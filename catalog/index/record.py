"""One arXiv paper as the local index holds it: every version, not only the latest.

OAI-PMH (arXivRaw or arXiv format) and the published snapshot are read into
:class:`IndexRecord`; the store writes it and the lookups give it back. Text is as arXiv
writes it, with hard line breaks joined (titles may keep TeX such as ``$\\alpha$``);
author names are plain Unicode ("Given Family"). Plain slotted dataclasses, not frozen
ones: a snapshot load makes millions, and a frozen dataclass costs twice as much to make.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from catalog.records import ArxivRecord


@dataclass(slots=True)
class Version:
    """One version: ``v2`` submitted ``date``, ``size_kb`` big (None where the source does
    not say: the snapshot and the arXiv format give no sizes). arXiv marks a withdrawn
    version by a size of ``0kb``; ``withdrawn`` is None when the size is unknown."""

    number: int
    date: datetime | None  # UTC
    size_kb: int | None = None
    withdrawn: bool | None = None


@dataclass(slots=True)
class IndexRecord:
    arxiv_id: str  # canonical, without version: "0704.0001", "hep-th/9901001"
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    categories: tuple[str, ...] = ()  # the first is the primary category
    versions: tuple[Version, ...] = ()  # in version order
    dois: tuple[str, ...] = ()  # lower case; arXiv sometimes gives several
    journal_ref: str | None = None
    comments: str | None = None
    datestamp: date | None = None  # when arXiv last changed the record (OAI datestamp)
    deleted: bool = False  # an OAI "deleted" header: the record is gone from arXiv

    @property
    def version(self) -> int:
        """The latest version's number (1 when the source names no version)."""
        return max((v.number for v in self.versions), default=1)

    @property
    def published(self) -> datetime | None:
        """v1's date."""
        first = min(self.versions, key=lambda v: v.number, default=None)
        return first.date if first else None

    @property
    def updated(self) -> datetime | None:
        """The latest version's date."""
        last = max(self.versions, key=lambda v: v.number, default=None)
        return last.date if last else None

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def withdrawn(self) -> bool:
        """Whether the latest version is a withdrawal (arXiv's 0kb version)."""
        last = max(self.versions, key=lambda v: v.number, default=None)
        return bool(last and last.withdrawn)

    def to_arxiv_record(self) -> ArxivRecord:
        """The paper as the arXiv client would have given it (its latest version), for the
        catalog's own store (``catalog add``/``sync`` from the index)."""
        published = self.published or self.updated
        updated = self.updated or published
        if published is None or updated is None:
            raise ValueError(f"{self.arxiv_id}: the index knows no version date")
        return ArxivRecord(
            arxiv_id=self.arxiv_id,
            version=self.version,
            title=self.title,
            authors=self.authors,
            abstract=self.abstract,
            published=published,
            updated=updated,
            primary_category=self.primary_category,
            categories=self.categories,
            doi=self.dois[0] if self.dois else None,
            journal_ref=self.journal_ref,
            comment=self.comments,
            url=f"https://arxiv.org/abs/{self.arxiv_id}",
        )
