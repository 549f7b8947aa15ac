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
    from catalog.exporters import ExportOptions
    from catalog.exporting import run_export
    from catalog.store.selection import Selection

    sel = Selection(
        sessions=sessions, tags=tags, categories=categories, terms=terms,
        presenters=presenters, since=since, until=until, papers=papers,
    )  # fmt: skip
    options = ExportOptions(abstracts=abstracts, ascii=ascii_only, title=title, prefer=prefer)
    with output_stream(output) as out:
        run_export(app.catalog, fmt, sel, out, options)


COMMANDS = [export]
