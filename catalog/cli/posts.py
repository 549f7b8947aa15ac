"""Post commands: import (posts and .bib files) and check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import format_option

if TYPE_CHECKING:
    from catalog.check.config import Resolver, Settings
    from catalog.check.rules import Lookup
    from catalog.posts.model import Post


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
    for warning in summary.warnings:
        click.echo(f"catalog: warning: {warning}", err=True)
    verb = "would be " if dry_run else ""
    if fmt == "json":
        import json

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


_FORMATS = ("text", "json", "github", "sarif", "junit")


def _rules(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    from catalog.check.config import parse_selectors

    return parse_selectors(value)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output-format", "--format", "fmt", type=click.Choice(_FORMATS), default="text",
    show_default=True,
    help="text: path:line:col: code message; json: one document; github: workflow commands "
    "that annotate a pull request; sarif: SARIF 2.1.0 for code scanning; junit: JUnit XML.",
)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (replaced atomically) instead of stdout.")
@click.option(
    "--fix", is_flag=True, help="Rewrite footnote references so each row cites its own footnote."
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="With --fix: print the change, write nothing."
)
@click.option("--select", multiple=True, callback=_rules, metavar="RULES",
              help="Check only these rules (codes, families like 'footnote', or ALL; "
              "comma-separated); replaces the configuration's select and ignore.")
@click.option("--extend-select", multiple=True, callback=_rules, metavar="RULES",
              help="Check these rules too.")
@click.option("--ignore", multiple=True, callback=_rules, metavar="RULES",
              help="Do not check these rules.")
@click.option("--exclude", multiple=True, callback=_rules, metavar="PATTERNS",
              help="Skip posts in folders that match (replaces the configuration's "
              "exclude).")
@click.option("--force-exclude", is_flag=True,
              help="Apply exclude to files named on the command line too (pre-commit).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Use this catalog.toml (or pyproject.toml) for every post.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 even when there are findings (unreadable posts still exit 2).")
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing them.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no summary line.")
@click.option("--show-settings", is_flag=True,
              help="Print the settings each post gets and where each part came from.")
@click.option("--explain", "explain_code", metavar="CODE",
              help="Print what a rule means, an example, and how to fix it.")
@pass_app
def check(
    app: AppContext,
    paths: tuple[Path, ...],
    fmt: str,
    output_file: Path | None,
    fix: bool,
    show_diff: bool,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    force_exclude: bool,
    config_file: Path | None,
    isolated: bool,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    show_settings: bool,
    explain_code: str | None,
) -> None:
    """Lint posts like a compiler: every footnote must be about the paper of its row.

    Prints one finding per line (path:line:col: code message), then a summary.
    When the catalog knows a row's arXiv paper, titles and abstracts are checked
    against it too. Settings come from the closest catalog.toml, .catalog.toml or
    pyproject.toml [tool.catalog] above each post; `<!-- catalog: ignore[CODE] -->`
    in a post silences one finding. Exit 0 when clean, 1 with findings, 2 when a
    post can't be read or the configuration or a flag is wrong.

    \b
    Examples:
      catalog check _posts/
      catalog check _posts/ --output-format github      # annotations in a pull request
      catalog check _posts/ --output-format sarif -o catalog.sarif
      catalog check _posts/ --ignore table-short-row --statistics
      catalog check --explain footnote-mismatch
      catalog check _posts/ --show-settings
      catalog check _posts/ --fix --diff      # show the reference fixes
      catalog check _posts/ --fix             # apply them (files replaced atomically)
    """
    from catalog.check.config import Overrides, Resolver

    if explain_code is not None:
        _explain(explain_code, fmt)
        return
    if show_diff and not fix:
        raise click.UsageError("--diff goes with --fix")
    if statistics and fmt not in ("text", "json"):
        raise click.UsageError("--statistics prints text or json")
    if isolated and config_file is not None:
        raise click.UsageError("--config and --isolated cannot be used together")
    if not paths and not show_settings:
        raise click.UsageError("give post files or a _posts/ folder to check")
    resolver = Resolver(Overrides(
        select=select or None, extend_select=extend_select, ignore=ignore,
        exclude=exclude or None, config=config_file, isolated=isolated,
    ))
    from catalog.check.runner import discover, run_check

    files = discover(paths or [Path(".")], resolver, force_exclude=force_exclude)
    if show_settings:
        _show_settings(resolver, files, paths or (Path("."),))
        return
    from catalog.store.lookup import open_reader

    reader = open_reader(app.db_url)  # None without a catalog: check never creates one
    lookup_for = None
    if reader is not None:
        app.on_close(reader.close)

        def lookup_for(post: Post) -> Lookup:
            from catalog.check.match import link_key

            keys = {link_key(e) for r in post.rows for e in r.papers}
            return reader.lookup(key for key in keys if key)

    outcome = run_check(files, resolver, lookup_for=lookup_for, fix=fix, diff=show_diff,
                        share=True)
    report = outcome.report
    for u in report.unreadable:
        click.echo(f"catalog: error: {u.reason}; not checked: fix the file or exclude it",
                   err=True)
    if not quiet:
        for path in outcome.fixed:
            click.echo(f"fixed {path}", err=True)
    if show_diff:
        sys.stdout.write("".join(outcome.diffs))
    else:
        from catalog.check.report import render, render_statistics

        if statistics:
            out = render_statistics(report, fmt, quiet=quiet)
        else:
            out = render(report, fmt, quiet=quiet)
        _write(out, output_file)
    if report.unreadable:
        raise SystemExit(2)
    if report.findings and not show_diff and not exit_zero:
        raise SystemExit(1)


def _write(out: str, target: Path | None) -> None:
    if target is None or str(target) == "-":
        if out:
            click.echo(out)
        return
    from catalog.errors import CatalogError
    from catalog.fsutil import atomic_write_text

    try:
        atomic_write_text(target, out + "\n" if out else "")
    except OSError as exc:
        raise CatalogError(f"cannot write {target}: {exc.strerror or exc}") from None


def _explain(code: str, fmt: str) -> None:
    from catalog.check.codes import RULES, explain, nearest_codes
    from catalog.check.config import ConfigError

    if code not in RULES:
        raise ConfigError(f"no rule {code!r}; the nearest: {', '.join(nearest_codes(code))}")
    if fmt == "json":
        import json

        rule = RULES[code]
        click.echo(json.dumps({**rule.__dict__, "explanation": explain(code, markdown=True)},
                              indent=2, ensure_ascii=False))
        return
    click.echo(explain(code))


def _show_settings(resolver: Resolver, files: list[Path], paths: tuple[Path, ...]) -> None:
    from catalog.check.config import describe

    groups: dict[int, tuple[Settings, list[Path]]] = {}
    for path in files:
        settings = resolver.settings_for(path)
        groups.setdefault(id(settings), (settings, []))[1].append(path)
    if not groups:  # no posts there: the settings a post in the first folder would get
        first = paths[0]
        probe = first / "post.md" if first.is_dir() else first
        groups[0] = (resolver.settings_for(probe), [])
    click.echo("\n\n".join(describe(s, posts) for s, posts in groups.values()))


COMMANDS = [import_, check]
