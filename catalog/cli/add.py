"""``catalog add``: papers by any identifier, fetched and stored by :mod:`catalog.add`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import echo_json, format_option

if TYPE_CHECKING:
    from catalog.add import AddResult

# How the text output names a record's source (arXiv's API is the default: unnamed).
_SOURCE_NAMES = {
    "arxiv index": "from the arXiv index", "crossref": "Crossref", "dblp": "DBLP",
    "openreview": "OpenReview", "proceedings": "proceedings page",
}  # fmt: skip


@click.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@format_option("text", "json")
@click.option(
    "--online",
    is_flag=True,
    help="Ask arXiv even for papers the local arXiv index has (see: catalog harvest).",
)
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
    online: bool,
    session_slug: str | None,
    presenter: str | None,
    slides: str | None,
    together: bool,
) -> None:
    """Fetch papers by any identifier and store them (adding again updates, never
    duplicates: a paper added by its arXiv id, then its DOI, then its OpenReview link is
    one paper with three identifiers; see catalog show).

    \b
    ID is any of:
      arXiv       1611.00712, arxiv:hep-th/9901001, 1802.02550v2, arxiv.org/abs/...
                  or /pdf/... URLs, 10.48550/arXiv.1611.00712
      DOI         doi:10.1038/nature20101, 10.1038/nature20101, https://doi.org/...,
                  and pages that carry one (dl.acm.org/doi/..., nature.com/articles/...,
                  link.springer.com/article/...)
      OpenReview  openreview:BkpiPMbA-, openreview.net/forum?id=... or /pdf?id=...
      PMLR        pmlr:v80/kazemi18a, proceedings.mlr.press/v80/kazemi18a.html
      NeurIPS     papers.nips.cc/paper/5346-..., proceedings.neurips.cc/paper/2020/hash/...
      ACL         acl:N19-1423, aclanthology.org/N19-1423/
      DBLP        dblp:conf/icml/KazemiZK18, dblp.org/rec/conf/icml/KazemiZK18

    Any malformed ID, or a page that carries no identifier, refuses the whole call
    before anything is asked (exit 2). arXiv papers come from the local arXiv index
    when it has them (catalog harvest; no request), else from arXiv, all in one
    request; the others from Crossref, OpenReview, DBLP or the proceedings site
    (CATALOG_SOURCES chooses which sources are used). IDs a source does not know are
    reported (exit 1); a source that cannot be reached after its retries is too (exit
    3). What was found is stored either way.

    With --session, each paper also becomes a talk (a row) at the end of the session,
    in the order given; --together makes one talk about all of them. A paper already in
    a talk of the session is never added twice: that talk gets the presenter and slides
    given. If any paper fails, no talk is added.

    \b
    Examples:
      catalog add arxiv:1611.00712
      catalog add 1802.02550v2 https://arxiv.org/abs/1804.01118 hep-th/9901001
      catalog add doi:10.1038/nature20101 https://openreview.net/forum?id=BkpiPMbA-
      catalog add https://proceedings.mlr.press/v80/kazemi18a.html https://aclanthology.org/N19-1423/
      catalog add 1611.00712 --online                 ask arXiv, not the local index
      catalog add 1611.00712 --session 2018-07-31-generative --presenter Arshdeep --slides URL
    """
    from catalog.add import InvalidIds, add_papers, parse_refs

    try:
        parse_refs(ids)  # before the catalog is opened: a bad id stores nothing at all
        if session_slug is None and (presenter or slides or together):
            raise click.UsageError("--presenter, --slides and --together go with --session")
        result = add_papers(
            app.catalog, ids, session=session_slug, presenter=presenter, slides=slides,
            together=together, online=online,
        )  # fmt: skip
    except InvalidIds as exc:
        # The whole call is refused: nothing is fetched or stored from a half-valid line.
        for message in exc.messages:
            click.echo(f"catalog: error: {message}", err=True)
        raise SystemExit(2) from None

    if fmt == "json":
        _print_json(result)
    else:
        _print_text(result, session_slug)
    for refs, why in _grouped(result.problems):
        click.echo(f"catalog: {refs}: {why}", err=True)
    if result.problems:
        if session_slug is not None:
            click.echo(f"catalog: no talk added to session {session_slug}", err=True)
        raise SystemExit(result.exit_code)


def _print_text(result: AddResult, session_slug: str | None) -> None:
    for added in result.stored:
        where = _SOURCE_NAMES.get(added.source)
        suffix = f"  ({where})" if where else ""
        click.echo(f"{added.status:9} {added.shown}  {added.title}{suffix}")
        if added.status == "added":
            continue  # a new paper: every field is new
        for name, (old, new) in added.changes.items():
            click.echo(f"          {name}: {old!r} -> {new!r}")
        if added.identifiers_added:
            click.echo(f"          identifiers: + {', '.join(added.identifiers_added)}")
        if added.merged:
            gone = ", ".join(f"#{pid}" for pid in added.merged)
            click.echo(f"          merged: {gone} (the same paper) into #{added.paper_id}")
        if added.note:
            click.echo(f"          note: {added.note}")
    if result.talks:
        from catalog.cli.sessions import talk_line

        for t in result.talks:
            click.echo(talk_line(session_slug or "", t))


def _print_json(result: AddResult) -> None:
    from catalog.cli.sessions import talk_json

    echo_json(
        {
            "stored": [
                {**dataclasses.asdict(a), "changes": {k: list(v) for k, v in a.changes.items()}}
                for a in result.stored
            ],
            "failed": [
                {"id": ref, "reason": why, "unreachable": ref in result.unreachable}
                for ref, why in result.problems
            ],
            "talks": [{"status": t.status, "talk": talk_json(t.talk)} for t in result.talks],
        }
    )


def _grouped(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One line per reason: a batch that failed names all its ids in one line."""
    by_reason: dict[str, list[str]] = {}
    for ref, why in problems:
        by_reason.setdefault(why, []).append(ref)
    return [(", ".join(refs), why) for why, refs in by_reason.items()]


COMMANDS = [add]
