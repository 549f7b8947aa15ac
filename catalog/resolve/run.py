"""Resolving planned papers: ask the sources, judge their records, store what passes.

Papers are taken in batches (:data:`BATCH_SIZE`). For each batch:

1. **By identifier.** A paper whose link carries an identifier is asked of the source
   that owns it, all the batch's identifiers of one source together (Crossref takes 40
   DOIs per request; arXiv 200 ids); arXiv's records are kept whole, as ``catalog sync``
   keeps them. Looking for where an arXiv paper was published, its DOI (arXiv's), DBLP,
   OpenReview or proceedings identifiers are asked, never arXiv.
   With a local arXiv index (``catalog harvest``), arXiv ids it holds are taken from
   it, with no request.
2. **By title**, for the papers still open: the catalog itself first (a post's paper may
   be one a source already described: merged, no request), then the local arXiv index
   when there is one, then any searcher handed in, then DBLP, Crossref (5 candidates, as
   its relevance is loose) and arXiv, in that order, stopping at the first that gives an
   answer: a source whose candidates pass (:func:`catalog.resolve.rule.decide`), or that
   names several works.
3. **Stored** in one transaction: each accepted record onto its paper
   (:func:`catalog.store.works.store_work`, which merges the papers the record's
   identifiers or title name: one paper however it was found), arXiv's through
   :func:`catalog.store.catalog.upsert_arxiv_record`; each paper looked for without
   success marked with when and why (``resolve_attempted_at``), so the next plain run
   leaves it for a month; each identifier asked marked as ``catalog sync`` plans by it.

An interrupted run keeps every batch stored; :class:`ResolveInterrupted` carries the
report of what was done. A paper some source could not answer for is ``failed`` (never
marked: the next run asks again) unless another source settled it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from catalog.errors import SourceUnavailable
from catalog.progress import BatchNews
from catalog.records import ArxivRecord, Identifier, WorkRecord
from catalog.resolve.plan import ResolvePlan, Target
from catalog.resolve.rule import Candidate, Decision, decide
from catalog.resolve.searchers import ArxivTitles, CatalogSearcher, IndexTitles, catalog_paper_id
from catalog.sources import FetchOutcome, Sources, TitleSearcher, for_paper
from catalog.store.catalog import Catalog

if TYPE_CHECKING:
    from catalog.index.store import ArxivIndex

__all__ = [
    "BATCH_SIZE",
    "Outcome",
    "ResolveInterrupted",
    "ResolveProgress",
    "ResolveReport",
    "run_resolve",
]

BATCH_SIZE = 40  # papers per transaction: a Crossref request's worth of DOIs
SEARCH_LIMITS = {"crossref": 5}  # candidates asked per title search (default 10)
Status = Literal["filled", "unchanged", "ambiguous", "not found", "failed"]
STATUSES: tuple[Status, ...] = ("filled", "unchanged", "ambiguous", "not found", "failed")


@dataclass
class Outcome:
    """What became of one paper."""

    paper_id: int  # the paper looked for (after merges, see ``kept``)
    label: str
    title: str
    status: Status = "not found"
    reason: str = ""
    source: str | None = None  # whose record was taken ("catalog": merged into a paper)
    asked: list[str] = field(default_factory=list)  # "crossref doi:10...", "dblp title"
    decisions: list[tuple[str, Decision]] = field(default_factory=list)  # per source asked
    failures: list[str] = field(default_factory=list)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kept: int | None = None  # the paper it is now (another one, when merged into it)

    @property
    def chosen(self) -> Candidate | None:
        for _, decision in self.decisions:
            if decision.status == "accepted":
                return decision.chosen
        return None


@dataclass
class ResolveReport:
    planned: int
    mode: str
    dry_run: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    batches: int = 0
    batches_done: int = 0
    elapsed: float = 0.0
    interrupted: bool = False

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def not_asked(self) -> int:
        return self.planned - len(self.outcomes)

    @property
    def exit_code(self) -> int:
        """As ``catalog sync``: 3 when a source could not answer for some paper; 1 when
        some paper is ambiguous or was not found; else 0."""
        if self.count("failed"):
            return 3
        if self.count("ambiguous") or self.count("not found"):
            return 1
        return 0


ResolveProgress = BatchNews  # what resolve's progress display is told


class ResolveInterrupted(KeyboardInterrupt):
    """Ctrl-C during a resolve; ``report`` says what was done (and kept) before it."""

    def __init__(self, report: ResolveReport) -> None:
        super().__init__("resolve interrupted")
        self.report = report


@dataclass
class _Open:
    """A paper being resolved in the current batch."""

    target: Target
    outcome: Outcome
    store: tuple[str, Any] | None = None  # ("arxiv", ArxivRecord) | ("work", rec) | ("merge", id)
    synced: list[Identifier] = field(default_factory=list)  # identifiers a source answered
    missing: list[tuple[Identifier, str]] = field(default_factory=list)  # not known there

    @property
    def settled(self) -> bool:
        return self.store is not None or any(d.works > 1 for _, d in self.outcome.decisions)


def run_resolve(
    catalog: Catalog,
    plan: ResolvePlan,
    *,
    source_names: Sequence[str] | None = None,
    searchers: Sequence[TitleSearcher] = (),
    index: ArxivIndex | None = None,
    on_progress: Callable[[ResolveProgress], None] | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ResolveReport:
    """Resolve ``plan``'s papers with the enabled sources (``source_names``, default
    ``CATALOG_SOURCES``); ``index`` (the local arXiv index) is asked for arXiv ids and
    titles before any API; ``searchers`` are asked by title after the catalog and the
    index, before the sources. With ``dry_run`` every batch is rolled back: the report
    says what would change. Ctrl-C raises :class:`ResolveInterrupted` with the report so far."""
    from catalog.sources import enabled_sources

    report = ResolveReport(planned=len(plan.targets), mode=plan.mode, dry_run=dry_run)
    batches = [
        plan.targets[i : i + batch_size] for i in range(0, len(plan.targets), max(1, batch_size))
    ]
    report.batches = len(batches)
    started = time.monotonic()

    def progress(kind: Literal["request", "retry", "batch"], detail: str) -> None:
        if on_progress is not None:
            on_progress(ResolveProgress.of(kind, report, len(report.outcomes), detail))

    def on_event(event: Any) -> None:
        if event.kind == "request":
            report.requests += 1
        elif event.kind == "retry":
            report.retries += 1
        progress(event.kind, f"{event.source}: {event.detail}")

    try:
        with enabled_sources(source_names, on_event=on_event) as sources:
            resolver = _Resolver(
                catalog, sources, plan.mode == "published", searchers, dry_run, index
            )
            for batch in batches:
                report.outcomes += resolver.batch(batch)
                report.batches_done += 1
                progress("batch", _batch_line(report, len(batch)))
    except KeyboardInterrupt as exc:
        report.interrupted = True
        report.elapsed = time.monotonic() - started
        raise ResolveInterrupted(report) from exc
    report.elapsed = time.monotonic() - started
    return report


def _batch_line(report: ResolveReport, size: int) -> str:
    done = report.outcomes[-size:] if size else []
    counts = [f"{sum(o.status == s for o in done)} {s}" for s in STATUSES]
    papers = "paper" if size == 1 else "papers"
    return f"batch {report.batches_done}/{report.batches}: {size} {papers}: " + ", ".join(
        c for c in counts if not c.startswith("0 ")
    )


class _Resolver:
    def __init__(
        self,
        catalog: Catalog,
        sources: Sources,
        published: bool,
        searchers: Sequence[TitleSearcher],
        dry_run: bool,
        index: ArxivIndex | None = None,
    ) -> None:
        self.catalog = catalog
        self.sources = sources
        self.published = published
        self.dry_run = dry_run
        self.index = index
        self.moved: dict[int, int] = {}  # papers merged away -> the paper they are now
        arxiv = sources.get("arxiv")
        self.arxiv_titles = ArxivTitles(arxiv) if arxiv is not None else None
        chain: list[TitleSearcher] = []
        if not published:  # an arXiv paper is in the catalog already: it would find itself
            chain.append(CatalogSearcher(catalog))
            if index is not None:  # and its preprint in the index
                chain.append(IndexTitles(index))
        chain += list(searchers)
        for searcher in sources.title_searchers():
            if searcher.name == "arxiv":
                if not published and self.arxiv_titles is not None:
                    chain.append(self.arxiv_titles)  # a preprint says nothing of publication
            else:
                chain.append(searcher)
        self.searchers = chain

    # -- one batch

    def batch(self, targets: Sequence[Target]) -> list[Outcome]:
        opened = [_Open(t, Outcome(self._follow(t.paper_id), t.label, t.title)) for t in targets]
        if not self.published:
            self._by_arxiv([o for o in opened if o.target.arxiv_id])
        self._by_identifiers([o for o in opened if not o.settled])
        for item in opened:
            if not item.settled:
                self._by_title(item)
        self._conclude(opened)
        self._store(opened)
        return [o.outcome for o in opened]

    def _follow(self, paper_id: int) -> int:
        while paper_id in self.moved:
            paper_id = self.moved[paper_id]
        return paper_id

    # -- by identifier

    def _by_arxiv(self, items: list[_Open]) -> None:
        from catalog.sources.arxiv.source import work_record

        arxiv = self.sources.get("arxiv")
        if arxiv is None or not items:
            return
        wanted: dict[str, list[_Open]] = {}
        for item in items:
            assert item.target.arxiv_id is not None
            wanted.setdefault(item.target.arxiv_id, []).append(item)
        for arxiv_id, held in self._from_index(list(wanted)).items():
            for item in wanted.pop(arxiv_id):
                item.outcome.asked.append(f"index arxiv:{arxiv_id}")
                decision = decide(item.target.known, [work_record(held)], asked_by="identifier")
                item.outcome.decisions.append(("index", decision))
                if decision.status == "accepted":
                    item.store = ("arxiv", held)
        for arxiv_id, asking in wanted.items():
            for item in asking:
                item.outcome.asked.append(f"arxiv arxiv:{arxiv_id}")
        if not wanted:
            return
        for batch in arxiv.client.iter_batches(list(wanted)):
            for arxiv_id in batch.ids:
                for item in wanted.get(arxiv_id, []):
                    if batch.failure is not None:
                        item.outcome.failures.append(f"arXiv: {batch.failure}")
                    elif arxiv_id in batch.records:
                        rec: ArxivRecord = batch.records[arxiv_id]
                        decision = decide(
                            item.target.known, [work_record(rec)], asked_by="identifier"
                        )
                        item.outcome.decisions.append(("arxiv", decision))
                        if decision.status == "accepted":
                            item.store = ("arxiv", rec)
                    elif arxiv_id in batch.errors:
                        item.outcome.failures.append(f"arXiv: {batch.errors[arxiv_id]}")
                    else:
                        item.outcome.decisions.append(
                            ("arxiv", Decision("not found", "arXiv does not know it"))
                        )

    def _from_index(self, arxiv_ids: list[str]) -> dict[str, ArxivRecord]:
        """arXiv's records of ``arxiv_ids`` that the local index holds (none withdrawn or
        deleted, each with its version dates): no request. The papers resolve looks for
        hold nothing from arXiv yet, so any record is at least as new as theirs."""
        if self.index is None:
            return {}
        found = {}
        for arxiv_id, rec in self.index.get_many(arxiv_ids).items():
            if rec.deleted or rec.withdrawn:
                continue
            try:
                found[arxiv_id] = rec.to_arxiv_record()
            except ValueError:
                continue
        return found

    def _fetchable(self, item: _Open) -> list[tuple[Identifier, Any]]:
        """The paper's identifiers some enabled source (not arXiv) can fetch, best first."""
        found = []
        for ident in item.target.known.identifiers:
            if ident.scheme == "arxiv":
                continue
            fetchers = [f for f in self.sources.fetchers_for(ident) if f.name != "arxiv"]
            if fetchers:
                found.append((ident, fetchers[0]))
        return found

    def _by_identifiers(self, items: list[_Open]) -> None:
        queues = {id(item): self._fetchable(item) for item in items}
        while True:
            rounds: dict[str, tuple[Any, list[tuple[_Open, Identifier]]]] = {}
            for item in items:
                queue = queues[id(item)]
                if item.settled or not queue:
                    continue
                ident, source = queue.pop(0)
                rounds.setdefault(source.name, (source, []))[1].append((item, ident))
            if not rounds:
                return
            for name, (source, asked) in rounds.items():
                outcome: FetchOutcome = source.fetch(list(dict.fromkeys(i for _, i in asked)))
                for item, ident in asked:
                    item.outcome.asked.append(f"{name} {ident}")
                    self._take_fetched(item, name, ident, outcome)

    def _take_fetched(self, item: _Open, name: str, ident: Identifier, out: FetchOutcome) -> None:
        if ident in out.failed:
            item.outcome.failures.append(out.failed[ident])
            return
        rec = out.records.get(ident)
        if rec is None:
            item.missing.append((ident, f"not found at {name}"))
            item.outcome.decisions.append(
                (name, Decision("not found", f"{name} does not know {ident}"))
            )
            return
        item.synced.append(ident)
        decision = decide(item.target.known, [rec], asked_by="identifier", published=self.published)
        item.outcome.decisions.append((name, decision))
        if decision.status == "accepted":
            item.store = ("work", rec)

    # -- by title

    def _by_title(self, item: _Open) -> None:
        title = item.target.search_title
        if not title:
            return
        for searcher in self.searchers:
            try:
                limit = SEARCH_LIMITS.get(searcher.name, 10)
                records = searcher.search_title(title, limit=limit)
            except SourceUnavailable as exc:
                item.outcome.failures.append(str(exc))
                continue
            if searcher.name != "catalog":
                item.outcome.asked.append(f"{searcher.name} title")
            own = self._follow(item.target.paper_id)
            records = [r for r in records if catalog_paper_id(r) != own]
            if not records and searcher.name == "catalog":
                continue
            decision = decide(item.target.known, records, published=self.published)
            item.outcome.decisions.append((searcher.name, decision))
            if decision.status == "accepted":
                assert decision.chosen is not None
                rec = decision.chosen.record
                paper = catalog_paper_id(rec)
                if paper is not None:
                    item.store = ("merge", paper)
                elif rec.source == "arxiv" and rec.source_id in _kept_records(searcher):
                    # arXiv's (or the index's) record, stored whole as sync stores it
                    item.store = ("arxiv", _kept_records(searcher)[rec.source_id])
                else:
                    item.store = ("work", rec)
                return
            if decision.works > 1:
                return  # several works pass: no other source can tell them apart

    # -- what became of each

    def _conclude(self, opened: list[_Open]) -> None:
        for item in opened:
            out = item.outcome
            chosen = out.chosen
            if item.store is not None and chosen is not None:
                out.status = "filled"
                out.source = chosen.record.source
                out.reason = chosen.verdict.reason
                continue
            if out.failures:
                out.status, out.reason = "failed", out.failures[-1]
            elif any(d.status == "ambiguous" for _, d in out.decisions):
                reason = next(d.reason for _, d in out.decisions if d.status == "ambiguous")
                out.status, out.reason = "ambiguous", reason
            elif item.target.search_title is None and not out.asked:
                out.status, out.reason = "not found", "no identifier a source knows, and no title"
            else:
                out.status = "not found"
                out.reason = (
                    "no candidate passes"
                    if any(d.candidates for _, d in out.decisions)
                    else "no candidate"
                )

    # -- storing

    def _store(self, opened: list[_Open]) -> None:
        from catalog.store.catalog import utcnow

        writer = _BatchWriter(self.moved, utcnow())
        results = self.catalog.write(lambda s: writer.write(s, opened), dry_run=self.dry_run)
        if not self.dry_run:
            self.moved = writer.moved
        for item in opened:
            stored = results.get(id(item))
            if stored is not None:
                out = item.outcome
                out.status, out.changes, out.kept = stored.status, stored.changes, stored.kept
                out.reason = stored.reason or out.reason


def _kept_records(searcher: TitleSearcher) -> dict[str, ArxivRecord]:
    """The arXiv records behind a searcher's answers (ArxivTitles, IndexTitles), by id."""
    if isinstance(searcher, ArxivTitles | IndexTitles):
        return searcher.records
    return {}


@dataclass
class _Stored:
    status: Status
    kept: int
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


class _BatchWriter:
    """One batch's writes, inside its transaction (retried whole if it loses a race, so
    it starts from the merges known before the batch each time)."""

    def __init__(self, moved: dict[int, int], now: Any) -> None:
        self.before = dict(moved)
        self.moved = dict(moved)
        self.now = now

    def follow(self, pid: int) -> int:
        while pid in self.moved:
            pid = self.moved[pid]
        return pid

    def write(self, s: Any, opened: list[_Open]) -> dict[int, _Stored]:
        from catalog.store.catalog import ensure_authors
        from catalog.store.identifiers import mark_synced

        self.moved = dict(self.before)
        names = {
            n for it in opened if it.store and it.store[0] == "arxiv" for n in it.store[1].authors
        }
        ensure_authors(s, sorted(names))
        done: dict[int, _Stored] = {}
        for item in opened:
            pid = self.follow(item.target.paper_id)
            for ident, why in item.missing:
                mark_synced(s, [ident], self.now, why)
            if item.store is None:
                if item.outcome.status in ("ambiguous", "not found"):
                    self._attempted(s, pid, item.outcome.reason or item.outcome.status)
                continue
            how, what = item.store
            if how == "arxiv":
                stored = self._arxiv(s, pid, what)
            elif how == "merge":
                stored = self._merge(s, pid, self.follow(what))
            else:
                stored = self._work(s, pid, what, item.synced)
            if stored.status in ("filled", "unchanged"):
                self._attempted(s, stored.kept, None)
            done[id(item)] = stored
        return done

    def _attempted(self, s: Any, pid: int, error: str | None) -> None:
        from sqlalchemy import update
        from sqlmodel import col

        from catalog.store.models import Paper

        s.execute(
            update(Paper)
            .where(col(Paper.id) == pid)
            .values(resolve_attempted_at=self.now, resolve_error=error[:500] if error else None)
        )

    def _arxiv(self, s: Any, pid: int, rec: ArxivRecord) -> _Stored:
        from catalog.store.catalog import upsert_arxiv_record
        from catalog.store.identifiers import exclusive_conflicts
        from catalog.store.models import Paper
        from catalog.store.works import merge_papers

        result = upsert_arxiv_record(s, rec)
        for gone in result.merged:
            self.moved[gone] = result.paper_id
        kept = result.paper_id
        changes: dict[str, Any] = dict(result.changes)
        if pid != kept and pid not in result.merged and s.get(Paper, pid) is not None:
            # Another paper holds the arXiv id already (a post's row of it, stored earlier
            # in this batch): the paper found by its title is that paper too.
            if exclusive_conflicts(s, kept, pid):
                return _Stored("ambiguous", pid, reason=f"paper #{kept} has arXiv's record")
            keep, gone = min(pid, kept), max(pid, kept)
            merge_papers(s, keep, gone)
            self.moved[gone] = kept = keep
            changes["merged"] = ([gone], keep)
        if pid != kept:
            self.moved[pid] = kept
        return _Stored("filled", kept, changes)

    def _merge(self, s: Any, pid: int, other: int) -> _Stored:
        from catalog.store.identifiers import exclusive_conflicts
        from catalog.store.works import merge_papers

        if other == pid:
            return _Stored("unchanged", pid)
        keep, gone = min(pid, other), max(pid, other)
        clash = exclusive_conflicts(s, keep, gone)
        if clash:
            return _Stored("ambiguous", pid, reason=f"paper #{other} has {'; '.join(clash)}")
        merge_papers(s, keep, gone)
        self.moved[gone] = keep
        return _Stored("filled", keep, {"merged": (gone, keep)})

    def _work(self, s: Any, pid: int, rec: WorkRecord, asked: list[Identifier]) -> _Stored:
        from catalog.sources.ids import canonical_identifier
        from catalog.store.identifiers import mark_synced
        from catalog.store.works import store_work

        rec = for_paper(rec)
        result = store_work(s, rec, paper_id=pid)
        if result.status == "refused":
            return _Stored("ambiguous", pid, reason=result.reason or "it contradicts the paper")
        for merge in result.merged:
            self.moved[merge.gone] = merge.kept
        changes: dict[str, Any] = dict(result.changes)
        if result.merged:
            changes["merged"] = ([m.gone for m in result.merged], result.paper_id)
        answered = list(asked)
        own = _source_identifier(rec)
        found = canonical_identifier(own) if own is not None else None
        if found is not None:
            answered.append(found)
        mark_synced(s, answered, self.now)
        status: Status = "unchanged" if result.status == "unchanged" else "filled"
        return _Stored(status, result.paper_id, changes)


_SOURCE_SCHEMES = {"crossref": "doi", "dblp": "dblp", "openreview": "openreview"}


def _source_identifier(rec: WorkRecord) -> Identifier | None:
    """The identifier a record has at its source (a Crossref DOI, a DBLP key, ...)."""
    scheme = _SOURCE_SCHEMES.get(rec.source)
    if scheme is None or not rec.source_id:
        return None
    return Identifier(scheme, rec.source_id)
