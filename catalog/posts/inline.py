"""Inline markup in a post's cells and headings: links, footnote references, titles.

Links are Markdown ``[text](url)``, HTML ``<a href="url">text</a>`` and bare URLs.
Every pattern here is linear in the length of the text (no nested unbounded
repetition), so a hostile megabyte-long line costs milliseconds. Stdlib only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from catalog.posts.model import FootnoteRef, Link
from catalog.posts.text import split_title_authors, strip_markup
from catalog.sources.arxiv.ids import arxiv_id_from_url

__all__ = [
    "GENERIC_LINK_TEXT",
    "NON_PAPER_LINK_TEXT",
    "REF",
    "arxiv_of_url",
    "clean_title",
    "first_arxiv",
    "is_paper_link",
    "links",
    "refs",
    "title_link_text",
]

REF = re.compile(r"(?<!\\)\[\^([^\]\s]+)\](?!:)")  # "\[^1]" is text
# [text](url "title") with one level of balanced parentheses in the URL; images and
# escaped brackets ("\[text](...)" is text) excluded.
_LINK = re.compile(
    r"(?<![!\\])\[([^\[\]]*)\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"
    r"(?:\s+\"[^\"]*\")?\s*\)"
)
# <a href="url" ...>text</a>; the text may hold tags (<b>), not another link.
_A_HREF = re.compile(
    r"<a\s[^<>]{0,500}?\bhref\s*=\s*(?:\"([^\"<>]*)\"|'([^'<>]*)'|([^\s\"'<>]+))[^<>]{0,500}>"
    r"((?:(?!</?a[\s>])[^\n]){0,1000}?)</a\s*>",
    re.IGNORECASE,
)
_BARE_URL = re.compile(r"<?(https?://[^\s<>|\]\[()]+(?:\([^\s()]*\)[^\s<>|\]\[()]*)*)>?")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")

GENERIC_LINK_TEXT = frozenset(
    "pdf url link paper arxiv html code slides slide abs abstract here web page site "
    "github video openreview".split()
)
# Link texts that say the link is not the paper itself.
NON_PAPER_LINK_TEXT = frozenset("code github video blog website project talk poster".split())


def _anchor_url(m: re.Match[str]) -> str:
    return (m.group(1) or m.group(2) or m.group(3) or "").strip()


def links(text: str, line: int, offset: int) -> list[Link]:
    """Markdown links, ``<a href>`` links and bare URLs in ``text`` (which starts at the
    0-based ``offset`` of its line), in the order they appear."""
    found: list[tuple[int, Link]] = []

    def markdown(m: re.Match[str]) -> str:
        found.append((m.start(), Link(m.group(1).strip(), m.group(2).strip(), line,
                                      offset + m.start() + 1)))
        return " " * (m.end() - m.start())  # masked, so the URL is not found again

    def anchor(m: re.Match[str]) -> str:
        label = strip_markup(_TAG.sub(" ", m.group(4)))
        found.append((m.start(), Link(label, _anchor_url(m), line, offset + m.start() + 1)))
        return " " * (m.end() - m.start())

    masked = _LINK.sub(markdown, text) if "](" in text else text
    if "<" in masked and "href" in masked.lower():
        masked = _A_HREF.sub(anchor, masked)
    if "http" in masked:
        for m in _BARE_URL.finditer(masked):
            found.append((m.start(), Link("", m.group(1), line, offset + m.start() + 1)))
    found.sort(key=lambda t: t[0])
    return [lk for _, lk in found]


def refs(text: str, line: int, offset: int, cell: str) -> list[FootnoteRef]:
    """Footnote references ``[^label]`` in ``text`` (starting at 0-based ``offset``)."""
    if "[^" not in text:
        return []
    return [FootnoteRef(m.group(1), line, offset + m.start() + 1, cell)
            for m in REF.finditer(text)]


def title_link_text(text: str) -> bool:
    """Is a link's text a paper's title ("Wasserstein GAN", "Glow") rather than "PDF"?"""
    words = strip_markup(text).split()
    if not words:
        return False
    if len(words) == 1:
        word = words[0].strip(".,:;()[]").lower()
        return len(word) >= 3 and any(ch.isalpha() for ch in word) and (
            word not in GENERIC_LINK_TEXT
        )
    return not all(w.lower().strip(".,:;()[]") in GENERIC_LINK_TEXT for w in words)


def is_paper_link(link: Link) -> bool:
    """Not a link to code, a video, a blog: the paper (or an empty ``[PDF]()``)."""
    return link.text.strip().lower() not in NON_PAPER_LINK_TEXT


def clean_title(text: str) -> tuple[str, list[str], str | None]:
    """A paper cell's text -> (title, authors, venue).

    Footnote refs and bare URLs go; ``[Title](url)`` and ``<a href>Title</a>`` keep
    their text unless it is a generic word like "PDF"; venue suffixes and trailing
    author lists are peeled off.
    """
    if "[^" in text:
        text = REF.sub(" ", text)

    def link_text(m: re.Match[str]) -> str:
        t = m.group(1).strip()
        return " " if t.lower() in GENERIC_LINK_TEXT else t

    if "](" in text:
        text = _LINK.sub(link_text, text)
    if "<" in text and "href" in text.lower():
        def anchor_text(m: re.Match[str]) -> str:
            t = strip_markup(_TAG.sub(" ", m.group(4)))
            return " " if t.lower() in GENERIC_LINK_TEXT else f" {t} "

        text = _A_HREF.sub(anchor_text, text)
    if "http" in text:
        text = _BARE_URL.sub(" ", text)
    text = strip_markup(text)
    text = text.strip(" -–—:;")
    if not text:
        return "", [], None
    title, authors, venue = split_title_authors(text)
    return title.strip(" -–—:;"), list(authors), venue


# The arXiv link nearly every row has (https://arxiv.org/abs/1801.00012v2, .../pdf/...):
# read without the general URL parser, which gives the same id for it (tested).
_ARXIV_LINK = re.compile(
    r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/([0-9]{4}\.[0-9]{4,5})"
    r"(?:v[1-9][0-9]*)?(?:\.pdf)?"
)


@lru_cache(maxsize=4096)
def arxiv_of_url(url: str) -> str | None:
    """The arXiv id (no version) an arXiv link names, else None; each URL parsed once."""
    m = _ARXIV_LINK.fullmatch(url)
    if m is not None:
        ident = m.group(1)
        yymm, digits = ident[:4], len(ident) - 5
        if "01" <= ident[2:4] <= "12" and yymm >= "0704" and digits == (
            4 if yymm <= "1412" else 5
        ):
            return ident
    aid = arxiv_id_from_url(url)  # any other shape, and ids that are not valid
    return aid.id if aid is not None else None


def first_arxiv(found: list[Link]) -> str | None:
    """The arXiv id of the first link that is an arXiv link."""
    for link in found:
        if link.url:
            aid = arxiv_of_url(link.url)
            if aid is not None:
                return aid
    return None
