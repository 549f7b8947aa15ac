"""The index's one door to the network: polite GETs to arXiv's OAI-PMH endpoint.

Kept in this one module so it can move onto the shared HTTP layer
(``catalog/sources/http.py``) when that lands. The rules (arXiv's, and the issue's):

* one request at a time on one connection; no two requests (retries included) start
  closer than ``delay`` seconds apart (``CATALOG_OAI_DELAY``, default 3 s);
* 503 (arXiv's flow control), 429 and other 5xx, timeouts and broken connections are
  retried; ``Retry-After`` (seconds or an HTTP date) is honoured, and the wait is never
  shorter than the backoff, so ``Retry-After: 0`` still backs off; a server that asks for
  more than ``max_retry_after`` seconds is not hammered: the run stops with that advice;
* the body is read into a spooled temporary file (memory for small pages, disk past
  8 MB, at most ``max_bytes``), so a caller can stream-parse it and a page never needs to
  fit in memory twice;
* redirects are not followed; the User-Agent names the tool.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO

import httpx

from catalog import __version__
from catalog.errors import ArxivUnavailable, CatalogError

DEFAULT_URL = "https://oaipmh.arxiv.org/oai"
DEFAULT_DELAY = 3.0
USER_AGENT = f"catalog/{__version__} (reading-group paper catalog; arXiv index harvester)"
_SPOOL_IN_MEMORY = 8 * 1024 * 1024

# (what happened, seconds the client waits before asking again)
OnRetry = Callable[[str, float], None]


def env_url() -> str:
    return os.environ.get("CATALOG_OAI_URL", "").strip() or DEFAULT_URL


def env_delay() -> float:
    raw = os.environ.get("CATALOG_OAI_DELAY", "").strip()
    if not raw:
        return DEFAULT_DELAY
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise CatalogError(f"CATALOG_OAI_DELAY must be a number of seconds >= 0, not {raw!r}")
    return value


class PoliteHttp:
    """GETs to one endpoint, paced and retried. Use as a context manager."""

    def __init__(
        self,
        base_url: str | None = None,
        delay: float | None = None,
        *,
        timeout: float = 120.0,
        max_attempts: int = 8,
        max_retry_after: float = 600.0,
        backoff_cap: float = 300.0,
        max_bytes: int = 1024 * 1024 * 1024,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.base_url = base_url or env_url()
        self.delay = env_delay() if delay is None else delay
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.backoff_cap = backoff_cap
        # Backoff grows from the spacing (a floor keeps test delays of 0 honest).
        self.backoff_base = max(self.delay, 0.05)
        self.max_bytes = max_bytes
        self.on_retry = on_retry
        self.requests = 0
        self.retries = 0
        self._last_start: float | None = None
        self._not_before = 0.0
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "text/xml, application/xml"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, params: dict[str, str]) -> IO[bytes]:
        """The body of a 200 answer to ``params``, as a file at offset 0 (close it).

        Raises :class:`ArxivUnavailable` when every attempt failed.
        """
        reason = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            self._wait_turn()
            self.requests += 1
            try:
                body = self._fetch(params)
            except _Answer as answer:
                if answer.status not in (429,) and answer.status < 500:
                    raise ArxivUnavailable(
                        f"{self.base_url} answered HTTP {answer.status} {answer.reason}"
                        + (f" (to {answer.location})" if answer.location else "")
                    ) from None
                reason = f"HTTP {answer.status} {answer.reason}".strip()
                retry_after = answer.retry_after
            except httpx.TimeoutException:
                reason = "no answer in time"
            except httpx.TransportError as exc:  # refused, reset, body cut short
                reason = f"connection failed ({' '.join(str(exc).split()) or type(exc).__name__})"
            else:
                return body
            if retry_after is not None and retry_after > self.max_retry_after:
                raise ArxivUnavailable(
                    f"{self.base_url} asks to wait {retry_after:.0f}s ({reason}); run again later"
                )
            if attempt == self.max_attempts:
                break
            self.retry_later(reason, attempt, retry_after)
        raise ArxivUnavailable(
            f"{self.base_url} could not be reached: {reason} after {self.max_attempts} attempts"
        )

    def retry_later(self, reason: str, attempt: int, retry_after: float | None = None) -> None:
        """Push the next request back by the backoff for ``attempt`` (or Retry-After)."""
        wait = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        if retry_after is not None:
            wait = max(wait, retry_after)
        self.retries += 1
        if self.on_retry is not None:
            self.on_retry(reason, wait)
        # Counted from now (the failed answer's arrival), not from the request's start.
        self._not_before = max(self._not_before, time.monotonic() + wait)

    def _fetch(self, params: dict[str, str]) -> IO[bytes]:
        with self._http.stream("GET", self.base_url, params=params) as response:
            status = response.status_code
            # OAI-PMH errors come in a 200 answer; a server that sends them with a 4xx
            # status still says what is wrong in the XML, so that is read too.
            xml_error = (
                400 <= status < 500
                and status != 429
                and "xml" in (response.headers.get("Content-Type", ""))
            )
            if status != 200 and not xml_error:
                response.read()
                raise _Answer(response)
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
            size = 0
            try:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ArxivUnavailable(
                            f"{self.base_url} sent more than {self.max_bytes} bytes for one page"
                        )
                    spool.write(chunk)
            except BaseException:
                spool.close()
                raise
        spool.seek(0)
        return spool

    def _wait_turn(self) -> None:
        while True:
            now = time.monotonic()
            ready = self._not_before
            if self._last_start is not None:
                ready = max(ready, self._last_start + self.delay)
            if now >= ready:
                break
            time.sleep(ready - now)
        self._last_start = time.monotonic()


class _Answer(Exception):
    """A non-200 answer."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.location = response.headers.get("Location", "") if response.is_redirect else ""
        self.retry_after = retry_after_seconds(response.headers.get("Retry-After"))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
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
