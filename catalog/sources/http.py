"""The one polite HTTP layer every source talks through (grown from the arXiv client).

:class:`Http` is one source's view of the web:

* it talks only to the endpoints the source was configured with (its ``CATALOG_*_URL``
  variables); a request elsewhere is a programming error and raises;
* one connection per host, and no two requests to a host (retries included) start closer
  than the source's delay (``CATALOG_<SOURCE>_DELAY``; tests set 0);
* connection errors, timeouts, 429 and 5xx are retried with exponential backoff, honouring
  ``Retry-After`` (delta-seconds or an HTTP date; ``Retry-After: 0`` still backs off a
  little; capped at ``max_retry_after``);
* a reader (the source's parser) raises :class:`BadAnswer` for a 200 answer whose body is
  malformed or truncated, and the request is retried like a 503; it raises
  :class:`Refused` for an answer that asking again cannot change;
* a same-host redirect is followed (``max_redirects`` hops); a redirect to another host
  never is: the caller gets a :class:`Failure` carrying the ``Location``;
* bodies are read up to ``max_bytes``, so a hostile or broken server cannot fill memory;
  with ``spool=True`` a body goes into a temporary file instead (in memory up to 8 MB,
  on disk past that), which the reader stream-parses (``Reply.stream()``): a large
  page (an OAI-PMH page of 2,500 records) is never held in memory whole, let alone twice;
* a server asking (``Retry-After``) for more than ``max_retry_after`` is waited for that
  long at most, or, with ``long_retry_after="stop"``, not asked again: the request
  fails at once with the wait it asked for (a harvest stops with that advice);
* with ``rate_headers`` (Crossref), spacing follows the ``x-rate-limit-limit`` /
  ``x-rate-limit-interval`` headers of each answer, never below ``min_delay``;
* every request and retry is reported as an :class:`HttpEvent`, for progress bars;
* the User-Agent names the tool and its version, plus ``mailto:`` when
  ``CATALOG_CONTACT_EMAIL`` is set (Crossref's and OpenAlex's "polite pool").

Not thread-safe: pacing is per instance, so a run shares one source (in one thread).
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from catalog import __version__
from catalog.errors import CatalogError, SourceConfigError

__all__ = [
    "BadAnswer",
    "Failure",
    "Http",
    "HttpEvent",
    "Refused",
    "Reply",
    "contact_email",
    "env_delay",
    "env_url",
    "retry_after_seconds",
    "user_agent",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # arXiv's 2,000-entry feeds are a few MB
_CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # a spooled body past this goes to a temporary file


class BadAnswer(Exception):
    """Raised by a reader: the answer is malformed or truncated; asking again may help."""


class Refused(Exception):
    """Raised by a reader: the answer is an error that asking again will not change."""


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, read whole (up to the layer's ``max_bytes``)."""

    status: int
    reason: str
    headers: Mapping[str, str]  # names in lower case
    content: bytes  # empty when the body was spooled: read ``stream()``
    url: str  # the URL that answered (after same-host redirects)
    body: IO[bytes] | None = None  # the spooled body (``spool=True``), closed after read

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def stream(self) -> IO[bytes]:
        """The body as a binary file at offset 0 (spooled or not), for stream parsers."""
        if self.body is None:
            return io.BytesIO(self.content)
        self.body.seek(0)
        return self.body

    def text(self) -> str:
        """The body decoded by its declared charset (UTF-8 when none), never raising."""
        charset = "utf-8"
        m = re.search(r"charset=([\w.-]+)", self.header("content-type") or "", re.I)
        if m:
            charset = m.group(1)
        try:
            return self.content.decode(charset, "replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; :class:`BadAnswer` when it is not (truncated, HTML, empty)."""
        if not self.content.strip():
            raise BadAnswer("the answer is empty, not JSON")
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadAnswer(f"the answer is not well-formed JSON ({exc})") from None


@dataclass(frozen=True)
class Failure:
    """A request that gave no usable answer: why, after how many attempts."""

    reason: str
    attempts: int
    status: int | None = None  # the last HTTP status, when there was an answer
    location: str | None = None  # where a redirect that was not followed pointed
    retry_after: float | None = None  # the wait a server asked for, past max_retry_after

    def __str__(self) -> str:
        return f"{self.reason} after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"


@dataclass(frozen=True)
class HttpEvent:
    """Progress news: one per request sent (redirect hops included) and per retry."""

    kind: Literal["request", "retry"]
    source: str
    url: str  # without the query
    detail: str
    attempt: int  # 1-based attempt within the request
    wait: float = 0.0  # seconds before the retry (retry)
    reason: str = ""  # what failed (retry), without the wait that ``detail`` adds


@dataclass
class _Host:
    client: httpx.Client
    delay: float
    last_start: float | None = None  # monotonic time the last request started
    not_before: float = 0.0  # monotonic time before which no request may start


class Http:
    """One source's polite HTTP client. Use as a context manager so connections close."""

    def __init__(
        self,
        source: str,
        endpoints: Iterable[str],
        *,
        delay: float,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        backoff_base: float | None = None,
        backoff_cap: float = 60.0,
        max_retry_after: float = 120.0,
        long_retry_after: Literal["wait", "stop"] = "wait",
        max_redirects: int = 1,
        max_bytes: int = DEFAULT_MAX_BYTES,
        accept: str = "*/*",
        rate_headers: bool = False,
        min_delay: float = 0.0,
        on_event: Callable[[HttpEvent], None] | None = None,
    ) -> None:
        if delay < 0:
            raise CatalogError(f"the {source} request delay must not be negative, not {delay}")
        if max_attempts < 1:
            raise CatalogError(f"max_attempts must be at least 1, not {max_attempts}")
        self.source = source
        self.origins = {_origin(url) for url in endpoints}
        self.delay = float(delay)
        self.timeout = timeout
        self.max_attempts = max_attempts
        # Backoff grows from the request spacing, so tiny test delays give tiny backoffs.
        self.backoff_base = max(self.delay, 0.05) if backoff_base is None else backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.long_retry_after = long_retry_after
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self.accept = accept
        self.rate_headers = rate_headers
        self.min_delay = min_delay
        self.on_event = on_event
        self.requests = 0  # totals over the client's life, for FetchOutcome counts
        self.retries = 0
        self._hosts: dict[tuple[str, str, int | None], _Host] = {}

    # -- lifecycle

    def close(self) -> None:
        for host in self._hosts.values():
            host.client.close()
        self._hosts.clear()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        read: Callable[[Reply], T],
        accept_status: Collection[int] = (200,),
        on_event: Callable[[HttpEvent], None] | None = None,
        spool: bool = False,
    ) -> T | Failure:
        return self.request(
            "GET",
            url,
            params=params,
            read=read,
            accept_status=accept_status,
            on_event=on_event,
            spool=spool,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        read: Callable[[Reply], T],
        accept_status: Collection[int] = (200,),
        on_event: Callable[[HttpEvent], None] | None = None,
        spool: bool = False,
    ) -> T | Failure:
        """Send one request, retrying as the module docstring says.

        Answers with a status in ``accept_status`` go to ``read``, whose value is
        returned; other statuses that a retry cannot change (404, 410, ...) give a
        :class:`Failure` at once, as does a redirect to another host. With ``spool``
        the body is in a temporary file (``Reply.stream()``), closed once ``read``
        returns: ``read`` parses it, and keeps nothing of the file.
        """
        host = self._host(url)
        reason = "no attempt made"
        status: int | None = None
        for attempt in range(1, self.max_attempts + 1):
            retry_after: float | None = None
            outcome = self._send(host, method, url, params, data, attempt, on_event, spool)
            if isinstance(outcome, Failure):
                return outcome  # not worth retrying (redirect away, body too large)
            if isinstance(outcome, str):
                reason, status = outcome, None
            else:
                reply = outcome
                status = reply.status
                if status in accept_status:
                    try:
                        return read(reply)
                    except BadAnswer as exc:
                        reason = str(exc)
                    except Refused as exc:
                        return Failure(str(exc), attempt, status)
                    finally:
                        if reply.body is not None:
                            reply.body.close()
                else:
                    if reply.body is not None:  # an answer not read: its body is not wanted
                        reply.body.close()
                    if status == 429 or status >= 500:
                        reason = f"HTTP {status} {reply.reason}".strip()
                        retry_after = retry_after_seconds(reply.header("retry-after"))
                        if (
                            retry_after is not None
                            and retry_after > self.max_retry_after
                            and self.long_retry_after == "stop"
                        ):
                            return Failure(reason, attempt, status, retry_after=retry_after)
                    elif 300 <= status < 400:
                        location = reply.header("location") or ""
                        return Failure(
                            f"redirected to {location or 'nowhere'}; not followed",
                            attempt,
                            status,
                            urljoin(reply.url, location) if location else None,
                        )
                    else:  # other 4xx: asking again will not help
                        return Failure(f"HTTP {status} {reply.reason}".strip(), attempt, status)
            if attempt == self.max_attempts:
                break
            wait = self.backoff(attempt)
            if retry_after is not None:
                wait = max(wait, min(retry_after, self.max_retry_after))
            self.retries += 1
            self._emit(
                on_event,
                HttpEvent(
                    "retry",
                    self.source,
                    _no_query(url),
                    f"{reason}; retrying in {wait:.2f}s",
                    attempt + 1,
                    wait,
                    reason,
                ),
            )
            self.hold(url, wait)
        return Failure(reason, self.max_attempts, status)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): doubling, capped."""
        return float(min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def hold(self, url: str, seconds: float) -> None:
        """No request to ``url``'s host starts within ``seconds`` from now."""
        host = self._host(url)
        host.not_before = max(host.not_before, time.monotonic() + seconds)

    def spacing(self, url: str) -> float:
        """The spacing now in force for ``url``'s host (rate headers may have changed it)."""
        return self._host(url).delay

    # -- internals

    def _host(self, url: str) -> _Host:
        origin = _origin(url)
        if origin not in self.origins:
            allowed = ", ".join(sorted(_show(o) for o in self.origins)) or "none"
            raise CatalogError(
                f"{self.source} may only talk to its configured endpoints ({allowed}), "
                f"not {_show(origin)}"
            )
        host = self._hosts.get(origin)
        if host is None:
            client = httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                follow_redirects=False,  # never let a redirect take us to another host
                headers={"User-Agent": user_agent(), "Accept": self.accept},
            )
            host = self._hosts[origin] = _Host(client, self.delay)
        return host

    def _send(
        self,
        host: _Host,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        attempt: int,
        on_event: Callable[[HttpEvent], None] | None,
        spool: bool = False,
    ) -> Reply | Failure | str:
        """One attempt (following same-host redirects); a str says what failed."""
        hops = 0
        while True:
            self._wait_turn(host)
            self.requests += 1
            self._emit(
                on_event,
                HttpEvent("request", self.source, _no_query(url), f"{method} {url}", attempt),
            )
            try:
                reply = self._exchange(host, method, url, params, data, spool)
            except httpx.TimeoutException:
                return f"no answer within {self.timeout:g}s"
            except httpx.TransportError as exc:
                return f"connection failed ({_one_line(exc)})"
            if isinstance(reply, Failure):
                return Failure(reply.reason, attempt)
            self._adapt(host, reply)
            if 300 <= reply.status < 400 and hops < self.max_redirects:
                target = urljoin(url, reply.header("location") or "")
                if reply.header("location") and _origin(target) == _origin(url):
                    if reply.body is not None:
                        reply.body.close()
                    hops, url = hops + 1, target
                    continue
            return reply

    def _exchange(
        self,
        host: _Host,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        spool: bool = False,
    ) -> Reply | Failure:
        request = host.client.build_request(
            method, url, params=dict(params) if params else None, data=data
        )
        response = host.client.send(request, stream=True)
        too_large = Failure(f"the answer is larger than {self.max_bytes} bytes", 1)
        body: IO[bytes] | None = None
        chunks: list[bytes] = []
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                return too_large
            if spool:
                body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
            size = 0
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    if body is not None:
                        body.close()
                    return too_large
                if body is not None:
                    body.write(chunk)
                else:
                    chunks.append(chunk)
        except BaseException:
            if body is not None:
                body.close()
            raise
        finally:
            response.close()
        return Reply(
            status=response.status_code,
            reason=response.reason_phrase,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=b"".join(chunks),
            url=str(response.url),
            body=body,
        )

    def _wait_turn(self, host: _Host) -> None:
        """Sleep until a request to ``host`` may start; then mark it started."""
        while True:
            now = time.monotonic()
            ready = host.not_before
            if host.last_start is not None:
                ready = max(ready, host.last_start + host.delay)
            if now >= ready:
                break
            time.sleep(ready - now)
        host.last_start = time.monotonic()

    def _adapt(self, host: _Host, reply: Reply) -> None:
        if not self.rate_headers:
            return
        spacing = rate_limit_spacing(
            reply.header("x-rate-limit-limit"), reply.header("x-rate-limit-interval")
        )
        if spacing is not None:
            host.delay = max(self.min_delay, spacing)

    def _emit(self, on_event: Callable[[HttpEvent], None] | None, event: HttpEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)
        if on_event is not None:
            on_event(event)


# --- configuration ---------------------------------------------------------------------------


def user_agent() -> str:
    """``catalog/<version> (...)``, with ``mailto:`` when CATALOG_CONTACT_EMAIL is set."""
    email = contact_email()
    extra = f"; mailto:{email}" if email else ""
    return f"catalog/{__version__} (reading-group paper catalog; python-httpx{extra})"


def contact_email() -> str | None:
    """CATALOG_CONTACT_EMAIL, when it looks like an address (else None: never sent)."""
    raw = (os.environ.get("CATALOG_CONTACT_EMAIL") or "").strip()
    return raw if re.fullmatch(r"[^@\s;()]+@[^@\s;()]+\.[^@\s;()]+", raw) else None


def env_url(variable: str, default: str) -> str:
    """The endpoint a variable names (default when unset or empty), checked to be http(s)."""
    raw = (os.environ.get(variable) or "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceConfigError(f"{variable} must be an http(s) URL such as {default}, not {raw!r}")
    return raw


def env_delay(variable: str, default: float | None) -> float | None:
    """Seconds a delay variable asks for; ``default`` when unset or empty."""
    raw = os.environ.get(variable)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SourceConfigError(f"{variable} must be a number of seconds, not {raw!r}") from None
    if value < 0 or value != value:  # negative, or NaN
        raise SourceConfigError(f"{variable} must be a number of seconds, not {raw!r}")
    return value


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


_INTERVAL = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", re.I)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def rate_limit_spacing(limit: str | None, interval: str | None) -> float | None:
    """Seconds between requests that ``x-rate-limit-limit: 50`` / ``-interval: 1s`` allow."""
    if not limit or not interval:
        return None
    try:
        count = int(limit.strip())
    except ValueError:
        return None
    m = _INTERVAL.fullmatch(interval)
    if count < 1 or m is None:
        return None
    seconds = float(m.group(1)) * _UNIT[(m.group(2) or "s").lower()]
    return min(seconds / count, 60.0)  # a silly header must not stall a run for hours


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port)


def _show(origin: tuple[str, str, int | None]) -> str:
    scheme, host, port = origin
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port != default else "")


def _no_query(url: str) -> str:
    return url.split("?", 1)[0]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
