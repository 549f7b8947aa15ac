"""arXiv id parsing and formatting: examples, hints, and property-based round trips."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.errors import InvalidArxivId
from catalog.sources.arxiv.ids import ArxivId, arxiv_id_from_url, parse_arxiv_id

# --- examples -------------------------------------------------------------------------------

ACCEPTED = [
    ("1611.00712", ArxivId("1611.00712")),
    ("1611.00712v3", ArxivId("1611.00712", 3)),
    ("  2301.12345v12\n", ArxivId("2301.12345", 12)),
    ("0704.0001", ArxivId("0704.0001")),
    ("1412.9999", ArxivId("1412.9999")),
    ("1501.00001", ArxivId("1501.00001")),
    ("arxiv:1611.00712", ArxivId("1611.00712")),
    ("arXiv:1611.00712v2", ArxivId("1611.00712", 2)),
    ("ARXIV: 1804.01694", ArxivId("1804.01694")),
    ("hep-th/9901001", ArxivId("hep-th/9901001")),
    ("hep-th/9901001v1", ArxivId("hep-th/9901001", 1)),
    ("math.GT/0309136", ArxivId("math.GT/0309136")),
    ("math.GT/0309136v2", ArxivId("math.GT/0309136", 2)),
    ("cond-mat/0703001", ArxivId("cond-mat/0703001")),
    ("arXiv:cs.AI/9901001", ArxivId("cs.AI/9901001")),
    ("https://arxiv.org/abs/1611.00712", ArxivId("1611.00712")),
    ("http://arxiv.org/abs/1611.00712v1", ArxivId("1611.00712", 1)),
    ("https://www.arxiv.org/abs/1611.00712/", ArxivId("1611.00712")),
    ("https://export.arxiv.org/abs/hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
    ("https://arxiv.org/pdf/1611.00712", ArxivId("1611.00712")),
    ("https://arxiv.org/pdf/1611.00712v3.pdf", ArxivId("1611.00712", 3)),
    ("https://arxiv.org/pdf/math.GT/0309136v2.pdf", ArxivId("math.GT/0309136", 2)),
    ("https://arxiv.org/abs/1804.01118?context=cs#abstract", ArxivId("1804.01118")),
    ("arxiv.org/abs/1711.05772", ArxivId("1711.05772")),
    ("10.48550/arXiv.1611.00712", ArxivId("1611.00712")),
    ("10.48550/ARXIV.1802.02550", ArxivId("1802.02550")),
    ("doi:10.48550/arXiv.1802.02550", ArxivId("1802.02550")),
    ("https://doi.org/10.48550/arXiv.1611.00712", ArxivId("1611.00712")),
    ("http://dx.doi.org/10.48550/arXiv.hep-th/9901001", ArxivId("hep-th/9901001")),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


REJECTED = [
    ("", "empty"),
    ("   ", "empty"),
    ("1613.00001", "month 13 does not exist"),
    ("1600.00001", "month 00 does not exist"),
    ("1611.007", "4 or 5 digits after the dot"),
    ("1611.0071234", "4 or 5 digits after the dot"),
    ("1501.1234", "5 digits after the dot"),
    ("1412.12345", "4 digits after the dot"),
    ("0703.1234", "start at 0704"),
    ("1611.00712v0", "versions start at v1"),
    ("1611.00712v", "a version is v followed by a number"),
    ("Hep-th/9901001", "lowercase"),
    ("math.gt/0309136", "two uppercase letters"),
    ("hep-th/99010011", "7 digits"),
    ("hep-th/9913001", "month 13 does not exist"),
    ("hep-th/1501001", "1991 to 2007"),
    ("9901001", "need their archive"),
    ("161100712", "dot after YYMM"),
    ("1611. 00712", "no spaces"),
    ("arxiv:", "no id after the prefix"),
    ("https://example.com/abs/1611.00712", "not an arxiv.org"),
    ("https://arxiv.org/list/cs.LG/recent", "not an arxiv.org"),
    ("10.1000/xyz123", "not an arXiv DOI"),
    ("doi:10.1000/xyz123", "not an arXiv DOI"),
    ("The Concrete Distribution", "expected YYMM.NNNNN"),
]


@pytest.mark.parametrize(("text", "hint"), REJECTED)
def test_rejected_with_hint(text: str, hint: str) -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id(text)
    message = str(info.value)
    assert hint in message
    assert repr(text) in message  # names the input
    assert info.value.text == text


def test_invalid_arxiv_id_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_arxiv_id("nope")


def test_formatting() -> None:
    a = ArxivId("1611.00712", 2)
    assert str(a) == a.versioned == "1611.00712v2"
    assert str(ArxivId("1611.00712")) == "1611.00712"
    assert a.abs_url == "https://arxiv.org/abs/1611.00712v2"
    assert a.doi == "10.48550/arXiv.1611.00712"
    assert ArxivId("math.GT/0309136").api_id == "math/0309136"
    assert ArxivId("hep-th/9901001").api_id == "hep-th/9901001"
    assert ArxivId("1611.00712").api_id == "1611.00712"


def test_ordering_mixes_versions_without_error() -> None:
    ids = [ArxivId("1611.00712", 3), ArxivId("1611.00712"), ArxivId("0704.0001", 1)]
    assert sorted(ids) == [ArxivId("0704.0001", 1), ArxivId("1611.00712"), ArxivId("1611.00712", 3)]
    assert len({ArxivId("1611.00712"), ArxivId("1611.00712")}) == 1


URLS = [
    ("https://arxiv.org/abs/1611.00712", "1611.00712"),
    ("http://arxiv.org/abs/1611.00712v3", "1611.00712v3"),
    ("https://arxiv.org/pdf/1804.01694.pdf", "1804.01694"),
    ("https://arxiv.org/pdf/1804.01694v2", "1804.01694v2"),
    ("https://www.arxiv.org/abs/1711.05772/", "1711.05772"),
    ("HTTPS://ARXIV.ORG/abs/1711.05772", "1711.05772"),
    ("https://export.arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
    ("https://arxiv.org/abs/1802.02550?context=stat.ML", "1802.02550"),
    ("https://arxiv.org/pdf/1802.02550v1.pdf#page=3", "1802.02550v1"),
    ("https://doi.org/10.48550/arXiv.1804.01118", "1804.01118"),
    (" https://arxiv.org/abs/1804.01118 ", "1804.01118"),
]


@pytest.mark.parametrize(("url", "expected"), URLS)
def test_id_from_url(url: str, expected: str) -> None:
    found = arxiv_id_from_url(url)
    assert found is not None and str(found) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "1611.00712",  # a bare id is not a URL
        "https://example.com/abs/1611.00712",
        "https://arxiv.org/abs/1611.0071",  # bad id
        "https://arxiv.org/list/cs.LG/recent",
        "https://arxiv.org/",
        "ftp://arxiv.org/abs/1611.00712",
        "https://doi.org/10.1000/xyz",
        "{{site.baseurl}}/talks/x.pdf",
        "http://[::1",  # urlsplit raises ValueError on this
        "mailto:someone@arxiv.org",
    ],
)
def test_id_from_url_rejects(url: str) -> None:
    assert arxiv_id_from_url(url) is None


# --- properties ------------------------------------------------------------------------------


LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase


@st.composite
def new_style(draw: st.DrawFn) -> str:
    yy = draw(st.integers(7, 99))
    mm = draw(st.integers(1, 12))
    if (yy, mm) < (7, 4):
        mm = draw(st.integers(4, 12))
    digits = 4 if (yy, mm) <= (14, 12) else 5
    num = draw(st.integers(0, 10**digits - 1))
    return f"{yy:02d}{mm:02d}.{num:0{digits}d}"


@st.composite
def old_style(draw: st.DrawFn) -> str:
    archive = draw(st.text(LOWER, min_size=1, max_size=8))
    if draw(st.booleans()):
        archive += "-" + draw(st.text(LOWER, min_size=1, max_size=5))
    subj = draw(st.one_of(st.just(""), st.text(UPPER, min_size=2, max_size=2).map(".".__add__)))
    yy = draw(st.sampled_from([*range(91, 100), *range(0, 8)]))
    mm = draw(st.integers(1, 12))
    num = draw(st.integers(0, 999))
    return f"{archive}{subj}/{yy:02d}{mm:02d}{num:03d}"


arxiv_ids = st.builds(
    ArxivId,
    st.one_of(new_style(), old_style()),
    st.one_of(st.none(), st.integers(1, 500)),
)

FORMS: list[Callable[[ArxivId], str]] = [
    str,
    lambda a: f"arXiv:{a}",
    lambda a: f"arxiv:{a}",
    lambda a: f"  {a}\t",
    lambda a: f"https://arxiv.org/abs/{a}",
    lambda a: f"http://export.arxiv.org/abs/{a}/",
    lambda a: f"https://www.arxiv.org/pdf/{a}.pdf",
    lambda a: f"https://arxiv.org/pdf/{a}",
]


@given(arxiv_ids, st.sampled_from(FORMS))
def test_round_trip_every_form(a: ArxivId, form: Callable[[ArxivId], str]) -> None:
    assert parse_arxiv_id(form(a)) == a


@given(arxiv_ids)
def test_round_trip_doi(a: ArxivId) -> None:
    bare = ArxivId(a.id)
    assert parse_arxiv_id(bare.doi) == bare
    assert parse_arxiv_id(f"https://doi.org/{bare.doi}") == bare
    assert arxiv_id_from_url(f"https://doi.org/{bare.doi}") == bare


@given(arxiv_ids)
def test_url_forms_found_leniently(a: ArxivId) -> None:
    assert arxiv_id_from_url(a.abs_url) == a
    assert arxiv_id_from_url(a.pdf_url + ".pdf?download=1") == a
    assert parse_arxiv_id(str(a)).versioned == str(a)


@given(st.text())
def test_random_text_never_crashes(text: str) -> None:
    try:
        result = parse_arxiv_id(text)
    except InvalidArxivId as exc:
        assert exc.text == text
    else:
        assert isinstance(result, ArxivId)
    found = arxiv_id_from_url(text)
    assert found is None or isinstance(found, ArxivId)


@given(st.from_regex(r"(https?://)?(www\.|export\.)?arxiv\.org/(abs|pdf)/[ -~]{0,30}"))
def test_random_arxiv_urls_never_crash(text: str) -> None:
    found = arxiv_id_from_url(text)
    assert found is None or isinstance(found, ArxivId)
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        pass
