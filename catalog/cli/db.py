"""Database commands: where the catalog is, and upgrading its schema."""

from __future__ import annotations

import click

from catalog.cli.context import AppContext, pass_app


@click.group()
def db() -> None:
    """Inspect or upgrade the catalog database."""


@db.command()
@pass_app
def upgrade(app: AppContext) -> None:
    """Apply schema migrations (they also run automatically on first use).

    \b
    Example:
      catalog --db postgresql+psycopg://me@host/reading db upgrade
    """
    from catalog.store.engine import describe, make_engine, resolve_url
    from catalog.store.migrate import upgrade as run_upgrade

    url = resolve_url(app.db_url)
    engine = make_engine(url)
    try:
        before, after = run_upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{describe(url)}: schema {after}, already up to date")
    else:
        click.echo(f"{describe(url)}: schema {before or 'empty'} -> {after}")


@db.command()
@pass_app
def info(app: AppContext) -> None:
    """Print the database URL, schema revision and row counts."""
    from sqlalchemy import func, select

    from catalog.store.engine import describe, resolve_url
    from catalog.store.migrate import current_revision
    from catalog.store.models import Paper, Presentation, Presenter, Session

    catalog = app.catalog
    click.echo(f"database:   {describe(resolve_url(app.db_url))}")
    with catalog.engine.connect() as conn:
        click.echo(f"schema:     {current_revision(conn)}")
    with catalog.read() as s:
        for label, model in (
            ("papers", Paper),
            ("sessions", Session),
            ("presenters", Presenter),
            ("talks", Presentation),
        ):
            count = s.execute(select(func.count()).select_from(model)).scalar_one()
            click.echo(f"{label + ':':12}{count}")


COMMANDS = [db]
