"""Readable citation keys: ``maddison2016concrete``.

A key is the first author's family name (particles included: "van der Berg" ->
``vanderberg``), the year of first publication (or the year its arXiv id names, or the
year a source such as DBLP gave for a paper with no date), and the first significant
word of the title, each ASCII-folded, lowercased and reduced to letters (digits for the
year). Missing parts are left out; a paper with none of them gets ``paper``. Clashes get
``a``, ``b``, ... ``z``, ``aa``, ... appended.

Keys are given once: the store persists them and never changes them, so a paper whose
``citation_key`` is set keeps it, and exporters generate keys only for papers without one.
But a key is stored only once it is :func:`settled`: a paper known only by its title (a
post's row, before ``catalog resolve`` or ``catalog sync`` found its authors and year)
gets a key for each export (``learning``, ``2018neural``) that is not stored, so that
it gets its author-year key (``he2018decision``) once a source filled them in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache

from catalog.exporters.common import publication_parts
from catalog.exporters.names import simple_name, split_name
from catalog.exporters.parallel import map_parts
from catalog.records import PaperView

__all__ = ["STOPWORDS", "assign_keys", "base_key", "citation_key", "fold", "settled"]

STOPWORDS = frozenset(
    "a an the on of for with and to in towards toward via from by at is are as into or "
    "its it be do does can we our what when how why".split()
)

# Letters that NFKD does not decompose into an ASCII letter plus accents.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "h",
    }
)
_NOT_LETTER = re.compile(r"[^a-z]+")
_MATH = re.compile(r"\$(?:[^$\\]|\\.)+\$")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_WORD = re.compile(r"[a-z]+")
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def fold(text: str) -> str:
    """ASCII-fold and lowercase: "Müller" -> "muller", "Łukasz" -> "lukasz"."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return text.encode("ascii", "ignore").decode("ascii").lower()


def _name_part(paper: PaperView) -> str:
    return _family_letters(paper.authors[0]) if paper.authors else ""


@lru_cache(maxsize=65536)
def _family_letters(name: str) -> str:
    simple = simple_name(name)
    if simple is not None:
        return _NOT_LETTER.sub("", simple[1].lower())
    parts = split_name(name)
    if parts.literal:
        # Organisations: their first significant word ("The ATLAS Collaboration" -> atlas).
        return _first_word(parts.last)
    return _NOT_LETTER.sub("", fold(parts.family))


def _words(title: str) -> list[str]:
    if "$" in title:
        title = _MATH.sub(" ", title)
    if "\\" in title:
        title = _TEX_COMMAND.sub(" ", title)
    return _WORD.findall(fold(title.replace("'", "").replace("’", "")))


def _first_word(title: str) -> str:
    """The first title word that is not a stopword or a single letter, else the first word."""
    if title.isascii() and "$" not in title and "\\" not in title:
        # The common case, scanning only as far as the word (keys are made for every
        # paper of an export). Same words as _words(): apostrophes dropped, letters only.
        first = ""
        for m in _ASCII_WORD.finditer(title):
            word = m.group().replace("'", "").lower()
            if len(word) > 1 and word not in STOPWORDS:
                return word
            first = first or word
        return first
    # Keys are made for every paper of an export: look at the start of long titles first.
    head = title if len(title) <= 120 else title[:100].rsplit(" ", 1)[0]
    for text in (head, title) if head is not title else (title,):
        words = _words(text)
        for word in words:
            if len(word) > 1 and word not in STOPWORDS:
                return word
    words = _words(title)
    return words[0] if words else ""


def _year(paper: PaperView) -> int | None:
    parts = publication_parts(paper)
    return parts[0] if parts else paper.year


def base_key(paper: PaperView) -> str:
    """The key before de-duplication: name + year + first significant title word."""
    year = _year(paper)
    key = f"{_name_part(paper)}{year or ''}{_first_word(paper.title)}"
    return key or "paper"


def settled(paper: PaperView) -> bool:
    """True when the key :func:`base_key` makes for ``paper`` is the one to keep: the
    paper has authors and a year, or it is not a paper (a video, slides, a blog post,
    code, a web page: no source ever fills those in). A paper lacking either would get
    a title-word key (``learning``) that a later ``catalog resolve`` could not improve
    once it was stored, so such keys are given per export and not stored."""
    if paper.item_type != "paper":
        return True
    return bool(paper.authors) and _year(paper) is not None


def _suffix(n: int) -> str:
    """1 -> "a", 26 -> "z", 27 -> "aa" (bijective base 26)."""
    letters = []
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters.append(chr(ord("a") + r))
    return "".join(reversed(letters))


def unique_key(base: str, taken: set[str]) -> str:
    """``base``, or ``base`` + the first free suffix, checked against ``taken``."""
    if base not in taken:
        return base
    n = 1
    while f"{base}{_suffix(n)}" in taken:
        n += 1
    return f"{base}{_suffix(n)}"


class KeyAllocator:
    """Hands out new keys that are not among ``taken`` (compared case-insensitively, as
    BibTeX does), in constant time per key even when thousands of papers share a base:
    the next suffix to try is remembered per base instead of searched from ``a`` again."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = {k.lower() for k in taken}
        self._next: dict[str, int] = {}

    def allocate(self, paper: PaperView) -> str:
        base = base_key(paper)
        key = base
        if base.lower() in self.taken:
            n = self._next.get(base, 1)
            while f"{base}{_suffix(n)}".lower() in self.taken:
                n += 1
            self._next[base] = n + 1
            key = f"{base}{_suffix(n)}"
        self.taken.add(key.lower())
        return key


def citation_key(paper: PaperView, taken: set[str]) -> str:
    """The paper's citation key: its own ``citation_key`` when set, else a new readable
    key that is not in ``taken``. The returned key is added to ``taken`` so that one
    set can serve a whole batch. Membership is exact: pass lowercased keys in ``taken``
    to avoid keys that differ only in case (generated keys are always lowercase)."""
    key = paper.citation_key or unique_key(base_key(paper), taken)
    taken.add(key)
    return key


def assign_keys(papers: Sequence[PaperView]) -> list[str]:
    """One key per paper, in order, unique within the batch (compared case-insensitively,
    as BibTeX does). Stored keys are kept and reserved first, so a generated key never
    takes a stored one. New keys are handed out oldest paper first (then by arXiv id,
    title, id), so the result does not depend on the order of ``papers``. A stored key
    repeated in the batch (the store forbids it) gets a suffix the second time, so that
    the output still parses."""
    stored_keys: dict[int, str] = {}
    taken: set[str] = set()
    for i, paper in enumerate(papers):
        stored = paper.citation_key
        if stored and stored.lower() not in taken:
            taken.add(stored.lower())
            stored_keys[i] = stored
    # Group the papers that need a key by base key. A base used once takes itself; only
    # clashing groups are put in canonical order (oldest paper first), so that which
    # paper gets the plain key does not depend on the order of ``papers``.
    groups: dict[str, list[int]] = {}
    todo = [i for i in range(len(papers)) if i not in stored_keys]
    for i, base in zip(todo, _bases([papers[i] for i in todo]), strict=True):
        groups.setdefault(base, []).append(i)
    keys: list[str] = [""] * len(papers)
    for i, key in stored_keys.items():
        keys[i] = key
    clashing: list[tuple[str, list[int]]] = []
    for base, group in groups.items():
        if len(group) > 1:
            group.sort(key=lambda i: _canonical(papers[i]))
        if base.lower() in taken:
            clashing.append((base, group))
            continue
        taken.add(base.lower())
        keys[group[0]] = base
        if len(group) > 1:
            clashing.append((base, group[1:]))
    clashing.sort()  # suffixes are handed out in a fixed order too
    for base, group in clashing:
        n = 1
        for i in group:
            key = f"{base}{_suffix(n)}"
            while key.lower() in taken:
                n += 1
                key = f"{base}{_suffix(n)}"
            taken.add(key.lower())
            keys[i] = key
            n += 1
    return keys


def _bases(papers: list[PaperView]) -> list[str]:
    """Each paper's stored key, else its base key; for a big first export (keys for
    100,000 papers) on every core (see :mod:`catalog.exporters.parallel`)."""

    def compute(start: int, end: int) -> list[str]:
        return [p.citation_key or base_key(p) for p in papers[start:end]]

    return map_parts(len(papers), compute)


def _canonical(paper: PaperView) -> tuple[bool, date, str, str, int]:
    return (
        paper.published is None,
        paper.published or date.min,
        paper.arxiv_id or "",
        paper.title,
        paper.id,
    )
