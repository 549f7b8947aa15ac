"""The parser reads the common arXiv link (https://arxiv.org/abs/ID) without the general
URL parser; for every link, it gives the id that parser gives."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalog.posts.inline import arxiv_of_url
from catalog.sources.arxiv.ids import arxiv_id_from_url

SCHEMES = st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", ""])
HOSTS = st.sampled_from(["arxiv.org", "www.arxiv.org", "export.arxiv.org", "ArXiv.org",
                         "arxiv.org.evil.com", "doi.org"])
KINDS = st.sampled_from(["/abs/", "/pdf/", "/abs//", "/html/", "/10.48550/arXiv."])
YYMM = st.sampled_from(["0612", "0704", "0813", "1412", "1501", "1801", "1900", "2312", "9912"])
NUMBERS = st.text("0123456789", min_size=3, max_size=6)
TAILS = st.sampled_from(["", "v1", "v2", "v0", "v01", "v", ".pdf", "v3.pdf", "/", "?x=1",
                         "#a", " ", "%31"])


@settings(max_examples=800, deadline=None)
@given(SCHEMES, HOSTS, KINDS, YYMM, NUMBERS, TAILS)
@example("https://", "arxiv.org", "/abs/", "1801", "00012", "v2")
@example("https://", "arxiv.org", "/pdf/", "1412", "1234", ".pdf")
@example("https://", "arxiv.org", "/abs/", "1412", "12345", "")
def test_arxiv_links_read_as_the_general_parser_reads_them(
    scheme: str, host: str, kind: str, yymm: str, number: str, tail: str
) -> None:
    url = f"{scheme}{host}{kind}{yymm}.{number}{tail}"
    general = arxiv_id_from_url(url)
    assert arxiv_of_url(url) == (general.id if general is not None else None)


def test_the_common_links_name_their_paper() -> None:
    assert arxiv_of_url("https://arxiv.org/abs/1611.00712v2") == "1611.00712"
    assert arxiv_of_url("http://www.arxiv.org/pdf/1801.00012.pdf") == "1801.00012"
    assert arxiv_of_url("https://arxiv.org/abs/1801.0001") is None  # 4 digits after 2015
