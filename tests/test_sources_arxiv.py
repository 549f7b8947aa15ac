"""arXiv as a source (catalog/sources/arxiv/source.py): title search over the arXiv
stand-in's ``search_query``, and fetching by id as WorkRecords."""

from __future__ import annotations

import pytest

from catalog.errors import ArxivUnavailable, SourceUnavailable
from catalog.records import Identifier
from catalog.sources.arxiv.client import ArxivClient
from catalog.sources.arxiv.source import ArxivSource
from tests.arxiv_server import ArxivStandIn
from tests.standin import spaced


def arxiv(value: str) -> Identifier:
    return Identifier("arxiv", value)


def source(**kw: object) -> ArxivSource:
    kw.setdefault("backoff_base", 0.01)
    return ArxivSource(ArxivClient(**kw))  # type: ignore[arg-type]


def test_title_search_asks_a_phrase_and_gives_preprints(arxiv_server: ArxivStandIn) -> None:
    with source() as s:
        found = s.search_title("Sequence to Sequence Learning", limit=5)
    (req,) = arxiv_server.log
    assert req.params["search_query"] == ['ti:"Sequence to Sequence Learning"']
    assert req.params["max_results"] == ["5"]
    # The paper and the one a word away: candidates, the resolver decides.
    assert {r.source_id for r in found} == {"1409.3215", "1705.03122"}
    seq = next(r for r in found if r.source_id == "1409.3215")
    assert seq.kind == "preprint" and seq.source == "arxiv" and seq.year == 2014
    assert seq.authors == ("Ilya Sutskever", "Oriol Vinyals", "Quoc V. Le")
    assert seq.identifiers == (arxiv("1409.3215"),)
    assert seq.url == "https://arxiv.org/abs/1409.3215"


def test_doi_and_journal_ref_are_carried(arxiv_server: ArxivStandIn) -> None:
    with source() as s:
        (hit,) = s.search_title("Gravitational-Wave Constraints on Dark Sectors")
    assert hit.identifiers == (
        arxiv("1905.01234"),
        Identifier("doi", "10.1103/physrevd.100.063001"),
    )
    assert hit.journal_ref == "Phys. Rev. D 100, 063001 (2019)"


def test_query_syntax_is_taken_out_of_titles(arxiv_server: ArxivStandIn) -> None:
    with source() as s:
        found = s.search_title('BERT: Pre-training of "Deep" Bidirectional (Transformers)')
        assert s.search_title(' :"() ') == []
    (req,) = arxiv_server.log
    assert req.params["search_query"] == [
        'ti:"BERT Pre training of Deep Bidirectional Transformers"'
    ]
    assert [r.source_id for r in found] == ["1810.04805"]


def test_no_hits_and_the_empty_answer_anomaly(arxiv_server: ArxivStandIn) -> None:
    with source() as s:
        assert s.search_title("zebras knitting quantum sweaters") == []
    arxiv_server.clear_log()
    arxiv_server.script("503", "truncated")
    with source() as s:
        assert [r.source_id for r in s.search_title("Semi-Amortized Variational")] == ["1802.02550"]
    assert len(arxiv_server.log) == 3


def test_search_keeps_the_three_second_rule(
    arxiv_server: ArxivStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CATALOG_ARXIV_DELAY")
    with ArxivSource() as s:
        assert s.client._http.spacing(s.client.base_url) == 3.0
    monkeypatch.setenv("CATALOG_ARXIV_DELAY", "0.05")
    with ArxivSource() as s:
        s.fetch([arxiv("1611.00712")])
        s.search_title("Concrete Distribution")
        s.search_title("Semi-Amortized")
        s.fetch([arxiv("1804.01118")])
    assert len(arxiv_server.log) == 4 and spaced(arxiv_server.log, 0.05)  # one spacing for all


def test_search_failure_is_a_source_unavailable(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("503", "503")
    with source(max_attempts=2) as s, pytest.raises(ArxivUnavailable) as info:
        s.search_title("Concrete Distribution")
    assert isinstance(info.value, SourceUnavailable) and info.value.exit_code == 3
    assert str(info.value).startswith(f"arXiv could not be searched at {arxiv_server.url}: ")


def test_fetch_gives_work_records_per_identifier(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.error_ids["1711.05772"] = None
    asked = [
        arxiv("1611.00712"),
        Identifier("doi", "10.48550/arxiv.1802.02550"),
        arxiv("1711.05772"),
        arxiv("0801.0001"),
        arxiv("not-an-id"),
        Identifier("doi", "10.1038/nature20101"),  # not arXiv's
    ]
    with source() as s:
        assert [s.knows(i) for i in asked] == [True, True, True, True, True, False]
        out = s.fetch(asked)
    assert out.records[arxiv("1611.00712")].title.startswith("The Concrete Distribution")
    assert out.records[asked[1]].source_id == "1802.02550"
    assert out.failed == {arxiv("1711.05772"): "arXiv: incorrect id format for 1711.05772"}
    assert out.missing == [arxiv("not-an-id"), arxiv("0801.0001")]
    assert out.requests == len(arxiv_server.log)


def test_a_failed_batch_is_reported_per_id(arxiv_server: ArxivStandIn) -> None:
    arxiv_server.script("503", "503")
    with ArxivSource(ArxivClient(max_attempts=2, batch_size=1, backoff_base=0.01)) as s:
        out = s.fetch([arxiv("1611.00712"), arxiv("1804.01118")])
    assert list(out.failed) == [arxiv("1611.00712")]
    assert out.failed[arxiv("1611.00712")].startswith("arXiv: HTTP 503")
    assert arxiv("1804.01118") in out.records
