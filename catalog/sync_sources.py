"""Refresh papers from the published-record sources they came from (Crossref, DBLP,
OpenReview, the proceedings sites), beside :mod:`catalog.sync`'s arXiv.

A paper came from a source when that source set one of its fields (``field_sources``);
it is refreshed from it by the identifier the source knows it by (Crossref by its DOI,
DBLP by its key, OpenReview by its note id, PMLR, NeurIPS and ACL Anthology by their
page ids). Each identifier remembers when its source last gave a record
(``paper_identifier.synced_at``) and when it was last asked and why it gave none
(``sync_attempted_at``, ``sync_error``; migration 0009), so the guarantees are those of
the arXiv sync:

* **planned**: an identifier is due when neither time is within ``older_than``; named
  papers are asked whatever their times;
* **batched per source**: :data:`BATCH_SIZE` identifiers of one source per call (Crossref
  asks 40 DOIs in one request; the others one page each, at their own spacing), each
  batch stored in its own transaction, so an interrupted sync keeps what it stored and
  the next run goes on from there;
* **reported**: updated, unchanged, not found (marked: asked again a month later) and
  failed (not marked: asked again next run); exit codes as the arXiv sync's.

Records are stored with :func:`catalog.store.works.store_work` onto the paper that
holds the identifier, so the precedence rule (:mod:`catalog.store.provenance`) decides
what changes and arXiv stays the source of the preprint's fields.

No click here: :mod:`catalog.cli.sync` renders the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from catalog.progress import BatchNews
from catalog.records import Identifier
from catalog.store.catalog import Catalog, as_utc, utcnow

__all__ = [
    "BATCH_SIZE",
    "SCHEME_SOURCES",
    "SourceFailure",
    "SourceSyncReport",
    "SourceTask",
    "plan_source_sync",
    "run_source_sync",
]

BATCH_SIZE = 40  # a Crossref request's worth of DOIs
# Which source refreshes a paper by which of its identifiers.
SCHEME_SOURCES = {
    "doi": "crossref",
    "dblp": "dblp",
    "openreview": "openreview",
    "pmlr": "proceedings",
    "neurips": "proceedings",
    "acl": "proceedings",
}
SOURCE_ORDER = ("crossref", "dblp", "openreview", "proceedings")


@dataclass(frozen=True)
class SourceTask:
    """One identifier to ask its source for, and the paper it belongs to."""

    source: str
    ident: Identifier
    paper_id: int


@dataclass
class SourceFailure:
    source: str
    ident: Identifier
    reason: str


@dataclass
class SourceSyncReport:
    planned: int
    updated: list[tuple[str, Identifier, dict[str, Any]]] = field(default_factory=list)
    unchanged: list[tuple[str, Identifier]] = field(default_factory=list)
    not_found: list[tuple[str, Identifier]] = field(default_factory=list)
    failed: list[SourceFailure] = field(default_factory=list)
    refused: list[tuple[str, Identifier, str]] = field(default_factory=list)
    per_source: dict[str, int] = field(default_factory=dict)  # identifiers planned, by source
    batches: int = 0
    batches_done: int = 0
    requests: int = 0
    retries: int = 0
    elapsed: float = 0.0
    interrupted: bool = False

    @property
    def done(self) -> int:
        return (
            len(self.updated) + len(self.unchanged) + len(self.not_found) + len(self.failed)
            + len(self.refused)
        )  # fmt: skip

    @property
    def exit_code(self) -> int:
        """As the arXiv sync's: 3 when a source could not answer, 1 when it did not know
        an identifier (or its record contradicts the paper), else 0."""
        if self.failed:
            return 3
        if self.not_found or self.refused:
            return 1
        return 0


def plan_source_sync(
    catalog: Catalog,
    paper_ids: Sequence[int] | None = None,
    *,
    sources: Sequence[str] = SOURCE_ORDER,
    older_than: timedelta = timedelta(days=30),
    now: datetime | None = None,
) -> list[SourceTask]:
    """The identifiers to refresh, in source order then catalog order: of ``paper_ids``
    whatever their times, else every paper's that is due; only from the ``sources``
    each paper came from."""
    from sqlalchemy import select
    from sqlmodel import col

    from catalog.store.models import Paper, PaperIdentifier

    cutoff = (now or utcnow()) - older_than
    stmt = (
        select(
            col(PaperIdentifier.paper_id), col(PaperIdentifier.scheme),
            col(PaperIdentifier.value), col(PaperIdentifier.synced_at),
            col(PaperIdentifier.sync_attempted_at), col(Paper.field_sources),
        )
        .join(Paper, col(Paper.id) == col(PaperIdentifier.paper_id))
        .where(col(PaperIdentifier.scheme).in_(sorted(SCHEME_SOURCES)))
        .order_by(col(PaperIdentifier.paper_id), col(PaperIdentifier.id))
    )  # fmt: skip
    wanted = set(paper_ids) if paper_ids is not None else None
    # One identifier per paper and source (a NeurIPS paper has an old and a new page id:
    # one page refreshes it), the one the source answered for before if any; a paper is
    # due for a source when none of its identifiers there was answered or asked lately.
    groups: dict[tuple[int, str], list[tuple[Identifier, datetime | None, bool]]] = {}
    with catalog.read() as s:
        for pid, scheme, value, synced, attempted, fields in s.execute(stmt):
            source = SCHEME_SOURCES[scheme]
            if pid is None or source not in sources or source not in set((fields or {}).values()):
                continue
            if wanted is not None and pid not in wanted:
                continue
            times = [t for t in (as_utc(synced), as_utc(attempted)) if t is not None]
            recent = any(t >= cutoff for t in times)
            groups.setdefault((pid, source), []).append(
                (Identifier(scheme, value), as_utc(synced), recent)
            )
    tasks: list[SourceTask] = []
    for (pid, source), idents in groups.items():
        if wanted is None and any(recent for _, _, recent in idents):
            continue
        best = next((i for i, synced, _ in idents if synced is not None), idents[0][0])
        tasks.append(SourceTask(source, best, pid))
    order = {name: i for i, name in enumerate(SOURCE_ORDER)}
    tasks.sort(key=lambda t: order.get(t.source, len(order)))  # stable: catalog order kept
    return tasks


def run_source_sync(
    catalog: Catalog,
    tasks: Sequence[SourceTask],
    *,
    source_names: Sequence[str] | None = None,
    progress: Callable[[BatchNews], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SourceSyncReport:
    """Ask each task's source, a batch at a time, and store each batch in its own
    transaction. Ctrl-C stops it with every finished batch kept (``interrupted``).
    ``progress`` hears of each request, retry and finished batch."""
    from catalog.sources import enabled_sources

    report = SourceSyncReport(planned=len(tasks))
    by_source: dict[str, list[SourceTask]] = {}
    for task in tasks:
        by_source.setdefault(task.source, []).append(task)
    report.per_source = {name: len(group) for name, group in by_source.items()}
    batches = [
        (name, group[i : i + batch_size])
        for name, group in by_source.items()
        for i in range(0, len(group), batch_size)
    ]
    report.batches = len(batches)
    started = time.monotonic()

    def tell(kind: Literal["request", "retry", "batch"], detail: str = "") -> None:
        if progress is not None:
            progress(BatchNews.of(kind, report, report.done, detail))

    def on_event(event: Any) -> None:
        if event.kind == "request":
            report.requests += 1
            tell("request")
        elif event.kind == "retry":
            report.retries += 1
            tell("retry")

    try:
        with enabled_sources(source_names, on_event=on_event) as sources:
            for name, batch in batches:
                source = sources.get(name)
                if source is None:  # not enabled (CATALOG_SOURCES): left for a run that has it
                    report.planned -= len(batch)
                    continue
                _one_batch(catalog, source, name, batch, report)
                report.batches_done += 1
                plural = "identifier" if len(batch) == 1 else "identifiers"
                tell("batch", f"{name}: {len(batch)} {plural}")
    except KeyboardInterrupt:
        report.interrupted = True
    report.elapsed = time.monotonic() - started
    return report


def _one_batch(
    catalog: Catalog, source: Any, name: str, batch: list[SourceTask], report: SourceSyncReport
) -> None:
    outcome = source.fetch(list(dict.fromkeys(t.ident for t in batch)))
    now = utcnow()

    def write(s: Any) -> list[tuple[str, SourceTask, Any]]:
        from catalog.sources import for_paper
        from catalog.store.identifiers import mark_synced, papers_by_identifier
        from catalog.store.works import store_work

        done: list[tuple[str, SourceTask, Any]] = []
        owners = papers_by_identifier(s, [t.ident for t in batch])  # after earlier merges
        for task in batch:
            if task.ident in outcome.failed:
                done.append(("failed", task, outcome.failed[task.ident]))
                continue
            rec = outcome.records.get(task.ident)
            if rec is None:
                mark_synced(s, [task.ident], now, f"not found at {name}")
                done.append(("not found", task, None))
                continue
            pid = owners.get(task.ident, task.paper_id)
            result = store_work(s, for_paper(rec), paper_id=pid)
            if result.status == "refused":
                mark_synced(s, [task.ident], now, result.reason or "contradicts the paper")
                done.append(("refused", task, result.reason or "contradicts the paper"))
                continue
            mark_synced(s, [task.ident], now)
            done.append(("updated" if result.changes else "unchanged", task, result.changes))
        return done

    results = catalog.write(write)
    # The report grows only after the commit, as the arXiv sync's.
    for status, task, detail in results:
        if status == "failed":
            report.failed.append(SourceFailure(name, task.ident, str(detail)))
        elif status == "not found":
            report.not_found.append((name, task.ident))
        elif status == "refused":
            report.refused.append((name, task.ident, str(detail)))
        elif status == "updated":
            report.updated.append((name, task.ident, dict(detail)))
        else:
            report.unchanged.append((name, task.ident))


