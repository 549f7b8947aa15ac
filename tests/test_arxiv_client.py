"""ArxivClient against the loopback stand-in: batching, pacing, retries, faults.

No mocks: every test drives the real client over HTTP to tests/arxiv_server.py and checks
what arrived from the server's request log. Delays are tiny; times are only bounded below.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise

import pytest

from catalog.errors import ArxivUnavailable, CatalogError
from catalog.sources.arxiv.client import ArxivClient, ClientEvent, _retry_after_seconds
from catalog.sources.arxiv.ids import ArxivId, parse_arxiv_id
from tests.arxiv_server import ArxivStandIn, synthetic_papers
from tests.standin import spaced

FIVE = ["1611.00712", "1804.01694", "1711.05772", "1802.02550", "1804.01118"]
EPS = 0.005  # clock granularity allowance on lower bounds


def ids(*texts: str) -> list[ArxivId]:
    return [parse_arxiv_id(t) for t in texts]


def client(**kw: object) -> ArxivClient:
    kw.setdefault("backoff_base", 0.01)
    return ArxivClient(**kw)  # type: ignore[arg-type]


def test_five_ids_one_request(arxiv_server: ArxivStandIn) -> None:
    events: list[ClientEvent] = []
    with client(on_event=events.append) as c:
        result = c.fetch(ids(*FIVE))
    assert len(arxiv_server.log) == 1
    (req,) = arxiv_server.log
    assert req.method == "GET" and req.status == 200 and set(req.ids) == set(FIVE)
    assert result.requests == 1 and result.retries == 0
    assert result.missing == [] and result.errors == {}
    assert set(result.records) == set(FIVE)

    concrete = result.records["1611.00712"]
    assert concrete.title == (
        "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables"
    )
    assert concrete.authors == ("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh")
    assert concrete.version == 3
    assert concrete.published == datetime(2016, 11, 2, 15, 55, 39, tzinfo=UTC)
    assert concrete.updated == datetime(2017, 3, 5, 21, 44, 4, tzinfo=UTC)
    assert concrete.abstract.startswith("The reparameterization trick enables")
    assert "variables---continuous relaxations" in concrete.abstract
    assert concrete.url == "https://arxiv.org/abs/1611.00712"

    savae = result.records["1802.02550"]
    assert savae.title == "Semi-Amortized Variational Autoencoders"
    assert savae.authors == (
        "Yoon Kim",
        "Sam Wiseman",
        "Andrew C. Miller",
        "David Sontag",
        "Alexander M. Rush",
    )
    spiral = result.records["1804.01118"]
    assert spiral.authors[3] == "S. M. Ali Eslami"  # affiliations are not names
    assert result.records["1804.01694"].authors == ("Anvita Gupta", "James Zou")
    assert result.records["1711.05772"].version == 2
    assert [e.kind for e in events] == ["request", "batch"]


def test_env_configures_the_client(
    arxiv_server: ArxivStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_ARXIV_DELAY", "0.02")
    with ArxivClient() as c:
        assert c.base_url == arxiv_server.url  # set by the fixture
        assert c.delay == 0.02
    with ArxivClient(base_url="http://127.0.0.1:1/api/query", delay=0.5) as c:
        assert c.base_url == "http://127.0.0.1:1/api/query" and c.delay == 0.5
    monkeypatch.setenv("CATALOG_ARXIV_DELAY", "soon")
    with pytest.raises(CatalogError, match="CATALOG_ARXIV_DELAY"):
        ArxivClient()
    monkeypatch.delenv("CATALOG_ARXIV_DELAY")
    monkeypatch.delenv("CATALOG_ARXIV_URL")
    with ArxivClient() as c:
        assert c.delay == 3.0 and c.base_url == "https://export.arxiv.org/api/query"


def test_ids_are_deduplicated_and_asked_without_version(arxiv_server: ArxivStandIn) -> None:
    asked = ["1611.00712v1", "arXiv:1611.00712", "https://arxiv.org/abs/1611.00712v2", "1804.01118"]
    with client() as c:
        result = c.fetch(asked)
    (req,) = arxiv_server.log
    assert req.ids == ("1611.00712", "1804.01118")
    assert result.records["1611.00712"].version == 3  # the latest, whatever was asked


def test_old_style_id_with_subject_class_keeps_our_spelling(arxiv_server: ArxivStandIn) -> None:
    with client() as c:
        result = c.fetch(ids("math.GT/0309136v1", "hep-th/9901001"))
    rec = result.records["math.GT/0309136"]  # arXiv answers it as math/0309136
    assert rec.arxiv_id == "math.GT/0309136" and rec.version == 2
    assert result.records["hep-th/9901001"].journal_ref == "Nucl. Phys. B 550 (1999) 123-145"


def test_503_with_retry_after_is_honoured(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("503:retry-after=1")
    with client() as c:
        result = c.fetch(ids(*FIVE))
    first, second = arxiv_server.log
    assert (first.status, second.status) == (503, 200)
    assert second.time - first.time >= 1.0 - EPS
    assert result.retries == 1 and result.requests == 2
    assert set(result.records) == set(FIVE)


def test_retry_after_is_capped(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("429:retry-after=3600")
    with client(max_retry_after=0.2) as c:
        result = c.fetch(ids("1611.00712"))
    first, second = arxiv_server.log
    assert second.time - first.time >= 0.2 - EPS
    assert "1611.00712" in result.records


def test_retry_after_header_forms() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds(" 2.5 ") == 2.5
    assert (
        _retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    )
    assert _retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert _retry_after_seconds("-4") == 0.0
    assert _retry_after_seconds(None) is None
    assert _retry_after_seconds("whenever") is None


@pytest.mark.parametrize(
    "fault",
    [
        "500",
        "502",
        "429",
        "truncated",
        "cut",
        "reset",
        "html",
        "garbage",
        "billion",
        "xxe",
        "503:retry-date=0",
    ],
)
def test_transient_fault_retried_then_succeeds(arxiv_server: ArxivStandIn, fault: str) -> None:
    arxiv_server.script(fault)
    with client() as c:
        result = c.fetch(ids(*FIVE))
    assert set(result.records) == set(FIVE)
    assert result.requests == 2 and result.retries == 1
    assert [r.ids for r in arxiv_server.log] == [arxiv_server.log[0].ids] * 2


def test_timeout_retried(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("slow:1.0")
    with client(timeout=0.2) as c:
        result = c.fetch(ids("1611.00712"))
    assert result.retries == 1
    assert "1611.00712" in result.records


def test_persistent_truncation_fails_the_batch(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script(*["truncated"] * 3)
    events: list[ClientEvent] = []
    with client(max_attempts=3, on_event=events.append) as c:
        (batch,) = list(c.iter_batches(ids(*FIVE)))
    assert batch.failure is not None and "after 3 attempts" in batch.failure
    assert "not well-formed XML" in batch.failure
    assert batch.records == {} and batch.missing == [] and batch.errors == {}
    assert batch.requests == 3 and batch.retries == 2
    assert len(arxiv_server.log) == 3
    assert [e.kind for e in events] == ["request", "retry"] * 2 + ["request", "batch"]

    arxiv_server.script(*["truncated"] * 3)
    with client(max_attempts=3) as c, pytest.raises(ArxivUnavailable) as info:
        c.fetch(ids(*FIVE))
    message = str(info.value)
    assert message.startswith(f"arXiv could not be reached at {arxiv_server.url}: ")
    assert message.endswith("after 3 attempts") and "\n" not in message


def test_failed_batch_does_not_stop_iteration(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("503", "503")  # only the first batch fails
    with client(max_attempts=2, batch_size=2) as c:
        batches = list(c.iter_batches(ids(*FIVE)))
    assert [b.failure is not None for b in batches] == [True, False, False]
    assert sum(len(b.records) for b in batches) == 3


def test_empty_feed_anomaly_retried(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("empty")
    with client() as c:
        result = c.fetch(ids(*FIVE))
    assert set(result.records) == set(FIVE) and result.missing == []
    assert result.requests == 2 and result.retries == 1


def test_short_feed_asks_again_only_for_missing_ids(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("partial")
    with client() as c:
        result = c.fetch(ids(*FIVE))
    first, second = arxiv_server.log
    assert len(first.ids) == 5 and len(second.ids) == 4
    assert set(first.ids) - set(second.ids) == {FIVE[0]}
    assert set(result.records) == set(FIVE)


def test_persistently_empty_ids_are_missing_after_empty_retries(
    arxiv_server: ArxivStandIn,
) -> None:
    arxiv_server.missing_ids.add("1804.01694")
    with client(empty_retries=2) as c:
        result = c.fetch(ids(*FIVE, "0801.0001"))  # and one arXiv does not have
    assert sorted(result.missing) == ["0801.0001", "1804.01694"]
    assert len(result.records) == 4
    assert [len(r.ids) for r in arxiv_server.log] == [6, 2, 2]
    assert result.retries == 2


def test_error_entries_reported_per_id(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.error_ids["1711.05772"] = None  # arXiv's "incorrect id format for ..."
    with client() as c:
        result = c.fetch(ids(*FIVE, "0801.0001"))
    assert result.errors == {"1711.05772": "incorrect id format for 1711.05772"}
    assert result.missing == ["0801.0001"]
    assert set(result.records) == set(FIVE) - {"1711.05772"}
    log = arxiv_server.log
    assert [(len(r.ids), r.status) for r in log] == [(6, 400), (5, 200), (1, 200), (1, 200)]
    assert all("1711.05772" not in r.ids for r in log[1:])
    assert result.retries == 2  # a 400 error feed is not retried; 0801.0001 was asked again


def test_unattributable_error_is_narrowed_down(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.error_ids["1802.02550"] = "internal error while reading the list"
    with client() as c:
        result = c.fetch(ids(*FIVE))
    assert result.errors == {"1802.02550": "internal error while reading the list"}
    assert set(result.records) == set(FIVE) - {"1802.02550"}
    assert len(arxiv_server.log) <= 1 + 2 * 3  # halving 5 ids: a few extra requests


def test_spacing_between_requests(arxiv_server: ArxivStandIn) -> None:
    delay = 0.05
    arxiv_server.script("503", "ok", "empty")
    started: list[float] = []

    def on_event(event: ClientEvent) -> None:
        if event.kind == "request":
            started.append(time.monotonic())

    with client(delay=delay, batch_size=2, on_event=on_event) as c:
        c.fetch(ids(*FIVE))
    assert len(started) == len(arxiv_server.log) == 5  # 3 batches, 1 retry, 1 empty retry
    # As the client starts them (retries included) ...
    assert min(b - a for a, b in pairwise(started)) >= delay - EPS
    # ... and as the server sees them arrive (a late first stamp forgiven).
    assert spaced(arxiv_server.log, delay)


def test_post_for_long_lists_get_for_short(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.add_papers(synthetic_papers(30))
    many = [f"2101.{i:05d}" for i in range(1, 31)]
    with client() as c:
        short = c.fetch(ids(*many[:3]))
        long = c.fetch(ids(*many))
    assert [r.method for r in arxiv_server.log] == ["GET", "POST"]
    assert len(short.records) == 3 and len(long.records) == 30


def test_thousand_ids_in_five_requests(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.add_papers(synthetic_papers(1000))
    wanted = ids(*(f"2101.{i:05d}" for i in range(1, 1001)))
    with client(batch_size=200) as c:
        batches = list(c.iter_batches(wanted))
    assert len(batches) == 5 and len(arxiv_server.log) == 5
    assert all(len(r.ids) == 200 and r.method == "POST" for r in arxiv_server.log)
    assert sum(len(b.records) for b in batches) == 1000
    assert batches[2].records["2101.00401"].title.startswith("Synthetic Study 401 ")


def test_redirect_to_another_host_not_followed(arxiv_server: ArxivStandIn) -> None:
    with ArxivStandIn() as elsewhere:
        # "localhost" is another host name than the client's 127.0.0.1.
        arxiv_server.script(f"redirect:http://localhost:{elsewhere.port}/api/query")
        with client() as c, pytest.raises(ArxivUnavailable, match="redirected to .*not followed"):
            c.fetch(ids("1611.00712"))
        assert elsewhere.log == []
    assert len(arxiv_server.log) == 1  # and not retried: it would redirect again


def test_same_host_redirect_followed_once(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("redirect:/mirror/api/query")
    with client() as c:
        result = c.fetch(ids("1611.00712"))
    assert "1611.00712" in result.records
    assert len(arxiv_server.log) == 2 and result.retries == 0

    arxiv_server.clear_log()
    arxiv_server.script("redirect:/a/query", "redirect:/b/query")
    with client(max_attempts=1) as c, pytest.raises(ArxivUnavailable, match="redirected"):
        c.fetch(ids("1611.00712"))


def test_entity_payload_never_accepted(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("billion", "xxe")
    with client(max_attempts=2) as c, pytest.raises(ArxivUnavailable, match="DTD"):
        c.fetch(ids("1611.00712"))


def test_not_found_is_not_retried(arxiv_server: ArxivStandIn) -> None:
    with client(base_url=arxiv_server.base + "/nothing-here") as c:
        with pytest.raises(ArxivUnavailable, match="HTTP 404 .*after 1 attempt$"):
            c.fetch(ids("1611.00712"))
    assert len(arxiv_server.log) == 1


def test_connection_refused_gives_one_clear_line(refused_arxiv_url: str) -> None:
    with client(max_attempts=2) as c, pytest.raises(ArxivUnavailable) as info:
        c.fetch(ids("1611.00712"))  # CATALOG_ARXIV_URL: a refusing port (conftest)
    message = str(info.value)
    assert message.startswith(f"arXiv could not be reached at {refused_arxiv_url}: ")
    assert "connection failed" in message and "refused" in message.lower()
    assert message.endswith("after 2 attempts") and "\n" not in message
    assert info.value.exit_code == 3


def test_events_count_requests_and_retries(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("503", "reset")
    events: list[ClientEvent] = []
    with client(on_event=events.append, batch_size=3) as c:
        result = c.fetch(ids(*FIVE))
    kinds = [e.kind for e in events]
    assert kinds.count("request") == result.requests == len(arxiv_server.log) == 4
    assert kinds.count("retry") == result.retries == 2
    assert kinds.count("batch") == 2
    retry = next(e for e in events if e.kind == "retry")
    assert retry.wait > 0 and retry.attempt == 2 and retry.batches == 2


def test_empty_input_makes_no_request(arxiv_server: ArxivStandIn) -> None:
    with client() as c:
        assert list(c.iter_batches([])) == []
        assert c.fetch([]).records == {}
    assert arxiv_server.log == []


def test_chaos_eventually_gets_everything(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.add_papers(synthetic_papers(300))
    arxiv_server.set_chaos(seed=7, fail_503_rate=0.3, truncated_rate=0.2, empty_rate=0.2)
    wanted = ids(*(f"2101.{i:05d}" for i in range(1, 301)))
    with client(batch_size=50, max_attempts=12, empty_retries=6) as c:
        result = c.fetch(wanted)
    assert len(result.records) == 300 and result.missing == []
    assert result.retries > 0
    assert result.requests == len(arxiv_server.log)
