"""The arXiv source: fetch papers by id (and, in :mod:`.search`, find them by title).

:class:`ArxivClient` asks arXiv's query API for papers by id, politely and persistently.
Spacing, retries, ``Retry-After`` and the redirect policy are the shared HTTP layer's
(:mod:`catalog.sources.http`); batching, error-feed narrowing and the empty-answer
re-asks below are arXiv's own:

* one connection, and no two requests (retries included) start closer than ``delay``
  seconds apart (arXiv's terms: one request every three seconds);
* ids are deduplicated and asked in batches of ``batch_size``, one request per batch,
  without version so the answer is the latest version; long id lists go by POST;
* connection errors, timeouts, 429 and 5xx, and 200 answers that are not a well-formed
  feed are retried with exponential backoff, honouring ``Retry-After``;
* a well-formed feed with fewer entries than ids asked (a known arXiv misbehaviour) is
  asked again for the ids still missing, ``empty_retries`` times, before they are called
  missing;
* an HTTP 400 error feed is not retried: each error naming an id is reported for that id and
  the other ids are asked again without it. An error that names no id of the request is
  narrowed down by splitting the request in halves until it concerns a single id (at most
  about 2·log2(batch_size) extra requests), so one bad id never costs its neighbours.
* redirects to another host are never followed; a same-host redirect is followed once.

Configuration: ``CATALOG_ARXIV_URL`` (default ``https://export.arxiv.org/api/query``) and
``CATALOG_ARXIV_DELAY`` (seconds, default 3.0); constructor arguments override them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from catalog.errors import ArxivUnavailable, CatalogError
from catalog.records import ArxivRecord
from catalog.sources.arxiv.feed import FeedAnswer, MalformedFeed, parse_feed
from catalog.sources.arxiv.ids import ArxivId, parse_arxiv_id
from catalog.sources.http import (
    BadAnswer,
    Failure,
    Http,
    HttpEvent,
    Refused,
    Reply,
    env_delay,
)

# Kept under its old name: the header parsing now lives in the HTTP layer.
from catalog.sources.http import retry_after_seconds as _retry_after_seconds  # noqa: F401

__all__ = [
    "DEFAULT_DELAY",
    "DEFAULT_URL",
    "ArxivClient",
    "BatchResult",
    "ClientEvent",
    "FetchResult",
]

DEFAULT_URL = "https://export.arxiv.org/api/query"
DEFAULT_DELAY = 3.0
# Past these sizes a GET query string gets long enough for proxies to truncate it.
POST_ABOVE_IDS = 20
POST_ABOVE_QUERY_CHARS = 2000


@dataclass(frozen=True)
class ClientEvent:
    """Progress news, for a progress bar: one per request, retry and finished batch."""

    kind: Literal["request", "retry", "batch"]
    detail: str
    batch: int = 0  # 0-based index of the batch
    batches: int = 0  # how many batches this call has
    ids: int = 0  # ids in the request (request/retry) or the batch (batch)
    attempt: int = 0  # 1-based attempt number within the request (request/retry)
    wait: float = 0.0  # seconds the client will wait before the retry (retry)


@dataclass
class BatchResult:
    """What became of one batch. When ``failure`` is set, records/missing/errors are empty."""

    ids: list[str]  # canonical ids of the batch, in asked order
    records: dict[str, ArxivRecord] = field(default_factory=dict)  # by canonical id
    missing: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # id -> arXiv's error message
    failure: str | None = None  # why the batch could not be fetched after all retries
    requests: int = 0
    retries: int = 0


@dataclass
class FetchResult:
    records: dict[str, ArxivRecord] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0


@dataclass
class _ErrorFeed:
    """An HTTP 400 error feed: (message, id named or None) pairs."""

    errors: list[tuple[str, str | None]]


@dataclass
class _Failed:
    reason: str
    attempts: int


class ArxivClient:
    """A polite arXiv API client. Use as a context manager so the connection is closed.

    Not thread-safe: pacing is per instance, so share one client (in one thread) for a run.
    """

    def __init__(
        self,
        base_url: str | None = None,
        delay: float | None = None,
        batch_size: int = 200,
        timeout: float = 30.0,
        max_attempts: int = 5,
        empty_retries: int = 2,
        on_event: Callable[[ClientEvent], None] | None = None,
        *,
        backoff_base: float | None = None,
        backoff_cap: float = 60.0,
        max_retry_after: float = 120.0,
    ) -> None:
        self.base_url = base_url or os.environ.get("CATALOG_ARXIV_URL") or DEFAULT_URL
        self.delay = _env_delay() if delay is None else float(delay)
        if self.delay < 0:
            raise CatalogError(f"the arXiv request delay must not be negative, not {delay}")
        if batch_size < 1:
            raise CatalogError(f"batch_size must be at least 1, not {batch_size}")
        if max_attempts < 1:
            raise CatalogError(f"max_attempts must be at least 1, not {max_attempts}")
        self.batch_size = min(batch_size, 2000)  # arXiv answers at most 2,000 entries
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.empty_retries = max(0, empty_retries)
        self.on_event = on_event
        # Backoff grows from the request spacing, so tiny test delays give tiny backoffs.
        self.backoff_base = max(self.delay, 0.05) if backoff_base is None else backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self._http = Http(
            "arxiv",
            [self.base_url],
            delay=self.delay,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_base=self.backoff_base,
            backoff_cap=backoff_cap,
            max_retry_after=max_retry_after,
            accept="application/atom+xml",
        )

    # -- lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ArxivClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API

    def iter_batches(self, ids: Sequence[ArxivId | str]) -> Iterator[BatchResult]:
        """Fetch ``ids`` batch by batch, yielding each :class:`BatchResult` as it is done.

        Strings are parsed with :func:`parse_arxiv_id` (which raises InvalidArxivId).
        A failed batch is yielded with ``failure`` set; later batches are still tried.
        """
        unique: dict[str, ArxivId] = {}
        for item in ids:
            ident = parse_arxiv_id(item) if isinstance(item, str) else item
            unique.setdefault(ident.id, ArxivId(ident.id))  # ask unversioned: latest version
        todo = list(unique.values())
        batches = [todo[i : i + self.batch_size] for i in range(0, len(todo), self.batch_size)]
        for index, batch in enumerate(batches):
            result = self._fetch_batch(batch, index, len(batches))
            self._emit(
                "batch",
                f"batch {index + 1}/{len(batches)}: {len(result.records)} found, "
                f"{len(result.missing)} missing, {len(result.errors)} errors"
                + (f"; failed: {result.failure}" if result.failure else ""),
                batch=index,
                batches=len(batches),
                ids=len(batch),
            )
            yield result

    def fetch(self, ids: Sequence[ArxivId | str]) -> FetchResult:
        """Fetch all ``ids``. Raises :class:`ArxivUnavailable` at the first failed batch."""
        out = FetchResult()
        for batch in self.iter_batches(ids):
            out.requests += batch.requests
            out.retries += batch.retries
            if batch.failure is not None:
                raise ArxivUnavailable(
                    f"arXiv could not be reached at {self.base_url}: {batch.failure}"
                )
            out.records.update(batch.records)
            out.missing.extend(batch.missing)
            out.errors.update(batch.errors)
        return out

    def search_title(self, title: str, *, limit: int = 10) -> list[ArxivRecord]:
        """Papers whose title holds ``title`` as a phrase (``search_query=ti:"..."``), in
        arXiv's order; the same spacing as every other request to arXiv. Raises
        :class:`ArxivUnavailable` when arXiv cannot answer, or refuses the query."""
        # Quotes, colons, parentheses and the like are query syntax to arXiv: keep words.
        phrase = " ".join(re.sub(r"[^\w]+", " ", title).split())
        if not phrase:
            return []
        params = {
            "search_query": f'ti:"{phrase}"',
            "start": "0",
            "max_results": str(max(1, min(limit, 2000))),
        }

        def on_event(event: HttpEvent) -> None:
            detail = f"title search {phrase!r}" if event.kind == "request" else event.detail
            self._emit(event.kind, detail, attempt=event.attempt, wait=event.wait)

        outcome = self._http.get(
            self.base_url, params, read=_read_search, accept_status=(200, 400), on_event=on_event
        )
        if isinstance(outcome, Failure):
            raise ArxivUnavailable(f"arXiv could not be searched at {self.base_url}: {outcome}")
        if isinstance(outcome, _ErrorFeed):
            reasons = "; ".join(m for m, _ in outcome.errors)
            raise ArxivUnavailable(f"arXiv refused the title search {phrase!r}: {reasons}")
        return outcome.records

    # -- one batch

    def _fetch_batch(self, batch: list[ArxivId], index: int, batches: int) -> BatchResult:
        result = BatchResult(ids=[i.id for i in batch])
        empty_left = self.empty_retries
        queue: list[list[ArxivId]] = [batch]
        while queue:
            group = queue.pop(0)
            answer = self._ask(group, result, index, batches)
            if isinstance(answer, _Failed):
                result.failure = (
                    f"{answer.reason} after {answer.attempts} "
                    f"attempt{'s' if answer.attempts != 1 else ''}"
                )
                # A failed batch reports nothing else: the whole batch is to be asked again.
                result.records.clear()
                result.missing.clear()
                result.errors.clear()
                return result
            if isinstance(answer, _ErrorFeed):
                queue.extend(self._attribute_errors(group, answer, result))
                continue
            still_missing = self._take_records(group, answer, result)
            if not still_missing:
                continue
            if empty_left > 0:
                # arXiv sometimes answers a well-formed feed with too few entries; asking
                # again later usually gives the rest. Only the missing ids are asked again.
                attempt = self.empty_retries - empty_left + 1
                empty_left -= 1
                wait = self._backoff(attempt)
                result.retries += 1
                self._emit(
                    "retry",
                    f"{len(still_missing)} of {len(group)} ids not in the answer; asking again",
                    batch=index,
                    batches=batches,
                    ids=len(still_missing),
                    attempt=attempt,
                    wait=wait,
                )
                self._wait_at_least(wait)
                queue.append(still_missing)
            else:
                result.missing.extend(i.id for i in still_missing)
        return result

    def _take_records(
        self, group: list[ArxivId], answer: FeedAnswer, result: BatchResult
    ) -> list[ArxivId]:
        """Store the records that answer ``group``; return the ids still missing."""
        wanted: dict[str, list[ArxivId]] = {}
        for ident in group:
            wanted.setdefault(ident.api_id, []).append(ident)
        for error in answer.errors:  # errors inside a 200 feed: treat as per-id errors
            for ident in self._named(group, error.id):
                result.errors[ident.id] = error.message
        for record in answer.records:
            key = ArxivId(record.arxiv_id).api_id
            for ident in wanted.get(key, []):
                if ident.id != record.arxiv_id:
                    # We asked for math.GT/0309136, arXiv answered math/0309136: keep ours.
                    record = dataclasses.replace(
                        record, arxiv_id=ident.id, url=f"https://arxiv.org/abs/{ident.id}"
                    )
                result.records[ident.id] = record
        return [i for i in group if i.id not in result.records and i.id not in result.errors]

    def _attribute_errors(
        self, group: list[ArxivId], answer: _ErrorFeed, result: BatchResult
    ) -> list[list[ArxivId]]:
        """Record errors per id; return the groups still to ask."""
        named: set[str] = set()
        for message, ident_text in answer.errors:
            for ident in self._named(group, ident_text):
                result.errors[ident.id] = message
                named.add(ident.id)
        if named:
            rest = [i for i in group if i.id not in named]
            return [rest] if rest else []
        message = "; ".join(m for m, _ in answer.errors) or "arXiv reported an error"
        if len(group) == 1:
            result.errors[group[0].id] = message
            return []
        half = len(group) // 2
        return [group[:half], group[half:]]

    @staticmethod
    def _named(group: list[ArxivId], text: str | None) -> list[ArxivId]:
        """The ids of ``group`` that an error's id text names (none if it names none)."""
        if not text:
            return []
        bare = text.strip()
        try:
            parsed: ArxivId | None = parse_arxiv_id(bare)
        except CatalogError:
            parsed = None
        hits = []
        for ident in group:
            if bare in (ident.id, ident.api_id) or (
                parsed is not None and parsed.api_id == ident.api_id
            ):
                hits.append(ident)
        return hits

    # -- one request, with retries (the HTTP layer's job)

    def _ask(
        self, group: list[ArxivId], result: BatchResult, index: int, batches: int
    ) -> FeedAnswer | _ErrorFeed | _Failed:
        id_list = ",".join(i.id for i in group)
        params = {"id_list": id_list, "start": "0", "max_results": str(len(group))}
        query = urlencode(params)
        method = (
            "POST" if len(group) > POST_ABOVE_IDS or len(query) > POST_ABOVE_QUERY_CHARS else "GET"
        )
        on_event = self._progress(result, index, batches, len(group), method)
        outcome = self._http.request(
            method,
            self.base_url,
            params=params if method == "GET" else None,
            data=params if method == "POST" else None,
            read=_read_answer,
            accept_status=(200, 400),
            on_event=on_event,
        )
        if isinstance(outcome, Failure):
            return _Failed(outcome.reason, outcome.attempts)
        return outcome

    def _progress(
        self, result: BatchResult, index: int, batches: int, n_ids: int, method: str
    ) -> Callable[[HttpEvent], None]:
        """Count the layer's requests and retries into ``result`` and pass them on as
        this client's :class:`ClientEvent`, with the batch they belong to."""

        def on_event(event: HttpEvent) -> None:
            if event.kind == "request":
                result.requests += 1
                detail = f"{method} {n_ids} id{'s' if n_ids != 1 else ''}"
            else:
                result.retries += 1
                detail = event.detail
            self._emit(
                event.kind,
                detail,
                batch=index,
                batches=batches,
                ids=n_ids,
                attempt=event.attempt,
                wait=event.wait,
            )

        return on_event

    # -- pacing

    def _wait_at_least(self, seconds: float) -> None:
        # Counted from now (the short answer's arrival), not from the request's start.
        self._http.hold(self.base_url, seconds)

    def _backoff(self, attempt: int) -> float:
        return self._http.backoff(attempt)

    def _emit(
        self,
        kind: Literal["request", "retry", "batch"],
        detail: str,
        *,
        batch: int = 0,
        batches: int = 0,
        ids: int = 0,
        attempt: int = 0,
        wait: float = 0.0,
    ) -> None:
        if self.on_event is not None:
            self.on_event(ClientEvent(kind, detail, batch, batches, ids, attempt, wait))


def _read_search(reply: Reply) -> FeedAnswer | _ErrorFeed:
    answer = _read_answer(reply)
    if isinstance(answer, FeedAnswer) and answer.total_results and not answer.records:
        # arXiv's known misbehaviour: a count of results, and no entries. Ask again.
        raise BadAnswer(f"arXiv counted {answer.total_results} results but sent none")
    return answer


def _read_answer(reply: Reply) -> FeedAnswer | _ErrorFeed:
    """A 200 feed (retried when malformed), or a 400 error feed (never retried)."""
    if reply.status == 200:
        try:
            return parse_feed(reply.content)
        except MalformedFeed as exc:
            raise BadAnswer(str(exc)) from None
    try:
        answer = parse_feed(reply.content)
    except MalformedFeed:
        answer = FeedAnswer()
    if answer.errors:
        return _ErrorFeed([(e.message, e.id) for e in answer.errors])
    raise Refused("arXiv answered HTTP 400 without an error feed")


def _env_delay() -> float:
    delay = env_delay("CATALOG_ARXIV_DELAY", DEFAULT_DELAY)
    assert delay is not None  # a default was given
    return delay
