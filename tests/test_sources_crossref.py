"""The Crossref source against its loopback stand-in (tests/crossref_server.py) and the
shared corpus (tests/fixtures/works.py): formats read by meaning, batching counted in the
server's log, rate headers, faults survived or reported per DOI."""

from __future__ import annotations

import pytest

from catalog.errors import SourceUnavailable
from catalog.records import Identifier
from catalog.sources.crossref import CrossrefSource
from tests.crossref_server import CrossrefStandIn
from tests.fixtures.works import by_key
from tests.standin import spaced

EPS = 0.005


def doi(value: str) -> Identifier:
    return Identifier("doi", value)


def source(**kw: object) -> CrossrefSource:
    return CrossrefSource(**kw)  # type: ignore[arg-type]


def test_one_doi_is_one_request_read_by_meaning(crossref_server: CrossrefStandIn) -> None:
    with source() as s:
        out = s.fetch([doi("10.1038/nature20101")])
    record = out.records[doi("10.1038/nature20101")]
    dnc = by_key("dnc")
    assert record.title == dnc.title and record.authors == tuple(p.name for p in dnc.authors)
    assert (record.year, record.kind, record.venue) == (2016, "journal", "Nature")
    assert (record.volume, record.issue, record.pages) == ("538", "7626", "471-476")
    assert record.publisher == "Springer Science and Business Media LLC"
    assert record.abstract == dnc.abstract  # JATS gone, its "Abstract" heading too
    assert record.identifiers == (doi("10.1038/nature20101"),)
    assert record.source == "crossref" and record.source_id == "10.1038/nature20101"
    assert out.requests == 1 and out.retries == 0 and out.missing == [] and out.failed == {}
    (req,) = crossref_server.log
    assert req.path == "/works/10.1038/nature20101" and req.status == 200


def test_unknown_doi_is_missing_not_failed(crossref_server: CrossrefStandIn) -> None:
    with source() as s:
        out = s.fetch([doi("10.5555/no-such-work")])
    assert out.missing == [doi("10.5555/no-such-work")] and out.failed == {}
    assert [r.status for r in crossref_server.log] == [404]  # not retried


def test_many_dois_in_one_filter_request(crossref_server: CrossrefStandIn) -> None:
    asked = [
        doi("10.1038/nature20101"),
        doi("10.18653/v1/n19-1423"),
        doi("10.1038/s42256-019-0017-4"),
        doi("10.5555/no-such-work"),
        doi("10.1038/nature20101"),  # twice: asked once
    ]
    with source() as s:
        out = s.fetch(asked)
    (req,) = crossref_server.log
    assert req.path == "/works" and req.params["rows"] == ["4"]
    assert sorted(req.ids) == sorted({i.value for i in asked})
    assert set(out.records) == set(asked[:3]) and out.missing == [asked[3]]
    bert = out.records[doi("10.18653/v1/n19-1423")]
    assert bert.kind == "proceedings" and bert.venue is not None
    assert bert.venue.startswith("Proceedings of the 2019 Conference of the North American")
    fbgan = out.records[doi("10.1038/s42256-019-0017-4")]
    assert fbgan.title == "Feedback GAN for DNA optimizes protein functions"


def test_batches_of_batch_size(crossref_server: CrossrefStandIn) -> None:
    dois = [w.doi for w in crossref_server.works if w.doi][:5]
    with source(batch_size=2) as s:
        out = s.fetch([doi(d.lower()) for d in dois if d])
    assert [len(r.ids) for r in crossref_server.log] == [2, 2, 1]
    assert len(out.records) == 5 and out.requests == 3


def test_markup_becomes_plain_text(crossref_server: CrossrefStandIn) -> None:
    with source() as s:
        out = s.fetch([doi("10.5555/jir.2022.0001"), doi("10.5555/jib.2020.10")])
    maths = out.records[doi("10.5555/jir.2022.0001")]
    assert maths.title == by_key("sensitivity").title  # MathML and <i> gone, ℓp kept
    assert maths.abstract == by_key("sensitivity").abstract  # JATS paragraphs, &lt; decoded
    html = out.records[doi("10.5555/jib.2020.10")]
    assert html.title == "Sonic hedgehog signalling and H2O2 in neural tube patterning"


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("dnc-erratum", "erratum"),
        ("dnc-comment", "comment"),
        ("dl-review", "review"),
        ("savae-thesis", "thesis"),
        ("protein-preprint", "preprint"),
        ("lecun", "journal"),
        ("bert", "proceedings"),
    ],
)
def test_kind_says_what_the_work_is(crossref_server: CrossrefStandIn, key: str, kind: str) -> None:
    work = by_key(key)
    assert work.doi is not None
    with source() as s:
        record = s.fetch([doi(work.doi.lower())]).records[doi(work.doi.lower())]
    assert record.kind == kind == work.kind
    if kind == "thesis":
        assert record.publisher == work.school and record.venue is None


def test_search_gives_candidates_with_their_kinds(crossref_server: CrossrefStandIn) -> None:
    with source() as s:
        found = s.search_title(
            "Hybrid computing using a neural network with dynamic external memory", limit=5
        )
    (req,) = crossref_server.log
    assert req.params["query.bibliographic"] == [
        "Hybrid computing using a neural network with dynamic external memory"
    ]
    assert req.params["rows"] == ["5"] and len(found) <= 5
    kinds = {r.source_id: r.kind for r in found}
    # The paper and its two decoys come back; only their kinds tell them apart.
    assert kinds["10.1038/nature20101"] == "journal"
    assert kinds["10.5555/nature-erratum-20101"] == "erratum"
    assert kinds["10.5555/comment.dnc"] == "comment"


def test_mailto_param_and_user_agent(
    crossref_server: CrossrefStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    with source() as s:
        s.search_title("Deep learning")
    assert "mailto" not in crossref_server.log[0].params
    monkeypatch.setenv("CATALOG_CONTACT_EMAIL", "reading-group@example.org")
    with source() as s:
        s.fetch([doi("10.1038/nature14539")])
        s.search_title("Deep learning")
    for req in crossref_server.log[1:]:
        assert req.params["mailto"] == ["reading-group@example.org"]
        assert "mailto:reading-group@example.org" in req.headers["user-agent"]


def test_spacing_follows_the_rate_headers(
    crossref_server: CrossrefStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CATALOG_CROSSREF_DELAY")
    with source() as s:
        assert s.http.spacing(crossref_server.url) == 1.0  # before Crossref has said anything
    crossref_server.rate_limit = (3, "1s")
    monkeypatch.setenv("CATALOG_CROSSREF_DELAY", "0")
    with source() as s:
        for key in ("dnc", "lecun", "fbgan", "hedgehog"):
            work = by_key(key)
            assert work.doi is not None
            s.fetch([doi(work.doi)])
    assert spaced(crossref_server.log, 1 / 3)


def test_429_with_rate_headers_and_retry_after(crossref_server: CrossrefStandIn) -> None:
    crossref_server.script("429:retry-after=1")
    with source() as s:
        out = s.fetch([doi("10.1038/nature20101")])
    first, second = crossref_server.log
    assert first.status == 429 and second.status == 200
    assert second.time - first.time >= 1.0 - EPS
    assert out.retries == 1 and doi("10.1038/nature20101") in out.records


@pytest.mark.parametrize("fault", ["503", "truncated", "garbage", "html", "error", "wrongtype"])
def test_faults_are_survived(crossref_server: CrossrefStandIn, fault: str) -> None:
    crossref_server.script(fault)
    with source() as s:
        out = s.fetch([doi("10.1038/nature20101"), doi("10.1038/nature14539")])
    assert len(out.records) == 2 and out.retries == 1 and len(crossref_server.log) == 2


def test_a_failed_batch_is_reported_per_doi_and_the_others_go_on(
    crossref_server: CrossrefStandIn,
) -> None:
    crossref_server.script("truncated", "truncated")
    with source(batch_size=2, max_attempts=2) as s:
        out = s.fetch(
            [doi("10.1038/nature20101"), doi("10.1038/nature14539"), doi("10.5555/jib.2020.10")]
        )
    assert set(out.failed) == {doi("10.1038/nature20101"), doi("10.1038/nature14539")}
    reason = out.failed[doi("10.1038/nature20101")]
    assert reason.startswith("Crossref: ") and "not well-formed JSON" in reason
    assert reason.endswith("after 2 attempts")
    assert set(out.records) == {doi("10.5555/jib.2020.10")}


def test_search_failures_raise_one_line(crossref_server: CrossrefStandIn) -> None:
    crossref_server.script("503", "503")
    with source(max_attempts=2) as s, pytest.raises(SourceUnavailable) as info:
        s.search_title("Deep learning")
    assert info.value.exit_code == 3 and "\n" not in str(info.value)
    assert str(info.value).startswith(f"Crossref could not be searched at {crossref_server.url}")
    crossref_server.clear_log()
    with source() as s, pytest.raises(SourceUnavailable, match="refused the request.*rows"):
        s.search_title("Deep learning", limit=5000)  # a validation failure: not retried
    assert len(crossref_server.log) == 1


def test_only_dois_are_known(crossref_server: CrossrefStandIn) -> None:
    with source() as s:
        assert s.knows(doi("10.1038/nature20101"))
        assert not s.knows(Identifier("arxiv", "1611.00712"))
        assert s.fetch([Identifier("arxiv", "1611.00712")]).records == {}
    assert crossref_server.log == []
