"""arXiv as one of the metadata sources: the :class:`~catalog.sources.IdFetcher` and
:class:`~catalog.sources.TitleSearcher` capabilities over :class:`ArxivClient`.

``sync`` keeps using :class:`ArxivClient` and its :class:`~catalog.records.ArxivRecord`
(versions, categories); the resolver asks this class, which gives
:class:`~catalog.records.WorkRecord` like every other source: ``kind="preprint"``, the
arXiv identifier, and the DOI and journal reference when arXiv has them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from catalog.errors import InvalidArxivId
from catalog.records import ArxivRecord, Identifier, WorkRecord
from catalog.sources import FetchOutcome
from catalog.sources.arxiv.client import ArxivClient, ClientEvent
from catalog.sources.arxiv.ids import DOI_PREFIX, parse_arxiv_id

__all__ = ["ArxivSource", "work_record"]


class ArxivSource:
    """arXiv by id (batched) and by title. Use as a context manager."""

    name = "arxiv"

    def __init__(
        self,
        client: ArxivClient | None = None,
        *,
        on_event: Callable[[ClientEvent], None] | None = None,
    ) -> None:
        self.client = client or ArxivClient(on_event=on_event)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ArxivSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def knows(self, ident: Identifier) -> bool:
        return ident.scheme == "arxiv" or (
            ident.scheme == "doi" and ident.value.lower().startswith(DOI_PREFIX)
        )

    def fetch(self, idents: Sequence[Identifier]) -> FetchOutcome:
        """Records by arXiv id (or arXiv DOI), in batches; a batch that fails after the
        client's retries is reported for each of its ids, and later batches go on."""
        out = FetchOutcome()
        asked: dict[str, list[Identifier]] = {}
        for ident in idents:
            if not self.knows(ident):
                continue
            try:
                arxiv_id = parse_arxiv_id(ident.value).id
            except InvalidArxivId:
                out.missing.append(ident)
                continue
            asked.setdefault(arxiv_id, [])
            if ident not in asked[arxiv_id]:
                asked[arxiv_id].append(ident)
        for batch in self.client.iter_batches(list(asked)):
            out.requests += batch.requests
            out.retries += batch.retries
            for arxiv_id in batch.ids:
                for ident in asked.get(arxiv_id, []):
                    if batch.failure is not None:
                        out.failed[ident] = f"arXiv: {batch.failure}"
                    elif arxiv_id in batch.records:
                        out.records[ident] = work_record(batch.records[arxiv_id])
                    elif arxiv_id in batch.errors:
                        out.failed[ident] = f"arXiv: {batch.errors[arxiv_id]}"
                    else:
                        out.missing.append(ident)
        return out

    def search_title(self, title: str, *, limit: int = 10) -> list[WorkRecord]:
        """arXiv papers whose title holds ``title`` (candidates, not a decision).
        Raises :class:`~catalog.errors.ArxivUnavailable` when arXiv cannot answer."""
        return [work_record(r) for r in self.client.search_title(title, limit=limit)]


def work_record(record: ArxivRecord) -> WorkRecord:
    """An arXiv record as a WorkRecord: a preprint, with its DOI and journal-ref if any."""
    identifiers = [Identifier("arxiv", record.arxiv_id)]
    if record.doi:
        identifiers.append(Identifier("doi", record.doi.strip().lower()))
    return WorkRecord(
        source="arxiv",
        title=record.title,
        authors=record.authors,
        year=record.published.year,
        kind="preprint",
        abstract=record.abstract or None,
        url=record.url or f"https://arxiv.org/abs/{record.arxiv_id}",
        identifiers=tuple(identifiers),
        source_id=record.arxiv_id,
        journal_ref=record.journal_ref,
    )
