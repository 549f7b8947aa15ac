"""The index's one door to the network: ``ListRecords`` pages from arXiv's OAI-PMH
endpoint, through the project's shared polite layer (:mod:`catalog.sources.http`).

What the shared layer does for every source (spacing, retries, ``Retry-After``, a
capped body) is not repeated here; this module says how the OAI-PMH endpoint is to be
treated:

* ``CATALOG_OAI_URL`` (default ``https://oaipmh.arxiv.org/oai``) and ``CATALOG_OAI_DELAY``
  (default 3 s, arXiv's asked spacing): one request at a time, no two (retries included)
  closer than the delay;
* 503 (arXiv's flow control), 429 and other 5xx, timeouts and broken connections are
  retried; ``Retry-After`` is honoured and never waited for less than the backoff (so
  ``Retry-After: 0`` still backs off); a server asking for more than ten minutes is not
  asked again: the run stops with that advice;
* a page that is not whole XML (cut short, truncated) is asked again, with backoff;
* OAI-PMH sends its errors in a 200 answer, and some servers send them with a 4xx status:
  an XML body of a 4xx answer is read too; any other 4xx ends the run at once;
* each body is spooled to a temporary file (memory up to 8 MB, disk past that, 1 GB at
  most) and stream-parsed: a 2,500-record page is never in memory whole;
* redirects are not followed (an OAI-PMH endpoint has no business moving).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TypeVar

from catalog.errors import ArxivUnavailable
from catalog.index.oai import MalformedPage, Page, parse_page
from catalog.sources.http import BadAnswer, Failure, Http, HttpEvent, Refused, Reply
from catalog.sources.http import env_delay as shared_env_delay
from catalog.sources.http import env_url as shared_env_url

DEFAULT_URL = "https://oaipmh.arxiv.org/oai"
DEFAULT_DELAY = 3.0
MAX_RETRY_AFTER = 600.0  # a server asking for longer stops the run
PAGE_BYTES = 1024 * 1024 * 1024
# 200, and the 4xx answers that may carry an OAI-PMH error (429 is flow control: retried)
_READ_STATUS = frozenset({200} | set(range(400, 500)) - {429})

# (what happened, seconds the client waits before asking again)
OnRetry = Callable[[str, float], None]
P = TypeVar("P")


def env_url() -> str:
    """``CATALOG_OAI_URL``, checked to be an http(s) URL (default arXiv's endpoint)."""
    return shared_env_url("CATALOG_OAI_URL", DEFAULT_URL)


def env_delay() -> float:
    """``CATALOG_OAI_DELAY`` in seconds (default 3, arXiv's asked spacing)."""
    delay = shared_env_delay("CATALOG_OAI_DELAY", DEFAULT_DELAY)
    return DEFAULT_DELAY if delay is None else delay


class OaiClient:
    """``ListRecords`` pages from one OAI-PMH endpoint. Use as a context manager."""

    def __init__(
        self,
        base_url: str | None = None,
        delay: float | None = None,
        *,
        timeout: float = 120.0,
        max_attempts: int = 8,
        max_retry_after: float = MAX_RETRY_AFTER,
        backoff_cap: float = 300.0,
        max_bytes: int = PAGE_BYTES,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.base_url = base_url or env_url()
        self.delay = env_delay() if delay is None else delay
        self.on_retry = on_retry
        self._http = Http(
            "oai",
            [self.base_url],
            delay=self.delay,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_cap=backoff_cap,
            max_retry_after=max_retry_after,
            long_retry_after="stop",
            max_redirects=0,
            max_bytes=max_bytes,
            accept="text/xml, application/xml",
            on_event=self._event,
        )

    @property
    def requests(self) -> int:
        return self._http.requests

    @property
    def retries(self) -> int:
        return self._http.retries

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OaiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def list_records(self, params: dict[str, str]) -> Page:
        """The page the endpoint answers to ``params`` (its OAI-PMH error included).

        Raises :class:`ArxivUnavailable` when no whole page came after every attempt,
        or the server asked to wait longer than ``max_retry_after``.
        """
        return self.fetch(params, parse_page)

    def fetch(self, params: dict[str, str], parse: Callable[[IO[bytes]], P]) -> P:
        """:meth:`list_records` with the body read by ``parse`` (which raises
        :class:`MalformedPage` for a page that is not whole: it is asked again)."""

        def read(reply: Reply) -> P:
            if reply.status != 200 and "xml" not in (reply.header("content-type") or ""):
                raise Refused(f"HTTP {reply.status} {reply.reason}".strip())
            try:
                return parse(reply.stream())
            except MalformedPage as exc:
                raise BadAnswer(str(exc)) from None

        outcome = self._http.get(
            self.base_url, params, read=read, accept_status=_READ_STATUS, spool=True
        )
        if isinstance(outcome, Failure):
            raise ArxivUnavailable(self._explain(outcome))
        return outcome

    def _explain(self, failure: Failure) -> str:
        where = self.base_url
        if failure.retry_after is not None:
            wait = f"{failure.retry_after:.0f}s"
            return f"{where} asks to wait {wait} ({failure.reason}); run again later"
        if failure.status == 200:  # answered every time, never with a whole page
            return f"{where} kept sending broken pages: {failure}; run again to go on"
        if failure.status is not None and 300 <= failure.status < 400:
            return (
                f"{where} answered HTTP {failure.status}, {failure.reason} (an OAI-PMH "
                "endpoint does not move): set CATALOG_OAI_URL to the endpoint itself"
            )
        if failure.status is not None and failure.status != 429 and failure.status < 500:
            return f"{where} answered {failure.reason}"
        return f"{where} could not be reached: {failure}"

    def _event(self, event: HttpEvent) -> None:
        if event.kind == "retry" and self.on_retry is not None:
            self.on_retry(event.reason, event.wait)
