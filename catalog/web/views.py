"""The data of each page, read through the library: one function per resource, used by
the HTML page and by its JSON twin under ``/api/``, so both always show the same thing.

No SQL here: papers come from the store's search, sessions and presenters from
:mod:`catalog.store.planning`, talks and counts from :mod:`catalog.store.overview`,
JSON from the JSON exporter's own records, BibTeX and CSL from the exporters.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from catalog.exporters import ExportOptions
from catalog.records import PaperView, SessionView
from catalog.store.catalog import Catalog
from catalog.store.overview import PaperTalk
from catalog.store.planning import SessionSummary
from catalog.store.search import SearchResult

__all__ = [
    "PER_PAGE",
    "PaperDetail",
    "PaperFilters",
    "PapersPage",
    "find_papers",
    "identifier_links",
    "item_label",
    "paper_detail",
    "paper_json",
    "paper_ref",
    "paper_detail_json",
    "paper_download",
    "paper_year",
    "papers_page",
    "safe_href",
    "sessions_by_term",
    "sessions_json",
    "venue_line",
]

PER_PAGE = 50

# How each scheme (catalog.records.SCHEMES) is labelled on a paper's page.
_ID_LABELS = {
    "arxiv": "arXiv",
    "doi": "DOI",
    "dblp": "DBLP",
    "openreview": "OpenReview",
    "acl": "ACL Anthology",
    "pmlr": "PMLR",
    "neurips": "NeurIPS",
}
# What a catalogued item that is not a paper is (catalog.sources.ids.ITEM_TYPES).
ITEM_LABELS = {
    "video": "video",
    "slides": "slides",
    "code": "code",
    "blog": "blog post",
    "web": "web page",
}
# What a published record is (catalog.records.WORK_KINDS), where the venue does not say.
_KIND_LABELS = {
    "journal": "journal article",
    "proceedings": "conference paper",
    "book": "book",
    "chapter": "book chapter",
    "preprint": "preprint",
    "thesis": "thesis",
    "comment": "comment",
    "erratum": "erratum",
    "review": "review",
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
    """What a paper's page is called: its stored citation key, else its arXiv id, else
    its number (all three are what ``catalog show`` accepts, and none changes: a page
    reached by its arXiv id stays there once the paper has a key)."""
    return paper.citation_key or paper.arxiv_id or str(paper.id)


def paper_year(paper: PaperView) -> int | None:
    """The year shown (and filtered by ``year=``): the published record's, else the
    first version's, else the one its arXiv id names (the store's one rule)."""
    from catalog.store.search import year_of

    return year_of(paper)


def identifier_links(paper: PaperView) -> list[tuple[str, str, str | None]]:
    """(label, value, url or None) for each identifier of the paper, in SCHEMES order
    (arXiv first); the links are :func:`catalog.sources.ids.identifier_url`'s."""
    from catalog.records import Identifier
    from catalog.sources.ids import canonical_doi, identifier_url

    idents = list(paper.identifiers)
    if paper.arxiv_id and Identifier("arxiv", paper.arxiv_id) not in idents:
        idents.insert(0, Identifier("arxiv", paper.arxiv_id))
    doi = canonical_doi(paper.doi)  # a view built without the identifier rows
    if doi and Identifier("doi", doi) not in idents:
        idents.append(Identifier("doi", doi))
    return [
        (_ID_LABELS.get(i.scheme, i.scheme), i.value, identifier_url(i))
        for i in dict.fromkeys(idents)
    ]


def venue_line(paper: PaperView) -> str:
    """Where it appeared, as a reference list writes it: ``Nature 538(7626), 471-476,
    Springer``; a preprint's journal reference, if arXiv has one; else nothing."""
    venue = paper.venue or paper.journal_ref or ""
    if paper.volume:
        venue += f" {paper.volume}"
    if paper.issue:
        venue += f"({paper.issue})" if paper.volume else f" no. {paper.issue}"
    parts = [venue.strip()] if venue.strip() else []
    if paper.pages:
        parts.append(f"pp. {paper.pages}" if "-" in paper.pages else f"p. {paper.pages}")
    if paper.publisher:
        parts.append(paper.publisher)
    return ", ".join(parts)


def item_label(paper: PaperView) -> str | None:
    """What the item is, when the page should say so: ``video``, ``blog post``, ... for
    what is no paper; ``journal article``, ``thesis``, ... for a published record."""
    if paper.item_type != "paper":
        return ITEM_LABELS.get(paper.item_type, paper.item_type)
    return _KIND_LABELS.get(paper.kind) if paper.kind else None


def paper_json(paper: PaperView) -> dict[str, Any]:
    """A paper in the JSON export's record shape, as ``catalog show --format json``
    prints it: ``citation_key`` is the stored key, null until one is stored."""
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
    total: int  # exact, or with total_is_exact false, a lower bound: "more than"
    page: int
    per_page: int = PER_PAGE
    total_is_exact: bool = True
    has_next: bool = False  # a further match exists past this page

    @property
    def pages(self) -> int:
        """The pages there are: exactly, or at least this many when the total is a
        lower bound (counting stops at the search's bound; ``has_next`` says more)."""
        return max(1, -(-self.total // self.per_page), self.page + self.has_next)


def find_papers(
    catalog: Catalog,
    filters: PaperFilters,
    *,
    limit: int,
    offset: int,
    abstracts_too: bool = True,
) -> SearchResult:
    """One page of the papers matching ``filters`` (ranked when there are words, newest
    first otherwise), and how many match in all: the store's search, as `catalog search`
    and `catalog list` run it."""
    from catalog.store.search import SearchFilters

    found = SearchFilters(
        year=filters.year, tags=filters.tags, terms=filters.terms, presenters=filters.presenters
    )
    if filters.q.strip():
        return catalog.search(
            filters.q, filters=found, limit=limit, offset=offset, abstracts_too=abstracts_too
        )
    return catalog.list_papers_page(
        limit=limit, offset=offset, sort="added", filters=found, abstracts_too=abstracts_too
    )


def papers_page(
    catalog: Catalog, filters: PaperFilters, page: int, *, abstracts_too: bool = True
) -> PapersPage:
    """One page of ``/papers`` (``abstracts_too=False``: the papers without their
    abstracts, for a page that shows none)."""
    result = find_papers(
        catalog,
        filters,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
        abstracts_too=abstracts_too,
    )
    return PapersPage(
        filters,
        result.papers,
        result.total,
        page,
        per_page=PER_PAGE,
        total_is_exact=result.total_is_exact,
        has_next=result.has_more,
    )


@dataclass
class PaperDetail:
    paper: PaperView  # as stored: citation_key is None until a key is stored
    versions: list[tuple[int, datetime | None]]
    talks: list[PaperTalk]
    bibtex: str
    key: str  # the key of its BibTeX: the stored one, else the one export would store
    ref: str  # what the page and its downloads are called (paper_ref)

    @property
    def key_stored(self) -> bool:
        return self.paper.citation_key is not None

    @property
    def key_settled(self) -> bool:
        """Whether the shown key is the one ``catalog export`` would keep (a paper
        waiting for its authors or year gets a key per export until then)."""
        from catalog.exporters.keys import settled

        return settled(self.paper)


def paper_detail(catalog: Catalog, ref: str) -> PaperDetail:
    """A paper with its versions, its talks and its BibTeX entry. NotFound (naming the
    nearest keys and ids) for an unknown ``ref``. Nothing is written: a paper without a
    stored key shows the key ``catalog export`` would give it now."""
    from catalog.store.overview import talks_about

    paper = find_paper(catalog, ref)
    keyed = _keyed(catalog, paper)
    assert keyed.citation_key is not None
    return PaperDetail(
        paper=paper,
        versions=catalog.versions(paper.id),
        talks=talks_about(catalog, paper.id),
        bibtex=_render(keyed, "bibtex"),
        key=keyed.citation_key,
        ref=paper_ref(paper),
    )


def paper_download(catalog: Catalog, ref: str, fmt: str) -> tuple[str, str]:
    """(text, citation key) of one paper's entry in ``fmt`` (``bibtex``, ``csl``), as
    its page shows it and ``catalog export --paper REF`` writes it; nothing stored."""
    keyed = _keyed(catalog, find_paper(catalog, ref))
    assert keyed.citation_key is not None
    return _render(keyed, fmt), keyed.citation_key


# A citation key as catalog/exporters/keys.py makes them: family name, year, first title
# word, and a letter or two when the base is taken; no year for a paper that has none.
_KEY_SHAPE = re.compile(r"([a-z]*)(\d{4})?([a-z]*)")
_PROVISIONAL_CANDIDATES = 200


def find_paper(catalog: Catalog, ref: str) -> PaperView:
    """The paper ``ref`` names (as ``catalog show`` takes it), or the paper whose
    provisional key it is: the key a list links to for a paper with none stored
    (``catalog export`` would store it; a GET never does). NotFound otherwise."""
    from catalog.errors import NotFound

    try:
        return catalog.find_paper(ref)
    except NotFound:
        found = _by_provisional_key(catalog, ref)
        if found is None:
            raise
        return found


def _by_provisional_key(catalog: Catalog, ref: str) -> PaperView | None:
    """The paper without a stored key that a list would link to as ``ref``.

    A key holds its year and a prefix of the first title word, so the candidates are the
    keyless papers with that word in the title, those of that year first (an index
    serves the year); a key without a year is a paper's that has none. Each candidate
    gets its key as its page would show it, alone, then together (as a list of them
    would, where two share a base and one gets the suffix).
    """
    from sqlalchemy import func, select

    from catalog.store.models import Paper
    from catalog.store.search import year_condition

    shape = _KEY_SHAPE.fullmatch(ref)
    if shape is None or not ref:
        return None
    paper = Paper.__table__  # type: ignore[attr-defined]
    keyless = select(paper.c.id).where(paper.c.citation_key.is_(None)).order_by(paper.c.id)
    keyless = keyless.limit(_PROVISIONAL_CANDIDATES)
    if shape.group(2) is None:
        yearless = [paper.c.year.is_(None), paper.c.published.is_(None)]
        return _keyed_as(catalog, ref, [keyless.where(*yearless, paper.c.arxiv_id.is_(None))])
    if not shape.group(3):
        return None  # no title word: nothing to narrow by (and no key is made so)
    word = shape.group(3)[: max(2, len(shape.group(3)) - 2)]  # less a suffix of <= 2
    titled = keyless.where(func.lower(paper.c.title).contains(word, autoescape=True))
    year = int(shape.group(2))
    of_year = [titled.where(year_condition(year))] if 1 <= year <= 9998 else []
    return _keyed_as(catalog, ref, [*of_year, titled])


def _keyed_as(catalog: Catalog, ref: str, candidates: list[Any]) -> PaperView | None:
    """The first paper of the ``candidates`` statements whose provisional key is ``ref``."""
    from dataclasses import replace

    from catalog.exporters.keys import base_key
    from catalog.exporting import provisional_keys
    from catalog.store.paper_views import paper_views_by_id

    for stmt in candidates:
        with catalog.read() as s:
            views = paper_views_by_id(s, [int(i) for i in s.execute(stmt).scalars()])
        alike = [v for v in views if ref.startswith(base_key(v))]
        for view in alike:
            if _keyed(catalog, view).citation_key == ref:
                return view
        together = [replace(v) for v in alike]
        provisional_keys(catalog, together)
        for view, keyed in zip(alike, together, strict=True):
            if keyed.citation_key == ref:
                return view
    return None


def _keyed(catalog: Catalog, paper: PaperView) -> PaperView:
    """A copy of ``paper`` with its citation key: the stored one, else the one an
    export would store now (not stored here: a GET never writes)."""
    from dataclasses import replace

    from catalog.exporting import provisional_keys

    keyed = replace(paper)
    provisional_keys(catalog, [keyed])
    return keyed


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


def _render(paper: PaperView, fmt: str) -> str:
    """The paper's entry as ``catalog export FMT --paper KEY`` writes it; its key is
    given already."""
    from catalog.exporters import EXPORTERS

    out = io.StringIO()
    EXPORTERS[fmt]([paper], [], out, ExportOptions())
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
    from catalog.exporting import provisional_keys

    papers = {p.id: p for v in views for t in v.presentations for p in t.papers}
    provisional_keys(catalog, list(papers.values()))  # as the export names them; unstored
    return document([], views)
