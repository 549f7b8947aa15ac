"""The ``catalog`` command: a click group that opens the catalog once and hands it on.

Command modules import only click at the top; the database, arXiv and parsing
layers are imported inside the commands, and the group imports a command's module
only when that command runs (click's lazy group), so ``catalog check`` and
``catalog --help`` start fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from catalog import __version__
from catalog.cli.context import AppContext

EXIT_CODES = """\b
Exit codes:
  0  success
  1  some inputs failed, findings were reported, or a name is not in the catalog
  2  usage error or bad input (malformed id, unreadable file, bad option)
  3  a source (arXiv, Crossref, ...) could not be reached, or a sync could not finish
  4  database error (bad URL, missing driver, schema newer than this catalog)
  130  interrupted (Ctrl-C); work already committed is kept
"""


def one_line(message: str) -> str:
    """Diagnostics are one line: drivers' multi-line messages are folded."""
    return " ".join(message.split())


# Every command: where it lives ("module:attribute" under catalog.cli) and the summary
# `catalog --help` lists for it, so that listing the commands imports none of them.
# The summary is the first sentence of the command's help; tests/test_cli_lazy.py
# checks that the two agree and that every module's COMMANDS is here.
COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("add:add", "Fetch papers by any identifier and store them (adding again updates, "
            "never duplicates: a paper added by its arXiv id, then its DOI, then its OpenReview "
            "link is one paper with three identifiers; see catalog show)."),
    "check": ("posts:check", "Lint posts like a compiler: every footnote must be about the "
              "paper of its row."),
    "db": ("db:db", "Inspect or upgrade the catalog database."),
    "export": ("export:export", "Export papers and sessions: bibtex, markdown (a post), json or "
               "csl (CSL-JSON)."),
    "harvest": ("harvest:harvest", "Keep a local copy of arXiv's metadata, harvested over "
                "OAI-PMH."),
    "import": ("posts:import_", "Read posts (files or folders of *.md / *.markdown) or .bib "
               "files into the catalog."),
    "list": ("papers:list_", "List the papers in the catalog, 20 at a time (--limit 0: all of "
             "them)."),
    "presenter": ("sessions:presenter", "One presenter: show their talks, or rename (and merge) "
                  "them."),
    "presenters": ("sessions:presenters_", "List presenters with their numbers of talks, papers "
                   "and sessions, most talks first."),
    "remove": ("papers:remove", "Remove papers from the catalog (their authors' other papers "
               "stay)."),
    "resolve": ("resolve:resolve", "Find papers the catalog knows only by a title or a link: "
                "first by the identifier in their link (a DOI, OpenReview, PMLR, NeurIPS, ACL "
                "Anthology or DBLP page, an arXiv id), then by title at DBLP, Crossref and arXiv, "
                "and fill in their authors, year and where they appeared."),
    "search": ("papers:search", "Find papers by words of their title, authors or abstract, best "
               "match first."),
    "serve": ("serve:serve", "Serve the catalog as a web site and a JSON API (read-only unless "
              "--edit)."),
    "session": ("sessions:session", "Plan a session (one post): create it, add talks, reorder, "
                "show the plan."),
    "sessions": ("sessions:sessions_", "List sessions by date, with their numbers of talks, "
                 "papers and presenters."),
    "show": ("papers:show", "Show one paper: title, authors, abstract, every identifier (with "
             "its link), where it was published, dates, versions and which source gave which "
             "field."),
    "sync": ("sync:sync", "Refresh papers from the sources they came from: arXiv, many per "
             "request, one request at a time; and Crossref, DBLP, OpenReview and the proceedings "
             "sites for the papers they described (by DOI, DBLP key, OpenReview id, "
             "PMLR/NeurIPS/ACL page), batched per source."),
}


class CatalogGroup(click.Group):
    """Load commands on demand; translate domain errors into one line on stderr and a
    documented exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(f"catalog.cli.{module}"), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands from their summaries, without importing them: what
        click.Group does with the loaded commands, and the same text."""
        listed = {
            name: self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            for name in self.list_commands(ctx)
        }
        shown = [(name, cmd) for name, cmd in listed.items() if not cmd.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])

    def invoke(self, ctx: click.Context) -> Any:
        from catalog.errors import CatalogError

        try:
            return super().invoke(ctx)
        except CatalogError as exc:
            click.echo(f"catalog: error: {one_line(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("catalog: interrupted; work already committed is kept", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # `catalog list | head`
            sys.stderr.close()
            ctx.exit(0)
        except Exception as exc:
            # click's own exits (--help) pass through here too: only look for database
            # errors when the database layer was loaded at all, to keep --help fast.
            if "sqlalchemy" not in sys.modules:
                raise
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, SQLAlchemyError):
                reason = one_line(str(getattr(exc, "orig", None) or exc))
                click.echo(f"catalog: database error: {reason}", err=True)
                ctx.exit(4)
            raise


@click.group(
    cls=CatalogGroup,
    epilog=EXIT_CODES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    envvar="CATALOG_DB",
    help="Database: a path or SQLAlchemy URL (default: db/catalog.sqlite; env CATALOG_DB).",
)
@click.version_option(__version__, "-V", "--version", prog_name="catalog")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """A paper catalog and bibliography manager for reading groups.

    \b
    Examples:
      catalog add arxiv:1611.00712          fetch a paper from arXiv and store it
      catalog import _posts/                read the group's posts into the catalog
      catalog check _posts/                 lint posts: footnotes, links, titles
      catalog export bibtex -o refs.bib     write exports/refs.bib
      catalog resolve                       find papers known only by a title or link
      catalog sync                          refresh papers from arXiv
    """
    app = AppContext(db_url)
    ctx.obj = app
    ctx.call_on_close(app.close)

