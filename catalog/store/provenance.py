"""Which source's value a paper keeps: one precedence rule for every field.

A paper's fields come from several sources: arXiv, the published record (Crossref, DBLP,
OpenReview, a proceedings page), a .bib file, a post. ``paper.field_sources`` remembers
which source gave each value, and :func:`may_set` decides whether a new value replaces
it. The rule, strongest source first:

* arXiv stays the source of the preprint's fields: its title, authors, link, abstract
  and date win over every other source's (versions and categories only arXiv gives);
* a published record adds where the paper appeared: venue, year, kind, volume, issue,
  pages, publisher and the DOI exports write (arXiv's DOI ranks below a published
  record's);
* a .bib file's or a post's value never overwrites a source's (a .bib file's replaces a
  post's; a post or .bib file replaces its own on re-import).

A source replaces an equal or weaker one, so a source refreshing its own value always
may. Stdlib only.
"""

from __future__ import annotations

__all__ = [
    "DESCRIBING_FIELDS",
    "PUBLISHED_FIELDS",
    "PUBLISHED_SOURCES",
    "SOURCES",
    "TRACKED_FIELDS",
    "may_set",
    "preference",
    "rank",
]

SOURCES = ("arxiv", "crossref", "dblp", "openreview", "proceedings", "bib", "post")
PUBLISHED_SOURCES = ("crossref", "dblp", "openreview", "proceedings")

# What describes the paper itself (the preprint's, when arXiv has it).
DESCRIBING_FIELDS = ("title", "authors", "url", "abstract", "published")
# Where it was published.
PUBLISHED_FIELDS = ("venue", "year", "kind", "volume", "issue", "pages", "publisher", "doi")
TRACKED_FIELDS = DESCRIBING_FIELDS + PUBLISHED_FIELDS

# Strongest first.
_DESCRIBING = ("arxiv", "crossref", "dblp", "openreview", "proceedings", "bib", "post")
_PUBLISHED = ("crossref", "dblp", "openreview", "proceedings", "arxiv", "bib", "post")
_ORDER = {name: _DESCRIBING for name in DESCRIBING_FIELDS} | {
    name: _PUBLISHED for name in PUBLISHED_FIELDS
}
_RANKS = {
    name: {source: len(order) - i for i, source in enumerate(order)}
    for name, order in _ORDER.items()
}


def rank(field: str, source: str | None) -> int:
    """How strong ``source`` is for ``field``: higher wins; 0 for no source (no value
    yet) and for a source the rule does not know. Raises ValueError for an unknown field."""
    try:
        ranks = _RANKS[field]
    except KeyError:
        raise ValueError(f"no precedence rule for field {field!r}") from None
    return ranks.get(source, 0) if source is not None else 0


def may_set(field: str, current: str | None, new: str) -> bool:
    """Whether a value of ``field`` from source ``new`` replaces the one source
    ``current`` gave (``None``: the field has no value yet, so any source may fill it)."""
    if current is None:
        return True
    return rank(field, new) >= rank(field, current)


def preference(field: str) -> tuple[str, ...]:
    """The sources of ``field``, strongest first (e.g. which abstract a paper shows)."""
    return _ORDER[field]
