"""The harvest command: fill and refresh the local arXiv index (see :mod:`catalog.index`)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from catalog.cli.context import AppContext, pass_app
from catalog.cli.output import echo_json, format_option, iso_date

if TYPE_CHECKING:
    from catalog.index.harvest import HarvestReport, LoadReport, Progress
    from catalog.index.store import IndexStatus


@click.command()
@click.option(
    "--set",
    "set_spec",
    metavar="SET",
    default="",
    help="An arXiv set, as arXiv names it: cs, math, physics:hep-th, cs:cs:AI (default: all).",
)
@click.option(
    "--from",
    "from_",
    metavar="YYYY-MM-DD",
    callback=iso_date,
    help="Records changed on or after this day (default: the last datestamp stored).",
)
@click.option(
    "--until", metavar="YYYY-MM-DD", callback=iso_date, help="Records changed up to this day."
)
@click.option(
    "--prefix",
    type=click.Choice(["arXivRaw", "arXiv"]),
    default="arXivRaw",
    show_default=True,
    help="Metadata format: arXivRaw has every version with its date and size.",
)
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Load arXiv's JSON-lines snapshot (plain, .gz or .zip) instead of asking OAI-PMH.",
)
@click.option("--status", is_flag=True, help="Say what the index holds and up to when.")
@format_option("text", "json", help="Summary format; json is for scripts.")
@pass_app
def harvest(
    app: AppContext,
    set_spec: str,
    from_: date | None,
    until: date | None,
    prefix: str,
    snapshot: Path | None,
    status: bool,
    fmt: str,
) -> None:
    """Keep a local copy of arXiv's metadata, harvested over OAI-PMH.

    The index lives apart from the group's papers (list and export never show it): in
    arxiv-index.sqlite beside a SQLite catalog, in tables of its own on PostgreSQL.
    Without --from a run asks only for what changed since the last datestamp stored;
    each page is committed with its resumption token, so a killed harvest goes on from
    the page it stopped at when run again. Requests go one at a time, CATALOG_OAI_DELAY
    seconds apart (default 3) to CATALOG_OAI_URL (default https://oaipmh.arxiv.org/oai).
    A progress bar with records per second shows on a terminal; the summary goes to stdout.
    Exits 2 for a bad option, file or a request arXiv refuses (badArgument), 3 when arXiv
    cannot be reached or another harvest is running.

    \b
    Examples:
      catalog harvest --snapshot arxiv-metadata-oai-snapshot.json.zip   first fill
      catalog harvest --set cs                  what changed in cs since the last run
      catalog harvest --set physics:hep-th --from 2024-01-01 --until 2024-01-31
      catalog harvest --set cs:cs:AI --prefix arXiv
      catalog harvest --status
    """
    ctx = click.get_current_context()
    given = {
        name
        for name in ("set_spec", "from_", "until", "prefix")
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    }
    if status and (given or snapshot):
        raise click.UsageError("--status goes alone (with --format)")
    if snapshot is not None and given:
        raise click.UsageError(
            "--snapshot loads a file; --set, --from, --until and --prefix are for OAI-PMH"
        )
    if from_ and until and from_ > until:
        raise click.BadParameter(f"--from {from_} is after --until {until}", param_hint="--from")
    if set_spec and not _valid_set(set_spec):
        raise click.BadParameter(
            f"{set_spec!r} is not an arXiv set; sets look like cs, math, physics:hep-th, cs:cs:AI",
            param_hint="--set",
        )

    from catalog.index.store import ArxivIndex

    with ArxivIndex.open(app.db_url) as index:
        if status:
            _print_status(index.status(), fmt)
            return
        progress = _Bar(sys.stderr, sys.stderr.isatty())
        if snapshot is not None:
            from catalog.index.harvest import load_snapshot

            if not snapshot.exists():
                raise click.BadParameter(f"{snapshot}: no such file", param_hint="--snapshot")
            click.echo(f"harvest: loading {snapshot} into {index.location}", err=True)
            try:
                loaded = load_snapshot(index, snapshot, on_progress=progress.snapshot)
            finally:
                progress.finish()
            _print_load(loaded, fmt)
            return

        from catalog.index.harvest import harvest as run_harvest
        from catalog.index.http import OaiClient

        def retrying(reason: str, wait: float) -> None:
            progress.note(f"harvest: {reason}; asking again in {wait:.1f}s")

        with OaiClient(on_retry=retrying) as http:
            click.echo(
                f"harvest: {set_spec or 'all sets'} ({prefix}) from {http.base_url} "
                f"into {index.location}",
                err=True,
            )
            try:
                report = run_harvest(
                    index,
                    http,
                    set_spec=set_spec,
                    prefix=prefix,
                    from_=from_,
                    until=until,
                    on_progress=progress.page,
                )
            finally:
                progress.finish()
        _print_harvest(report, fmt)


def _valid_set(spec: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)*", spec) is not None


# --- progress --------------------------------------------------------------------------------


class _Bar:
    """One line redrawn in place on a terminal; nothing but retries otherwise."""

    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.drawn = False

    def page(self, news: Progress) -> None:
        done = ""
        if news.list_size and news.list_done is not None:
            done = f" of {news.list_size:,} ({100 * news.list_done // max(news.list_size, 1)}%)"
        self._draw(
            f"{news.records:,} records{done}, {news.pages} pages, {news.rate:,.0f} records/s"
            + (f", up to {news.datestamp}" if news.datestamp else "")
        )

    def snapshot(self, news: Progress) -> None:
        self._draw(
            f"{news.records:,} records, {news.rate:,.0f} records/s"
            + (f", up to {news.datestamp}" if news.datestamp else "")
        )

    def note(self, line: str) -> None:
        self.finish()
        self.stream.write(line + "\n")
        self.stream.flush()

    def _draw(self, line: str) -> None:
        if not self.tty:
            return
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


# --- output ----------------------------------------------------------------------------------


def _print_harvest(report: HarvestReport, fmt: str) -> None:
    if fmt == "json":
        echo_json(
            {
                "set": report.set_spec,
                "prefix": report.prefix,
                "from": report.asked_from,
                "until": report.until,
                "outcome": report.outcome,
                "resumed": report.resumed,
                "restarts": report.restarts,
                "pages": report.pages,
                "records": report.records,
                "deleted": report.deleted,
                "skipped": report.skipped,
                "requests": report.requests,
                "retries": report.retries,
                "through": report.through,
                "seconds": round(report.elapsed, 3),
            }
        )
        return
    what = report.set_spec or "all sets"
    since = f" since {report.asked_from}" if report.asked_from else ""
    if report.outcome == "no-records":
        click.echo(f"harvest {what}: nothing new{since} (complete through {report.through})")
        return
    how = " (resumed)" if report.resumed else ""
    click.echo(
        f"harvest {what}{how}: {_n(report.records, 'record')}{since} in "
        f"{_n(report.pages, 'page')}, {_n(report.requests, 'request')} "
        f"({_n(report.retries, 'retry', 'retries')}), {report.elapsed:.1f}s"
    )
    extras = []
    if report.deleted:
        extras.append(f"{report.deleted} deleted")
    if report.skipped:
        extras.append(f"{report.skipped} in an unknown format, skipped")
    if report.restarts:
        extras.append(
            f"{report.restarts} expired token(s): list asked again from the stored datestamp"
        )
    for line in extras:
        click.echo(f"  {line}")
    if report.through is not None:
        click.echo(f"  {what} complete through {report.through}")
    else:
        click.echo(
            "  the list began after the datestamp already covered: "
            "run without --from to fill the gap"
        )


def _print_load(report: LoadReport, fmt: str) -> None:
    if fmt == "json":
        echo_json(
            {
                "file": report.file,
                "records": report.records,
                "through": report.through,
                "seconds": round(report.elapsed, 3),
                "records_per_second": round(report.rate),
            }
        )
        return
    click.echo(
        f"snapshot {report.file}: {report.records:,} records in {report.elapsed:.1f}s "
        f"({report.rate:,.0f} records/s), newest update {report.through}"
    )


def _print_status(status: IndexStatus, fmt: str) -> None:
    if fmt == "json":
        echo_json(_status_json(status))
        return
    click.echo(f"arXiv index: {status.location}")
    click.echo(
        f"  records    {status.records:>12,}"
        + (f"  ({status.deleted:,} deleted)" if status.deleted else "")
    )
    click.echo(f"  versions   {status.versions:>12,}  ({status.withdrawn:,} papers withdrawn)")
    click.echo(f"  on disk    {_size(status.bytes_on_disk):>12}")
    if status.oldest:
        click.echo(f"  datestamps {status.oldest} to {status.newest}")
    if not status.harvests and not status.snapshots:
        click.echo("  empty: run catalog harvest --snapshot FILE or catalog harvest --set SET")
    for snap in status.snapshots:
        click.echo(
            f"  snapshot   {snap.file}: {snap.records:,} records through {snap.through}"
            f" (loaded {snap.loaded:%Y-%m-%d %H:%M})"
        )
    width = max((len(s.set_spec or "(all)") for s in status.harvests), default=0)
    for state in status.harvests:
        name = state.set_spec or "(all)"
        line = f"  set {name:{width}} through {state.through or '-'}"
        if state.token:
            line += (
                f"; a list from {state.list_from or 'the start'} is under way"
                f" ({state.list_records:,} records in {state.list_pages} pages):"
                " catalog harvest goes on from there"
            )
        elif state.finished:
            line += f" (last run {state.finished:%Y-%m-%d %H:%M})"
        click.echo(line)


def _status_json(status: IndexStatus) -> dict[str, Any]:
    return {
        "location": status.location,
        "records": status.records,
        "deleted": status.deleted,
        "versions": status.versions,
        "withdrawn": status.withdrawn,
        "oldest": status.oldest,
        "newest": status.newest,
        "bytes_on_disk": status.bytes_on_disk,
        "snapshots": [
            {"file": s.file, "records": s.records, "through": s.through, "loaded": s.loaded}
            for s in status.snapshots
        ],
        "sets": [
            {
                "set": s.set_spec,
                "prefix": s.prefix,
                "through": s.through,
                "in_progress": s.token is not None,
                "list_from": s.list_from,
                "list_until": s.list_until,
                "list_pages": s.list_pages,
                "list_records": s.list_records,
                "finished": s.finished,
            }
            for s in status.harvests
        ],
    }


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


COMMANDS = [harvest]
