"""The resolve command: find the papers known only by a title or a link (see
:mod:`catalog.resolve`)."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import BatchProgress, echo_counts, echo_json, format_option, plural

if TYPE_CHECKING:
    from catalog.resolve.plan import ResolvePlan
    from catalog.resolve.rule import Candidate
    from catalog.resolve.run import Outcome, ResolveReport

# Candidates printed per paper in text (JSON has them all).
_SHOWN = 5


@click.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Say what would be filled, with every candidate's evidence and score; write nothing.",
)
@click.option(
    "--published",
    is_flag=True,
    help="For arXiv papers: find where they were published (venue, year, DOI, pages).",
)
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Without IDs: leave out papers looked for less than DAYS ago without success.",
)
@format_option("text", "json", help="Report format; json is for scripts.")
@click.pass_context
@pass_app
def resolve(
    app: AppContext,
    ctx: click.Context,
    ids: tuple[str, ...],
    dry_run: bool,
    published: bool,
    older_than: float,
    fmt: str,
) -> None:
    """Find papers the catalog knows only by a title or a link: first by the identifier
    in their link (a DOI, OpenReview, PMLR, NeurIPS, ACL Anthology or DBLP page, an arXiv
    id), then by title at DBLP, Crossref and arXiv, and fill in their authors, year and
    where they appeared. The local arXiv index (catalog harvest), when there is one, is
    asked before any of them: what it holds costs no request.

    A candidate is taken only when its title matches and an author, the year (within
    one) or the paper's link agrees with what the catalog knows, and nothing disagrees;
    a thesis, a comment or reply, an erratum or a book review is never taken for a paper.
    A paper with several such candidates, or with near misses, is reported as ambiguous
    with every candidate's evidence, and nothing is changed. Videos, slides, blog posts
    and code are never looked for.

    Without IDs: papers only posts and .bib files know (or, with --published, arXiv
    papers not yet found published), except those looked for in the last --older-than
    days without success. Papers are asked in batches, each stored as soon as it is
    done; progress goes to stderr. Exits 1 if some paper is ambiguous or was not found,
    3 if a source could not answer.

    \b
    Examples:
      catalog resolve                          every paper known only by a title or link
      catalog resolve --dry-run                what would be filled, with the evidence
      catalog resolve --published              where the arXiv papers were published
      catalog resolve doi:10.1038/nature20101 '#12'
      catalog resolve --format json | jq '.papers[] | select(.status == "ambiguous")'
    """
    from catalog.resolve.plan import plan_resolve
    from catalog.resolve.run import ResolveInterrupted, run_resolve

    older_given = ctx.get_parameter_source("older_than") is not click.core.ParameterSource.DEFAULT
    if older_given and ids:
        raise click.UsageError("--older-than picks the papers due; it goes without IDs")
    catalog = app.catalog
    plan = plan_resolve(catalog, ids, published=published, older_than=timedelta(days=older_than))
    if not plan.targets:
        _nothing(plan, fmt)
        return
    progress = BatchProgress(sys.stderr, sys.stderr.isatty(), name="resolve")
    what = plural(len(plan.targets), "arXiv paper" if published else "paper")
    why = ", for where they were published" if published else ""
    click.echo(f"resolve: {what}{why}", err=True)
    from catalog.index.existing import existing_index

    index = existing_index(app.db_url)  # asked first, when catalog harvest made one
    try:
        report = run_resolve(catalog, plan, index=index, on_progress=progress, dry_run=dry_run)
    except ResolveInterrupted as stop:
        progress.finish()
        _print_report(stop.report, fmt)
        raise
    finally:
        if index is not None:
            index.close()
    progress.finish()
    _print_report(report, fmt)
    if report.count("failed"):
        from catalog.errors import SourceUnavailable

        failed = [o for o in report.outcomes if o.status == "failed"]
        raise SourceUnavailable(
            f"resolve could not finish: {plural(len(failed), 'paper')} could not be looked up "
            f"({failed[-1].reason}); run catalog resolve again to go on"
        )
    ctx.exit(report.exit_code)


def _nothing(plan: ResolvePlan, fmt: str) -> None:
    if fmt == "json":
        echo_json({"dry_run": False, "mode": plan.mode, "planned": 0, "papers": []})
        return
    what = "arXiv paper to look up" if plan.mode == "published" else "paper known only by a title"
    note = (
        f" ({plural(plan.skipped_recent, 'paper')} looked for recently: --older-than 0)"
        if plan.skipped_recent
        else ""
    )
    click.echo(f"nothing to resolve: no {what}{note}")


# --- output ----------------------------------------------------------------------------------


def _print_report(report: ResolveReport, fmt: str) -> None:
    from catalog.resolve.run import STATUSES

    if fmt == "json":
        echo_json(report_json(report))
        return
    for outcome in report.outcomes:
        click.echo(_outcome_line(outcome, report.dry_run))
        shown = report.dry_run or outcome.status == "ambiguous"
        if shown:
            for source, candidate in _candidates(outcome)[:_SHOWN]:
                click.echo("             " + candidate_line(source, candidate))
    state = "interrupted" if report.interrupted else "dry run" if report.dry_run else "done"
    click.echo(
        f"resolve {state}: {len(report.outcomes)} of {report.planned} papers in "
        f"{plural(report.requests, 'request')} ({plural(report.retries, 'retry', 'retries')}), "
        f"{report.elapsed:.1f}s"
    )
    notes = {
        "filled": "nothing written: --dry-run" if report.dry_run else "",
        "ambiguous": "candidates above; nothing changed",
        "failed": "a source could not answer; asked again next run",
    }
    counts: list[tuple[str, int, str]] = [
        (status, report.count(status), notes.get(status, "")) for status in STATUSES
    ]
    if report.interrupted:
        counts.append(("not asked", report.not_asked, "interrupted; the next run goes on"))
    echo_counts(counts)


def _outcome_line(outcome: Outcome, dry_run: bool) -> str:
    status: str = outcome.status
    if dry_run and status == "filled":
        status = "would fill"
    head = f"{status:10} {outcome.label}  {outcome.title}"
    chosen = outcome.chosen
    if outcome.status in ("filled", "unchanged") and chosen is not None:
        rec = chosen.record
        if rec.source == "catalog":
            return f"{head}  (merged into paper {rec.source_id}: {outcome.reason})"
        by = chosen.evidence.link_detail if chosen.evidence.asked_by == "identifier" else "title"
        return f"{head}  ({rec.source}, by {by}: {outcome.reason})"
    return f"{head}  ({outcome.reason})"


def _candidates(outcome: Outcome) -> list[tuple[str, Candidate]]:
    return [(source, c) for source, decision in outcome.decisions for c in decision.candidates]


def candidate_line(source: str, candidate: Candidate) -> str:
    """One candidate and its evidence: what --dry-run prints for each."""
    rec, ev, verdict = candidate.record, candidate.evidence, candidate.verdict
    title = rec.title if len(rec.title) <= 60 else rec.title[:59] + "…"
    score = "-" if ev.title_score is None else f"{ev.title_score:.2f}"
    signals = [f"title {score}"]
    authors = ev.authors + (f" ({', '.join(ev.shared_authors)})" if ev.shared_authors else "")
    signals.append(f"authors {authors}")
    year = ev.year + (f" ({ev.year_gap:+d})" if ev.year_gap is not None else "")
    signals.append(f"year {year}")
    signals.append(f"link {ev.link}")
    verdict_text = ("accepted: " if verdict.accepted else "rejected: ") + verdict.reason
    return (
        f"{source:10} {rec.kind:11} {rec.year or '----'}  {rec.source_id or '-'}  "
        f'"{title}"  {", ".join(signals)}: {verdict_text}'
    )


def report_json(report: ResolveReport) -> dict[str, Any]:
    from catalog.resolve.run import STATUSES

    return {
        "dry_run": report.dry_run,
        "mode": report.mode,
        "planned": report.planned,
        "complete": not report.interrupted,
        "requests": report.requests,
        "retries": report.retries,
        "seconds": round(report.elapsed, 3),
        "counts": {status: report.count(status) for status in STATUSES},
        "papers": [_outcome_json(o) for o in report.outcomes],
    }


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "paper_id": outcome.paper_id,
        "label": outcome.label,
        "title": outcome.title,
        "status": outcome.status,
        "reason": outcome.reason,
        "source": outcome.source,
        "kept": outcome.kept,
        "asked": outcome.asked,
        "changes": {k: {"old": old, "new": new} for k, (old, new) in outcome.changes.items()},
        "candidates": [
            {
                "source": source,
                "record": {
                    "source": c.record.source,
                    "source_id": c.record.source_id,
                    "title": c.record.title,
                    "authors": list(c.record.authors),
                    "year": c.record.year,
                    "kind": c.record.kind,
                    "venue": c.record.venue,
                    "identifiers": [str(i) for i in c.record.identifiers],
                },
                "evidence": asdict(c.evidence),
                "accepted": c.verdict.accepted,
                "reason": c.verdict.reason,
            }
            for source, c in _candidates(outcome)
        ],
    }


COMMANDS = [resolve]
