"""CSL-JSON export: a list of items for citeproc processors (pandoc, Zotero, citeproc-py).

* ``id`` is the citation key (the BibTeX export's, so ``[@maddison2016concrete]`` works
  with either file).
* ``type``: a paper that a source found published is typed by its record's kind
  (``paper-conference``, ``article-journal``, ``chapter``, ``book``, ``thesis``;
  ``review-book`` for a book review) with ``container-title`` = the journal or
  proceedings, ``volume``, ``issue``, ``page`` ("139-144"), ``publisher`` and ``issued``
  = the published year. An arXiv preprint is ``article`` (so is a published one with
  ``ExportOptions.prefer == "arxiv"``); with a ``journal_ref`` it is ``article-journal``
  with ``container-title`` = the journal reference. A paper imported from a .bib file
  maps its entry type (``inproceedings`` -> ``paper-conference``, ...) and its venue
  becomes ``container-title``. Items that are not papers are ``webpage``,
  ``motion_picture`` (a video), ``speech`` (slides: what Zotero calls a presentation),
  ``post-weblog`` or ``software`` (CSL 1.0.2; older processors fall back to their
  generic layout).
* ``author``: ``{family, given}`` split as in :mod:`catalog.exporters.names`, with
  ``non-dropping-particle`` ("van der") and ``suffix`` ("Jr."); one-word names and
  organisations are ``{literal}``.
* ``issued``: ``{"date-parts": [[y, m, d]]}`` from the first version's date, shortened
  to ``[[y, m]]`` / ``[[y]]`` for the 1st of a month / January 1st, which the .bib
  importer uses when a part is missing (see :func:`catalog.exporters.common.date_parts`).
* arXiv: ``number`` = the eprint id, ``archive`` = "arXiv"; ``URL`` = the abstract page.
* Text is plain (CSL has no TeX): HTML entities are decoded and whitespace collapsed;
  TeX math such as ``$\\alpha$`` is kept as written. ``abstract`` only with
  ``ExportOptions.abstracts``.
* Items come in export order (``papers``, then the sessions' other papers); output is
  UTF-8 JSON indented by 2 with a trailing newline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from catalog.exporters import ExportOptions
from catalog.exporters.common import (
    abs_url,
    clean,
    collect_papers,
    issued_parts,
    page_range,
    published_kind,
)
from catalog.exporters.json import dump_into
from catalog.exporters.keys import assign_keys
from catalog.exporters.names import simple_name, split_name
from catalog.exporters.parallel import write_parts
from catalog.gc_pause import paused_gc
from catalog.records import PaperView, SessionView

__all__ = ["csl_item", "csl_name", "export"]

# BibTeX entry types (of imported papers) to CSL item types.
_TYPES = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "manual": "report",
    "unpublished": "manuscript",
    "online": "webpage",
    "misc": "article",
}


# A published record's kind to CSL item types (comments and errata are journal items).
_KIND_TYPES = {
    "journal": "article-journal",
    "comment": "article-journal",
    "erratum": "article-journal",
    "review": "review-book",
    "proceedings": "paper-conference",
    "chapter": "chapter",
    "book": "book",
    "thesis": "thesis",
    "other": "article",
}
# Items that are not papers (PaperView.item_type) to CSL item types.
_ITEM_TYPES = {
    "video": "motion_picture",
    "slides": "speech",
    "blog": "post-weblog",
    "code": "software",
    "web": "webpage",
}


def _typing(paper: PaperView, prefer: str) -> tuple[str, str | None, bool]:
    """(CSL type, container title, typed by a published record)."""
    if paper.entry_type:
        item_type = _TYPES.get(paper.entry_type.lower(), "article")
        container = paper.venue or paper.journal_ref
        if item_type == "article-journal" and not container and paper.arxiv_id:
            item_type = "article"  # a preprint that a .bib file called an article
        return item_type, container, False
    if paper.item_type != "paper":
        return _ITEM_TYPES.get(paper.item_type, "webpage"), paper.venue, False
    kind = published_kind(paper, prefer)
    if kind is not None:
        container = paper.venue or (paper.journal_ref if paper.arxiv_id else None)
        return _KIND_TYPES.get(kind, "article"), container, True
    if paper.journal_ref:
        return "article-journal", paper.journal_ref, False
    return "article", None if paper.arxiv_id else paper.venue, False


def csl_name(name: str) -> dict[str, str]:
    """One person as a CSL name object."""
    simple = simple_name(name)
    if simple is not None:
        return {"family": simple[1], "given": simple[0]}
    parts = split_name(clean(name))
    if parts.literal:
        return {"literal": parts.last}
    result = {"family": parts.last}
    if parts.first:
        result["given"] = parts.first
    if parts.von:
        result["non-dropping-particle"] = parts.von
    if parts.suffix:
        result["suffix"] = parts.suffix
    return result


def csl_item(
    paper: PaperView,
    key: str,
    options: ExportOptions,
    names: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One paper as a CSL-JSON item (see the module docstring). ``names`` caches name
    objects across the items of one export (authors come back paper after paper)."""
    item_type, container, published = _typing(paper, options.prefer)
    item: dict[str, Any] = {"id": key, "type": item_type, "title": clean(paper.title)}
    authors = []
    for name in paper.authors:
        cached = names.get(name) if names is not None else None
        if cached is None:
            cached = csl_name(name)
            if names is not None:
                names[name] = cached
        parsed = cached
        if parsed.get("family") or parsed.get("literal"):
            authors.append(parsed)  # shared between items: read-only
    if authors:
        item["author"] = authors
    parts = issued_parts(paper, published)
    if parts:
        item["issued"] = {"date-parts": [list(parts)]}
    if container:
        item["container-title"] = clean(container)
    if published or paper.entry_type:
        if paper.volume:
            item["volume"] = clean(paper.volume)
        if paper.issue:
            item["issue"] = clean(paper.issue)
        if paper.pages:
            item["page"] = page_range(paper.pages, "-")
        if paper.publisher:
            item["publisher"] = clean(paper.publisher)
    if paper.arxiv_id:
        item["number"] = paper.arxiv_id
        item["archive"] = "arXiv"
    url = paper.url or abs_url(paper)
    if url:
        item["URL"] = url
    if paper.doi:
        item["DOI"] = paper.doi
    if options.abstracts and paper.abstract:
        item["abstract"] = clean(paper.abstract)
    return item


_CHUNK = 1000  # items per write


def export(
    papers: Sequence[PaperView],
    sessions: Sequence[SessionView],
    out: TextIO,
    options: ExportOptions,
) -> None:
    """Write a CSL-JSON array with one item per paper, streamed a chunk at a time
    (the same text as ``json.dumps(items, ensure_ascii=False, indent=2)``)."""
    with paused_gc():
        all_papers = collect_papers(papers, sessions)
        keys = assign_keys(all_papers)
        if not all_papers:
            out.write("[]\n")
            return
        names: dict[str, dict[str, str]] = {}

        def render_range(start: int, end: int) -> str:
            parts: list[str] = []
            for i in range(start, end):
                if i > start:
                    parts.append(",\n  ")
                dump_into(csl_item(all_papers[i], keys[i], options, names), "  ", parts)
            return "".join(parts)

        out.write("[\n  ")
        write_parts(len(all_papers), render_range, out, joiner=",\n  ", chunk=_CHUNK)
        out.write("\n]\n")
