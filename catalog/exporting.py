"""Running an export: choose papers and sessions, give them citation keys, render.

``catalog export`` and the web's ``/export.*`` downloads both call :func:`run_export`,
so a download and a command with the same filters write the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from catalog.exporters import ExportOptions
from catalog.records import PaperView
from catalog.store.catalog import Catalog
from catalog.store.selection import Selection

__all__ = ["ensure_citation_keys", "run_export"]


def ensure_citation_keys(catalog: Catalog, papers: Sequence[PaperView]) -> None:
    """Give the papers without a citation key one and store it (keys never change
    after, so a group's documents keep citing the same keys); a paper still waiting
    for its authors or year gets one for this use only (see ``keys.settled``)."""
    from catalog.exporters.keys import KeyAllocator, settled
    from catalog.store.selection import assign_citation_keys

    assign_citation_keys(
        catalog, list(papers), lambda taken: KeyAllocator(taken).allocate, store=settled
    )


def run_export(
    catalog: Catalog, fmt: str, sel: Selection, out: TextIO, options: ExportOptions
) -> None:
    """Write the papers and sessions ``sel`` selects to ``out`` in format ``fmt``
    (a name of :data:`catalog.exporters.EXPORTERS`)."""
    from catalog.exporters import EXPORTERS
    from catalog.gc_pause import paused_gc
    from catalog.store.selection import select_for_export

    # BibTeX and CSL show abstracts only when asked: don't read them otherwise.
    needs_abstracts = options.abstracts or fmt in ("json", "markdown")
    # The whole export allocates millions of objects without cycles: a collection
    # between reading and writing would only rescan them all (see catalog.gc_pause).
    with paused_gc():
        paper_list, session_list = select_for_export(catalog, sel, abstracts_too=needs_abstracts)
        ensure_citation_keys(catalog, paper_list)
        keys = {p.id: p.citation_key for p in paper_list}
        for view in session_list:
            for talk in view.presentations:
                for paper in talk.papers:
                    paper.citation_key = keys.get(paper.id, paper.citation_key)
        if fmt == "markdown" and not sel.sessions:
            session_list = []  # a filtered reading list: one table of the papers
        elif fmt == "markdown":
            session_list = [v for v in session_list if v.slug in sel.sessions]
        EXPORTERS[fmt](paper_list, session_list, out, options)
