"""The data of each page, read through the library: one function per resource, used by
the HTML page and by its JSON twin under ``/api/``, so both always show the same thing.

No SQL here: papers come from the store's search, sessions and presenters from
:mod:`catalog.store.planning`, talks and counts from :mod:`catalog.store.overview`,
JSON from the JSON exporter's own records, BibTeX and CSL from the exporters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from catalog.exporters import ExportOptions
from catalog.records import PaperView, SessionView
from catalog.store.catalog import Catalog
from catalog.store.overview import PaperTalk
from catalog.store.planning import SessionSummary

__all__ = [
    "PER_PAGE",
    "PaperDetail",
    "PaperFilters",
    "PapersPage",
    "find_papers",
    "identifier_links",
    "paper_detail",
    "paper_json",
    "paper_ref",
    "paper_detail_json",
    "paper_year",
    "papers_page",
    "safe_href",
    "sessions_by_term",
    "sessions_json",
]

PER_PAGE = 50

# Where an identifier of each scheme (catalog.records.SCHEMES) is shown on the web.
_ID_URLS = {
    "arxiv": "https://arxiv.org/abs/{}",
    "doi": "https://doi.org/{}",
    "dblp": "https://dblp.org/rec/{}",
    "openreview": "https://openreview.net/forum?id={}",
    "acl": "https://aclanthology.org/{}",
    "pmlr": "https://proceedings.mlr.press/{}.html",
}
_ID_LABELS = {
    "arxiv": "arXiv",
    "doi": "DOI",
    "dblp": "DBLP",
    "openreview": "OpenReview",
    "acl": "ACL Anthology",
    "pmlr": "PMLR",
    "neurips": "NeurIPS",
}


def safe_href(url: str | None) -> str | None:
    """``url`` if a browser may follow it (http or https); else None, and the page shows
    it as text. A post's link can be ``javascript:...`` or ``{{site.baseurl}}/...``."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def paper_ref(paper: PaperView) -> str:
    """What a paper's page is called: its citation key, else its arXiv id, else its
    number (all three are what ``catalog show`` accepts)."""
    return paper.citation_key or paper.arxiv_id or str(paper.id)


def paper_year(paper: PaperView) -> int | None:
    """The year it appeared; for a paper not synced yet, the one its arXiv id names."""
    from catalog.exporters.common import publication_parts

    if paper.year:
        return paper.year
    parts = publication_parts(paper)
    return parts[0] if parts else None


def identifier_links(paper: PaperView) -> list[tuple[str, str, str | None]]:
    """(label, value, url or None) for each identifier of the paper, arXiv first."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str, str | None]] = []

    def add(scheme: str, value: str | None) -> None:
        if not value or (scheme, value.lower()) in seen:
            return
        seen.add((scheme, value.lower()))
        template = _ID_URLS.get(scheme)
        url = template.format(quote(value, safe="/:.-_~")) if template else None
        if scheme == "neurips" and "/hash/" in value:
            year, _, digest = value.partition("/hash/")
            url = f"https://papers.nips.cc/paper_files/paper/{quote(year)}/hash/{quote(digest)}"
            url += "-Abstract.html"
        out.append((_ID_LABELS.get(scheme, scheme), value, url))

    add("arxiv", paper.arxiv_id)
    add("doi", paper.doi)
    for ident in paper.identifiers:
        add(ident.scheme, ident.value)
    return out


def paper_json(paper: PaperView) -> dict[str, Any]:
    """A paper in the JSON export's shape (``citation_key`` null until first exported)."""
    from catalog.exporters.json import paper_record

    data = paper_record(paper, paper.citation_key or "")
    data["citation_key"] = paper.citation_key
    return data


# -- papers: search and one paper -----------------------------------------------------------


@dataclass(frozen=True)
class PaperFilters:
    """The query of ``/papers`` and ``/api/papers``: words, and session filters."""

    q: str = ""
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    presenters: tuple[str, ...] = ()
    year: int | None = None

    def query_items(self) -> list[tuple[str, str]]:
        """The filters as URL query items (for links to other pages of the results)."""
        items = [("q", self.q)] if self.q else []
        items += [("tag", t) for t in self.tags] + [("term", t) for t in self.terms]
        items += [("presenter", p) for p in self.presenters]
        return items + ([("year", str(self.year))] if self.year else [])


@dataclass
class PapersPage:
    filters: PaperFilters
    papers: list[PaperView]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_papers(
    catalog: Catalog, filters: PaperFilters, *, limit: int, offset: int
) -> tuple[list[PaperView], int]:
    """One page of the papers matching ``filters`` (ranked when there are words, newest
    first otherwise), and how many match in all: the store's search, as `catalog search`
    and `catalog list` run it."""
    from catalog.store.search import SearchFilters

    found = SearchFilters(
        year=filters.year, tags=filters.tags, terms=filters.terms, presenters=filters.presenters
    )
    if filters.q.strip():
        result = catalog.search(filters.q, filters=found, limit=limit, offset=offset)
    else:
        result = catalog.list_papers_page(limit=limit, offset=offset, sort="added", filters=found)
    return result.papers, result.total


def papers_page(catalog: Catalog, filters: PaperFilters, page: int) -> PapersPage:
    papers, total = find_papers(catalog, filters, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return PapersPage(filters, papers, total, page)


@dataclass
class PaperDetail:
    paper: PaperView
    versions: list[tuple[int, datetime | None]]
    talks: list[PaperTalk]
    bibtex: str
    ref: str  # what the page and its downloads are called (a key only once it is stored)


def paper_detail(catalog: Catalog, ref: str) -> PaperDetail:
    """A paper with its versions, its talks and its BibTeX entry. NotFound (naming the
    nearest keys and ids) for an unknown ``ref``. The first time a paper is shown, its
    citation key is given and stored, as ``catalog export`` does."""
    from catalog.exporters.keys import settled
    from catalog.exporting import ensure_citation_keys
    from catalog.store.overview import talks_about

    paper = catalog.find_paper(ref)
    stored = paper.citation_key
    ensure_citation_keys(catalog, [paper])
    if stored is None and settled(paper):
        stored = paper.citation_key
    return PaperDetail(
        paper=paper,
        versions=catalog.versions(paper.id),
        talks=talks_about(catalog, paper.id),
        bibtex=_bibtex(paper),
        # A paper still waiting for its authors or year has a key for this page only.
        ref=stored or paper.arxiv_id or str(paper.id),
    )


def paper_detail_json(detail: PaperDetail) -> dict[str, Any]:
    data = paper_json(detail.paper)
    data["versions"] = [
        {"version": v, "date": d.date().isoformat() if d else None} for v, d in detail.versions
    ]
    data["talks"] = [
        {
            "session": t.slug,
            "session_title": t.session_title,
            "date": t.date.isoformat() if t.date else None,
            "position": t.position,
            "presenter": t.presenter,
            "title": t.title,
            "slides_url": t.slides_url,
        }
        for t in detail.talks
    ]
    return data


def _bibtex(paper: PaperView) -> str:
    """The paper's entry as ``catalog export bibtex --paper KEY`` writes it (and as its
    ``.bib`` download has it); its key is given already."""
    from catalog.exporters import EXPORTERS

    out = io.StringIO()
    EXPORTERS["bibtex"]([paper], [], out, ExportOptions())
    return out.getvalue()


# -- sessions and presenters -----------------------------------------------------------------


@dataclass
class TermGroup:
    term: str | None
    sessions: list[SessionSummary] = field(default_factory=list)


def sessions_by_term(catalog: Catalog) -> list[TermGroup]:
    """Every session, newest first, grouped by term (the term of the newest first)."""
    from catalog.store.planning import list_sessions

    groups: dict[str | None, TermGroup] = {}
    summaries = list_sessions(catalog)
    dated = [x for x in summaries if x.date is not None]
    undated = [x for x in summaries if x.date is None]
    for summary in [*reversed(dated), *undated]:
        groups.setdefault(summary.term, TermGroup(summary.term)).sessions.append(summary)
    return list(groups.values())


def sessions_json(catalog: Catalog, views: list[SessionView]) -> dict[str, Any]:
    """Sessions as the JSON export writes them (papers named by citation key), with the
    papers and presenters they cover: ``catalog export json --session ...``'s document."""
    from catalog.exporters.json import document
    from catalog.exporting import ensure_citation_keys

    papers = {p.id: p for v in views for t in v.presentations for p in t.papers}
    ensure_citation_keys(catalog, list(papers.values()))
    return document([], views)
