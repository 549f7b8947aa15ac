"""The one module that talks to arXiv.

:class:`ArxivClient` asks arXiv's query API for papers by id, politely and persistently:

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
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

from catalog import __version__
from catalog.errors import ArxivUnavailable, CatalogError
from catalog.records import ArxivRecord
from catalog.sources.arxiv.feed import FeedAnswer, MalformedFeed, parse_feed
from catalog.sources.arxiv.ids import ArxivId, parse_arxiv_id

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
USER_AGENT = f"catalog/{__version__} (reading-group paper catalog; python-httpx)"
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
        self._last_start: float | None = None  # monotonic time the last request started
        self._not_before = 0.0  # monotonic time before which no request may start
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=False,  # never let a redirect take us to another host
            headers={"User-Agent": USER_AGENT, "Accept": "application/atom+xml"},
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

    # -- one request, with retries

    def _ask(
        self, group: list[ArxivId], result: BatchResult, index: int, batches: int
    ) -> FeedAnswer | _ErrorFeed | _Failed:
        id_list = ",".join(i.id for i in group)
        params = {"id_list": id_list, "start": "0", "max_results": str(len(group))}
        query = urlencode(params)
        method = (
            "POST" if len(group) > POST_ABOVE_IDS or len(query) > POST_ABOVE_QUERY_CHARS else "GET"
        )
        reason = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            outcome = self._request(
                method, self.base_url, params, result, index, batches, attempt, len(group)
            )
            if isinstance(outcome, str):
                reason = outcome
            else:
                response = outcome
                status = response.status_code
                if status == 200:
                    try:
                        answer = parse_feed(response.content)
                    except MalformedFeed as exc:
                        reason = str(exc)
                    else:
                        return answer
                elif status == 400:
                    try:
                        answer = parse_feed(response.content)
                    except MalformedFeed:
                        answer = FeedAnswer()
                    if answer.errors:
                        return _ErrorFeed([(e.message, e.id) for e in answer.errors])
                    return _Failed("arXiv answered HTTP 400 without an error feed", attempt)
                elif status == 429 or status >= 500:
                    reason = f"HTTP {status} {response.reason_phrase}".strip()
                    retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                elif 300 <= status < 400:
                    location = response.headers.get("Location", "")
                    return _Failed(f"redirected to {location or 'nowhere'}; not followed", attempt)
                else:  # other 4xx: asking again will not help
                    return _Failed(f"HTTP {status} {response.reason_phrase}".strip(), attempt)
            if attempt == self.max_attempts:
                return _Failed(reason, attempt)
            wait = self._backoff(attempt)
            if retry_after is not None:
                wait = max(wait, min(retry_after, self.max_retry_after))
            result.retries += 1
            self._emit(
                "retry",
                f"{reason}; retrying in {wait:.2f}s",
                batch=index,
                batches=batches,
                ids=len(group),
                attempt=attempt + 1,
                wait=wait,
            )
            self._wait_at_least(wait)
        return _Failed(reason, self.max_attempts)

    def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        result: BatchResult,
        index: int,
        batches: int,
        attempt: int,
        n_ids: int,
    ) -> httpx.Response | str:
        """Send one request (following one same-host redirect); a str says what failed."""
        redirected = False
        while True:
            self._wait_turn()
            result.requests += 1
            self._emit(
                "request",
                f"{method} {n_ids} id{'s' if n_ids != 1 else ''}",
                batch=index,
                batches=batches,
                ids=n_ids,
                attempt=attempt,
            )
            try:
                if method == "POST":
                    response = self._http.post(url, data=params)
                else:
                    response = self._http.get(url, params=params)
            except httpx.TimeoutException:
                return f"no answer within {self.timeout:g}s"
            except httpx.TransportError as exc:
                return f"connection failed ({_one_line(exc)})"
            if response.is_redirect and not redirected:
                target = urljoin(url, response.headers.get("Location", ""))
                if _same_origin(url, target):
                    redirected, url = True, target
                    continue
            return response

    # -- pacing

    def _wait_turn(self) -> None:
        """Sleep until this client may start a request; then mark it started."""
        while True:
            now = time.monotonic()
            ready = self._not_before
            if self._last_start is not None:
                ready = max(ready, self._last_start + self.delay)
            if now >= ready:
                break
            time.sleep(ready - now)
        self._last_start = time.monotonic()

    def _wait_at_least(self, seconds: float) -> None:
        # Counted from now (the failed answer's arrival), not from the request's start.
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

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


def _env_delay() -> float:
    raw = os.environ.get("CATALOG_ARXIV_DELAY")
    if raw is None or not raw.strip():
        return DEFAULT_DELAY
    try:
        return float(raw)
    except ValueError:
        raise CatalogError(
            f"CATALOG_ARXIV_DELAY must be a number of seconds, not {raw!r}"
        ) from None


def _retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
