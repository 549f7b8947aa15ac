"""The DBLP source against its loopback stand-in (tests/dblp_server.py): DBLP's quirks read
by meaning, kinds, record pages by key, spacing and Retry-After as the server sees them."""

from __future__ import annotations

import pytest

from catalog.errors import SourceUnavailable
from catalog.records import Identifier
from catalog.sources.dblp import DblpSource
from tests.dblp_server import DblpStandIn
from tests.fixtures.works import by_key

EPS = 0.005


def key(value: str) -> Identifier:
    return Identifier("dblp", value)


def test_search_reads_dblp_quirks(dblp_server: DblpStandIn) -> None:
    with DblpSource() as s:
        (hit,) = s.search_title(
            "Scalable Deletion-Robust Submodular Maximization: Data Summarization with Privacy "
            "and Fairness Constraints"
        )
    kazemi = by_key("kazemi")
    assert hit.title == kazemi.title  # DBLP's final "." is gone
    assert hit.authors == ("Ehsan Kazemi", "Morteza Zadimoghaddam", "Amin Karbasi")  # no 0001
    assert (hit.year, hit.kind, hit.venue, hit.pages) == (2018, "proceedings", "ICML", "2544-2553")
    assert hit.links == ("http://proceedings.mlr.press/v80/kazemi18a.html",)  # ee: a string
    assert hit.identifiers == (key("conf/icml/KazemiZK18"),)
    assert hit.url == "https://dblp.org/rec/conf/icml/KazemiZK18"
    (req,) = dblp_server.log
    assert req.path == "/search/publ/api" and req.params["format"] == ["json"]
    assert "-" not in req.params["q"][0] and ":" not in req.params["q"][0]  # no operators


def test_entities_single_authors_and_lists_of_ee(dblp_server: DblpStandIn) -> None:
    with DblpSource() as s:
        (robust,) = s.search_title("Robustness Generalization via Generative Adversarial")
        found = s.search_title("Explaining and Harnessing Adversarial Examples")
        seq = s.search_title("Sequence to Sequence Learning with Neural Networks")
    assert robust.title == "Robustness & Generalization via Generative Adversarial Training"
    decoy = next(r for r in found if r.year == 2021)
    assert decoy.authors == ("Lee Anyone",)  # one author: an object in DBLP's JSON
    assert decoy.identifiers == (
        key("journals/jir/Anyone21"),
        Identifier("doi", "10.5555/jir.2021.0042"),
    )
    (paper,) = [r for r in seq if r.source_id == "conf/nips/SutskeverVL14"]
    assert len(paper.links) == 2  # ee: a list


def test_kinds(dblp_server: DblpStandIn) -> None:
    with DblpSource() as s:
        fgsm = s.search_title("Explaining and Harnessing Adversarial Examples")
        savae = s.search_title("Semi-Amortized Variational Autoencoders")
        dl = s.search_title("Deep Learning")
        comment = s.search_title("Comment on Hybrid computing")
    by_id = {r.source_id: r for r in fgsm + savae + dl + comment}
    corr = by_id["journals/corr/GoodfellowSS14"]
    assert corr.kind == "preprint" and corr.venue is None and corr.volume is None
    assert Identifier("arxiv", "1412.6572") in corr.identifiers  # from its 10.48550 DOI
    assert by_id["conf/iclr/GoodfellowSS14"].kind == "proceedings"
    assert by_id["journals/jir/Anyone21"].kind == "journal"
    thesis = by_id["phd/Example19"]
    assert thesis.kind == "thesis" and thesis.title == "Semi-Amortized Variational Autoencoders"
    assert by_id["books/daglib/0040158"].kind == "book"
    assert by_id["journals/nature/LeCunBH15"].kind == "journal"
    assert by_id["journals/jic/CriticS17"].kind == "comment"


def test_zero_hits_have_no_hit_key(dblp_server: DblpStandIn) -> None:
    with DblpSource() as s:
        assert s.search_title("zebras knitting quantum sweaters") == []
        assert s.search_title("  ...  ") == []  # nothing to ask
    assert len(dblp_server.log) == 1


def test_records_by_key(dblp_server: DblpStandIn) -> None:
    wanted = [key("conf/icml/KazemiZK18"), key("phd/Example19"), key("journals/corr/MaddisonMT16")]
    with DblpSource() as s:
        out = s.fetch([*wanted, key("conf/nowhere/Nobody99"), Identifier("doi", "10.1/x")])
    assert [r.path for r in dblp_server.log] == [
        "/rec/conf/icml/KazemiZK18.xml",
        "/rec/phd/Example19.xml",
        "/rec/journals/corr/MaddisonMT16.xml",
        "/rec/conf/nowhere/Nobody99.xml",
    ]
    assert out.missing == [key("conf/nowhere/Nobody99")] and out.failed == {}
    kazemi = out.records[key("conf/icml/KazemiZK18")]
    assert kazemi.authors[0] == "Ehsan Kazemi" and kazemi.kind == "proceedings"
    assert kazemi.title == by_key("kazemi").title
    thesis = out.records[key("phd/Example19")]
    assert thesis.kind == "thesis" and thesis.publisher == "University of Nowhere"
    corr = out.records[key("journals/corr/MaddisonMT16")]
    assert corr.kind == "preprint" and Identifier("arxiv", "1611.00712") in corr.identifiers
    assert out.requests == 4


def test_non_ascii_names_from_character_references(dblp_server: DblpStandIn) -> None:
    with DblpSource() as s:
        out = s.fetch([key("journals/nature/GravesWRHDGCGRA16")])
    record = out.records[key("journals/nature/GravesWRHDGCGRA16")]
    assert "Agnieszka Grabska-Barwińska" in record.authors
    assert "Adrià Puigdomènech Badia" in record.authors


def test_two_seconds_apart_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_DBLP_DELAY")
    with DblpSource() as s:
        assert s.http.spacing(s.base_url) == 2.0
    monkeypatch.setenv("CATALOG_DBLP_DELAY", "0.05")
    with DblpSource() as s:
        assert s.http.spacing(s.base_url) == 0.05


def test_spacing_and_retry_after_as_the_server_sees_them(
    dblp_server: DblpStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_DBLP_DELAY", "0.05")
    dblp_server.script("ok", "429:retry-after=1")
    with DblpSource() as s:
        s.search_title("Deep Learning")
        s.search_title("Semi-Amortized Variational Autoencoders")
        s.search_title("Sequence to Sequence")
    first, throttled, second, third = dblp_server.log
    assert throttled.status == 429
    assert second.time - throttled.time >= 1.0 - EPS
    assert third.time - throttled.time >= 1.0 + 0.05 - 0.015


@pytest.mark.parametrize("fault", ["503", "truncated", "garbage", "html", "reset"])
def test_faults_are_survived(dblp_server: DblpStandIn, fault: str) -> None:
    dblp_server.script(fault, fault)
    with DblpSource() as s:
        assert [r.source_id for r in s.search_title("Deep learning LeCun Hinton")] == [
            "journals/nature/LeCunBH15"
        ]
        assert key("conf/iclr/HeLS18") in s.fetch([key("conf/iclr/HeLS18")]).records
    assert len(dblp_server.log) == 4


def test_failures_reported_per_key_and_search_raises(dblp_server: DblpStandIn) -> None:
    dblp_server.script("503", "503")
    with DblpSource(max_attempts=2) as s:
        out = s.fetch([key("conf/iclr/HeLS18"), key("conf/iclr/ZophL17")])
    assert list(out.failed) == [key("conf/iclr/HeLS18")]
    assert (
        out.failed[key("conf/iclr/HeLS18")] == "DBLP: HTTP 503 Service Unavailable after 2 attempts"
    )
    assert key("conf/iclr/ZophL17") in out.records
    dblp_server.script("500", "500")
    with DblpSource(max_attempts=2) as s, pytest.raises(SourceUnavailable) as info:
        s.search_title("Deep Learning")
    assert str(info.value).startswith(f"DBLP could not be searched at {dblp_server.url}: HTTP 500")
