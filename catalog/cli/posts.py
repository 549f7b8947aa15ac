"""Post commands: import (posts and .bib files) and check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import format_option


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be added or updated; write nothing.")
@format_option("text", "json")
@pass_app
def import_(app: AppContext, paths: tuple[Path, ...], dry_run: bool, fmt: str) -> None:
    """Read posts (files or folders of *.md / *.markdown) or .bib files into the catalog.

    Each post becomes a session with its presenters, papers, talks and footnote
    abstracts. Re-importing is idempotent; an edited post updates its session.

    \b
    Examples:
      catalog import _posts/
      catalog import _posts/2018-07-31-Generative18.md --dry-run
      catalog import refs.bib
    """
    from catalog.importers.posts import import_posts
    from catalog.posts.discover import find_posts

    bib_files = [p for p in paths if p.suffix.lower() == ".bib"]
    post_paths = [p for p in paths if p.suffix.lower() != ".bib"]
    failed = 0
    if bib_files:
        failed += _import_bib(app, bib_files, dry_run, fmt)
    if not post_paths:
        if failed:
            raise SystemExit(1)
        return
    files = find_posts(post_paths)
    summary = import_posts(app.catalog, files, dry_run=dry_run)
    verb = "would be " if dry_run else ""
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "dry_run": dry_run,
                    "posts": [r.__dict__ for r in summary.imported],
                    "failed": [{"path": p, "reason": why} for p, why in summary.failed],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for r in summary.imported:
            extra = []
            if r.papers_added:
                extra.append(_count(len(r.papers_added), "new paper"))
            if r.presenters_added:
                extra.append(_count(len(r.presenters_added), "new presenter"))
            detail = f" ({', '.join(extra)})" if extra else ""
            click.echo(f"{verb}{r.status:9} {r.slug}: {r.rows} rows{detail}")
        counts = {
            s: sum(r.status == s for r in summary.imported)
            for s in ("added", "updated", "unchanged")
        }
        click.echo(
            f"{len(summary.imported)} post{'s' if len(summary.imported) != 1 else ''}: "
            f"{counts['added']} {verb}added, "
            f"{counts['updated']} {verb}updated, {counts['unchanged']} unchanged"
            + (f", {len(summary.failed)} failed" if summary.failed else ""),
            err=True,
        )
    for path, why in summary.failed:
        click.echo(f"catalog: error: {path}: {why}", err=True)
    if summary.failed or failed:
        raise SystemExit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _import_bib(app: AppContext, files: list[Path], dry_run: bool, fmt: str) -> int:
    """Import .bib files; return how many blocks or files failed."""
    from catalog.importers.bib_store import import_bib_files

    return import_bib_files(app.catalog, files, dry_run=dry_run, fmt=fmt)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option("text", "json", help="text: path:line:col: code message; json: one document.")
@click.option(
    "--fix", is_flag=True, help="Rewrite footnote references so each row cites its own footnote."
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="With --fix: print the change, write nothing."
)
@pass_app
def check(app: AppContext, paths: tuple[Path, ...], fmt: str, fix: bool, show_diff: bool) -> None:
    """Lint posts like a compiler: every footnote must be about the paper of its row.

    Prints one finding per line (path:line:col: code message), then a summary.
    When the catalog knows a row's arXiv paper, titles and abstracts are checked
    against it too. Exit 0 when clean, 1 with findings, 2 when a file can't be read.

    \b
    Examples:
      catalog check _posts/
      catalog check _posts/2018-07-31-Generative18.md --format json
      catalog check _posts/ --fix --diff      # show the reference fixes
      catalog check _posts/ --fix             # apply them (files replaced atomically)
    """
    from catalog.check import check_post, fix_post, render_json, render_text, unified_diff
    from catalog.errors import CatalogError
    from catalog.fsutil import atomic_write_text
    from catalog.importers.posts import catalog_lookup
    from catalog.posts.discover import find_posts
    from catalog.posts.parse import parse_post, read_post

    if show_diff and not fix:
        raise click.UsageError("--diff goes with --fix")
    files = find_posts(paths)
    catalog = app.existing_catalog()
    findings = []
    read_errors = 0
    for path in files:
        try:
            post = read_post(path)
        except CatalogError as exc:
            click.echo(f"catalog: error: {exc}", err=True)
            read_errors += 1
            continue
        lookup = None
        if catalog is not None:
            lookup = catalog_lookup(catalog, [r.arxiv_id for r in post.rows if r.arxiv_id])
        found = check_post(post, lookup)
        if fix:
            text = path.read_text(encoding="utf-8")
            fixed = fix_post(text, post, found)
            if fixed != text:
                if show_diff:
                    sys.stdout.write(unified_diff(text, fixed, str(path)))
                    continue
                atomic_write_text(path, fixed)
                click.echo(f"fixed {path}", err=True)
                found = check_post(parse_post(fixed, str(path)), lookup)
        findings.extend(found)
    if not show_diff:
        if fmt == "json":
            click.echo(render_json(findings, len(files)))
        else:
            out = render_text(findings, len(files))
            click.echo(out)
    if read_errors:
        raise SystemExit(2)
    if findings and not show_diff:
        raise SystemExit(1)


COMMANDS = [import_, check]
