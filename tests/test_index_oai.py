"""OAI-PMH pages read by meaning: namespaces not prefixes, arXiv's quirks, hostile XML."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from catalog.index.fields import parse_dois, parse_version_date, split_authors
from catalog.index.oai import MalformedPage, parse_page

# Written with other prefixes than arXiv's, single-quoted attributes, an empty final token.
PAGE = b"""<?xml version='1.0' encoding='UTF-8'?>
<o:OAI-PMH xmlns:o='http://www.openarchives.org/OAI/2.0/'>
<o:responseDate>2024-03-01T00:00:00Z</o:responseDate>
<o:ListRecords>
<o:record><o:header><o:identifier>oai:arXiv.org:hep-th/9901001</o:identifier>
<o:datestamp>2008-11-13</o:datestamp><o:setSpec>physics:hep-th</o:setSpec></o:header>
<o:metadata><r:arXivRaw xmlns:r='http://arxiv.org/OAI/arXivRaw/'>
<r:title>Calculation of prompt diphoton
  production</r:title>
<r:version version='v2'><r:size>0kb</r:size>
<r:date>Tue, 24 Jul 2007 20:10:27 GMT</r:date></r:version>
<r:version version='v1'><r:date>Mon, 2 Apr 2007 19:18:42 GMT</r:date>
<r:size>37kb</r:size></r:version>
<r:id>hep-th/9901001</r:id>
<r:authors>C. Bal\\'azs, E. L. Berger (ANL, Argonne), and C.-P. Yuan</r:authors>
<r:categories>hep-th hep-ph</r:categories>
<r:doi>10.1103/PhysRevD.76.013009 10.1000/ABC.1</r:doi>
<r:abstract>  A fully
 differential calculation.
</r:abstract></r:arXivRaw></o:metadata></o:record>
<o:record><o:header status='deleted'><o:identifier>oai:arXiv.org:0704.0002</o:identifier>
<o:datestamp>2008-11-14</o:datestamp></o:header></o:record>
<o:resumptionToken/>
</o:ListRecords></o:OAI-PMH>"""


def test_an_arxivraw_page_is_read_by_namespace_and_meaning() -> None:
    page = parse_page(io.BytesIO(PAGE))

    assert page.token is None and page.errors == []
    rec, gone = page.records
    assert rec.arxiv_id == "hep-th/9901001"
    assert rec.title == "Calculation of prompt diphoton production"
    assert rec.authors == ("C. Balázs", "E. L. Berger", "C.-P. Yuan")
    assert rec.abstract == "A fully differential calculation."
    assert rec.categories == ("hep-th", "hep-ph") and rec.primary_category == "hep-th"
    assert rec.dois == ("10.1103/physrevd.76.013009", "10.1000/abc.1")
    assert rec.datestamp == date(2008, 11, 13)
    assert [(v.number, v.size_kb, v.withdrawn) for v in rec.versions] == [
        (1, 37, False),
        (2, 0, True),
    ]
    assert rec.published == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert rec.withdrawn and rec.version == 2
    assert gone.deleted and gone.arxiv_id == "0704.0002"


def test_a_token_without_cursor_and_an_error_in_single_quotes() -> None:
    middle = PAGE.replace(b"<o:resumptionToken/>", b"<o:resumptionToken>abc|50</o:resumptionToken>")
    assert parse_page(io.BytesIO(middle)).token == "abc|50"
    error = parse_page(
        io.BytesIO(
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>"
            b"<error code='badResumptionToken'>expired</error></OAI-PMH>"
        )
    ).error
    assert error is not None and (error.code, error.message) == ("badResumptionToken", "expired")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (PAGE[: len(PAGE) // 2], "not well-formed"),
        (b"", "not well-formed"),
        (b"<html><body>busy</body></html>", "not an OAI-PMH answer"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>&b;</OAI-PMH>",
            "refused",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>&e;</OAI-PMH>",
            "refused",
        ),
    ],
)
def test_broken_and_hostile_pages_are_malformed(body: bytes, why: str) -> None:
    with pytest.raises(MalformedPage, match=why):
        parse_page(io.BytesIO(body))


def test_fields_as_arxiv_writes_them() -> None:
    assert parse_version_date("Mon, 2 Apr 2007 19:18:42 GMT") == datetime(
        2007, 4, 2, 19, 18, 42, tzinfo=UTC
    )
    assert parse_version_date("2 Apr 2007 19:18:42 +0200") == datetime(
        2007, 4, 2, 17, 18, 42, tzinfo=UTC
    )
    assert parse_version_date("not a date") is None
    assert parse_dois("10.1/a, 10.2/B; doi:10.3/c https://doi.org/10.1/a") == (
        "10.1/a",
        "10.2/b",
        "10.3/c",
    )
    assert split_authors('A. Author and B. M\\"uller') == ("A. Author", "B. Müller")


def test_a_page_in_another_encoding_reads_the_same_and_a_dtd_anywhere_is_refused() -> None:
    plain = parse_page(io.BytesIO(PAGE))
    utf16 = PAGE.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'").encode("utf-16")
    latin = PAGE.decode("utf-8").replace("encoding='UTF-8'", "encoding='ISO-8859-1'")
    for body in (utf16, latin.encode("latin-1", errors="replace")):
        other = parse_page(io.BytesIO(body))
        assert [r.arxiv_id for r in other.records] == [r.arxiv_id for r in plain.records]
        assert other.token == plain.token
    assert parse_page(io.BytesIO(utf16)).records == plain.records
    # A DTD after the first chunk, and one cut in two by a chunk's end, are both seen.
    for pad in (70_000, 65_536 - len(b"<?xml version='1.0'?>") - 4):
        body = b"<?xml version='1.0'?>" + b" " * pad + b'<!DOCTYPE x [<!ENTITY a "a">]><x/>'
        with pytest.raises(MalformedPage, match="refused"):
            parse_page(io.BytesIO(body))
