"""The OpenReview source against its two loopback stand-ins (API v2 and v1,
tests/openreview_server.py): v2 first then v1, wrapped and plain values, accepted versus
rejected or withdrawn submissions, faults."""

from __future__ import annotations

import pytest

from catalog.records import Identifier
from catalog.sources.openreview import OpenReviewSource
from tests.fixtures.works import by_key
from tests.openreview_server import OpenReviewStandIn
from tests.standin import spaced

Servers = tuple[OpenReviewStandIn, OpenReviewStandIn]


def note(value: str) -> Identifier:
    return Identifier("openreview", value)


def test_a_v2_note_with_wrapped_values(openreview_servers: Servers) -> None:
    v2, v1 = openreview_servers
    with OpenReviewSource() as s:
        out = s.fetch([note("2dnO3LLiJ1")])
    record = out.records[note("2dnO3LLiJ1")]
    work = by_key("registers")
    assert record.title == work.title and record.authors == tuple(p.name for p in work.authors)
    assert (record.kind, record.venue, record.year) == ("proceedings", "ICLR 2024", 2024)
    assert record.url == "https://openreview.net/forum?id=2dnO3LLiJ1"
    assert record.identifiers == (note("2dnO3LLiJ1"),) and record.source == "openreview"
    assert record.abstract and record.links == ("https://openreview.net/pdf/2dnO3LLiJ1",)
    assert [r.ids for r in v2.log] == [("2dnO3LLiJ1",)] and v1.log == []
    assert out.requests == 1


def test_a_note_v2_lacks_is_asked_on_v1(openreview_servers: Servers) -> None:
    v2, v1 = openreview_servers
    with OpenReviewSource() as s:
        out = s.fetch([note("BkpiPMbA-")])
    record = out.records[note("BkpiPMbA-")]
    assert record.title == "Decision Boundary Analysis of Adversarial Examples"
    assert record.authors == ("Warren He", "Bo Li", "Dawn Song")
    # "ICLR 2018 Conference Poster": the venue without its track.
    assert (record.kind, record.venue, record.year) == ("proceedings", "ICLR 2018", 2018)
    assert [(r.ids, r.status) for r in v2.log] == [(("BkpiPMbA-",), 404)]
    assert [r.ids for r in v1.log] == [("BkpiPMbA-",)]  # it has a venue: no decision asked


def test_v1_notes_without_venue_take_the_forum_decision(openreview_servers: Servers) -> None:
    _, v1 = openreview_servers
    with OpenReviewSource() as s:
        out = s.fetch([note("S1jE5L5gl"), note("r1Ue8Hcxg")])
    concrete = out.records[note("S1jE5L5gl")]
    assert (concrete.kind, concrete.venue, concrete.year) == ("proceedings", "ICLR 2017", 2017)
    assert out.records[note("r1Ue8Hcxg")].kind == "proceedings"
    asked = [(r.path, dict(r.params)) for r in v1.log]
    assert ("/notes", {"forum": ["S1jE5L5gl"]}) in asked


@pytest.mark.parametrize("key", ["rejected", "withdrawn"])
def test_rejected_and_withdrawn_submissions_are_not_published(
    openreview_servers: Servers, key: str
) -> None:
    work = by_key(key)
    assert work.openreview is not None
    with OpenReviewSource() as s:
        record = s.fetch([note(work.openreview)]).records[note(work.openreview)]
    assert record.kind == "preprint" and record.venue is None
    assert record.title == work.title and record.year == 2024


def test_unknown_notes_are_missing_after_both_apis(openreview_servers: Servers) -> None:
    v2, v1 = openreview_servers
    with OpenReviewSource() as s:
        out = s.fetch([note("NoSuchNote1"), note("not an id!"), Identifier("doi", "10.1/x")])
    assert out.missing == [note("NoSuchNote1"), note("not an id!")] and out.failed == {}
    assert len(v2.log) == len(v1.log) == 1  # the malformed id is never sent


def test_429_with_retry_after_and_malformed_answers(openreview_servers: Servers) -> None:
    v2, _ = openreview_servers
    v2.script("429:retry-after=1", "truncated", "error")
    with OpenReviewSource() as s:
        out = s.fetch([note("2dnO3LLiJ1")])
    assert note("2dnO3LLiJ1") in out.records and out.retries == 3
    first, second = v2.log[:2]
    assert first.status == 429 and second.time - first.time >= 1.0 - 0.005


def test_failures_reported_per_note(openreview_servers: Servers) -> None:
    v2, v1 = openreview_servers
    v1.script("503", "503")
    with OpenReviewSource(max_attempts=2) as s:
        out = s.fetch([note("BkpiPMbA-"), note("2dnO3LLiJ1")])
    assert out.failed == {
        note("BkpiPMbA-"): "OpenReview: HTTP 503 Service Unavailable after 2 attempts"
    }
    assert note("2dnO3LLiJ1") in out.records


def test_each_api_host_is_spaced(
    openreview_servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    v2, _ = openreview_servers
    monkeypatch.setenv("CATALOG_OPENREVIEW_DELAY", "0.05")
    with OpenReviewSource() as s:
        for _ in range(2):
            s.fetch([note("2dnO3LLiJ1"), note("zRejected01"), note("zWithdrawn1")])
    assert len(v2.log) == 6 and spaced(v2.log, 0.05)
    monkeypatch.delenv("CATALOG_OPENREVIEW_DELAY")
    with OpenReviewSource() as s:
        assert s.http.spacing(s.base_url) == 1.0 == s.http.spacing(s.v1_url)
