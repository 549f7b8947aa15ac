"""The sync command: refresh catalogued papers from arXiv (see :mod:`catalog.sync`)."""

from __future__ import annotations

import math
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import BatchProgress, echo_counts, echo_json, format_option, plural

if TYPE_CHECKING:
    from catalog.sync import SyncPlan, SyncReport
    from catalog.sync_sources import SourceSyncReport, SourceTask


@click.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "all_", is_flag=True, help="Every paper with an arXiv id.")
@click.option(
    "--older-than",
    "older_than",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Without IDs or --all: papers never synced, or synced more than DAYS ago.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be asked, in how many requests.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 2000),
    default=200,
    show_default=True,
    help="Papers asked for in one request.",
)
@click.option(
    "--online",
    is_flag=True,
    help="Ask arXiv even for papers the local arXiv index (catalog harvest) holds.",
)
@format_option("text", "json", help="Summary format; json is for scripts.")
@click.pass_context
@pass_app
def sync(
    app: AppContext,
    ctx: click.Context,
    ids: tuple[str, ...],
    all_: bool,
    older_than: float,
    dry_run: bool,
    batch_size: int,
    online: bool,
    fmt: str,
) -> None:
    """Refresh papers from the sources they came from: arXiv, many per request, one
    request at a time; and Crossref, DBLP, OpenReview and the proceedings sites for the
    papers they described (by DOI, DBLP key, OpenReview id, PMLR/NeurIPS/ACL page),
    batched per source. With a local arXiv index (catalog harvest), papers it holds at
    least as new as the catalog are taken from it with no request (--online: ask arXiv).

    IDs name catalogued papers: arXiv ids, or any identifier catalog add takes (a DOI,
    an OpenReview, PMLR, NeurIPS, ACL or DBLP id or page), citation keys or numbers.
    Without IDs: papers never synced, or synced more than --older-than days ago. Each
    batch is stored as soon as it arrives, so an interrupted sync keeps what it did and
    the next run goes on from there (after an interrupted --all: catalog sync
    --older-than 1, the papers not refreshed today). Progress goes to stderr, the
    summary to stdout.
    Exits 1 if some ids are unknown to arXiv, 3 if some batch could not be fetched.

    \b
    Examples:
      catalog sync                   papers never synced or synced 30+ days ago
      catalog sync --older-than 7
      catalog sync --all
      catalog sync 1611.00712 hep-th/9901001
      catalog sync doi:10.1038/nature20101 kazemi2018
      catalog sync --all --dry-run
      catalog sync --online          ask arXiv, not the local index
    """
    from catalog.sources.arxiv.client import ArxivClient
    from catalog.sync import SyncInterrupted, named_papers, plan_sync, run_sync

    older_given = ctx.get_parameter_source("older_than") is not click.core.ParameterSource.DEFAULT
    if ids and all_:
        raise click.UsageError("give IDs or --all, not both")
    if older_given and (ids or all_):
        raise click.UsageError("--older-than picks the papers due; it goes without IDs or --all")

    catalog = app.catalog
    which: Any = "all" if all_ else "due"
    named: list[int] = []
    if ids:
        which, named = named_papers(catalog, ids)
    plan = plan_sync(catalog, which, older_than=timedelta(days=older_than), batch_size=batch_size)

    tasks = _source_tasks(app, named, all_, plan, older_than)
    client = ArxivClient(batch_size=batch_size)
    if dry_run:
        client.close()  # made only to read the configured delay; it never connects
        _print_plan(plan, client.delay, client.base_url, fmt, tasks=tasks)
        return
    if not plan.ids and not tasks:
        _print_plan(plan, client.delay, client.base_url, fmt, nothing_due=True)
        client.close()
        return
    if not plan.ids:
        client.close()
        _sync_sources(app, ctx, tasks, fmt, None)
        return

    # sys.stderr as it is now (CliRunner swaps it); click.get_text_stream is deprecated.
    progress = _Progress(sys.stderr, sys.stderr.isatty())
    click.echo(
        f"sync: {len(plan.ids)} paper{'s' if len(plan.ids) != 1 else ''} in {plan.requests} "
        f"request{'s' if plan.requests != 1 else ''} to {client.base_url}",
        err=True,
    )
    from catalog.index.existing import existing_index

    index = None if online else existing_index(app.db_url)
    try:
        with client:
            report = run_sync(catalog, client, plan, progress, index=index)
    except SyncInterrupted as stop:
        progress.finish()
        _print_report(stop.report, fmt)
        raise  # the group says "interrupted; work already committed is kept", exits 130
    finally:
        if index is not None:
            index.close()
    progress.finish()
    if tasks:
        _sync_sources(app, ctx, tasks, fmt, report)
        return
    _print_report(report, fmt)
    if report.failed:
        from catalog.errors import ArxivUnavailable

        batches = len(report.failed)
        stopped = (
            f"; stopped after {report.stopped}, {report.not_asked} papers not asked"
            if report.stopped
            else ""
        )
        raise ArxivUnavailable(
            f"sync could not finish: {len(report.failed_ids)} papers in {batches} "
            f"batch{'es' if batches != 1 else ''} could not be fetched "
            f"({report.failed[-1].reason}){stopped}; run catalog sync again to go on"
        )
    ctx.exit(report.exit_code)


# --- the other sources ------------------------------------------------------------------------


def _source_tasks(
    app: AppContext, named: list[int], all_: bool, plan: SyncPlan, older_than: float
) -> list[SourceTask]:
    from catalog.sources import source_names
    from catalog.sync_sources import plan_source_sync

    catalog = app.catalog
    enabled = source_names()  # CATALOG_SOURCES
    if plan.mode == "ids":
        paper_ids = list(dict.fromkeys([catalog.find_paper(i).id for i in plan.ids] + named))
        return plan_source_sync(catalog, paper_ids, sources=enabled)
    days = 0 if all_ else older_than
    return plan_source_sync(catalog, sources=enabled, older_than=timedelta(days=days))


def _sync_sources(
    app: AppContext,
    ctx: click.Context,
    tasks: list[SourceTask],
    fmt: str,
    arxiv: SyncReport | None,
) -> None:
    """The published-record sources' part of a sync, after arXiv's; one report of both."""
    from catalog.sync_sources import run_source_sync

    progress = BatchProgress(sys.stderr, sys.stderr.isatty(), unit="identifiers")
    click.echo(f"sync: {plural(len(tasks), 'identifier')} at {_per_source(tasks)}", err=True)
    try:
        sources = run_source_sync(app.catalog, tasks, progress=progress)
    finally:
        progress.finish()
    if fmt == "json":
        data = _report_json(arxiv) if arxiv is not None else {}
        data["sources"] = _sources_json(sources)
        echo_json(data)
    else:
        if arxiv is not None:
            _print_report(arxiv, fmt)
        _print_sources(sources)
    if sources.interrupted:
        raise KeyboardInterrupt
    codes = [sources.exit_code] + ([arxiv.exit_code] if arxiv is not None else [])
    if 3 in codes:
        from catalog.errors import SourceUnavailable

        why = sources.failed[-1].reason if sources.failed else "arXiv could not answer"
        raise SourceUnavailable(
            f"sync could not finish: {len(sources.failed)} identifiers and "
            f"{len(arxiv.failed_ids) if arxiv else 0} arXiv papers could not be fetched "
            f"({why}); run catalog sync again to go on"
        )
    ctx.exit(max(codes))


def _per_source(tasks: list[SourceTask]) -> str:
    counts: dict[str, int] = {}
    for task in tasks:
        counts[task.source] = counts.get(task.source, 0) + 1
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def _print_sources(report: SourceSyncReport) -> None:
    done = f"{report.done} of {report.planned} identifiers"
    _echo_head("sources", report, done, bool(report.failed))
    counts = [
        ("updated", len(report.updated), ""),
        ("unchanged", len(report.unchanged), ""),
        ("not found", len(report.not_found), "unknown to the source; asked again in a month"),
        ("refused", len(report.refused), "the record contradicts the paper"),
        ("failed", len(report.failed), "could not be fetched; asked again next run"),
    ]
    echo_counts(counts)
    for source, ident, changes in report.updated:
        for name, (old, new) in changes.items():
            click.echo(f"  {ident}  {name}: {_value(old)} -> {_value(new)}  ({source})")
    for source, ident in report.not_found:
        click.echo(f"not found at {source}: {ident}")
    for source, ident, why in report.refused:
        click.echo(f"refused from {source}: {ident}: {why}")
    for failure in report.failed:
        click.echo(f"failed at {failure.source}: {failure.ident}: {failure.reason}")


def _sources_json(report: SourceSyncReport) -> dict[str, Any]:
    return {
        "complete": not report.failed and not report.interrupted,
        "planned": report.planned,
        "per_source": report.per_source,
        "requests": report.requests,
        "retries": report.retries,
        "seconds": round(report.elapsed, 3),
        "updated": [
            {"source": src, "id": str(i),
             "changes": {k: {"old": o, "new": n} for k, (o, n) in ch.items()}}
            for src, i, ch in report.updated
        ],  # fmt: skip
        "unchanged": len(report.unchanged),
        "not_found": [{"source": src, "id": str(i)} for src, i in report.not_found],
        "refused": [{"source": src, "id": str(i), "reason": r} for src, i, r in report.refused],
        "failed": [
            {"source": f.source, "id": str(f.ident), "reason": f.reason} for f in report.failed
        ],
    }


# --- progress --------------------------------------------------------------------------------

# The bar lives in catalog.cli.output (resolve draws it too); kept under its old name here.
_Progress = BatchProgress


# --- output ----------------------------------------------------------------------------------


def _print_plan(
    plan: SyncPlan,
    delay: float,
    url: str,
    fmt: str,
    *,
    nothing_due: bool = False,
    tasks: list[SourceTask] | None = None,
) -> None:
    # The shortest time the requests take at the configured spacing (retries add more).
    least = max(plan.requests - 1, 0) * delay
    if fmt == "json":
        echo_json(
            {
                "dry_run": not nothing_due,
                "mode": plan.mode,
                "papers": len(plan.ids),
                "requests": plan.requests,
                "batch_size": plan.batch_size,
                "delay": delay,
                "min_seconds": least,
                "never_synced": plan.never_synced,
                "failed_before": plan.failed_before,
                "url": url,
                "ids": plan.ids,
                "sources": [{"source": t.source, "id": str(t.ident)} for t in tasks or []],
            }
        )
        return
    if tasks:
        click.echo(
            f"would ask the sources for {plural(len(tasks), 'identifier')}: {_per_source(tasks)}"
        )
    if not plan.ids:
        if not tasks:
            what = {"due": "due", "all": "with an arXiv id", "ids": "named"}[plan.mode]
            click.echo(f"nothing to sync: no paper {what}")
        return
    click.echo(
        f"would ask {url} for {len(plan.ids)} papers in {plan.requests} "
        f"request{'s' if plan.requests != 1 else ''} of at most {plan.batch_size} ids, "
        f"{delay:g}s apart (at least {_duration(least)})"
    )
    details = []
    if plan.never_synced:
        details.append(f"{plan.never_synced} never synced")
    stale = len(plan.ids) - plan.never_synced
    if stale:
        details.append(f"{stale} synced before")
    if plan.failed_before:
        details.append(f"{plan.failed_before} not found or refused last time")
    click.echo("  " + ", ".join(details))


def _print_report(report: SyncReport, fmt: str) -> None:
    if fmt == "json":
        echo_json(_report_json(report))
        return
    done = f"{report.synced} of {report.planned} papers synced"
    _echo_head("sync", report, done, bool(report.failed))
    counts = [
        ("filled", len(report.filled), "first time from arXiv"),
        ("changed", len(report.changed), "new version, title or authors"),
        ("unchanged", len(report.unchanged), ""),
        ("not found", len(report.not_found), "unknown to arXiv"),
        ("errors", len(report.errors), "refused by arXiv"),
        ("failed", len(report.failed_ids), "could not be fetched; asked again next run"),
    ]
    if report.interrupted or report.stopped:
        why = "interrupted" if report.interrupted else f"stopped: {report.stopped}"
        counts.append(("not asked", report.not_asked, f"{why}; the next run goes on"))
    echo_counts(counts)
    if report.changed:
        click.echo("changed:")
        for change in report.changed:
            for name, (old, new) in change.changes.items():
                if name == "version":
                    when = f", {change.version_date.date()}" if change.version_date else ""
                    click.echo(f"  {change.arxiv_id}  new version v{new}{when} (was v{old})")
                else:
                    click.echo(f"  {change.arxiv_id}  {name}: {_value(old)} -> {_value(new)}")
            if "title" in change.changes:
                if change.cited_by:
                    click.echo(
                        f"  {change.arxiv_id}  title changed; cited by "
                        f"{', '.join(change.cited_by)}: run catalog check"
                    )
                else:
                    click.echo(f"  {change.arxiv_id}  title changed; no post cites it")
    if report.not_found:
        click.echo("not found on arXiv:")
        for arxiv_id in report.not_found:
            click.echo(f"  {arxiv_id}")
    if report.errors:
        click.echo("refused by arXiv:")
        for arxiv_id, message in report.errors.items():
            click.echo(f"  {arxiv_id}: {message}")
    for batch in report.failed:
        span = batch.ids[0] if len(batch.ids) == 1 else f"{batch.ids[0]} .. {batch.ids[-1]}"
        click.echo(f"failed: {len(batch.ids)} papers ({span}): {batch.reason}")


def _report_json(report: SyncReport) -> dict[str, Any]:
    return {
        "complete": report.complete,
        "interrupted": report.interrupted,
        "stopped": report.stopped,
        "not_asked": report.not_asked,
        "planned": report.planned,
        "synced": report.synced,
        "requests": report.requests,
        "retries": report.retries,
        "seconds": round(report.elapsed, 3),
        "filled": report.filled,
        "changed": [
            {
                "id": c.arxiv_id,
                "changes": {k: {"old": old, "new": new} for k, (old, new) in c.changes.items()},
                "version_date": c.version_date.isoformat() if c.version_date else None,
                "cited_by": c.cited_by,
            }
            for c in report.changed
        ],
        "unchanged": len(report.unchanged),
        "not_found": report.not_found,
        "errors": report.errors,
        "failed": [{"ids": b.ids, "reason": b.reason} for b in report.failed],
    }


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "(none)"
    return repr(value)


def _echo_head(what: str, report: SyncReport | SourceSyncReport, done: str, failed: bool) -> None:
    """A summary's first line: ``sync done: 3 of 3 papers synced in 1 request (0 retries),
    0.6s``."""
    state = "interrupted" if report.interrupted else "incomplete" if failed else "done"
    click.echo(
        f"{what} {state}: {done} in {plural(report.requests, 'request')} "
        f"({plural(report.retries, 'retry', 'retries')}), {_duration(report.elapsed)}"
    )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(math.ceil(seconds), 60)
    return f"{minutes}m{secs:02d}s"


COMMANDS = [sync]
