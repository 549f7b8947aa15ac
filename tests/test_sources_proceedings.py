"""The proceedings source (PMLR, NeurIPS, ACL Anthology landing pages) against its
loopback stand-in (tests/proceedings_server.py): Highwire tags read by meaning, redirects
same-host and across the site's own hosts, bounded pages, faults."""

from __future__ import annotations

import pytest

from catalog.records import Identifier
from catalog.sources.proceedings import ProceedingsSource, read_meta
from tests.fixtures.works import by_key
from tests.proceedings_server import ProceedingsStandIn

SEQ2SEQ_HASH = "2014/hash/a14ac55a4f27472c5d894ec1c3c743d2"


def test_pmlr_page(proceedings_server: ProceedingsStandIn) -> None:
    ident = Identifier("pmlr", "v80/kazemi18a")
    with ProceedingsSource() as s:
        out = s.fetch([ident])
    record = out.records[ident]
    work = by_key("kazemi")
    assert record.title == work.title
    assert record.authors == ("Ehsan Kazemi", "Morteza Zadimoghaddam", "Amin Karbasi")
    assert (record.kind, record.year, record.venue) == (
        "proceedings",
        2018,
        "International Conference on Machine Learning",
    )
    assert (record.volume, record.pages) == ("80", "2544-2553")
    assert record.links == ("http://proceedings.mlr.press/v80/kazemi18a/kazemi18a.pdf",)
    assert record.identifiers == (ident,) and record.source == "proceedings"
    assert [r.path for r in proceedings_server.log] == ["/v80/kazemi18a.html"]


def test_neurips_hash_page_through_a_same_host_redirect(
    proceedings_server: ProceedingsStandIn,
) -> None:
    ident = Identifier("neurips", SEQ2SEQ_HASH)
    with ProceedingsSource() as s:
        record = s.fetch([ident]).records[ident]
    assert record.title == "Sequence to Sequence Learning with Neural Networks"
    assert record.authors == ("Ilya Sutskever", "Oriol Vinyals", "Quoc V. Le")
    assert (record.year, record.volume, record.pages) == (2014, "27", "3104-3112")
    assert record.venue == "Advances in Neural Information Processing Systems"
    assert record.kind == "proceedings"  # a citation_journal_title, but NeurIPS proceedings
    assert [r.status for r in proceedings_server.log] == [301, 200]


def test_legacy_neurips_number_follows_the_site_to_its_other_host(
    proceedings_server: ProceedingsStandIn,
) -> None:
    ident = Identifier("neurips", "5346")
    with ProceedingsSource() as s:
        record = s.fetch([ident]).records[ident]
    # papers.nips.cc was not asked: its path was asked on CATALOG_NEURIPS_URL instead.
    assert [(r.path, r.status) for r in proceedings_server.log] == [
        ("/paper/5346", 301),
        (f"/paper_files/paper/{SEQ2SEQ_HASH}-Abstract.html", 200),
    ]
    assert record.identifiers == (ident, Identifier("neurips", SEQ2SEQ_HASH))
    assert record.title == "Sequence to Sequence Learning with Neural Networks"


def test_acl_page_with_doi(proceedings_server: ProceedingsStandIn) -> None:
    ident = Identifier("acl", "N19-1423")
    with ProceedingsSource() as s:
        record = s.fetch([ident]).records[ident]
    assert record.title == by_key("bert").title
    assert record.authors[0] == "Jacob Devlin" and len(record.authors) == 4
    assert (record.year, record.pages, record.kind) == (2019, "4171-4186", "proceedings")
    assert record.publisher == "Association for Computational Linguistics"
    assert record.identifiers == (ident, Identifier("doi", "10.18653/v1/n19-1423"))


def test_unknown_pages_are_missing_and_other_schemes_ignored(
    proceedings_server: ProceedingsStandIn,
) -> None:
    asked = [
        Identifier("pmlr", "v80/nobody18z"),
        Identifier("acl", "X99-9999"),
        Identifier("neurips", "not a paper id"),
        Identifier("doi", "10.1038/nature20101"),
    ]
    with ProceedingsSource() as s:
        assert [s.knows(i) for i in asked] == [True, True, False, False]
        out = s.fetch(asked)
    assert out.missing == asked[:3] and out.records == {} and out.failed == {}
    assert len(proceedings_server.log) == 2


def test_pages_are_bounded(proceedings_server: ProceedingsStandIn) -> None:
    proceedings_server.script("huge")
    ident = Identifier("acl", "N19-1423")
    with ProceedingsSource() as s:
        out = s.fetch([ident])
    assert "larger than 2097152 bytes" in out.failed[ident]
    assert len(proceedings_server.log) == 1


def test_a_redirect_off_the_site_is_refused(proceedings_server: ProceedingsStandIn) -> None:
    proceedings_server.script("away")
    ident = Identifier("pmlr", "v80/kazemi18a")
    with ProceedingsSource() as s:
        out = s.fetch([ident])
    assert "redirected to https://elsewhere.example/paper; not followed" in out.failed[ident]


@pytest.mark.parametrize("fault", ["nometa", "503:retry-after=0", "truncated", "reset"])
def test_faults_are_survived(proceedings_server: ProceedingsStandIn, fault: str) -> None:
    proceedings_server.script(fault)
    ident = Identifier("pmlr", "v80/kim18e")
    with ProceedingsSource() as s:
        out = s.fetch([ident])
    assert out.records[ident].title == "Semi-Amortized Variational Autoencoders"
    assert out.retries == 1


def test_each_site_has_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CATALOG_PMLR_URL", "CATALOG_NEURIPS_URL", "CATALOG_ACL_URL"):
        monkeypatch.delenv(name)
    with ProceedingsSource() as s:
        assert s.urls == {
            "pmlr": "https://proceedings.mlr.press",
            "neurips": "https://proceedings.neurips.cc",
            "acl": "https://aclanthology.org",
        }
        assert s.page_url(Identifier("acl", "N19-1423")) == "https://aclanthology.org/N19-1423/"
        assert s.page_url(Identifier("neurips", SEQ2SEQ_HASH)) == (
            "https://proceedings.neurips.cc/paper/2014/hash/"
            "a14ac55a4f27472c5d894ec1c3c743d2-Abstract.html"
        )
        assert s.page_url(Identifier("pmlr", "v80/kazemi18a")) == (
            "https://proceedings.mlr.press/v80/kazemi18a.html"
        )
    monkeypatch.setenv("CATALOG_ACL_URL", "http://127.0.0.1:9/mirror/")
    with ProceedingsSource() as s:
        assert s.page_url(Identifier("acl", "N19-1423")) == "http://127.0.0.1:9/mirror/N19-1423/"


def test_meta_reading_stops_at_the_body() -> None:
    html = (
        "<html><head><META CONTENT='A &amp; B' NAME='citation_title'>"
        '<meta name="citation_author" content="Le, Quoc V.">'
        '<meta property="citation_author" content="  Ada   Lovelace ">'
        '</head><body><meta name="citation_title" content="Not this"></body></html>'
    )
    assert read_meta(html) == {
        "citation_title": ["A & B"],
        "citation_author": ["Le, Quoc V.", "Ada Lovelace"],
    }
