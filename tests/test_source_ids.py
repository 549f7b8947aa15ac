"""Paper identifiers of every scheme: the written forms, hints, links that are not papers,
title hints, and property-based round trips (like tests/test_arxiv_ids.py for arXiv)."""

from __future__ import annotations

import string
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.errors import InvalidArxivId, InvalidIdentifier
from catalog.records import SCHEMES, Identifier
from catalog.sources.ids import (
    ITEM_TYPES,
    canonical_doi,
    identifier_in_url,
    identifier_url,
    link_kind,
    parse_identifier,
    title_hint,
)
from tests.test_arxiv_ids import new_style, old_style


def doi(value: str) -> Identifier:
    return Identifier("doi", value)


# --- examples -------------------------------------------------------------------------------

ACCEPTED = [
    # DOIs: case-insensitive, prose punctuation stripped, URL-encoded, publisher pages.
    ("doi:10.1038/nature20101", doi("10.1038/nature20101")),
    ("DOI: 10.1038/nature20101", doi("10.1038/nature20101")),
    ("10.1038/NATURE20101", doi("10.1038/nature20101")),
    ("  10.1145/3292500.3330701\n", doi("10.1145/3292500.3330701")),
    ("10.1038/nature20101.", doi("10.1038/nature20101")),
    ("(doi:10.1038/nature20101),", doi("10.1038/nature20101")),
    ("10.1016/0370-2693(82)90087-4", doi("10.1016/0370-2693(82)90087-4")),
    ("10.1016/0370-2693(82)90087-4).", doi("10.1016/0370-2693(82)90087-4")),
    ("10.1002/(SICI)1097-4636(199706)35:4<431::AID-JBM4>3.0.CO;2-G",
     doi("10.1002/(sici)1097-4636(199706)35:4<431::aid-jbm4>3.0.co;2-g")),
    ("10.1000.10/ABC", doi("10.1000.10/abc")),
    ("https://doi.org/10.1038/nature20101", doi("10.1038/nature20101")),
    ("https://doi.org/10.1038/NATURE20101.", doi("10.1038/nature20101")),
    ("http://dx.doi.org/10.1000/182", doi("10.1000/182")),
    ("https://doi.org/10.1000%2F182", doi("10.1000/182")),
    ("https://doi.org/10.1007%2F978-3-319-46448-0_2", doi("10.1007/978-3-319-46448-0_2")),
    ("doi.org/10.1038/nature20101", doi("10.1038/nature20101")),
    ("https://dl.acm.org/doi/10.1145/3292500.3330701", doi("10.1145/3292500.3330701")),
    ("https://dl.acm.org/doi/abs/10.1145/3292500.3330701", doi("10.1145/3292500.3330701")),
    ("https://dl.acm.org/doi/pdf/10.1145/3292500.3330701", doi("10.1145/3292500.3330701")),
    ("https://dl.acm.org/doi/full/10.1145/3292500.3330701", doi("10.1145/3292500.3330701")),
    ("https://link.springer.com/article/10.1007/s10994-019-05855-6",
     doi("10.1007/s10994-019-05855-6")),
    ("https://link.springer.com/chapter/10.1007/978-3-319-46448-0_2",
     doi("10.1007/978-3-319-46448-0_2")),
    ("https://link.springer.com/content/pdf/10.1007/s10994-019-05855-6.pdf",
     doi("10.1007/s10994-019-05855-6")),
    ("https://www.nature.com/articles/nature20101", doi("10.1038/nature20101")),
    ("nature.com/articles/s41586-019-1724-z.pdf", doi("10.1038/s41586-019-1724-z")),
    # arXiv, delegated (arXiv DOIs are arXiv ids).
    ("1611.00712v2", Identifier("arxiv", "1611.00712")),
    ("arXiv:hep-th/9901001", Identifier("arxiv", "hep-th/9901001")),
    ("https://arxiv.org/pdf/1611.00712v3.pdf", Identifier("arxiv", "1611.00712")),
    ("10.48550/arXiv.1611.00712", Identifier("arxiv", "1611.00712")),
    ("doi:10.48550/ARXIV.1802.02550", Identifier("arxiv", "1802.02550")),
    ("https://doi.org/10.48550/arXiv.1611.00712", Identifier("arxiv", "1611.00712")),
    # OpenReview: ids are case-sensitive.
    ("https://openreview.net/forum?id=BkpiPMbA-", Identifier("openreview", "BkpiPMbA-")),
    ("https://openreview.net/pdf?id=BkpiPMbA-", Identifier("openreview", "BkpiPMbA-")),
    ("openreview.net/forum?id=rJXMpikCZ&noteId=H1aIuk-RW", Identifier("openreview", "rJXMpikCZ")),
    ("openreview:BkpiPMbA-", Identifier("openreview", "BkpiPMbA-")),
    # PMLR (and its JMLR W&CP ancestor).
    ("https://proceedings.mlr.press/v80/kazemi18a.html", Identifier("pmlr", "v80/kazemi18a")),
    ("http://proceedings.mlr.press/v80/kazemi18a.pdf", Identifier("pmlr", "v80/kazemi18a")),
    ("proceedings.mlr.press/v80/kazemi18a/kazemi18a.pdf", Identifier("pmlr", "v80/kazemi18a")),
    ("pmlr:v80/kazemi18a", Identifier("pmlr", "v80/kazemi18a")),
    ("http://jmlr.org/proceedings/papers/v37/ioffe15.pdf", Identifier("pmlr", "v37/ioffe15")),
    # NeurIPS: legacy numbers and hashes.
    ("https://papers.nips.cc/paper/5346-sequence-to-sequence-learning-with-neural",
     Identifier("neurips", "5346")),
    ("http://papers.nips.cc/paper/5346-sequence-to-sequence-learning-with-neural-networks.pdf",
     Identifier("neurips", "5346")),
    ("https://proceedings.neurips.cc/paper/2020/hash/1457c0d6bfcb4967418bfb8ac142f64a-Abstract.html",
     Identifier("neurips", "2020/hash/1457c0d6bfcb4967418bfb8ac142f64a")),
    ("https://papers.nips.cc/paper/2014/file/A14AC55A4F27472C5D894EC1C3C743D2-Paper.pdf",
     Identifier("neurips", "2014/hash/a14ac55a4f27472c5d894ec1c3c743d2")),
    ("https://proceedings.neurips.cc/paper_files/paper/2022/hash/"
     "0cde695b83bd186c1fd456302888454c-Abstract-Conference.html",
     Identifier("neurips", "2022/hash/0cde695b83bd186c1fd456302888454c")),
    ("neurips:2020/hash/1457c0d6bfcb4967418bfb8ac142f64a",
     Identifier("neurips", "2020/hash/1457c0d6bfcb4967418bfb8ac142f64a")),
    # ACL Anthology.
    ("https://aclanthology.org/N19-1423/", Identifier("acl", "N19-1423")),
    ("https://aclanthology.org/N19-1423.pdf", Identifier("acl", "N19-1423")),
    ("https://aclanthology.org/2020.acl-main.1v2.pdf", Identifier("acl", "2020.acl-main.1")),
    ("https://www.aclweb.org/anthology/N19-1423", Identifier("acl", "N19-1423")),
    ("http://aclweb.org/anthology/P/P17/P17-1001.pdf", Identifier("acl", "P17-1001")),
    ("acl:n19-1423", Identifier("acl", "N19-1423")),
    ("acl:2022.findings-acl.5", Identifier("acl", "2022.findings-acl.5")),
    # DBLP.
    ("https://dblp.org/rec/conf/icml/KazemiG18.html", Identifier("dblp", "conf/icml/KazemiG18")),
    ("https://dblp.org/rec/conf/icml/KazemiG18.bib", Identifier("dblp", "conf/icml/KazemiG18")),
    ("dblp.org/rec/journals/corr/abs-1611-00712.xml",
     Identifier("dblp", "journals/corr/abs-1611-00712")),
    ("https://dblp.uni-trier.de/rec/bibtex/conf/nips/SutskeverVL14",
     Identifier("dblp", "conf/nips/SutskeverVL14")),
    ("dblp:conf/icml/KazemiG18", Identifier("dblp", "conf/icml/KazemiG18")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms(text: str, expected: Identifier) -> None:
    assert parse_identifier(text) == expected


@pytest.mark.parametrize(
    "url",
    [text for text, _ in ACCEPTED if "://" in text or text.startswith(("nature.", "openreview.",
     "doi.", "dblp.", "proceedings."))] + ["doi:10.1038/nature20101"],  # fmt: skip
)
def test_page_urls_are_found_leniently(url: str) -> None:
    assert identifier_in_url(url) == parse_identifier(url)


REJECTED = [
    ("", "empty"),
    ("10.1038", "the suffix is missing"),
    ("10.1038/", "the suffix is missing"),
    ("doi:", "no DOI after the prefix"),
    ("10.12/abc", "4 to 9 digits"),
    ("doi:10.abcd/x", "starts with 10. and the registrant's digits"),
    ("10.1038/nature 20101", "no spaces"),
    ("doi:10.1038/a\x07b", "control characters"),
    ("10.48550/arXiv.1611.0071", "an arXiv DOI, but"),
    ("https://doi.org/", "no DOI after doi.org/"),
    ("https://dl.acm.org/citation.cfm?id=3045390", "as dl.acm.org/doi/10."),
    ("https://link.springer.com/journal/10994", "/article/10."),
    ("https://www.nature.com/nature/volumes/540", "nature.com/articles/NAME"),
    ("https://openreview.net/group?id=ICLR.cc/2018/Conference", "forum?id="),
    ("https://openreview.net/forum", "names its paper with ?id="),
    ("openreview:ab", "an OpenReview id"),
    ("https://proceedings.mlr.press/v80/", "vN/NAME.html"),
    ("pmlr:kazemi18a", "a PMLR id is volume/name"),
    ("https://papers.nips.cc/paper/2014", "NeurIPS papers are"),
    ("neurips:2020/hash/xyz", "a NeurIPS id is"),
    ("https://aclanthology.org/volumes/P17-1/", "aclanthology.org/ID/"),
    ("acl:ACL2019", "looks like N19-1423"),
    ("https://dblp.org/pid/123/456.html", "dblp.org/rec/KEY"),
    ("dblp:www/org/foo", "a DBLP key looks like"),
    ("https://ieeexplore.ieee.org/document/7780459", "carry no identifier"),
    ("https://www.jmlr.org/papers/v15/srivastava14a.html", "carry no identifier"),
    ("https://www.usenix.org/conference/osdi16/presentation/abadi", "carry no identifier"),
    ("https://cs.example.edu/~lab/papers/concrete.pdf", "carry no identifier"),
    ("https://example.com/a-page", "not a page the catalog reads identifiers from"),
    ("ftp://doi.org/10.1038/x", "only http(s) links"),
    ("http://[::1", "a malformed URL"),
    ("conf/icml/KazemiG18", "write dblp:conf/icml/KazemiG18"),
    ("N19-1423", "write acl:N19-1423"),
    ("v80/kazemi18a", "write pmlr:v80/kazemi18a"),
    ("2301.1234", "ids from 2015 on have 5 digits"),
    ("9901001", "need their archive"),
    ("isbn:978-3-16-148410-0", "unknown scheme isbn:"),
    ("The Concrete Distribution", "expected an arXiv id, a DOI"),
]


@pytest.mark.parametrize(("text", "hint"), REJECTED)
def test_rejected_with_hint(text: str, hint: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_identifier(text)
    message = str(info.value)
    assert hint in message
    assert repr(text) in message  # names the input
    assert "accepted forms:" in message and "doi:10.1038/nature20101" in message
    assert info.value.text == text
    assert info.value.exit_code == 2


def test_error_types_fit_together() -> None:
    assert issubclass(InvalidArxivId, InvalidIdentifier)
    assert issubclass(InvalidIdentifier, ValueError)
    with pytest.raises(InvalidIdentifier) as info:
        from catalog.sources.arxiv.ids import parse_arxiv_id

        parse_arxiv_id("1611.0071")
    # arXiv's own message is unchanged: its forms, its hint.
    assert str(info.value).startswith("not an arXiv id: '1611.0071' (")
    assert "10.48550/arXiv.1611.00712" in str(info.value)


def test_canonical_doi() -> None:
    assert canonical_doi("https://doi.org/10.1038/NATURE20101") == "10.1038/nature20101"
    assert canonical_doi("DOI: 10.1038/Nature20101.") == "10.1038/nature20101"
    assert canonical_doi("10.48550/arXiv.1611.00712") is None  # an arXiv id, not a DOI
    assert canonical_doi("not a doi") is None
    assert canonical_doi("") is None and canonical_doi(None) is None


def test_links_to_show() -> None:
    assert identifier_url(doi("10.1038/nature20101")) == "https://doi.org/10.1038/nature20101"
    assert identifier_url(doi("10.1000/a#b?c%d")) == "https://doi.org/10.1000/a%23b%3Fc%25d"
    assert identifier_url(Identifier("arxiv", "1611.00712")) == "https://arxiv.org/abs/1611.00712"
    assert identifier_url(Identifier("openreview", "BkpiPMbA-")) == (
        "https://openreview.net/forum?id=BkpiPMbA-"
    )
    assert identifier_url(Identifier("pmlr", "v80/kazemi18a")) == (
        "https://proceedings.mlr.press/v80/kazemi18a.html"
    )
    assert identifier_url(Identifier("acl", "N19-1423")) == "https://aclanthology.org/N19-1423/"
    assert identifier_url(Identifier("dblp", "conf/icml/KazemiG18")) == (
        "https://dblp.org/rec/conf/icml/KazemiG18.html"
    )
    assert identifier_url(Identifier("neurips", "2020/hash/" + "a" * 32)) == (
        f"https://proceedings.neurips.cc/paper_files/paper/2020/hash/{'a' * 32}-Abstract.html"
    )
    # A legacy NeurIPS number names no page by itself (the old links carried the title).
    assert identifier_url(Identifier("neurips", "5346")) is None


KINDS = [
    ("https://arxiv.org/abs/1611.00712", "paper"),
    ("https://openreview.net/forum?id=BkpiPMbA-", "paper"),
    ("https://ieeexplore.ieee.org/document/7780459", "paper"),
    ("https://www.jmlr.org/papers/v15/srivastava14a.html", "paper"),
    ("https://www.usenix.org/conference/osdi16/technical-sessions/presentation/abadi", "paper"),
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5070406/", "paper"),
    ("https://cs.example.edu/~lab/papers/concrete.pdf", "paper"),
    ("https://github.com/lab/repo/raw/master/paper.pdf", "paper"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "video"),
    ("https://youtu.be/dQw4w9WgXcQ", "video"),
    ("https://vimeo.com/123456", "video"),
    ("https://slideslive.com/38922627/a-talk", "video"),
    ("https://example.edu/talk.mp4", "video"),
    ("https://www.slideshare.net/someone/gumbel-softmax", "slides"),
    ("https://speakerdeck.com/someone/a-talk", "slides"),
    ("https://docs.google.com/presentation/d/1abc/edit", "slides"),
    ("https://example.edu/deck.pptx", "slides"),
    ("https://example.edu/~x/concrete-slides.pdf", "slides"),
    ("https://github.com/lab/repo", "code"),
    ("https://gitlab.com/lab/repo/-/tree/main", "code"),
    ("https://colab.research.google.com/drive/1abc", "code"),
    ("https://medium.com/@someone/a-gentle-introduction-to-vaes-1a2b3c4d5e6f", "blog"),
    ("https://towardsdatascience.com/some-post-123", "blog"),
    ("https://lilianweng.github.io/posts/2018-08-12-vae/", "blog"),
    ("https://someone.github.io/2018/07/31/generative-models.html", "blog"),
    ("https://blog.openai.com/glow/", "blog"),
    ("https://openai.com/blog/better-language-models/", "blog"),
    ("https://someone.substack.com/p/a-post", "blog"),
    ("https://nvlabs.github.io/stylegan2/", "web"),
    ("https://en.wikipedia.org/wiki/Gumbel_distribution", "web"),
    ("mailto:someone@example.com", "web"),
    ("", "web"),
]


@pytest.mark.parametrize(("url", "kind"), KINDS)
def test_link_kinds(url: str, kind: str) -> None:
    assert link_kind(url) == kind
    assert kind in ITEM_TYPES


HINTS = [
    ("https://papers.nips.cc/paper/5346-sequence-to-sequence-learning-with-neural",
     "sequence to sequence learning with neural"),
    ("https://papers.nips.cc/paper/5423-generative-adversarial-nets.pdf",
     "generative adversarial nets"),
    ("https://medium.com/@someone/a-gentle-introduction-to-vaes-1a2b3c4d5e6f",
     "a gentle introduction to vaes"),
    ("https://someone.github.io/2018/07/31/learning-to-generate-programs.html",
     "learning to generate programs"),
    ("https://example.com/2018-07-31-deep-generative-models/", "deep generative models"),
    ("https://arxiv.org/abs/1611.00712", None),
    ("https://openreview.net/forum?id=BkpiPMbA-", None),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
    ("https://example.com/two-words", None),
    ("", None),
]  # fmt: skip


@pytest.mark.parametrize(("url", "hint"), HINTS)
def test_title_hints(url: str, hint: str | None) -> None:
    assert title_hint(url) == hint


# --- properties ------------------------------------------------------------------------------

_SUFFIX_CHARS = string.ascii_lowercase + string.digits + "-._;:/"
_END = string.ascii_lowercase + string.digits


@st.composite
def dois(draw: st.DrawFn, *, ascii_only: bool = False) -> Identifier:
    registrant = draw(st.integers(1000, 999_999_999))
    sub = draw(st.one_of(st.just(""), st.integers(0, 99).map(lambda n: f".{n}")))
    body = draw(st.text(_SUFFIX_CHARS if ascii_only else _SUFFIX_CHARS + "éü", max_size=20))
    if draw(st.booleans()):  # balanced parentheses, as SICI DOIs have
        body += f"({draw(st.integers(0, 9999))})"
    end = draw(st.sampled_from(_END))
    value = f"10.{registrant}{sub}/{body}{end}"
    if value.startswith("10.48550/arxiv."):
        value = "10.48551" + value[len("10.48550") :]
    return doi(value)


_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)

DOI_FORMS: list[Callable[[str], str]] = [
    lambda d: d,
    lambda d: f"doi:{d}",
    lambda d: f"DOI: {d}",
    lambda d: d.translate(_ASCII_UPPER),
    lambda d: f"  {d}.\n",
    lambda d: f"({d}),",
    lambda d: f"https://doi.org/{d}",
    lambda d: f"http://dx.doi.org/{d}",
    lambda d: f"https://doi.org/{quote(d, safe='')}",
    lambda d: f"https://doi.org/{d.translate(_ASCII_UPPER)}",
    lambda d: f"https://dl.acm.org/doi/{d}",
    lambda d: f"https://dl.acm.org/doi/abs/{d}",
    lambda d: f"https://link.springer.com/article/{d}",
    lambda d: f"https://link.springer.com/chapter/{d}",
]


@given(dois(), st.sampled_from(DOI_FORMS))
def test_doi_round_trip_every_form(ident: Identifier, form: Callable[[str], str]) -> None:
    assert parse_identifier(form(ident.value)) == ident


@given(dois(ascii_only=True))
def test_dois_are_case_insensitive(ident: Identifier) -> None:
    assert parse_identifier(ident.value.upper()) == ident
    assert parse_identifier(ident.value.title()) == ident


@given(st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=20))
def test_nature_articles_are_dois(article: str) -> None:
    expected = parse_identifier(f"10.1038/{article}")
    assert parse_identifier(f"https://www.nature.com/articles/{article}") == expected
    assert identifier_in_url(f"https://www.nature.com/articles/{article}.pdf") == expected


arxiv_ids = st.one_of(new_style(), old_style()).map(lambda a: Identifier("arxiv", a))
openreview_ids = st.text(string.ascii_letters + string.digits + "-_", min_size=5, max_size=12).map(
    lambda v: Identifier("openreview", v)
)
pmlr_ids = st.builds(
    lambda vol, name: Identifier("pmlr", f"v{vol}/{name}"),
    st.integers(1, 300),
    st.from_regex(r"[a-z][a-z0-9]{1,10}[0-9]{2}[a-z]?", fullmatch=True),
)
neurips_ids = st.one_of(
    st.integers(1, 99_999).map(lambda n: Identifier("neurips", str(n))),
    st.builds(
        lambda year, hexes: Identifier("neurips", f"{year}/hash/{hexes}"),
        st.integers(1987, 2030),
        st.text("0123456789abcdef", min_size=32, max_size=32),
    ),
)
acl_ids = st.one_of(
    st.from_regex(r"[A-Z][0-9]{2}-[0-9]{4}", fullmatch=True),
    st.from_regex(r"20[0-9]{2}\.[a-z]{2,8}(-[a-z]{2,6})?\.[1-9][0-9]{0,3}", fullmatch=True),
).map(lambda v: Identifier("acl", v))
dblp_ids = st.builds(
    lambda kind, venue, name: Identifier("dblp", f"{kind}/{venue}/{name}"),
    st.sampled_from(["conf", "journals", "books"]),
    st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True),
    st.from_regex(r"[A-Z][A-Za-z0-9-]{1,15}", fullmatch=True),
)
identifiers = st.one_of(dois(), arxiv_ids, openreview_ids, pmlr_ids, neurips_ids, acl_ids, dblp_ids)

# Page URLs each scheme's sites write, beside identifier_url's own.
URL_FORMS: dict[str, list[Callable[[str], str]]] = {
    "arxiv": [lambda v: f"https://arxiv.org/abs/{v}", lambda v: f"http://arxiv.org/pdf/{v}.pdf"],
    "doi": [lambda v: f"https://doi.org/{v}", lambda v: f"https://dl.acm.org/doi/pdf/{v}"],
    "openreview": [
        lambda v: f"https://openreview.net/forum?id={v}",
        lambda v: f"https://openreview.net/pdf?id={v}",
        lambda v: f"openreview.net/forum?id={v}&noteId=Abcdefgh",
    ],
    "pmlr": [
        lambda v: f"https://proceedings.mlr.press/{v}.html",
        lambda v: f"http://proceedings.mlr.press/{v}.pdf",
        lambda v: f"https://proceedings.mlr.press/{v}/{v.split('/')[1]}.pdf",
    ],
    "neurips": [
        lambda v: (
            f"https://papers.nips.cc/paper/{v}-some-title-here"
            if v.isdigit()
            else f"https://papers.nips.cc/paper/{v.replace('hash', 'file')}-Paper.pdf"
        ),
        lambda v: (
            f"http://papers.nips.cc/paper/{v}-some-title.pdf"
            if v.isdigit()
            else f"https://proceedings.neurips.cc/paper_files/paper/{v}-Abstract-Conference.html"
        ),
    ],
    "acl": [
        lambda v: f"https://aclanthology.org/{v}/",
        lambda v: f"https://aclanthology.org/{v}.pdf",
        lambda v: f"https://www.aclweb.org/anthology/{v}",
    ],
    "dblp": [
        lambda v: f"https://dblp.org/rec/{v}.html",
        lambda v: f"https://dblp.org/rec/{v}.bib",
        lambda v: f"https://dblp.uni-trier.de/rec/bibtex/{v}",
    ],
}


@given(identifiers, st.data())
def test_round_trip_every_scheme(ident: Identifier, data: st.DataObject) -> None:
    assert ident.scheme in SCHEMES
    assert parse_identifier(str(ident)) == ident  # "scheme:value" is always accepted
    form = data.draw(st.sampled_from(URL_FORMS[ident.scheme]))
    url = form(ident.value)
    assert parse_identifier(url) == ident
    assert identifier_in_url(url) == ident
    assert link_kind(url) == "paper"


@given(identifiers)
def test_the_link_to_show_names_the_identifier(ident: Identifier) -> None:
    url = identifier_url(ident)
    if url is None:
        assert ident.scheme == "neurips" and ident.value.isdigit()
        return
    assert identifier_in_url(url) == ident
    assert parse_identifier(url) == ident


@given(st.text(string.printable + "éü", max_size=12))
def test_any_doi_text_round_trips_through_its_link(suffix: str) -> None:
    """Whatever a DOI holds ("#", "?", "%", spaces are encoded), its link names it."""
    try:
        ident = parse_identifier(f"10.1234/x{suffix}")
    except InvalidIdentifier:
        return
    url = identifier_url(ident)
    assert url is not None and identifier_in_url(url) == ident


@given(st.text())
def test_random_text_never_crashes(text: str) -> None:
    try:
        result = parse_identifier(text)
    except InvalidIdentifier as exc:
        assert exc.text == text
    else:
        assert result.scheme in SCHEMES
    found = identifier_in_url(text)
    assert found is None or found.scheme in SCHEMES
    assert link_kind(text) in ITEM_TYPES
    hint = title_hint(text)
    assert hint is None or hint.strip() == hint


@given(
    st.from_regex(
        r"(https?://)?(www\.)?(doi\.org|dl\.acm\.org|openreview\.net|proceedings\.mlr\.press"
        r"|papers\.nips\.cc|aclanthology\.org|dblp\.org|nature\.com|link\.springer\.com)"
        r"/[ -~]{0,40}"
    )
)
def test_random_known_host_urls_never_crash(text: str) -> None:
    found = identifier_in_url(text)
    assert found is None or found.scheme in SCHEMES
    try:
        assert parse_identifier(text) == found
    except InvalidIdentifier:
        assert found is None
