"""Refresh the catalog from arXiv: plan which papers to ask, then ask them batch by batch.

:func:`plan_sync` chooses the papers (named ones, all, or those due) and says how many
requests that takes; :func:`run_sync` fetches them with an :class:`ArxivClient` and stores
each batch in its own transaction, so an interrupted sync keeps every batch already done
and the next run goes on from there (a stored paper has a fresh ``synced_at``).

Ids arXiv does not know, and ids it answers with an error entry, are recorded too, without
touching what the paper holds: ``sync_error`` says why and ``sync_attempted_at`` when
(migration 0004); ``synced_at`` keeps meaning "last filled from arXiv". A paper is due when
neither was set within ``older_than``, so an unknown id is asked again a month later rather
than on every run.

Faults are the client's to retry; what is left to the sync: a batch that still fails goes
in the report and the next batches are asked (the next run asks it again); a batch of
which arXiv knew no id at all after re-asks is taken for such a failure too; three failed
batches in a row stop the sync (arXiv is down), the rest left for the next run.

With the local arXiv index (``catalog harvest``; ``index=`` of :func:`run_sync`), a paper
the index holds at least as new as the catalog's copy (the same version or a later one)
is taken from it, with no request, in batches of its own; the rest is asked of arXiv.

No click here: the command in :mod:`catalog.cli.sync` renders progress and the report.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col

from catalog.errors import InvalidArxivId, NotFound
from catalog.progress import BatchNews
from catalog.sources.arxiv.client import ArxivClient, BatchResult, ClientEvent
from catalog.store.catalog import Catalog, as_utc, upsert_arxiv_record, utcnow
from catalog.store.models import Paper, Presentation, PresentationPaper, Session

if TYPE_CHECKING:
    from catalog.index.store import ArxivIndex
    from catalog.records import ArxivRecord

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_OLDER_THAN",
    "FailedBatch",
    "PaperChange",
    "SyncInterrupted",
    "SyncPlan",
    "SyncProgress",
    "SyncReport",
    "named_papers",
    "plan_sync",
    "run_sync",
]

# Well above the 100 ids a request must carry at least, well below arXiv's 2,000-entry cap;
# a failed batch costs at most this many papers until the next run.
DEFAULT_BATCH_SIZE = 200
DEFAULT_OLDER_THAN = timedelta(days=30)
NOT_FOUND = "not found on arXiv"
# A batch this large of which arXiv knows no id at all is taken for an arXiv anomaly.
ALL_MISSING_SUSPECT = 10
# After this many failed batches in a row arXiv is taken to be down: asking for the rest
# would only cost minutes of backoff each and load a struggling service.
GIVE_UP_AFTER = 3


# --- plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncPlan:
    """Which papers a sync asks for, in order, and how they are batched."""

    ids: list[str]  # canonical arXiv ids (the catalog's), never synced first, then stalest
    mode: Literal["ids", "all", "due"]
    batch_size: int = DEFAULT_BATCH_SIZE
    older_than: timedelta | None = None  # for mode "due"
    never_synced: int = 0  # of ``ids``: papers never filled from arXiv
    failed_before: int = 0  # of ``ids``: papers arXiv did not know (or refused) last time

    @property
    def requests(self) -> int:
        """Requests the sync takes when nothing has to be retried."""
        return math.ceil(len(self.ids) / self.batch_size)


def plan_sync(
    catalog: Catalog,
    which: Sequence[str] | Literal["all", "due"] = "due",
    *,
    older_than: timedelta = DEFAULT_OLDER_THAN,
    batch_size: int = DEFAULT_BATCH_SIZE,
    now: datetime | None = None,
) -> SyncPlan:
    """Plan a sync of the papers ``which`` names: ids (any accepted form), "all" papers
    with an arXiv id, or the "due" ones (never synced, or synced before ``older_than`` ago).

    Raises :class:`InvalidArxivId` for malformed ids and :class:`NotFound` naming every id
    that is not in the catalog; nothing is planned from a half-valid list.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    cutoff = (now or utcnow()) - older_than
    with catalog.read() as s:
        stmt = select(
            col(Paper.arxiv_id),
            col(Paper.synced_at),
            col(Paper.sync_attempted_at),
            col(Paper.sync_error),
        ).where(col(Paper.arxiv_id).is_not(None))
        if which == "due":
            stmt = stmt.where(
                or_(col(Paper.synced_at).is_(None), col(Paper.synced_at) < cutoff),
                or_(
                    col(Paper.sync_attempted_at).is_(None),
                    col(Paper.sync_attempted_at) < cutoff,
                ),
            )
        rows: list[_Row]
        if isinstance(which, str):
            rows = [_row(a, t, at, e) for a, t, at, e in s.execute(stmt) if a]
        else:
            wanted = _parse_ids(which)
            found: dict[str, _Row] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for a, t, at, e in s.execute(stmt.where(col(Paper.arxiv_id).in_(chunk))):
                    if a:
                        found[a] = _row(a, t, at, e)
            unknown = [i for i in wanted if i not in found]
            if unknown:
                raise NotFound(
                    f"not in the catalog: {', '.join(unknown)} (add them with catalog add)"
                )
            rows = [found[i] for i in wanted]
    if isinstance(which, str):
        # Never asked first, then the stalest: an interrupted sync did the most needed.
        rows.sort(key=lambda r: (r.touched is not None, r.touched or cutoff, r.arxiv_id))
    mode: Literal["ids", "all", "due"] = "ids"
    if which == "all" or which == "due":
        mode = which
    return SyncPlan(
        ids=[r.arxiv_id for r in rows],
        mode=mode,
        batch_size=batch_size,
        older_than=older_than if mode == "due" else None,
        never_synced=sum(r.synced_at is None for r in rows),
        failed_before=sum(r.error is not None for r in rows),
    )


def named_papers(catalog: Catalog, refs: Sequence[str]) -> tuple[list[str], list[int]]:
    """What ``catalog sync ID...`` is asked to refresh: the arXiv ids among ``refs`` (any
    accepted form, passed on to :func:`plan_sync` as given) and the catalog numbers of the
    papers the other refs name (a DOI, an OpenReview, PMLR, NeurIPS, ACL or DBLP id or
    page, a citation key, ``#N`` or ``N``). A named paper with an arXiv id is refreshed
    from arXiv too.

    Raises :class:`InvalidIdentifier` naming a ref that is no identifier and no paper's
    key or number, and :class:`NotFound` naming identifiers the catalog does not hold.
    """
    from catalog.errors import InvalidIdentifier
    from catalog.sources.arxiv.ids import parse_arxiv_id
    from catalog.sources.ids import parse_identifier

    arxiv: list[str] = []
    papers: list[int] = []
    missing: list[str] = []
    for ref in refs:
        try:
            parse_arxiv_id(ref)
        except InvalidArxivId:
            pass
        else:
            arxiv.append(ref)
            continue
        text = ref.strip()
        number = text[1:] if text.startswith("#") and text[1:].isdigit() else text
        try:
            paper = catalog.find_paper(number)
        except NotFound:
            try:
                parse_identifier(text)
            except InvalidIdentifier:
                raise InvalidIdentifier(
                    ref, "nor the citation key or number of a catalogued paper: see catalog list"
                ) from None
            missing.append(ref)
            continue
        papers.append(paper.id)
        if paper.arxiv_id:
            arxiv.append(paper.arxiv_id)
    if missing:
        raise NotFound(f"not in the catalog: {', '.join(missing)} (add them with catalog add)")
    return list(dict.fromkeys(arxiv)), list(dict.fromkeys(papers))


@dataclass(frozen=True)
class _Row:
    arxiv_id: str
    synced_at: datetime | None
    touched: datetime | None  # the later of synced_at and sync_attempted_at
    error: str | None


def _row(
    arxiv_id: str, synced: datetime | None, attempted: datetime | None, error: str | None
) -> _Row:
    synced, attempted = as_utc(synced), as_utc(attempted)
    touched = max((t for t in (synced, attempted) if t is not None), default=None)
    return _Row(arxiv_id, synced, touched, error)


def _parse_ids(texts: Sequence[str]) -> list[str]:
    """Canonical ids, deduplicated in given order; one error naming every bad one."""
    from catalog.sources.arxiv.ids import parse_arxiv_id

    ids: dict[str, None] = {}
    bad: list[str] = []
    for text in texts:
        try:
            ids.setdefault(parse_arxiv_id(text).id)
        except InvalidArxivId:
            bad.append(text)
    if len(bad) == 1:
        parse_arxiv_id(bad[0])  # raises, with its hint
    if bad:
        listed = ", ".join(repr(b) for b in bad)
        raise InvalidArxivId(" ".join(bad), f"{len(bad)} malformed ids: {listed}")
    return list(ids)


# --- report ----------------------------------------------------------------------------------


@dataclass
class PaperChange:
    """A paper arXiv had already filled whose version, title or authors changed."""

    arxiv_id: str
    paper_id: int
    changes: dict[str, tuple[Any, Any]]  # "version" | "title" | "authors" -> (old, new)
    version_date: datetime | None = None  # date of the new version
    cited_by: list[str] = field(default_factory=list)  # posts citing it, if the title changed


@dataclass
class FailedBatch:
    ids: list[str]
    reason: str


@dataclass
class SyncReport:
    planned: int
    filled: list[str] = field(default_factory=list)  # first time filled from arXiv
    changed: list[PaperChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # id -> arXiv's error message
    failed: list[FailedBatch] = field(default_factory=list)
    batches_done: int = 0
    batches: int = 0
    requests: int = 0
    retries: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    stopped: str | None = None  # why the sync gave up before asking every batch
    from_index: int = 0  # papers taken from the local arXiv index, with no request

    @property
    def not_asked(self) -> int:
        return self.planned - self.done

    @property
    def synced(self) -> int:
        return len(self.filled) + len(self.changed) + len(self.unchanged)

    @property
    def failed_ids(self) -> list[str]:
        return [i for batch in self.failed for i in batch.ids]

    @property
    def done(self) -> int:
        """Papers whose batch is over (stored, not found, error or failed)."""
        return self.synced + len(self.not_found) + len(self.errors) + len(self.failed_ids)

    @property
    def complete(self) -> bool:
        return not self.failed and not self.interrupted

    @property
    def exit_code(self) -> int:
        """3: some batch could not be fetched; 1: some ids unknown or refused; else 0."""
        if self.failed:
            return 3
        if self.not_found or self.errors:
            return 1
        return 0


SyncProgress = BatchNews  # what sync's progress display is told


class SyncInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sync; ``report`` says what was done (and kept) before it."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__("sync interrupted")
        self.report = report


# --- run -------------------------------------------------------------------------------------


@dataclass
class _Stored:
    filled: list[str] = field(default_factory=list)
    changed: list[PaperChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def run_sync(
    catalog: Catalog,
    client: ArxivClient,
    plan: SyncPlan,
    on_progress: Callable[[SyncProgress], None] | None = None,
    *,
    give_up_after: int = GIVE_UP_AFTER,
    index: ArxivIndex | None = None,
) -> SyncReport:
    """Fetch ``plan.ids`` with ``client`` and store each batch in its own transaction;
    with ``index``, the papers it holds at least as new as the catalog are taken from it.

    A batch that fails after the client's retries is reported and the others go on,
    unless ``give_up_after`` batches fail in a row: then the rest is left for next time.
    Ctrl-C raises :class:`SyncInterrupted` carrying the report of the batches done.
    The client's batch size should be ``plan.batch_size`` for the plan's request count
    to hold.
    """
    report = SyncReport(planned=len(plan.ids), batches=plan.requests)
    started = time.monotonic()
    previous = client.on_event

    def progress(kind: Literal["request", "retry", "batch"], detail: str) -> None:
        if on_progress is not None:
            on_progress(SyncProgress.of(kind, report, report.done, detail))

    def on_event(event: ClientEvent) -> None:
        if previous is not None:
            previous(event)
        # Counted from events, not from batch results, so a batch cut short by Ctrl-C counts.
        if event.kind == "request":
            report.requests += 1
            progress("request", event.detail)
        elif event.kind == "retry":
            report.retries += 1
            progress("retry", event.detail)

    client.on_event = on_event
    failed_in_row = 0
    ask = plan.ids
    try:
        if index is not None:
            held = _from_index(catalog, index, plan.ids)
            ask = [i for i in plan.ids if i not in held]
            taken = [i for i in plan.ids if i in held]
            for start in range(0, len(taken), plan.batch_size):
                chunk = taken[start : start + plan.batch_size]
                batch = BatchResult(ids=chunk, records={i: held[i] for i in chunk})
                _take_batch(catalog, batch, report)
                report.from_index += len(chunk)
                progress("batch", f"{len(chunk)} papers from the local arXiv index")
            report.batches = math.ceil(len(ask) / plan.batch_size)
        for batch in client.iter_batches(ask) if ask else ():
            _take_batch(catalog, batch, report)
            report.batches_done += 1
            progress("batch", _batch_line(batch, report))
            last_failed = bool(report.failed) and report.failed[-1].ids == batch.ids
            failed_in_row = failed_in_row + 1 if last_failed else 0
            if failed_in_row >= give_up_after and report.not_asked:
                report.stopped = f"{failed_in_row} batches failed in a row"
                break
        _find_citations(catalog, report)
    except KeyboardInterrupt as exc:
        report.interrupted = True
        report.elapsed = time.monotonic() - started
        raise SyncInterrupted(report) from exc
    finally:
        client.on_event = previous
    report.elapsed = time.monotonic() - started
    return report


def _from_index(catalog: Catalog, index: ArxivIndex, ids: Sequence[str]) -> dict[str, ArxivRecord]:
    """arXiv's records of ``ids`` that the index holds at least as new as the catalog's
    copy (its latest version is the catalog's or later), not deleted, with dates."""
    found: dict[str, ArxivRecord] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        with catalog.read() as s:
            versions = dict(
                s.execute(
                    select(col(Paper.arxiv_id), col(Paper.version)).where(
                        col(Paper.arxiv_id).in_(chunk)
                    )
                ).all()
            )
        for arxiv_id, rec in index.get_many(chunk).items():
            have = versions.get(arxiv_id)
            if rec.deleted or (have is not None and rec.version < have):
                continue
            try:
                found[arxiv_id] = rec.to_arxiv_record()
            except ValueError:  # no version date: arXiv's own answer is needed
                continue
    return found


def _take_batch(catalog: Catalog, batch: BatchResult, report: SyncReport) -> None:
    failure = batch.failure
    if failure is None and _all_missing(batch):
        # arXiv sometimes answers well-formed but empty feeds; after the client's re-asks a
        # whole batch still empty is far likelier that than 10+ unknown ids. Recording them
        # as not found would skip them for a month; as a failure, the next run asks again.
        failure = f"arXiv answered no entry for any of the {len(batch.ids)} ids, repeatedly"
    if failure is not None:
        report.failed.append(FailedBatch(list(batch.ids), failure))
        return
    stored = catalog.write(lambda s: _store_batch(s, batch))
    # The report grows only after the commit: it never claims a batch that was rolled back.
    report.filled += stored.filled
    report.changed += stored.changed
    report.unchanged += stored.unchanged
    report.not_found += batch.missing
    report.errors.update(batch.errors)


def _all_missing(batch: BatchResult) -> bool:
    return (
        len(batch.ids) >= ALL_MISSING_SUSPECT
        and not batch.records
        and not batch.errors
        and len(batch.missing) == len(batch.ids)
    )


def _store_batch(s: DbSession, batch: BatchResult) -> _Stored:
    """Store one batch's records and mark its unknown ids, in the caller's transaction."""
    out = _Stored()
    # Papers that had no arXiv metadata before are "filled", not "changed": their post or
    # .bib title giving way to arXiv's is expected, not news.
    had_arxiv = {
        a
        for (a,) in s.execute(
            select(col(Paper.arxiv_id)).where(
                col(Paper.arxiv_id).in_(batch.ids), col(Paper.version).is_not(None)
            )
        )
    }
    for arxiv_id, record in batch.records.items():
        result = upsert_arxiv_record(s, record)
        if arxiv_id not in had_arxiv:
            out.filled.append(arxiv_id)
        elif result.changes:
            date = as_utc(record.updated) if "version" in result.changes else None
            out.changed.append(PaperChange(arxiv_id, result.paper_id, result.changes, date))
        else:
            out.unchanged.append(arxiv_id)
    now = utcnow()
    attempts: list[tuple[list[str], str | None]] = [(list(batch.records), None)]
    attempts += [([i], NOT_FOUND) for i in batch.missing]
    attempts += [([i], message) for i, message in batch.errors.items()]
    for ids, error in attempts:
        if ids:
            s.execute(
                update(Paper)
                .where(col(Paper.arxiv_id).in_(ids))
                .values(sync_attempted_at=now, sync_error=error)
            )
    return out


def _batch_line(batch: BatchResult, report: SyncReport) -> str:
    head = f"batch {report.batches_done}/{report.batches}: {len(batch.ids)} papers"
    if report.failed and report.failed[-1].ids == batch.ids:
        return f"{head}: failed ({report.failed[-1].reason})"
    parts = [f"{len(batch.records)} synced"]
    if batch.missing:
        parts.append(f"{len(batch.missing)} not found")
    if batch.errors:
        parts.append(f"{len(batch.errors)} errors")
    return f"{head}: {', '.join(parts)}"


def _find_citations(catalog: Catalog, report: SyncReport) -> None:
    """For each paper whose title changed, the posts (sessions) that cite it."""
    retitled = {c.paper_id: c for c in report.changed if "title" in c.changes}
    if not retitled:
        return
    ids = list(retitled)
    with catalog.read() as s:
        for start in range(0, len(ids), 500):
            rows = s.execute(
                select(
                    col(PresentationPaper.paper_id), col(Session.source_path), col(Session.slug)
                )
                .join(Presentation, col(Presentation.id) == col(PresentationPaper.presentation_id))
                .join(Session, col(Session.id) == col(Presentation.session_id))
                .where(col(PresentationPaper.paper_id).in_(ids[start : start + 500]))
                .distinct()
                .order_by(col(Session.source_path), col(Session.slug))
            )
            for paper_id, path, slug in rows:
                if paper_id is None:
                    continue
                cited = retitled[paper_id].cited_by
                where = path or slug
                if where not in cited:
                    cited.append(where)
