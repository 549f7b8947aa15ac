"""Plain records that flow between modules.

The arXiv client produces :class:`ArxivRecord` and the other sources (Crossref, DBLP,
OpenReview, proceedings pages) :class:`WorkRecord`; every source names papers by
:class:`Identifier`. The store turns rows into :class:`PaperView` / :class:`SessionView`
for exporters, checkers and the web, so those modules never touch the database or
SQLModel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Identifier schemes, in the order a paper shows them.
SCHEMES = ("arxiv", "doi", "dblp", "openreview", "acl", "pmlr", "neurips")


@dataclass(frozen=True, order=True, slots=True)
class Identifier:
    """One identifier of a paper, canonical: ``value`` is what the catalog stores and
    compares (an arXiv id without version; a DOI in lower case; a DBLP key
    ``conf/icml/KazemiG18``; an OpenReview note id ``BkpiPMbA-``; an ACL Anthology id
    ``N19-1423``; a PMLR id ``v80/kazemi18a``; a NeurIPS id: the legacy papers.nips.cc
    number ``5346``, whose URLs name no year, or ``2020/hash/<32 hex>``). Each (scheme,
    value) belongs to one paper of the catalog.
    Parsing every written form is :mod:`catalog.sources.ids`'s job."""

    scheme: str
    value: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


# What a bibliographic record says the work is. Only "journal" and "proceedings" (and
# "book"/"chapter") are published papers; the rest are never taken for a paper.
WORK_KINDS = (
    "journal",
    "proceedings",
    "book",
    "chapter",
    "preprint",
    "thesis",
    "comment",  # a comment on, or reply to, another paper
    "erratum",
    "review",  # a book review
    "other",
)


@dataclass(frozen=True)
class WorkRecord:
    """One work as a metadata source (Crossref, DBLP, OpenReview, a proceedings page,
    or arXiv's title search) describes it. Text is plain: the source module strips HTML,
    MathML and JATS and decodes entities; exporters do their own escaping."""

    source: str  # "crossref" | "dblp" | "openreview" | "proceedings" | "arxiv"
    title: str  # whitespace collapsed, no trailing "." added by the source
    authors: tuple[str, ...] = ()  # display names ("Given Family"), in the source's order
    year: int | None = None
    kind: str = "other"  # one of WORK_KINDS
    venue: str | None = None  # journal, or proceedings (booktitle) name
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None  # "1-10"
    publisher: str | None = None
    abstract: str | None = None
    url: str | None = None  # the record's landing page
    identifiers: tuple[Identifier, ...] = ()  # every identifier the record carries
    links: tuple[str, ...] = ()  # other URLs the record lists (DBLP's ee), for evidence
    source_id: str | None = None  # the record's own id at its source (DOI, DBLP key, note id)
    journal_ref: str | None = None  # arXiv's free-text note of where it appeared, if any


@dataclass(frozen=True)
class ArxivRecord:
    """One paper as the arXiv API describes it (the latest version it returned)."""

    arxiv_id: str  # canonical id without version: "1611.00712", "hep-th/9901001"
    version: int  # 1, 2, ...
    title: str  # hard line breaks joined, whitespace collapsed
    authors: tuple[str, ...]  # in arXiv's order
    abstract: str  # hard line breaks joined
    published: datetime  # v1 date (UTC)
    updated: datetime  # this version's date (UTC)
    primary_category: str | None = None
    categories: tuple[str, ...] = ()
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    url: str | None = None  # https://arxiv.org/abs/<id>


@dataclass
class PaperView:
    """A catalogued paper, read-only, as exporters and checkers see it."""

    id: int
    title: str
    authors: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    version: int | None = None
    abstract: str | None = None
    published: date | None = None
    updated: date | None = None
    primary_category: str | None = None
    categories: list[str] = field(default_factory=list)
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    url: str | None = None
    citation_key: str | None = None
    venue: str | None = None  # journal/proceedings name, or a post's "ICML18" / a .bib's
    entry_type: str | None = None  # BibTeX type when imported from .bib (e.g. "inproceedings")
    extra_fields: dict[str, str] = field(default_factory=dict)  # other BibTeX fields kept
    # Where the paper was published (a WorkRecord's fields), when a source said so.
    identifiers: list[Identifier] = field(default_factory=list)  # every one, SCHEMES order
    year: int | None = None  # publication year: the published record's, else v1's year
    kind: str | None = None  # WORK_KINDS of the published record; None when unpublished
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    # "paper", or what a link that is not a paper is: "video" | "slides" | "blog" |
    # "code" | "web". Items that are not papers are never matched to a paper by title.
    item_type: str = "paper"
    field_sources: dict[str, str] = field(default_factory=dict)  # field -> source name


@dataclass
class PresentationView:
    """One row of a session: a talk by a presenter about zero, one or more papers."""

    position: int
    presenter: str | None
    title: str  # the row's own text (the paper title, or "Summary of ..." for a survey talk)
    papers: list[PaperView] = field(default_factory=list)
    slides_url: str | None = None
    link_url: str | None = None  # the row's paper link when no paper is catalogued for it
    links: list[tuple[str, str]] = field(default_factory=list)  # other (text, url) links


@dataclass
class SessionView:
    """A reading-group session (one post)."""

    slug: str  # "2018-07-31-generative"
    title: str
    date: date | None = None
    desc: str | None = None
    term: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    layout: str | None = "post"
    extra: dict[str, Any] = field(default_factory=dict)  # other front-matter keys, kept
    presentations: list[PresentationView] = field(default_factory=list)
