"""Paper commands: list, show, search, remove (add is :mod:`catalog.cli.add`)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import (
    echo_json,
    echo_paged,
    format_option,
    json_text,
    pager_option,
    render_table,
)

if TYPE_CHECKING:
    from catalog.index.record import IndexRecord
    from catalog.records import PaperView
    from catalog.store.search import SearchFilters, SearchResult

F = TypeVar("F", bound=Callable[..., Any])
# catalog.store.search.SORTS (a test keeps the two in step; importing the store here
# would slow every command's start-up).
SORTS = ("added", "key", "title", "year")


def published_record(paper: PaperView) -> dict[str, Any]:
    """The JSON export's fields for identifiers, the published record and provenance,
    named as the export names them (README: JSON export)."""
    return {
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in paper.identifiers],
        "year": paper.year,
        "kind": paper.kind,
        "volume": paper.volume,
        "issue": paper.issue,
        "pages": paper.pages,
        "publisher": paper.publisher,
        "item_type": paper.item_type,
        "field_sources": dict(sorted(paper.field_sources.items())),
    }


def paper_json(paper: PaperView, versions: list[tuple[int, Any]] | None = None) -> dict[str, Any]:
    """A paper as ``export json`` writes it (see README: JSON export), plus versions."""
    from catalog.exporters.json import paper_record

    data = paper_record(paper, paper.citation_key or "")
    for name, value in published_record(paper).items():
        data.setdefault(name, value)  # the export's own rendering, where it has one
    data["citation_key"] = paper.citation_key  # not given until first exported
    if versions is not None:
        data["versions"] = [
            {"version": v, "date": d.isoformat() if d else None} for v, d in versions
        ]
    return data


def _authors_short(authors: list[str]) -> str:
    if not authors:
        return ""
    return authors[0] + (
        " et al." if len(authors) > 2 else f", {authors[1]}" if len(authors) == 2 else ""
    )


def _year(paper: PaperView) -> int | str:
    """The year it appeared; for a paper not synced yet, the one its arXiv id names."""
    from catalog.exporters.common import publication_parts

    parts = publication_parts(paper)
    return parts[0] if parts else ""


def _id_label(paper: PaperView) -> str:
    if paper.arxiv_id:
        return f"{paper.arxiv_id}v{paper.version}" if paper.version else paper.arxiv_id
    return paper.citation_key or f"#{paper.id}"


def _papers_text(papers: list[PaperView], fmt: str) -> str:
    if fmt == "json":
        return json_text([paper_json(p) for p in papers])
    rows = [(_id_label(p), _year(p), p.title, _authors_short(p.authors)) for p in papers]
    return render_table(["ID", "YEAR", "TITLE", "AUTHORS"], rows, flex=2)


def _print_page(result: SearchResult, offset: int, fmt: str, pager: bool, noun: str) -> None:
    """A page of papers on stdout; on stderr, how many more there are past it.

    ``noun`` names what was counted: "papers" (a listing) or "matches" (a search).
    """
    papers = result.papers
    if papers or fmt == "json":  # JSON always prints its array: [] says "none"
        echo_paged(_papers_text(papers, fmt), pager=pager)
    # "more than 2,000": a search counts its matches up to a bound (catalog.store.search)
    total = f"{result.total:,}" if result.total_is_exact else f"more than {result.total:,}"
    if not result.total:
        if fmt != "json":
            click.echo(f"catalog: no {noun}", err=True)
    elif not papers:
        click.echo(f"catalog: --offset {offset} is past the last of {total} {noun}", err=True)
    elif result.has_more:
        shown = f"{offset + 1:,}-{offset + len(papers):,}"
        if result.total_is_exact:
            more = f"{result.total - offset - len(papers):,} more {noun} ({shown} of {total} shown)"
        else:
            more = f"{total} {noun} ({shown} shown)"
        click.echo(
            f"catalog: {more}; next page: --offset {offset + len(papers)}, all: --limit 0",
            err=True,
        )


def _page_options(default_limit: int) -> Callable[[F], F]:
    """--limit, --offset and the filters shared by ``list`` and ``search``."""

    def decorate(f: F) -> F:
        options = [
            click.option(
                "--limit",
                type=click.IntRange(min=0),
                default=default_limit,
                show_default=True,
                metavar="N",
                help="Print at most N papers; 0 prints all of them.",
            ),
            click.option(
                "--offset",
                type=click.IntRange(min=0),
                default=0,
                metavar="N",
                help="Skip the first N (the next page of 20: --offset 20).",
            ),
            click.option(
                "--year",
                type=click.IntRange(1, 9998),
                metavar="YEAR",
                help="Only papers that appeared in YEAR (the YEAR column).",
            ),
            click.option(
                "--tag",
                "tags",
                multiple=True,
                metavar="TAG",
                help="Only papers presented in sessions with this tag (repeatable: any).",
            ),
            click.option(
                "--term",
                "terms",
                multiple=True,
                metavar="TERM",
                help="Only papers presented in this term, e.g. 2018Reads (repeatable: any).",
            ),
            click.option(
                "--presenter",
                "presenters",
                multiple=True,
                metavar="NAME",
                help="Only papers presented by this presenter (repeatable: any).",
            ),
            format_option("table", "json"),
            pager_option,
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _filters(
    year: int | None, tags: tuple[str, ...], terms: tuple[str, ...], presenters: tuple[str, ...]
) -> SearchFilters:
    from catalog.store.search import SearchFilters

    return SearchFilters(year=year, tags=tags, terms=terms, presenters=presenters)


@click.command(name="list")
@click.option(
    "--sort",
    type=click.Choice([*SORTS, *(f"-{key}" for key in SORTS)]),
    default="added",
    show_default=True,
    metavar="KEY",
    help="Order: added (catalog order), key (citation key), title or year; "
    "a leading - reverses it (-year: newest first).",
)
@_page_options(default_limit=20)
@pass_app
def list_(
    app: AppContext,
    sort: str,
    limit: int,
    offset: int,
    year: int | None,
    tags: tuple[str, ...],
    terms: tuple[str, ...],
    presenters: tuple[str, ...],
    fmt: str,
    pager: bool,
) -> None:
    """List the papers in the catalog, 20 at a time (--limit 0: all of them).

    When more papers are left than were printed, a line on stderr says how many and
    how to see them. The filters are those of search.

    \b
    Examples:
      catalog list
      catalog list --sort -year --limit 50
      catalog list --offset 20                     the next 20
      catalog list --tag generative --presenter Arshdeep
      catalog list --limit 0 --format json | jq '.[].title'
    """
    result = app.catalog.list_papers_page(
        limit=limit or None,
        offset=offset,
        sort=sort,
        filters=_filters(year, tags, terms, presenters),
    )
    _print_page(result, offset, fmt, pager, "papers")


_SCHEME_LABELS = {
    "arxiv": "arXiv", "doi": "DOI", "dblp": "DBLP", "openreview": "OpenReview",
    "acl": "ACL", "pmlr": "PMLR", "neurips": "NeurIPS",
}  # fmt: skip


def _identifier_lines(paper: PaperView) -> list[tuple[str, str]]:
    """(label, "value  link") for each identifier, the arXiv id with its latest version."""
    from catalog.sources.ids import identifier_url

    lines = []
    for ident in paper.identifiers:
        value = _id_label(paper) if ident.scheme == "arxiv" else ident.value
        link = identifier_url(ident)
        text = f"{value}  {link}" if link else value
        lines.append((_SCHEME_LABELS.get(ident.scheme, ident.scheme), text))
    return lines


def _sources_line(paper: PaperView) -> str | None:
    """Which source gave which fields: "arxiv (abstract, title), dblp (venue, year)"."""
    by_source: dict[str, list[str]] = {}
    for name, source in sorted(paper.field_sources.items()):
        by_source.setdefault(source, []).append(name)
    parts = [f"{source} ({', '.join(names)})" for source, names in sorted(by_source.items())]
    return "; ".join(parts) or None


@click.command()
@click.argument("ref", metavar="ID")
@format_option("text", "json")
@pass_app
def show(app: AppContext, ref: str, fmt: str) -> None:
    """Show one paper: title, authors, abstract, every identifier (with its link), where
    it was published, dates, versions and which source gave which field.

    ID is any identifier in any accepted form (arXiv id, DOI, OpenReview, PMLR, NeurIPS,
    ACL Anthology or DBLP id, or a page URL carrying one), a citation key, or the
    catalog number.

    \b
    Examples:
      catalog show 1611.00712
      catalog show doi:10.1038/nature20101
      catalog show https://openreview.net/forum?id=BkpiPMbA-
      catalog show maddison2016concrete --format json
    """
    catalog = app.catalog
    paper = catalog.find_paper(ref)
    versions = catalog.versions(paper.id)
    if fmt == "json":
        echo_json(paper_json(paper, versions))
        return
    lines = [paper.title, *([", ".join(paper.authors)] if paper.authors else []), ""]
    fields: list[tuple[str, Any]] = [
        *_identifier_lines(paper),
        ("type", paper.item_type if paper.item_type != "paper" else None),
        ("citation key", paper.citation_key),
        ("venue", paper.venue),
        ("year", paper.year if paper.kind else None),  # a published record's year
        ("kind", paper.kind),
        ("volume", paper.volume),
        ("issue", paper.issue),
        ("pages", paper.pages),
        ("publisher", paper.publisher),
        ("journal", paper.journal_ref),
        ("published", paper.published),
        ("updated", paper.updated),
        ("categories", " ".join(paper.categories) or None),
        ("comment", paper.comment),
        ("URL", paper.url),
        (
            "versions",
            ", ".join(f"v{v} ({d.date().isoformat() if d else '?'})" for v, d in versions) or None,
        ),
        ("sources", _sources_line(paper)),
    ]
    lines += [f"{name + ':':14}{value}" for name, value in fields if value]
    if paper.abstract:
        lines += ["", textwrap.fill(paper.abstract, width=88)]
    click.echo("\n".join(lines))


@click.command()
@click.argument("words", nargs=-1, required=True, metavar="WORDS...")
@click.option(
    "--arxiv",
    "in_index",
    is_flag=True,
    help="Search the local arXiv index (catalog harvest) instead of the catalog's papers.",
)
@_page_options(default_limit=20)
@pass_app
def search(
    app: AppContext,
    words: tuple[str, ...],
    in_index: bool,
    limit: int,
    offset: int,
    year: int | None,
    tags: tuple[str, ...],
    terms: tuple[str, ...],
    presenters: tuple[str, ...],
    fmt: str,
    pager: bool,
) -> None:
    """Find papers by words of their title, authors or abstract, best match first.

    Every word must match, as the start of a word ("relax" finds "relaxation"); a
    phrase in double quotes must appear as written (quote it for the shell too:
    '"continuous relaxation"'). Papers whose title holds every word come first, then
    the others, each by relevance. Nothing is search syntax: AND, OR and NOT are words,
    and * : ( - are punctuation. Prints the best 20 (--limit); a line on stderr says
    how many more match. Matches are counted and ranked up to 2,000: past that the
    line says "more than 2,000", title matches still come first, ranked, and the
    others come newest first (README: Search). --limit 0 counts and ranks every match.

    With --arxiv the local arXiv index (filled by catalog harvest) is searched:
    every word must match the start of a word of a title, author or abstract, best
    match first; add a paper found there with catalog add ID (no request to arXiv).

    \b
    Examples:
      catalog search relaxation
      catalog search gumbel softmax --year 2016
      catalog search '"continuous relaxation"' maddison
      catalog search attention --tag generative --limit 0 --format json
      catalog search diffusion --offset 20          the next 20
      catalog search --arxiv diffusion kernel       arXiv's papers in the local index
    """
    from catalog.store.search_query import parse_query

    query = " ".join(words)
    if parse_query(query).is_empty:
        raise click.UsageError(
            f"nothing to search for in {query!r}; give a word (catalog list lists every paper)"
        )
    if in_index:
        if year is not None or tags or terms or presenters:
            raise click.UsageError(
                "--year, --tag, --term and --presenter filter the catalog's papers, not "
                "the arXiv index: leave them out with --arxiv"
            )
        _search_index(app, query, limit, offset, fmt, pager)
        return
    result = app.catalog.search(
        query, filters=_filters(year, tags, terms, presenters), limit=limit or None, offset=offset
    )
    _print_page(result, offset, fmt, pager, "matches")


def _search_index(
    app: AppContext, query: str, limit: int, offset: int, fmt: str, pager: bool
) -> None:
    """``search --arxiv``: a page of the local arXiv index's matches, as search prints
    the catalog's (one more is asked, to say whether there are more)."""
    from catalog.errors import CatalogError
    from catalog.index.store import ArxivIndex

    index = ArxivIndex.open_existing(app.db_url)
    if index is None:
        raise CatalogError(
            f"no arXiv index yet ({_index_place(app.db_url)}); make one with "
            "catalog harvest --snapshot arxiv-metadata-oai-snapshot.json (arXiv's snapshot) "
            "or catalog harvest --set cs (over OAI-PMH); see catalog harvest --help"
        )
    with index:
        found = index.search(query, limit=limit + 1 if limit else 0, offset=offset)
        empty = index.location if not found and index.is_empty() else None
    more = bool(limit) and len(found) > limit
    records = found[:limit] if limit else found
    if records or fmt == "json":
        if fmt == "json":
            text = json_text([_index_json(r) for r in records])
        else:
            rows = [
                (
                    f"{r.arxiv_id}v{r.version}",
                    r.published.year if r.published else "",
                    " ".join(r.title.split()),
                    _authors_short(list(r.authors)),
                )
                for r in records
            ]
            text = render_table(["ID", "YEAR", "TITLE", "AUTHORS"], rows, flex=2)
        echo_paged(text, pager=pager)
    if not records:
        if offset:
            click.echo(
                f"catalog: --offset {offset} is past the last match in the arXiv index", err=True
            )
        elif empty and fmt != "json":
            click.echo(
                f"catalog: the arXiv index ({empty}) is empty; fill it with"
                " catalog harvest --snapshot FILE or catalog harvest --set SET",
                err=True,
            )
        elif fmt != "json":
            click.echo("catalog: no matches in the arXiv index", err=True)
    elif more:
        shown = f"{offset + 1:,}-{offset + len(records):,}"
        click.echo(
            f"catalog: more matches in the arXiv index ({shown} shown); "
            f"next page: --offset {offset + len(records)}, all: --limit 0",
            err=True,
        )


def _index_place(db_url: str | None) -> str:
    """Where the index would be, for the message that there is none."""
    from sqlalchemy.engine import make_url

    from catalog.index.schema import index_url
    from catalog.store.engine import describe, resolve_url

    url = index_url(resolve_url(db_url))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"no {parsed.database}"
    return f"no arxiv_* tables in {describe(url)}"


def _index_json(record: IndexRecord) -> dict[str, Any]:
    """An index record as search --arxiv --format json prints it."""
    return {
        "arxiv_id": record.arxiv_id,
        "version": record.version,
        "title": " ".join(record.title.split()),
        "authors": list(record.authors),
        "abstract": record.abstract,
        "categories": list(record.categories),
        "published": record.published.date().isoformat() if record.published else None,
        "updated": record.updated.date().isoformat() if record.updated else None,
        "dois": list(record.dois),
        "journal_ref": record.journal_ref,
        "comments": record.comments,
        "url": f"https://arxiv.org/abs/{record.arxiv_id}",
    }


@click.command()
@click.argument("refs", nargs=-1, required=True, metavar="ID...")
@pass_app
def remove(app: AppContext, refs: tuple[str, ...]) -> None:
    """Remove papers from the catalog (their authors' other papers stay).

    ID is any identifier, citation key or catalog number, as for catalog show.

    \b
    Examples:
      catalog remove 1611.00712
      catalog remove doi:10.1038/nature20101
    """
    for ref in refs:
        paper = app.catalog.remove_paper(ref)
        click.echo(f"removed   {_id_label(paper)}  {paper.title}")


COMMANDS = [list_, show, search, remove]
