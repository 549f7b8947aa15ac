"""Running an export: choose papers and sessions, give them citation keys, render.

``catalog export`` and the web's ``/export.*`` downloads both call :func:`run_export`,
so a download and a command with the same filters write the same bytes. The command
stores the citation keys it gives (:func:`ensure_citation_keys`); the web, whose GETs
never write, shows the same keys without storing them (:func:`provisional_keys`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from catalog.exporters import ExportOptions
from catalog.records import PaperView
from catalog.store.catalog import Catalog
from catalog.store.selection import Selection

__all__ = ["ensure_citation_keys", "provisional_keys", "run_export"]


def ensure_citation_keys(catalog: Catalog, papers: Sequence[PaperView]) -> None:
    """Give the papers without a citation key one and store it (keys never change
    after, so a group's documents keep citing the same keys); a paper still waiting
    for its authors or year gets one for this use only (see ``keys.settled``)."""
    from catalog.exporters.keys import KeyAllocator, settled
    from catalog.store.selection import assign_citation_keys

    assign_citation_keys(
        catalog, list(papers), lambda taken: KeyAllocator(taken).allocate, store=settled
    )


# Up to this many papers without a key, only the stored keys that could clash with
# theirs are read; beyond, every stored key (one query either way).
_FEW = 200


def provisional_keys(catalog: Catalog, papers: Sequence[PaperView]) -> None:
    """Give the papers without a citation key the key :func:`ensure_citation_keys`
    would give them now, on the views only: nothing is written. The same papers get the
    same keys until the catalog's stored keys change, and never a key another paper
    has stored (or gave up in a merge)."""
    from catalog.exporters.keys import KeyAllocator, base_key, settled
    from catalog.store.selection import provisional_citation_keys

    missing = [p for p in papers if not p.citation_key]
    if not missing:
        return
    bases = {base_key(p) for p in missing} if len(missing) <= _FEW else None
    provisional_citation_keys(
        catalog, missing, lambda taken: KeyAllocator(taken).allocate, store=settled, bases=bases
    )


def run_export(
    catalog: Catalog,
    fmt: str,
    sel: Selection,
    out: TextIO,
    options: ExportOptions,
    *,
    store_keys: bool = True,
) -> None:
    """Write the papers and sessions ``sel`` selects to ``out`` in format ``fmt``
    (a name of :data:`catalog.exporters.EXPORTERS`). The keys given to papers that had
    none are stored, unless ``store_keys`` is false: then the export writes nothing to
    the catalog (and gives the keys a storing export would)."""
    from catalog.exporters import EXPORTERS
    from catalog.gc_pause import paused_gc
    from catalog.store.selection import select_for_export

    # BibTeX and CSL show abstracts only when asked: don't read them otherwise.
    needs_abstracts = options.abstracts or fmt in ("json", "markdown")
    # The whole export allocates millions of objects without cycles: a collection
    # between reading and writing would only rescan them all (see catalog.gc_pause).
    with paused_gc():
        paper_list, session_list = select_for_export(catalog, sel, abstracts_too=needs_abstracts)
        if store_keys:
            ensure_citation_keys(catalog, paper_list)
        else:
            provisional_keys(catalog, paper_list)
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
