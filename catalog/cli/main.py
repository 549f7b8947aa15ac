"""The ``catalog`` command: a click group that opens the catalog once and hands it on.

Command modules import only click at the top; the database, arXiv and parsing
layers are imported inside the commands, so ``catalog --help`` starts fast.
"""

from __future__ import annotations

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


class CatalogGroup(click.Group):
    """Translate domain errors into one line on stderr and a documented exit code."""

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


def _register() -> None:
    from catalog.cli import (
        add,
        db,
        export,
        harvest,
        papers,
        posts,
        resolve,
        serve,
        sessions,
        sync,
    )

    for module in (add, papers, posts, export, sessions, sync, resolve, db, serve, harvest):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
