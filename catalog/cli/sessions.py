"""Session planning commands: ``session`` (new, show, talk, move, remove-talk, delete),
``sessions``, ``presenters`` and ``presenter`` (show, rename).

Papers join a session with ``catalog add ID --session SLUG --presenter NAME``; the
post is written with ``catalog export markdown --session SLUG -o _posts/SLUG.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import echo_json, format_option, iso_date, render_table

if TYPE_CHECKING:
    from catalog.records import PaperView, PresentationView, SessionView
    from catalog.store.planning import PresenterTalk, TalkResult


def _position(_ctx: click.Context, _param: click.Parameter, value: int | None) -> int | None:
    if value is not None and value < 1:
        raise click.BadParameter("rows are numbered from 1")
    return value


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _short_url(url: str | None) -> str:
    """A table shows the slides' file name; JSON has the whole URL."""
    if not url:
        return ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail and tail != url else url


def _paper_ref(paper: PaperView) -> str:
    return paper.arxiv_id or paper.citation_key or f"#{paper.id}"


def _paper_json(paper: PaperView) -> dict[str, Any]:
    from catalog.cli.papers import paper_json

    return paper_json(paper)


def talk_json(talk: PresentationView) -> dict[str, Any]:
    return {
        "position": talk.position,
        "presenter": talk.presenter,
        "title": talk.title,
        "slides_url": talk.slides_url,
        "link_url": talk.link_url or None,
        "links": [{"text": text, "url": url} for text, url in talk.links],
        "papers": [_paper_json(p) for p in talk.papers],
    }


def session_json(view: SessionView) -> dict[str, Any]:
    return {
        "slug": view.slug,
        "title": view.title,
        "date": _iso(view.date),
        "desc": view.desc,
        "term": view.term,
        "categories": view.categories,
        "tags": view.tags,
        "layout": view.layout,
        "presentations": [talk_json(t) for t in view.presentations],
    }


def talk_line(slug: str, result: TalkResult) -> str:
    """``added     #3 2018-07-31-generative  Arshdeep: The Concrete ... [1611.00712]``."""
    talk = result.talk
    refs = ", ".join(_paper_ref(p) for p in talk.papers)
    who = f"{talk.presenter}: " if talk.presenter else ""
    return f"{result.status:9} #{talk.position} {slug}  {who}{talk.title}" + (
        f" [{refs}]" if refs else ""
    )


# -- session -------------------------------------------------------------------------------


@click.group()
def session() -> None:
    """Plan a session (one post): create it, add talks, reorder, show the plan.

    \b
    Examples:
      catalog session new 2018-07-31-generative --title "Generative18" --term 2018Reads
      catalog add arxiv:1611.00712 --session 2018-07-31-generative --presenter Arshdeep
      catalog session show 2018-07-31-generative
      catalog export markdown --session 2018-07-31-generative -o _posts/2018-07-31-generative.md
    """


@session.command(name="new")
@click.argument("slug")
@click.option("--title", required=True, help="The post's title.")
@click.option(
    "--date",
    "day",
    callback=iso_date,
    metavar="YYYY-MM-DD",
    help="The session's date (default: from the slug, 2018-07-31-...).",
)
@click.option("--desc", help="The post's desc (front matter), e.g. 2018-team.")
@click.option("--term", help="The term, e.g. 2018Reads.")
@click.option("--category", "categories", multiple=True, help="A category (repeatable).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@format_option("text", "json")
@pass_app
def session_new(
    app: AppContext,
    slug: str,
    title: str,
    day: dt.date | None,
    desc: str | None,
    term: str | None,
    categories: tuple[str, ...],
    tags: tuple[str, ...],
    fmt: str,
) -> None:
    """Create an empty session SLUG (refused if SLUG exists).

    SLUG names the post: YYYY-MM-DD-words, as in _posts/2018-07-31-generative.md.

    \b
    Example:
      catalog session new 2018-07-31-generative --title "Generative18 - A few more DNN
        generative models" --term 2018Reads --category 5Generative --tag generative
    """
    from catalog.errors import CatalogError
    from catalog.store.planning import create_session, validate_slug

    try:
        validate_slug(slug, day)
    except CatalogError as exc:  # bad input: exit 2, like any bad option
        raise click.UsageError(str(exc)) from None
    view = create_session(
        app.catalog, slug, title, day=day, desc=desc, term=term,
        categories=categories, tags=tags,
    )  # fmt: skip
    if fmt == "json":
        echo_json(session_json(view))
        return
    when = f" on {view.date.isoformat()}" if view.date else ""
    click.echo(f"added     session {view.slug}{when}: {view.title}")
    click.echo(f"next: catalog add ID --session {view.slug} --presenter NAME", err=True)


@session.command(name="show")
@click.argument("slug")
@format_option("table", "json")
@pass_app
def session_show(app: AppContext, slug: str, fmt: str) -> None:
    """Show a session's plan: its talks in order, with presenters, papers and slides.

    \b
    Examples:
      catalog session show 2018-07-31-generative
      catalog session show 2018-07-31-generative --format json
    """
    from catalog.store.planning import get_session

    view = get_session(app.catalog, slug)
    if fmt == "json":
        echo_json(session_json(view))
        return
    click.echo(f"{view.slug}  {view.title}")
    facts = [
        ("date", _iso(view.date)),
        ("term", view.term),
        ("categories", ", ".join(view.categories)),
        ("tags", ", ".join(view.tags)),
        ("desc", view.desc),
    ]
    click.echo("   ".join(f"{name}: {value}" for name, value in facts if value))
    click.echo("")
    if not view.presentations:
        click.echo(f"no talks yet; add one: catalog add ID --session {view.slug} --presenter NAME")
        return
    rows = [
        (
            f"#{t.position}",
            t.presenter or "",
            ", ".join(_paper_ref(p) for p in t.papers) or "-",
            t.title,
            _short_url(t.slides_url),
        )
        for t in view.presentations
    ]
    click.echo(render_table(["ROW", "PRESENTER", "PAPERS", "TITLE", "SLIDES"], rows, flex=3))
    papers = len({p.id for t in view.presentations for p in t.papers})
    people = len({t.presenter for t in view.presentations if t.presenter})
    summary = [_n(len(view.presentations), "talk"), _n(papers, "paper"), _n(people, "presenter")]
    click.echo(", ".join(summary), err=True)


@session.command(name="talk")
@click.argument("slug")
@click.option("--title", help="The row's text (needed without --paper), e.g. 'Summary of ...'.")
@click.option(
    "--paper",
    "papers",
    multiple=True,
    metavar="ID",
    help="A catalogued paper the talk is about (repeatable; none: a survey talk).",
)
@click.option("--presenter", help="Who presents (matched case- and space-insensitively).")
@click.option("--slides", metavar="URL", help="The talk's slides.")
@click.option(
    "--position", type=int, callback=_position, metavar="N", help="Insert as row N (default: last)."
)
@format_option("text", "json")
@pass_app
def session_talk(
    app: AppContext,
    slug: str,
    title: str | None,
    papers: tuple[str, ...],
    presenter: str | None,
    slides: str | None,
    position: int | None,
    fmt: str,
) -> None:
    """Add a talk to a session: a survey talk (no paper) or a talk about catalogued papers.

    Papers not yet in the catalog come in with `catalog add ID --session SLUG`.
    A talk about the same papers already in the session is updated, not added twice.

    \b
    Examples:
      catalog session talk 2018-07-31-generative --presenter GaoJi \\
          --title "Summary of several autoencoder models" --slides URL
      catalog session talk 2018-07-31-generative --paper 1611.00712 --paper 1804.01694 \\
          --presenter Arshdeep --title "Two relaxations"
    """
    from catalog.store.planning import add_talk

    result = add_talk(
        app.catalog, slug, papers, presenter=presenter, slides=slides, title=title,
        position=position,
    )  # fmt: skip
    if fmt == "json":
        echo_json({"status": result.status, "talk": talk_json(result.talk)})
    else:
        click.echo(talk_line(slug, result))


@session.command(name="move")
@click.argument("slug")
@click.argument("ref", metavar="REF")
@click.option(
    "--to",
    "to",
    type=int,
    required=True,
    callback=_position,
    metavar="N",
    help="The row number to move the talk to.",
)
@pass_app
def session_move(app: AppContext, slug: str, ref: str, to: int) -> None:
    """Move a talk to row N; the rows between shift by one.

    REF is the talk's row number written #2, or a paper of the talk (arXiv id,
    citation key or catalog number).

    \b
    Examples:
      catalog session move 2018-07-31-generative 1611.00712 --to 3
      catalog session move 2018-07-31-generative '#4' --to 1
    """
    from catalog.store.planning import move_talk

    talk = move_talk(app.catalog, slug, ref, to)
    click.echo(f"moved     #{talk.position} {slug}  {talk.title}")


@session.command(name="remove-talk")
@click.argument("slug")
@click.argument("ref", metavar="REF")
@pass_app
def session_remove_talk(app: AppContext, slug: str, ref: str) -> None:
    """Remove a talk from a session (its papers stay in the catalog).

    REF is the talk's row number written #2, or a paper of the talk.

    \b
    Examples:
      catalog session remove-talk 2018-07-31-generative 1804.01694
      catalog session remove-talk 2018-07-31-generative '#3'
    """
    from catalog.store.planning import remove_talk

    talk = remove_talk(app.catalog, slug, ref)
    click.echo(f"removed   #{talk.position} {slug}  {talk.title}")


@session.command(name="delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def session_delete(app: AppContext, slug: str, yes: bool) -> None:
    """Delete a session and its talks (papers and presenters stay in the catalog).

    \b
    Example:
      catalog session delete 2018-07-31-generative --yes
    """
    from catalog.store.planning import delete_session, get_session

    view = get_session(app.catalog, slug)  # a missing slug fails before the question
    if not yes:
        click.confirm(
            f"delete session {slug} and its {_n(len(view.presentations), 'talk')}?",
            abort=True,
            err=True,
        )
    delete_session(app.catalog, slug)
    click.echo(f"deleted   session {slug} ({_n(len(view.presentations), 'talk')})")


# -- sessions ------------------------------------------------------------------------------


@click.command(name="sessions")
@click.option("--term", "terms", multiple=True, help="Only sessions of this term (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only sessions with this tag (repeatable).")
@format_option("table", "json")
@pass_app
def sessions_(app: AppContext, terms: tuple[str, ...], tags: tuple[str, ...], fmt: str) -> None:
    """List sessions by date, with their numbers of talks, papers and presenters.

    \b
    Examples:
      catalog sessions
      catalog sessions --term 2018Reads --tag generative --format json
    """
    from catalog.store.planning import list_sessions

    found = list_sessions(app.catalog, terms=terms, tags=tags)
    if fmt == "json":
        echo_json(
            [
                {
                    "slug": x.slug,
                    "title": x.title,
                    "date": _iso(x.date),
                    "term": x.term,
                    "categories": x.categories,
                    "tags": x.tags,
                    "talks": x.talks,
                    "papers": x.papers,
                    "presenters": x.presenters,
                }  # fmt: skip
                for x in found
            ]
        )
        return
    if not found:
        click.echo("no sessions", err=True)
        return
    rows = [
        (_iso(x.date) or "", x.slug, x.term or "", x.talks, x.papers, x.presenters, x.title)
        for x in found
    ]
    headers = ["DATE", "SLUG", "TERM", "TALKS", "PAPERS", "PRESENTERS", "TITLE"]
    click.echo(render_table(headers, rows, flex=-1))


# -- presenters ----------------------------------------------------------------------------


@click.command(name="presenters")
@format_option("table", "json")
@pass_app
def presenters_(app: AppContext, fmt: str) -> None:
    """List presenters with their numbers of talks, papers and sessions, most talks first.

    \b
    Examples:
      catalog presenters
      catalog presenters --format json
    """
    from catalog.store.planning import list_presenters

    found = list_presenters(app.catalog)
    if fmt == "json":
        echo_json([vars(p) for p in found])
        return
    if not found:
        click.echo("no presenters", err=True)
        return
    rows = [(p.name, p.talks, p.papers, p.sessions) for p in found]
    click.echo(render_table(["PRESENTER", "TALKS", "PAPERS", "SESSIONS"], rows, flex=0))


@click.group()
def presenter() -> None:
    """One presenter: show their talks, or rename (and merge) them.

    \b
    Examples:
      catalog presenter show Arshdeep
      catalog presenter rename "gao ji" GaoJi
    """


def _presenter_talk_json(talk: PresenterTalk) -> dict[str, Any]:
    return {
        "session": talk.slug,
        "session_title": talk.session_title,
        "date": _iso(talk.date),
        "position": talk.position,
        "title": talk.title,
        "slides_url": talk.slides_url,
        "papers": [_paper_json(p) for p in talk.papers],
    }


@presenter.command(name="show")
@click.argument("name")
@format_option("table", "json")
@pass_app
def presenter_show(app: AppContext, name: str, fmt: str) -> None:
    """Show a presenter's talks, by session date (names match case- and space-insensitively).

    \b
    Examples:
      catalog presenter show Arshdeep
      catalog presenter show "gao ji" --format json
    """
    from catalog.store.planning import presenter_detail

    detail = presenter_detail(app.catalog, name)
    papers = len({p.id for t in detail.talks for p in t.papers})
    sessions = len({t.slug for t in detail.talks})
    if fmt == "json":
        echo_json(
            {
                "name": detail.name,
                "talks": len(detail.talks),
                "papers": papers,
                "sessions": sessions,
                "presentations": [_presenter_talk_json(t) for t in detail.talks],
            }  # fmt: skip
        )
        return
    counts = [_n(len(detail.talks), "talk"), _n(papers, "paper"), _n(sessions, "session")]
    click.echo(f"{detail.name}: {', '.join(counts)}")
    if not detail.talks:
        return
    click.echo("")
    rows = [
        (
            _iso(t.date) or "",
            t.slug,
            f"#{t.position}",
            ", ".join(_paper_ref(p) for p in t.papers) or "-",
            t.title,
        )
        for t in detail.talks
    ]
    click.echo(render_table(["DATE", "SESSION", "ROW", "PAPERS", "TITLE"], rows, flex=-1))


@presenter.command(name="rename")
@click.argument("old")
@click.argument("new")
@pass_app
def presenter_rename(app: AppContext, old: str, new: str) -> None:
    """Rename presenter OLD to NEW; if NEW is another presenter, merge OLD into them.

    A merge moves OLD's talks to NEW and deletes OLD, in one transaction.

    \b
    Examples:
      catalog presenter rename "gao ji" GaoJi      # same person, spelled better
      catalog presenter rename Arsh Arshdeep       # Arshdeep exists: merged
    """
    from catalog.store.planning import rename_presenter

    result = rename_presenter(app.catalog, old, new)
    if result.merged:
        click.echo(
            f"merged    {result.old!r} into {result.new!r} ({_n(result.talks_moved, 'talk')} moved)"
        )
    else:
        click.echo(f"renamed   {result.old!r} to {result.new!r}")


COMMANDS = [session, sessions_, presenters_, presenter]
