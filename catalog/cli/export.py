"""``catalog export FORMAT``: reading lists as BibTeX, markdown posts, JSON or CSL-JSON."""

from __future__ import annotations

import datetime as dt

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import iso_date, output_stream
from catalog.exporters import PREFER  # light: the format modules are imported lazily

FORMATS = ("bibtex", "csl", "json", "markdown")


@click.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@click.option(
    "--session", "sessions", multiple=True, metavar="SLUG", help="Only this session (repeatable)."
)
@click.option("--tag", "tags", multiple=True, help="Only sessions with this tag (repeatable).")
@click.option("--category", "categories", multiple=True, help="Only sessions in this category.")
@click.option("--term", "terms", multiple=True, help="Only sessions of this term, e.g. 2018Reads.")
@click.option("--presenter", "presenters", multiple=True, help="Only talks by this presenter.")
@click.option("--since", callback=iso_date, metavar="DATE", help="Only sessions on or after DATE.")
@click.option("--until", callback=iso_date, metavar="DATE", help="Only sessions on or before DATE.")
@click.option(
    "--paper", "papers", multiple=True, metavar="ID", help="Only this paper (repeatable)."
)
@click.option("--abstracts", is_flag=True, help="BibTeX/CSL: include abstracts.")
@click.option(
    "--ascii", "ascii_only", is_flag=True, help='BibTeX: write non-ASCII as LaTeX (M{\\"u}ller).'
)
@click.option(
    "--prefer",
    type=click.Choice(PREFER),
    default=PREFER[0],
    show_default=True,
    help="BibTeX/CSL: type a published arXiv paper by where it appeared (@inproceedings, "
    "@article, ...), or as its arXiv preprint (@misc with the eprint).",
)
@click.option("--title", help="Markdown: the reading list's title (without --session).")
@click.option(
    "-o",
    "--output",
    metavar="FILE|-",
    help="Write to FILE (a bare name lands in exports/), or - for stdout (default).",
)
@pass_app
def export(
    app: AppContext,
    fmt: str,
    sessions: tuple[str, ...],
    tags: tuple[str, ...],
    categories: tuple[str, ...],
    terms: tuple[str, ...],
    presenters: tuple[str, ...],
    since: dt.date | None,
    until: dt.date | None,
    papers: tuple[str, ...],
    abstracts: bool,
    ascii_only: bool,
    prefer: str,
    title: str | None,
    output: str | None,
) -> None:
    """Export papers and sessions: bibtex, markdown (a post), json or csl (CSL-JSON).

    Filters combine: every one given must hold. Without filters, everything.
    Exports of 20,000+ papers use every core; CATALOG_EXPORT_WORKERS=N sets how many
    processes (1: one process).

    \b
    Examples:
      catalog export bibtex -o refs.bib                  # writes exports/refs.bib
      catalog export bibtex --term 2018Reads --abstracts
      catalog export bibtex --prefer arxiv -o preprints.bib   # @misc + eprint, as on arXiv
      catalog export markdown --session 2018-07-31-generative -o _posts/2018-07-31-generative.md
      catalog export json --tag generative | jq '.papers[].title'
      catalog export csl --paper 1611.00712 -o refs.json
    """
    from catalog.exporters import EXPORTERS, ExportOptions
    from catalog.exporters.keys import KeyAllocator, settled
    from catalog.gc_pause import paused_gc
    from catalog.store.selection import Selection, assign_citation_keys, select_for_export

    sel = Selection(
        sessions=sessions, tags=tags, categories=categories, terms=terms,
        presenters=presenters, since=since, until=until, papers=papers,
    )  # fmt: skip
    catalog = app.catalog
    # BibTeX and CSL show abstracts only when asked: don't read them otherwise.
    needs_abstracts = abstracts or fmt in ("json", "markdown")
    # The whole export allocates millions of objects without cycles: a collection
    # between reading and writing would only rescan them all (see catalog.gc_pause).
    with paused_gc():
        paper_list, session_list = select_for_export(catalog, sel, abstracts_too=needs_abstracts)
        # Keys are given once and stored, so a group's documents keep citing the same keys;
        # a paper still waiting for its authors or year gets one for this export only.
        assign_citation_keys(
            catalog, paper_list, lambda taken: KeyAllocator(taken).allocate, store=settled
        )
        keys = {p.id: p.citation_key for p in paper_list}
        for view in session_list:
            for talk in view.presentations:
                for paper in talk.papers:
                    paper.citation_key = keys.get(paper.id, paper.citation_key)
        if fmt == "markdown" and not sessions:
            session_list = []  # a filtered reading list: one table of the papers
        elif fmt == "markdown" and sessions:
            session_list = [v for v in session_list if v.slug in sessions]
        options = ExportOptions(abstracts=abstracts, ascii=ascii_only, title=title, prefer=prefer)
        with output_stream(output) as out:
            EXPORTERS[fmt](paper_list, session_list, out, options)


COMMANDS = [export]
