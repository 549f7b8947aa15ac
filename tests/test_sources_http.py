"""The polite HTTP layer (catalog/sources/http.py) against a real loopback server.

Spacing and backoff are judged as the server sees them (arrival times in its log), and
only from below; the client's own clock is never asserted on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise

import pytest

from catalog import __version__
from catalog.errors import CatalogError
from catalog.sources.http import (
    BadAnswer,
    Failure,
    Http,
    HttpEvent,
    Refused,
    Reply,
    env_delay,
    env_url,
    rate_limit_spacing,
    user_agent,
)
from tests.standin import Answer, Request, StandIn, spaced

EPS = 0.005  # clock granularity allowance on lower bounds


class EchoStandIn(StandIn):
    """Answers every path with a small JSON object naming it; ``/big`` with 10,000 bytes;
    rate headers when ``rate`` is set."""

    name = "echo"

    def __init__(self) -> None:
        self.rate: tuple[int, str] | None = None
        super().__init__()

    def answer(self, request: Request) -> Answer:
        headers = {}
        if self.rate is not None:
            headers = {
                "x-rate-limit-limit": str(self.rate[0]),
                "x-rate-limit-interval": self.rate[1],
            }
        if request.path == "/big":
            return Answer(200, b"x" * 10_000, "text/plain", headers)
        if request.path == "/missing":
            return Answer(404, b"Resource not found.", "text/plain")
        body = json.dumps({"path": request.path, "params": request.params}).encode()
        return Answer(200, body, "application/json", headers)


@pytest.fixture
def echo() -> Iterator[EchoStandIn]:
    with EchoStandIn() as server:
        yield server


def http(server: StandIn, **kw: object) -> Http:
    kw.setdefault("delay", 0.0)
    kw.setdefault("backoff_base", 0.01)
    return Http("echo", [server.base], **kw)  # type: ignore[arg-type]


def read_json(reply: Reply) -> object:
    return reply.json()


def test_one_connection_and_a_user_agent_naming_the_tool(echo: EchoStandIn) -> None:
    with http(echo) as h:
        for i in range(3):
            assert h.get(f"{echo.base}/p{i}", read=read_json) == {"path": f"/p{i}", "params": {}}
    assert len({r.peer for r in echo.log}) == 1  # one kept-alive connection
    agent = echo.log[0].headers["user-agent"]
    assert agent.startswith(f"catalog/{__version__} (") and "mailto" not in agent


def test_contact_email_is_sent_as_mailto(
    echo: EchoStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_CONTACT_EMAIL", "group@example.org")
    with http(echo) as h:
        h.get(echo.base + "/", read=read_json)
    assert "mailto:group@example.org" in echo.log[0].headers["user-agent"]
    monkeypatch.setenv("CATALOG_CONTACT_EMAIL", "not an address")
    assert "mailto" not in user_agent()


def test_requests_are_spaced_as_the_server_sees_them(echo: EchoStandIn) -> None:
    delay = 0.05
    echo.script("503", "ok", "ok")
    with http(echo, delay=delay) as h:
        h.get(echo.base + "/a", read=read_json)
        h.get(echo.base + "/b", read=read_json)
        h.get(echo.base + "/c", read=read_json)
    assert len(echo.log) == 4 and spaced(echo.log, delay)  # a retry is spaced too


def test_retry_after_seconds_and_dates_are_honoured(echo: EchoStandIn) -> None:
    echo.script("429:retry-after=1", "503:retry-date=2")
    with http(echo) as h:
        assert h.get(echo.base + "/", read=read_json) == {"path": "/", "params": {}}
    first, second, third = echo.log
    assert (first.status, second.status, third.status) == (429, 503, 200)
    assert second.time - first.time >= 1.0 - EPS
    assert third.time - second.time >= 1.0  # an HTTP date two seconds ahead (1 s granularity)


def test_retry_after_zero_still_backs_off_and_long_ones_are_capped(echo: EchoStandIn) -> None:
    echo.script("503:retry-after=0", "429:retry-after=3600")
    with http(echo, backoff_base=0.05, max_retry_after=0.2) as h:
        h.get(echo.base + "/", read=read_json)
    first, second, third = echo.log
    assert second.time - first.time >= 0.05 - EPS  # backoff, although "0" was asked
    assert third.time - second.time >= 0.2 - EPS  # capped at max_retry_after, not an hour


def test_backoff_doubles(echo: EchoStandIn) -> None:
    echo.script("500", "502", "503")
    events: list[HttpEvent] = []
    with http(echo, backoff_base=0.04, on_event=events.append) as h:
        h.get(echo.base + "/", read=read_json)
        assert h.retries == 3 and h.requests == 4
    gaps = [b.time - a.time for a, b in pairwise(echo.log)]
    for gap, wanted in zip(gaps, (0.04, 0.08, 0.16), strict=True):
        assert gap >= wanted - EPS
    retries = [e for e in events if e.kind == "retry"]
    assert [e.attempt for e in retries] == [2, 3, 4]
    assert [e.wait for e in retries] == [0.04, 0.08, 0.16]
    assert "HTTP 500" in retries[0].detail


def test_malformed_body_is_retried_and_a_refusal_is_not(echo: EchoStandIn) -> None:
    echo.script("truncated", "garbage")
    with http(echo) as h:
        assert h.get(echo.base + "/", read=read_json) == {"path": "/", "params": {}}
    assert len(echo.log) == 3

    def refuse(reply: Reply) -> object:
        raise Refused("the service says no")

    echo.clear_log()
    with http(echo) as h:
        outcome = h.get(echo.base + "/", read=refuse)
    assert isinstance(outcome, Failure) and outcome.reason == "the service says no"
    assert len(echo.log) == 1


def test_persistent_bad_answers_fail_with_the_reason(echo: EchoStandIn) -> None:
    def never(reply: Reply) -> object:
        raise BadAnswer("the body is cut short")

    with http(echo, max_attempts=3) as h:
        outcome = h.get(echo.base + "/", read=never)
    assert isinstance(outcome, Failure)
    assert str(outcome) == "the body is cut short after 3 attempts"
    assert len(echo.log) == 3


def test_not_found_is_not_retried_unless_the_reader_takes_it(echo: EchoStandIn) -> None:
    with http(echo) as h:
        outcome = h.get(echo.base + "/missing", read=read_json)
        assert isinstance(outcome, Failure) and outcome.status == 404
        assert h.get(echo.base + "/missing", read=lambda r: r.text(), accept_status=(200, 404)) == (
            "Resource not found."
        )
    assert len(echo.log) == 2


def test_timeouts_and_resets_are_retried(echo: EchoStandIn) -> None:
    echo.script("slow:1.0", "reset", "cut")
    with http(echo, timeout=0.2) as h:
        assert h.get(echo.base + "/", read=read_json) == {"path": "/", "params": {}}
        assert h.retries == 3


def test_connection_refused_is_one_line(refused_arxiv_url: str) -> None:
    base = refused_arxiv_url.removesuffix("/api/query")
    with Http("echo", [base], delay=0, backoff_base=0.01, max_attempts=2) as h:
        outcome = h.get(base + "/", read=read_json)
    assert isinstance(outcome, Failure) and outcome.attempts == 2
    assert "connection failed" in outcome.reason and "\n" not in str(outcome)


def test_redirect_to_another_host_is_never_followed(echo: EchoStandIn) -> None:
    with EchoStandIn() as elsewhere:
        target = f"http://localhost:{elsewhere.port}/x"  # another host name
        echo.script(f"redirect:{target}")
        with http(echo) as h:
            outcome = h.get(echo.base + "/", read=read_json)
        assert isinstance(outcome, Failure) and outcome.location == target
        assert "not followed" in outcome.reason
        assert elsewhere.log == []
    assert len(echo.log) == 1


def test_same_host_redirects_are_followed_up_to_the_limit(echo: EchoStandIn) -> None:
    echo.script("redirect:/second", "redirect:/third")
    with http(echo, max_redirects=2) as h:
        assert h.get(echo.base + "/first", read=read_json) == {"path": "/third", "params": {}}
    echo.script("redirect:/a", "redirect:/b")
    with http(echo, max_redirects=1, max_attempts=1) as h:
        outcome = h.get(echo.base + "/", read=read_json)
    assert isinstance(outcome, Failure) and "redirected" in outcome.reason


def test_bodies_are_bounded(echo: EchoStandIn) -> None:
    with http(echo, max_bytes=1000) as h:
        outcome = h.get(echo.base + "/big", read=lambda r: r.content)
    assert isinstance(outcome, Failure) and "larger than 1000 bytes" in outcome.reason
    assert len(echo.log) == 1  # asking again would bring the same body


def test_a_spooled_body_is_read_as_a_file_closed_after_reading_and_bounded(
    echo: EchoStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.sources import http as layer

    monkeypatch.setattr(layer, "SPOOL_IN_MEMORY", 1000)  # 10,000 bytes go to disk
    kept: list[Reply] = []

    def read_stream(reply: Reply) -> bytes:
        kept.append(reply)
        return reply.stream().read()

    with http(echo) as h:
        assert h.get(echo.base + "/big", read=read_stream, spool=True) == b"x" * 10_000
        assert kept[0].content == b""  # nothing held in memory beside the file
        assert kept[0].body is not None and kept[0].body.closed
        assert h.get(echo.base + "/p", read=read_stream, spool=True) == (
            b'{"path": "/p", "params": {}}'
        )
    with http(echo, max_bytes=1000) as h:
        outcome = h.get(echo.base + "/big", read=read_stream, spool=True)
    assert isinstance(outcome, Failure) and "larger than 1000 bytes" in outcome.reason


def test_a_long_retry_after_can_stop_the_request_instead_of_waiting(echo: EchoStandIn) -> None:
    echo.script("503:retry-after=3600")
    with http(echo, max_retry_after=1.0, long_retry_after="stop") as h:
        outcome = h.get(echo.base + "/", read=read_json)
    assert isinstance(outcome, Failure)
    assert outcome.retry_after == 3600 and outcome.status == 503
    assert len(echo.log) == 1  # not asked again


def test_only_configured_endpoints_are_asked(echo: EchoStandIn) -> None:
    with http(echo) as h, pytest.raises(CatalogError, match="configured endpoints"):
        h.get(f"http://localhost:{echo.port}/", read=read_json)
    assert echo.log == []


def test_spacing_follows_rate_headers_when_opted_in(echo: EchoStandIn) -> None:
    echo.rate = (4, "1s")  # four a second: 0.25 s apart
    with http(echo, rate_headers=True) as h:
        for _ in range(4):
            h.get(echo.base + "/", read=read_json)
        assert h.spacing(echo.base) == 0.25
    # The first answer carried the headers already: every gap is 0.25 s.
    assert spaced(echo.log, 0.25)

    echo.clear_log()
    with http(echo, delay=0.0) as h:  # not opted in: the headers change nothing
        h.get(echo.base + "/", read=read_json)
        assert h.spacing(echo.base) == 0.0
    with http(echo, rate_headers=True, min_delay=0.5) as h:  # a floor the headers cannot lower
        h.get(echo.base + "/", read=read_json)
        assert h.spacing(echo.base) == 0.5


def test_rate_limit_header_forms() -> None:
    assert rate_limit_spacing("50", "1s") == 0.02
    assert rate_limit_spacing("10", "2s") == 0.2
    assert rate_limit_spacing("5", "500ms") == 0.1
    assert rate_limit_spacing("1", "1m") == 60.0
    assert rate_limit_spacing("1", "1h") == 60.0  # capped
    for limit, interval in (("0", "1s"), ("x", "1s"), ("5", "soon"), (None, "1s"), ("5", None)):
        assert rate_limit_spacing(limit, interval) is None


def test_configuration_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_X_DELAY", "0.5")
    assert env_delay("CATALOG_X_DELAY", 2.0) == 0.5
    monkeypatch.setenv("CATALOG_X_DELAY", "")
    assert env_delay("CATALOG_X_DELAY", 2.0) == 2.0
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv("CATALOG_X_DELAY", bad)
        with pytest.raises(CatalogError, match="CATALOG_X_DELAY must be a number of seconds"):
            env_delay("CATALOG_X_DELAY", 2.0)
    monkeypatch.delenv("CATALOG_X_URL", raising=False)
    assert env_url("CATALOG_X_URL", "https://api.example.org") == "https://api.example.org"
    monkeypatch.setenv("CATALOG_X_URL", "ftp://example.org")
    with pytest.raises(CatalogError, match="CATALOG_X_URL must be an http"):
        env_url("CATALOG_X_URL", "https://api.example.org")
    with pytest.raises(CatalogError, match="must not be negative"):
        Http("x", ["https://example.org"], delay=-1)
