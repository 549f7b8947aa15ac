"""Atom feed parsing: the shapes arXiv sends, its error feeds, and what must be refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.errors import CatalogError
from catalog.sources.arxiv.feed import FeedAnswer, MalformedFeed, clean_text, parse_feed
from tests.arxiv_server import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    HTML_PAGE,
    Paper,
    _render_entry,
    default_corpus,
    render_error_feed,
    render_feed,
)

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom" '
    b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    b'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
    b"<id>http://arxiv.org/api/x</id><title>q</title><updated>2021-03-05T00:00:00Z</updated>\n"
)

# The entry of arxiv-api.md, verbatim in shape.
DOC_ENTRY = """
<entry>
  <id>http://arxiv.org/abs/2101.01234v2</id>
  <title>An Example Title Broken
  Across Two Lines</title>
  <updated>2021-03-04T17:00:01Z</updated>
  <published>2021-01-05T09:12:44Z</published>
  <summary>  An abstract, also with hard line breaks, $\\alpha$ &amp; markup.
</summary>
  <author><name>Ana Müller</name><arxiv:affiliation>Somewhere</arxiv:affiliation></author>
  <author><name>B. Example</name></author>
  <arxiv:doi>10.1234/example.5678</arxiv:doi>
  <arxiv:journal_ref>Journal of Examples 12 (2021) 1-9</arxiv:journal_ref>
  <arxiv:comment>12 pages, 3 figures</arxiv:comment>
  <link href="https://arxiv.org/abs/2101.01234v2" rel="alternate" type="text/html"/>
  <link href="https://arxiv.org/pdf/2101.01234v2" rel="related" type="application/pdf" title="pdf"/>
  <link href="https://doi.org/10.1234/example.5678" rel="related" title="doi"/>
  <arxiv:primary_category term="cs.LG"/>
  <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  <category term="stat.ML" scheme="http://arxiv.org/schemas/atom"/>
</entry>
"""


def feed(*entries: str, total: int | None = None) -> bytes:
    extra = b""
    if total is not None:
        extra = f"<opensearch:totalResults>{total}</opensearch:totalResults>\n".encode()
    return HEAD + extra + "".join(entries).encode("utf-8") + b"</feed>\n"


def test_documented_entry() -> None:
    answer = parse_feed(feed(DOC_ENTRY, total=1))
    assert answer.total_results == 1
    assert answer.errors == []
    (rec,) = answer.records
    assert rec.arxiv_id == "2101.01234"
    assert rec.version == 2
    assert rec.title == "An Example Title Broken Across Two Lines"
    assert rec.abstract == "An abstract, also with hard line breaks, $\\alpha$ & markup."
    assert rec.authors == ("Ana Müller", "B. Example")
    assert rec.updated == datetime(2021, 3, 4, 17, 0, 1, tzinfo=UTC)
    assert rec.published == datetime(2021, 1, 5, 9, 12, 44, tzinfo=UTC)
    assert rec.published.tzinfo is not None
    assert rec.primary_category == "cs.LG"
    assert rec.categories == ("cs.LG", "stat.ML")
    assert rec.doi == "10.1234/example.5678"
    assert rec.journal_ref == "Journal of Examples 12 (2021) 1-9"
    assert rec.comment == "12 pages, 3 figures"
    assert rec.url == "https://arxiv.org/abs/2101.01234"


def test_stand_in_corpus_round_trips() -> None:
    corpus = default_corpus()
    entries = [_render_entry(p, p.version, i) for i, p in enumerate(corpus.values())]
    answer = parse_feed(render_feed(entries, len(entries), 0, "id_list=..."))
    assert answer.total_results == len(corpus)
    by_id = {r.arxiv_id: r for r in answer.records}
    assert set(by_id) == set(corpus)
    for pid, paper in corpus.items():
        rec = by_id[pid]
        assert rec.title == paper.title
        assert rec.abstract == paper.abstract
        assert rec.authors == tuple(name for name, _ in paper.authors)
        assert rec.version == paper.version
        assert rec.updated == paper.versions[-1]
        assert rec.published == paper.versions[0]
        assert rec.primary_category == paper.categories[0]
        assert rec.categories == tuple(paper.categories)
        assert (rec.doi, rec.journal_ref, rec.comment) == (
            paper.doi,
            paper.journal_ref,
            paper.comment,
        )
    tex = by_id["2103.04567"]
    assert "$\\mathcal{O}(n \\log n)$" in tex.title  # TeX kept as is
    assert "Søren Ødegård" in tex.authors and "李华" in tex.authors
    assert "$p < 2$ &" in tex.abstract


def test_old_style_and_https_ids() -> None:
    entry = DOC_ENTRY.replace(
        "http://arxiv.org/abs/2101.01234v2", "https://arxiv.org/abs/hep-th/9901001v3"
    )
    (rec,) = parse_feed(feed(entry)).records
    assert (rec.arxiv_id, rec.version) == ("hep-th/9901001", 3)
    assert rec.url == "https://arxiv.org/abs/hep-th/9901001"


def test_version_taken_from_links_when_id_has_none() -> None:
    entry = DOC_ENTRY.replace(
        "<id>http://arxiv.org/abs/2101.01234v2</id>", "<id>http://arxiv.org/abs/2101.01234</id>"
    )
    (rec,) = parse_feed(feed(entry)).records
    assert rec.version == 2


def test_unreadable_entries_are_skipped_not_fatal() -> None:
    no_id = DOC_ENTRY.replace("<id>http://arxiv.org/abs/2101.01234v2</id>", "<id>whatever</id>")
    no_dates = DOC_ENTRY.replace("2021-03-04T17:00:01Z", "soon").replace(
        "2021-01-05T09:12:44Z", "later"
    )
    answer = parse_feed(feed(no_id, no_dates, DOC_ENTRY))
    assert len(answer.records) == 1
    assert len(answer.skipped) == 2


def test_dates_normalised_to_utc() -> None:
    entry = DOC_ENTRY.replace("2021-03-04T17:00:01Z", "2021-03-04T18:00:01+01:00").replace(
        "2021-01-05T09:12:44Z", "2021-01-05T09:12:44"
    )
    (rec,) = parse_feed(feed(entry)).records
    assert rec.updated == datetime(2021, 3, 4, 17, 0, 1, tzinfo=UTC)
    assert rec.updated.tzinfo is UTC
    assert rec.published == datetime(2021, 1, 5, 9, 12, 44, tzinfo=UTC)


def test_optional_fields_absent() -> None:
    entry = (
        "<entry><id>http://arxiv.org/abs/1804.01694v1</id><title>T</title>"
        "<updated>2018-04-05T07:12:21Z</updated><published>2018-04-05T07:12:21Z</published>"
        "<summary>S</summary><author><name>Anvita Gupta</name></author></entry>"
    )
    (rec,) = parse_feed(feed(entry)).records
    assert rec.doi is None and rec.journal_ref is None and rec.comment is None
    assert rec.primary_category is None and rec.categories == ()
    assert parse_feed(feed(entry)).total_results is None


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_error_feed(scheme: str) -> None:
    data = render_error_feed([("1234.5", "incorrect id format for 1234.5")])
    data = data.replace(
        b"https://arxiv.org/api/errors", f"{scheme}://arxiv.org/api/errors".encode()
    )
    answer = parse_feed(data)
    assert answer.records == []
    assert [(e.message, e.id) for e in answer.errors] == [
        ("incorrect id format for 1234.5", "1234.5")
    ]


def test_error_without_an_id() -> None:
    entry = (
        "<entry><id>https://arxiv.org/api/errors#max_results_too_large</id><title>Error</title>"
        "<summary>max_results must not exceed 30000</summary>"
        "<updated>2021-01-01T00:00:00Z</updated></entry>"
    )
    (error,) = parse_feed(feed(entry)).errors
    assert error.message == "max_results must not exceed 30000"
    assert error.id is None


def test_error_id_from_fragment_when_summary_is_vague() -> None:
    entry = (
        "<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_hep-th/99</id>"
        "<title>Error</title><summary>bad request</summary></entry>"
    )
    (error,) = parse_feed(feed(entry)).errors
    assert error.id == "hep-th/99"


def test_error_by_meaning_title_only() -> None:
    entry = "<entry><id>urn:x</id><title> Error </title><summary>something broke</summary></entry>"
    answer = parse_feed(feed(entry))
    assert answer.errors[0].message == "something broke"
    assert answer.records == []


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"  \n\t", "empty"),
        (HEAD + b"<entry><id>http://arxiv.org/abs/1611.00712v3</id><title>The Con", "well-formed"),
        (HTML_PAGE, "DTD"),
        (b"<html><body><h1>Bad Gateway</h1></body></html>", "not an Atom <feed>"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not an Atom <feed>"),
        (b"\x00\xffnot xml", "well-formed"),
        (b"Service Unavailable", "well-formed"),
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL_ENTITY, "DTD"),
    ],
)
def test_malformed_answers_refused(data: bytes, why: str) -> None:
    with pytest.raises(MalformedFeed) as info:
        parse_feed(data)
    assert why in str(info.value)
    assert isinstance(info.value, CatalogError)


def test_entity_payloads_refused_before_expansion() -> None:
    # Refused on sight: were entities expanded, billion laughs would take gigabytes.
    for payload in (BILLION_LAUGHS, EXTERNAL_ENTITY):
        with pytest.raises(MalformedFeed):
            parse_feed(payload)
    parameter_entity = (
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"/>'
    )
    with pytest.raises(MalformedFeed):
        parse_feed(parameter_entity)


def test_clean_text() -> None:
    assert clean_text("  An Example Title Broken\n  Across Two Lines ") == (
        "An Example Title Broken Across Two Lines"
    )
    assert clean_text(None) == ""
    assert clean_text("$\\alpha$\t\r\n\n  $\\beta$") == "$\\alpha$ $\\beta$"


# --- properties ------------------------------------------------------------------------------

xml_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Cn", "Co"), blacklist_characters="\x85"
    )
    | st.sampled_from(["\n", " ", "$", "\\", "&", "<", ">", '"']),
    max_size=200,
)


@given(title=xml_text, abstract=xml_text, names=st.lists(xml_text.filter(str.strip), max_size=4))
def test_rendered_text_comes_back_clean(title: str, abstract: str, names: list[str]) -> None:
    paper = Paper(
        id="2101.00042",
        title=title,
        authors=[(n, None) for n in names],
        abstract=abstract,
        versions=[datetime(2021, 1, 4, tzinfo=UTC)],
        categories=["cs.LG"],
    )
    (rec,) = parse_feed(render_feed([_render_entry(paper, 1, 0)], 1, 0, "q")).records
    assert rec.title == " ".join(title.split())
    assert rec.abstract == " ".join(abstract.split())
    assert rec.authors == tuple(" ".join(n.split()) for n in names)


@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data: bytes) -> None:
    try:
        answer = parse_feed(data)
    except MalformedFeed:
        return
    assert isinstance(answer, FeedAnswer)


@given(st.integers(0, 400))
def test_any_truncation_is_malformed(cut: int) -> None:
    data = feed(DOC_ENTRY, total=1).rstrip()
    try:
        answer = parse_feed(data[: len(data) - cut - 1])
    except MalformedFeed:
        return
    raise AssertionError(f"a truncated feed was accepted: {answer}")
