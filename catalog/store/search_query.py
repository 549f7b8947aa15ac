"""What a user's search text asks for: words and quoted phrases, read into plain tokens.

A query is read, never parsed as a search engine's syntax: whatever the user typed
(``AND``, ``*``, ``:``, ``-``, parentheses, an unbalanced quote) ends up as letters and
digits that the backends' query builders quote themselves, so nothing a user types can
be taken for FTS5 or tsquery syntax.

* ``relax maddison``: two words; both must match, each as a word prefix ("relax"
  finds "relaxation").
* ``"continuous relaxation"``: a phrase; its words must appear together, in this
  order, as whole words. A quote left open runs to the end of the query, its last word
  a prefix (a search box's text still being typed).
* ``gumbel-softmax``: a word that holds punctuation is the phrase of its parts, the last
  one a prefix (what FTS5 and PostgreSQL make of the hyphenated text they index).
* ``C++`` is the word "c"; a word of punctuation alone (``++``, ``:``) adds nothing,
  unless the query has nothing else: then it is searched for as written (a substring).

Tokens are what both FTS5's unicode61 tokenizer and PostgreSQL's parser call words:
runs of letters and digits, lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.errors import InvalidSearch

# Letters and digits: what both FTS5's unicode61 and PostgreSQL's parser call a word.
_TOKEN = re.compile(r"[^\W_]+")
# Straight and typographic double quotes (pasted from a web page or a word processor).
_QUOTES = re.compile(r"[\"\u201c\u201d\u201e\u201f]")
MAX_TERMS = 32  # more words than any title needs; each costs the backend a doclist


@dataclass(frozen=True)
class Term:
    """One thing every matching paper must contain: a word, or a phrase of words."""

    tokens: tuple[str, ...]  # lower-case letters and digits, in order
    prefix: bool  # whether the last token matches as a word prefix

    @property
    def is_phrase(self) -> bool:
        return len(self.tokens) > 1


@dataclass(frozen=True)
class SearchQuery:
    """A user's query as the backends need it."""

    text: str  # as typed
    terms: tuple[Term, ...] = ()
    # Words of punctuation alone; searched for (as substrings) only when there are no terms.
    symbols: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: every paper matches."""
        return not self.terms and not self.symbols


def tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text.lower()))


def parse_query(text: str) -> SearchQuery:
    """Read ``text`` into terms; raise :class:`InvalidSearch` only for a query too long."""
    terms: list[Term] = []
    symbols: list[str] = []
    # Even pieces are outside quotes, odd ones inside; an unclosed quote's piece is the
    # last one, so it runs to the end of the text.
    pieces = _QUOTES.split(text)
    for i, piece in enumerate(pieces):
        if i % 2:
            found = tokens(piece)
            if found:
                # A phrase still open is still being typed: its last word is a prefix.
                unclosed = i == len(pieces) - 1
                terms.append(Term(found, prefix=unclosed))
            continue
        for word in piece.split():
            found = tokens(word)
            if found:
                terms.append(Term(found, prefix=True))
            elif printable := "".join(ch for ch in word if ch.isprintable()):
                symbols.append(printable)
    unique = tuple(dict.fromkeys(terms))
    if len(unique) > MAX_TERMS:
        raise InvalidSearch(
            f"search query {_short(text)} has {len(unique)} words and phrases; "
            f"at most {MAX_TERMS} are searched for"
        )
    return SearchQuery(text, unique, tuple(dict.fromkeys(symbols)))


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:59] + "…")


# -- what each backend is sent ------------------------------------------------------------


def fts5_expression(terms: tuple[Term, ...], *, column: str | None = None) -> str:
    """An FTS5 MATCH expression requiring every term, each as a quoted string.

    Tokens are letters and digits only, and each is quoted, so the user's text can never
    be read as FTS5 syntax (operators, column filters, NEAR). ``column`` restricts the
    match to one column of the index (``{title} : (...)``).
    """
    parts = []
    for term in terms:
        # A quoted string of several tokens is a phrase in FTS5; "x"* makes its last
        # token a prefix.
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + "*" if term.prefix else phrase)
    expression = " AND ".join(parts)
    return f"{{{column}}} : ({expression})" if column else expression


def tsquery_text(terms: tuple[Term, ...]) -> str:
    """A ``to_tsquery`` text requiring every term: ``relax:* & gumbel <-> softmax:*``."""
    parts = []
    for term in terms:
        words = list(term.tokens)
        if term.prefix:
            words[-1] += ":*"
        phrase = " <-> ".join(words)
        parts.append(f"({phrase})" if term.is_phrase else phrase)
    return " & ".join(parts)
