"""Plain records that flow between modules.

The arXiv client produces :class:`ArxivRecord`; the store turns rows into
:class:`PaperView` / :class:`SessionView` for exporters and checkers, so those
modules never touch the database or SQLModel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


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
    venue: str | None = None  # e.g. "ICML18", from a post or a .bib entry
    entry_type: str | None = None  # BibTeX type when imported from .bib (e.g. "inproceedings")
    extra_fields: dict[str, str] = field(default_factory=dict)  # other BibTeX fields kept


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
