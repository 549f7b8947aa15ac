"""Helpers shared by the format modules (stdlib only)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Hashable, Sequence
from datetime import date

from catalog.records import PaperView, SessionView

__all__ = [
    "ITEM_LABELS",
    "abs_url",
    "clean",
    "collect_papers",
    "date_parts",
    "issued_parts",
    "page_range",
    "paper_identity",
    "publication_parts",
    "published_kind",
]

# What an item that is not a paper is, in words (PaperView.item_type -> label).
ITEM_LABELS = {
    "video": "Video",
    "slides": "Slides",
    "blog": "Blog post",
    "code": "Software",
    "web": "Web page",
}
# A dash between two page numbers: hyphens (one or more), Unicode dashes, minus.
_PAGE_DASH = re.compile(r"\s*(?:-+|[\u2010-\u2015\u2212])\s*")


def paper_identity(paper: PaperView) -> Hashable:
    """What makes two PaperView objects the same paper: the catalog id when it has one
    (importers use 0 as a placeholder), else the arXiv id, else the citation key,
    else the object itself."""
    if paper.id:
        return ("id", paper.id)
    if paper.arxiv_id:
        return ("arxiv", paper.arxiv_id)
    if paper.citation_key:
        return ("key", paper.citation_key)
    return ("object", id(paper))


def collect_papers(papers: Sequence[PaperView], sessions: Sequence[SessionView]) -> list[PaperView]:
    """The papers an export covers: ``papers`` in order, then the papers of ``sessions``
    (in session, row and paper order) that are not among them; each paper once."""
    seen: set[Hashable] = set()
    result: list[PaperView] = []
    for paper in papers:
        ident = paper_identity(paper)
        if ident not in seen:
            seen.add(ident)
            result.append(paper)
    for session in sessions:
        for row in session.presentations:
            for paper in row.papers:
                ident = paper_identity(paper)
                if ident not in seen:
                    seen.add(ident)
                    result.append(paper)
    return result


def clean(text: str | None) -> str:
    """NFC-normalised text on one line, HTML entities decoded: every run of whitespace
    (newlines included) becomes one space, and "&amp;" is "&" (titles scraped from web
    pages carry entities; a literal "&amp;" in a title is never meant)."""
    if not text:
        return ""
    if "&" in text:
        text = html.unescape(text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def abs_url(paper: PaperView) -> str | None:
    """The paper's link: its arXiv abstract page when it has an arXiv id, else its URL."""
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    return paper.url or None


def publication_parts(paper: PaperView) -> tuple[int, ...]:
    """(year, month[, day]) the paper first appeared: its date, else what its arXiv id says.

    A paper known only from a post has no date yet, but its arXiv id names the month it
    was submitted (``1804.01694``: April 2018; ``hep-th/9901001``: January 1999), so its
    citation key and BibTeX year need not wait for ``catalog sync``.
    """
    parts = date_parts(paper.published)
    if parts or not paper.arxiv_id:
        return parts
    digits = paper.arxiv_id.rsplit("/", 1)[-1][:4]
    if not digits.isdigit():
        return ()
    yy, mm = int(digits[:2]), int(digits[2:])
    return (1900 + yy if yy >= 91 else 2000 + yy, mm) if 1 <= mm <= 12 else ()


def date_parts(day: date | None) -> tuple[int, ...]:
    """(year, month, day) of a publication date, without the parts a .bib file lacked.

    The .bib importer stores a missing day as 1 and a missing month as January, so the
    1st of a month is written as (year, month) and January 1st as (year,). A paper really
    published on a 1st loses only a day (or, on January 1st, its month), while a
    year-only .bib entry never gains a false month.
    """
    if day is None:
        return ()
    if day.day != 1:
        return (day.year, day.month, day.day)
    if day.month != 1:
        return (day.year, day.month)
    return (day.year,)


def published_kind(paper: PaperView, prefer: str = "published") -> str | None:
    """The kind (:data:`catalog.records.WORK_KINDS`) a citation export types ``paper`` by,
    or None to type it as a preprint or by what it was imported as: None when no source
    found it published (a "preprint" record is not a publication), when it is not a
    paper, and when the export prefers arXiv (``--prefer arxiv``) and it has an arXiv id."""
    kind = paper.kind
    if kind is None or kind == "preprint" or paper.item_type != "paper":
        return None
    if prefer == "arxiv" and paper.arxiv_id:
        return None
    return kind


def issued_parts(paper: PaperView, published: bool) -> tuple[int, ...]:
    """(year[, month[, day]]) a citation shows. Typed by its published record, the
    paper shows that record's year alone: its arXiv v1 date says nothing of the month it
    was published in. Otherwise the date it first appeared (:func:`publication_parts`),
    else the year a source gave."""
    if published and paper.year:
        return (paper.year,)
    parts = publication_parts(paper)
    if parts:
        return parts[:1] if published else parts
    return (paper.year,) if paper.year else ()


def page_range(pages: str | None, dash: str) -> str:
    """Pages on one line with ``dash`` between the first and last page: "1-10", "1–10"
    and "1--10" all become "1" + dash + "10"; a single page ("e1003") stays as it is."""
    text = " ".join((pages or "").split())
    if not text:
        return ""
    return _PAGE_DASH.sub(dash, text)
