"""Filling the index: an OAI-PMH harvest (incremental, resumable) or a snapshot load.

A harvest of a set (``cs``, ``math``, ``physics:hep-th``, ``cs:cs:AI``; none for all):

* without ``from_``, a run asks from the last datestamp stored for that set (its own
  finished harvests, those of a set holding it, or a snapshot load); with no such
  datestamp, from the beginning;
* a stored resumption token (a run that was killed) is used first, so the harvest goes
  on from the page after the last one stored; a given ``from_``, ``until`` or prefix that
  differs from the stored list's starts a new list instead;
* ``noRecordsMatch`` ends the run cleanly; ``badResumptionToken`` (tokens expire)
  starts the list again from the stored datestamp: the newest one stored when the list's
  datestamps came in order, else the datestamp the list began from, so nothing is
  missed; ``badArgument`` and the other protocol errors stop with arXiv's message;
* a page that is not complete XML (truncated) is asked again, with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Protocol, TypeVar

from catalog.errors import ArxivUnavailable, CatalogError
from catalog.index.oai import list_records_params, resume_params
from catalog.index.pages import PageParser, PagesAhead, ReadPage
from catalog.index.store import ArxivIndex, HarvestState, Rows, now

TOKEN_RESTARTS = 3  # badResumptionToken restarts in one run, at most
SNAPSHOT_BATCH = 10_000


class HarvestRefused(CatalogError):
    """arXiv refused the request itself (badArgument and the like): asking again won't help."""

    exit_code = 2


@dataclass
class Progress:
    """News after each stored page (or snapshot batch), for a progress bar."""

    records: int  # stored in this run
    pages: int
    elapsed: float
    datestamp: date | None = None  # the newest datestamp stored in this run
    list_size: int | None = None  # completeListSize, when the server says
    list_done: int | None = None  # records of the list stored, counting earlier runs

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class HarvestReport:
    set_spec: str
    prefix: str
    asked_from: date | None
    until: date | None
    outcome: str = "done"  # "done" | "no-records"
    resumed: bool = False  # went on from a stored resumption token
    restarts: int = 0  # badResumptionToken restarts
    pages: int = 0
    records: int = 0
    deleted: int = 0
    skipped: int = 0  # records in a metadata format this reader does not know
    requests: int = 0
    retries: int = 0
    through: date | None = None
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed > 0 else 0.0


OnProgress = Callable[[Progress], None]
P = TypeVar("P")


class PageSource(Protocol):
    """Where a harvest's pages come from: :class:`catalog.index.http.OaiClient` (the
    benchmark gives bodies it fetched before, to time the same loop)."""

    base_url: str

    @property
    def requests(self) -> int: ...

    @property
    def retries(self) -> int: ...

    def fetch(self, params: dict[str, str], parse: Callable[[IO[bytes]], P]) -> P: ...


def harvest(
    index: ArxivIndex,
    http: PageSource,
    *,
    set_spec: str = "",
    prefix: str = "arXivRaw",
    from_: date | None = None,
    until: date | None = None,
    on_progress: OnProgress | None = None,
) -> HarvestReport:
    """Harvest ``set_spec`` into ``index`` until the list ends. Every page is committed
    with its state; the next page is fetched and parsed while one is stored
    (:mod:`catalog.index.pages`), so an interruption loses at most the page being
    stored and the one being fetched, and the next run goes on after the last stored."""
    started = time.monotonic()
    with index.exclusive():
        index.tune_for_pages()
        state = index.harvest_state(set_spec)
        resume = (
            state is not None
            and state.token is not None
            and state.prefix == prefix
            and (from_ is None or from_ == state.list_from)
            and (until is None or until == state.list_until)
        )
        covered = index.coverage(set_spec)
        if resume:
            assert state is not None
            until = state.list_until
            asked_from = state.list_from
        else:
            asked_from = from_ if from_ is not None else covered
            state = _new_list(state, set_spec, prefix, asked_from, until)
            index.save_state(state)
        report = HarvestReport(set_spec, prefix, asked_from, until, resumed=resume)
        token = state.token
        params = (
            resume_params(token)
            if token
            else list_records_params(prefix, set_spec or None, asked_from, until)
        )
        with (
            PageParser(index.dialect) as parser,
            index.pages(),
            PagesAhead(lambda asked: http.fetch(asked, parser.parse)) as ahead,
        ):
            ahead.ask(params)
            while True:
                page = ahead.get()
                error = page.error
                if error is not None:
                    if error.code == "noRecordsMatch":
                        report.outcome = "no-records" if report.records == 0 else "done"
                        break
                    if error.code == "badResumptionToken" and token:
                        report.restarts += 1
                        if report.restarts > TOKEN_RESTARTS:
                            raise ArxivUnavailable(
                                f"{http.base_url} refused {TOKEN_RESTARTS + 1} resumption "
                                f"tokens in a row ({error.message}); run again later"
                            )
                        restart = (
                            state.list_max_datestamp
                            if state.list_ordered and state.list_max_datestamp
                            else state.list_from
                        )
                        token = state.token = None
                        index.save_state(state)
                        params = list_records_params(prefix, set_spec or None, restart, until)
                        ahead.ask(params)
                        continue
                    raise _refusal(http.base_url, params, error.code, error.message)
                token = page.token
                if token:  # the next page is fetched and parsed while this one is stored
                    params = resume_params(token)
                    ahead.ask(params)
                _advance(state, page, token)
                index.store_page(page.rows, state)
                report.pages += 1
                report.records += page.live
                report.deleted += page.deleted
                report.skipped += page.skipped
                if on_progress is not None:
                    on_progress(
                        Progress(
                            records=report.records,
                            pages=report.pages,
                            elapsed=time.monotonic() - started,
                            datestamp=state.list_max_datestamp,
                            list_size=state.list_size,
                            list_done=state.list_records,
                        )
                    )
                if not token:
                    break
        _finish_list(state, covered)
        index.save_state(state)
    report.through = state.through
    report.requests, report.retries = http.requests, http.retries
    report.elapsed = time.monotonic() - started
    return report


def _new_list(
    old: HarvestState | None, set_spec: str, prefix: str, from_: date | None, until: date | None
) -> HarvestState:
    return HarvestState(
        set_spec=set_spec,
        prefix=prefix,
        list_from=from_,
        list_until=until,
        through=old.through if old else None,
        started=now(),
        updated=now(),
    )


def _advance(state: HarvestState, page: ReadPage, token: str | None) -> None:
    """The state as it is once ``page`` is stored (saved in the same transaction)."""
    newest = state.list_max_datestamp
    for stamp in page.datestamps:
        if stamp is None:
            continue
        if newest is not None and stamp < newest:
            state.list_ordered = False
        newest = stamp if newest is None else max(newest, stamp)
    state.list_max_datestamp = newest
    state.token = token or None
    state.list_pages += 1
    state.list_records += page.records
    if page.complete_list_size is not None:
        state.list_size = page.complete_list_size
    state.updated = now()


def _finish_list(state: HarvestState, covered: date | None) -> None:
    """A complete list: its records are all stored, up to the newest datestamp seen. It
    moves ``through`` on only when it began at or before what was already covered
    (``covered``: this set's, a set holding it, a snapshot), so a list that leaves a gap
    never makes a later run skip the gap. With nothing covered yet, ``--from`` is where
    the user chose the index to begin."""
    newest = state.list_max_datestamp
    start = state.list_from
    contiguous = start is None or covered is None or start <= covered
    if newest is not None and contiguous:
        state.through = newest if state.through is None else max(state.through, newest)
    state.token = None
    state.finished = now()
    state.updated = state.finished


def _refusal(url: str, params: dict[str, str], code: str, message: str) -> CatalogError:
    asked = " ".join(f"{k}={v}" for k, v in params.items() if k != "verb")
    hints = {
        "badArgument": "check --set, --from and --until",
        "cannotDisseminateFormat": "use --prefix arXivRaw or --prefix arXiv",
        "noSetHierarchy": "this server has no sets: leave out --set",
        "badResumptionToken": "run again without a stored token",
    }
    hint = hints.get(code, "")
    text = f"{url} refused the request ({asked}): {code or 'error'}: {message or 'no message'}"
    if code in hints or not code:
        return HarvestRefused(text + (f"; {hint}" if hint else ""))
    return ArxivUnavailable(text)


# -- snapshot ------------------------------------------------------------------------------


@dataclass
class LoadReport:
    file: str
    records: int = 0
    lines: int = 0
    through: date | None = None
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed > 0 else 0.0


def load_snapshot(
    index: ArxivIndex,
    path: Path,
    *,
    batch_size: int = SNAPSHOT_BATCH,
    on_progress: OnProgress | None = None,
    parallel: bool | None = None,
) -> LoadReport:
    """Load arXiv's JSON-lines snapshot, committing every ``batch_size`` records.

    A load that stops (a damaged line, Ctrl-C) keeps the batches stored; loading the file
    again upserts, so nothing is doubled. The snapshot's newest ``update_date`` counts for
    incremental harvests only once the whole file is in. The file is parsed in a second
    process (``parallel``; by default for files of 8 MB or more) while batches are stored.
    """
    from catalog.index.snapshot import read_batches, read_rows

    started = time.monotonic()
    report = LoadReport(file=str(path))
    if parallel is None:
        parallel = path.stat().st_size >= 8 * 1024 * 1024  # below, not worth a process
    batches: Iterator[tuple[int, Rows]] = (
        read_batches(path, batch_size, index.dialect)
        if parallel
        else read_rows(path, batch_size, index.dialect)
    )
    with index.exclusive():
        with index.bulk_load():
            for number, rows in batches:
                report.lines = number
                index.store(rows, new_first=True)
                report.records += len(rows.records)
                newest = rows.newest()
                if newest is not None and (report.through is None or newest > report.through):
                    report.through = newest
                if on_progress is not None:
                    elapsed = time.monotonic() - started
                    on_progress(Progress(report.records, 0, elapsed, report.through))
        index.analyze()
        index.record_snapshot(path.name, report.records, report.through)
    report.elapsed = time.monotonic() - started
    return report
