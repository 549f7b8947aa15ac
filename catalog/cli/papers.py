"""Paper commands: add, list, show, search, remove."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import TYPE_CHECKING, Any

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import echo_json, format_option, render_table

if TYPE_CHECKING:
    from catalog.records import PaperView


def paper_json(paper: PaperView, versions: list[tuple[int, Any]] | None = None) -> dict[str, Any]:
    """A paper as ``export json`` writes it (see README: JSON export), plus versions."""
    from catalog.exporters.json import paper_record

    data = paper_record(paper, paper.citation_key or "")
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


def _print_papers(papers: list[PaperView], fmt: str) -> None:
    if fmt == "json":
        echo_json([paper_json(p) for p in papers])
        return
    if not papers:
        click.echo("no papers", err=True)
        return
    rows = [
        (
            _id_label(p),
            _year(p),
            p.title,
            _authors_short(p.authors),
        )
        for p in papers
    ]
    click.echo(render_table(["ID", "YEAR", "TITLE", "AUTHORS"], rows, flex=2))


@click.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@format_option("text", "json")
@click.option(
    "--session",
    "session_slug",
    metavar="SLUG",
    help="Also add the papers to this session as talks (see: catalog session).",
)
@click.option("--presenter", help="With --session: who presents.")
@click.option("--slides", metavar="URL", help="With --session: the talk's slides.")
@click.option(
    "--together",
    is_flag=True,
    help="With --session: one talk about all the papers (default: one talk each).",
)
@pass_app
def add(
    app: AppContext,
    ids: tuple[str, ...],
    fmt: str,
    session_slug: str | None,
    presenter: str | None,
    slides: str | None,
    together: bool,
) -> None:
    """Fetch papers from arXiv and store them (adding twice updates, never duplicates).

    IDs may be written as arxiv:1611.00712, 1611.00712v2, hep-th/9901001,
    https://arxiv.org/abs/1804.01118, .../pdf/1804.01118.pdf or 10.48550/arXiv.1611.00712.
    All of them are asked for in one request.

    With --session, each paper also becomes a talk (a row) at the end of the session,
    in the order given; --together makes one talk about all of them. A paper already in
    a talk of the session is never added twice: that talk gets the presenter and slides
    given. If any paper fails, no talk is added.

    \b
    Examples:
      catalog add arxiv:1611.00712
      catalog add 1802.02550v2 https://arxiv.org/abs/1804.01118 hep-th/9901001
      catalog add 1611.00712 --session 2018-07-31-generative --presenter Arshdeep --slides URL
    """
    from catalog.add import InvalidIds, add_papers, parse_ids

    try:
        parse_ids(ids)  # before the catalog is opened: a bad id stores nothing at all
        if session_slug is None and (presenter or slides or together):
            raise click.UsageError("--presenter, --slides and --together go with --session")
        result = add_papers(
            app.catalog, ids, session=session_slug, presenter=presenter, slides=slides,
            together=together,
        )  # fmt: skip
    except InvalidIds as exc:
        # The whole call is refused: nothing is fetched or stored from a half-valid line.
        for message in exc.messages:
            click.echo(f"catalog: error: {message}", err=True)
        raise SystemExit(2) from None
    stored, problems, talks = result.stored, result.problems, result.talks

    if fmt == "json":
        from catalog.cli.sessions import talk_json

        echo_json(
            {
                "stored": [dataclasses.asdict(r) for r in stored],
                "failed": [{"id": i, "reason": why} for i, why in problems],
                "talks": [{"status": t.status, "talk": talk_json(t.talk)} for t in talks],
            }
        )
    else:
        for r in stored:
            record = result.records[r.arxiv_id]
            click.echo(f"{r.status:9} {r.arxiv_id}v{record.version}  {record.title}")
            for name, (old, new) in r.changes.items():
                click.echo(f"          {name}: {old!r} -> {new!r}")
        if talks:
            from catalog.cli.sessions import talk_line

            for t in talks:
                click.echo(talk_line(session_slug or "", t))
    for arxiv_id, why in problems:
        click.echo(f"catalog: {arxiv_id}: {why}", err=True)
    if problems:
        if session_slug is not None:
            click.echo(f"catalog: no talk added to session {session_slug}", err=True)
        raise SystemExit(1)


@click.command(name="list")
@format_option("table", "json")
@pass_app
def list_(app: AppContext, fmt: str) -> None:
    """List the papers in the catalog.

    \b
    Examples:
      catalog list
      catalog list --format json | jq '.[].title'
    """
    _print_papers(app.catalog.list_papers(), fmt)


@click.command()
@click.argument("ref", metavar="ID")
@format_option("text", "json")
@pass_app
def show(app: AppContext, ref: str, fmt: str) -> None:
    """Show one paper: title, authors, abstract, ids, dates and versions.

    ID is an arXiv id in any accepted form, a citation key, or the catalog number.

    \b
    Examples:
      catalog show 1611.00712
      catalog show maddison2016concrete --format json
    """
    catalog = app.catalog
    paper = catalog.find_paper(ref)
    versions = catalog.versions(paper.id)
    if fmt == "json":
        echo_json(paper_json(paper, versions))
        return
    lines = [paper.title, ", ".join(paper.authors), ""]
    fields = [
        ("arXiv", _id_label(paper) if paper.arxiv_id else None),
        ("citation key", paper.citation_key),
        ("published", paper.published),
        ("updated", paper.updated),
        ("categories", " ".join(paper.categories) or None),
        ("DOI", paper.doi),
        ("journal", paper.journal_ref),
        ("venue", paper.venue),
        ("comment", paper.comment),
        ("URL", paper.url),
        (
            "versions",
            ", ".join(f"v{v} ({d.date().isoformat() if d else '?'})" for v, d in versions) or None,
        ),
    ]
    lines += [f"{name + ':':14}{value}" for name, value in fields if value]
    if paper.abstract:
        lines += ["", textwrap.fill(paper.abstract, width=88)]
    click.echo("\n".join(lines))


@click.command()
@click.argument("query")
@format_option("table", "json")
@pass_app
def search(app: AppContext, query: str, fmt: str) -> None:
    """Find papers whose title, authors or abstract contain every word of QUERY.

    \b
    Examples:
      catalog search relaxation
      catalog search "maddison concrete" --format json
    """
    _print_papers(app.catalog.search(query), fmt)


@click.command()
@click.argument("refs", nargs=-1, required=True, metavar="ID...")
@pass_app
def remove(app: AppContext, refs: tuple[str, ...]) -> None:
    """Remove papers from the catalog (their authors' other papers stay).

    \b
    Example:
      catalog remove 1611.00712
    """
    for ref in refs:
        paper = app.catalog.remove_paper(ref)
        click.echo(f"removed   {_id_label(paper)}  {paper.title}")


COMMANDS = [add, list_, show, search, remove]
