"""Which footnote is about which paper of a post: pair scores and one assignment per table.

The unit is a paper a row names (:class:`~catalog.posts.model.PaperEntry`; most rows
name one). Titles compare after normalising (case, accents, punctuation), with hyphens
and spaces folded ("White-box" = "Whitebox" = "White box"), and a leading ``Name:``
system prefix or a trailing venue on either side set aside; a footnote whose text
starts with the paper's title is about that paper, whatever follows.

Assignment, per table: first the obvious one, each paper keeping the footnote it cites
when that footnote is about it and no other paper of the table claims it. Only the
papers left over are scored against the footnotes left over and solved as an
assignment problem (:mod:`catalog.check.assign`), so a rotation of references is
recognised as one and each paper gets its own footnote, or none when no pair clears
the threshold. A post whose references are right costs one score per paper.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from catalog.check.assign import assign, assign_sparse
from catalog.check.findings import KnownPaper
from catalog.posts.model import Footnote, PaperEntry, Post, Row
from catalog.posts.text import STOPWORDS, looks_like_venue, normalize_title

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "ABSTRACT_THRESHOLD",
    "TITLE_THRESHOLD",
    "Candidate",
    "EntrySide",
    "PostMatch",
    "Side",
    "abstract_similarity",
    "assign",
    "entry_has_paper",
    "link_key",
    "names_paper",
    "match_post",
    "own_footnotes",
    "pair_score",
    "row_has_paper",
    "title_contains",
    "title_similarity",
]

# Pairs scoring below these are "not the same paper".
TITLE_THRESHOLD = 0.70
ABSTRACT_THRESHOLD = 0.60
# Each content word present in one title only costs this much: "Neural Architecture Search
# with RL" vs "Neural Optimizer Search with RL" differ by two words and do not match.
WORD_PENALTY = 0.12
# A match found only once a "Name:" prefix or a venue is set aside ranks below a
# direct one; a footnote that merely starts with the title ranks below both.
VARIANT_DISCOUNT = 0.05
STARTS_WITH_SCORE = 0.85
# Above this many (paper, footnote) pairs, a paper is scored only against the footnotes
# that share its rarer words (see _candidates); below it, against every footnote.
PAIR_BUDGET = 4000
_TOP_CANDIDATES = 20
_COMMON = 200  # a word in more footnotes than this does not pick candidates

_NAME_PREFIX = re.compile(r"^\s*([^:]{1,40}?)\s*:\s+(\S.*)$", re.S)
_TEXT_WORDS = 60  # words of a footnote's text looked at by the starts-with rule
_INDEX_WORDS = 25  # words of a footnote's text that pick it as a candidate


_FUZZ: ModuleType | None = None


def _fuzz() -> ModuleType:
    """rapidfuzz.fuzz, imported the first time two titles are not simply equal: a post
    whose references are right never needs it (``catalog check`` in a pre-commit hook)."""
    global _FUZZ
    if _FUZZ is None:
        from rapidfuzz import fuzz

        _FUZZ = fuzz
    return _FUZZ


def _word_in(token: str, tokens: frozenset[str], joined: str) -> bool:
    """Is ``token`` in the other title: equal, a close spelling, or a piece of a compound."""
    if token in tokens:
        return True
    if len(token) >= 4 and token in joined:  # "auto encoders" vs "autoencoders"
        return True
    if len(token) >= 5:
        for other in tokens:
            if abs(len(other) - len(token)) <= 2 and len(other) >= 5:
                if _fuzz().ratio(token, other) >= 85:  # typos: "amoritzed" for "amortized"
                    return True
    return False


_SYNONYMS = {"nets": "networks", "net": "network", "nn": "network", "nns": "networks"}


def _stem(token: str) -> str:
    token = _SYNONYMS.get(token, token)
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]  # "GANs" and "GAN", "Autoencoders" and "Autoencoder"
    return token


class _TitleKey(NamedTuple):
    norm: str  # normalised title
    joined: str  # without spaces
    tokens: tuple[str, ...]  # every word of ``norm``
    stems: frozenset[str]  # stemmed content words
    content: int  # number of content words


def _key_of(norm: str) -> _TitleKey:
    tokens = tuple(norm.split())
    words = [t for t in tokens if t not in STOPWORDS]
    return _TitleKey(norm, norm.replace(" ", ""), tokens,
                     frozenset(_stem(t) for t in words), len(words))


@lru_cache(maxsize=8192)
def _title_key(title: str) -> _TitleKey:
    return _key_of(normalize_title(title))


class _Variants(NamedTuple):
    """Other forms of a title, worked out only when a comparison needs them."""

    rest: str | None  # the title after a leading "Name:" (a system's name)
    no_venue: _TitleKey | None  # the title without a trailing venue ("... ICML 2018")


@lru_cache(maxsize=8192)
def _variants(title: str) -> _Variants:
    rest = None
    if ":" in title:
        m = _NAME_PREFIX.match(title)
        if m and len(m.group(1).split()) <= 3 and _title_key(m.group(2)).content >= 3:
            rest = m.group(2)
    return _Variants(rest, _without_venue(_title_key(title)))


def _without_venue(key: _TitleKey) -> _TitleKey | None:
    tokens = key.tokens
    for k in (3, 2, 1):
        if len(tokens) > k + 1 and looks_like_venue(" ".join(tokens[-k:])):
            shorter = _key_of(" ".join(tokens[:-k]))
            if shorter.content >= 2:
                return shorter
    return None


def _merge_compounds(a: tuple[str, ...], b: frozenset[str]) -> tuple[str, ...]:
    """``a`` with adjacent words joined where ``b`` writes them as one ("white box" when
    the other title says "whitebox")."""
    out: list[str] = []
    i = 0
    while i < len(a):
        if i + 1 < len(a) and a[i] + a[i + 1] in b:
            out.append(a[i] + a[i + 1])
            i += 2
        else:
            out.append(a[i])
            i += 1
    return tuple(out)


def _core(ka: _TitleKey, kb: _TitleKey) -> float:
    """Similarity of two title keys as written (no prefix or venue set aside)."""
    if not ka.norm or not kb.norm:
        return 0.0
    if ka.norm == kb.norm or ka.joined == kb.joined:
        return 1.0
    short, long_ = (ka, kb) if len(ka.norm) <= len(kb.norm) else (kb, ka)
    # A title cut before its subtitle ("The Concrete Distribution" for "...: A Continuous
    # Relaxation ...") is the same paper when it is a whole-word prefix of 2+ content words.
    if short.content >= 2 and long_.norm.startswith(short.norm + " "):
        return 0.9
    fuzz = _fuzz()
    base = float(max(fuzz.ratio(ka.norm, kb.norm), fuzz.token_sort_ratio(ka.norm, kb.norm)))
    base /= 100.0
    if base < TITLE_THRESHOLD:
        return base  # penalties only lower it: already no match (the common case)
    # Hyphens and spaces fold: "Black-box" (two words once normalised) is "Blackbox".
    set_a, set_b = frozenset(ka.tokens), frozenset(kb.tokens)
    merged_a, merged_b = _merge_compounds(ka.tokens, set_b), _merge_compounds(kb.tokens, set_a)
    if merged_a != ka.tokens or merged_b != kb.tokens:
        ka, kb = _key_of(" ".join(merged_a)), _key_of(" ".join(merged_b))
    unmatched = sum(1 for t in ka.stems if not _word_in(t, kb.stems, kb.joined))
    unmatched += sum(1 for t in kb.stems if not _word_in(t, ka.stems, ka.joined))
    return max(0.0, base - WORD_PENALTY * unmatched)


def _forms(title: str, other: str) -> list[_TitleKey]:
    """The title's key and the forms it may be compared in against ``other``: without a
    trailing venue; without a ``Name:`` prefix when ``other`` has none (two titles with
    different system names and one subtitle are two papers)."""
    variants = _variants(title)
    out = [_title_key(title)]
    if variants.no_venue is not None:
        out.append(variants.no_venue)
    if variants.rest is not None and _variants(other).rest is None:
        out.append(_title_key(variants.rest))
        rest_no_venue = _variants(variants.rest).no_venue
        if rest_no_venue is not None:
            out.append(rest_no_venue)
    return out


@lru_cache(maxsize=65536)
def title_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two titles (raw or normalised), strict about content words.

    ``max(ratio, token_sort_ratio)`` minus :data:`WORD_PENALTY` for each content word
    found in only one of the titles (plurals, typos, split compounds and hyphenation
    forgiven). When that is no match, the titles are compared again with a ``Name:``
    prefix or a trailing venue set aside (a match found so scores a little lower).
    """
    if a == b:  # (a row and its footnote most often spell the title alike)
        return 1.0 if _title_key(a).norm else 0.0
    ka, kb = _title_key(a), _title_key(b)
    best = _core(ka, kb)
    if best >= 0.9:
        return best  # equal, or one cut before its subtitle: nothing set aside does better
    for fa in _forms(a, b):
        for fb in _forms(b, a):
            if fa is ka and fb is kb:
                continue
            score = _core(fa, fb)
            if score >= TITLE_THRESHOLD:
                best = max(best, max(TITLE_THRESHOLD, score - VARIANT_DISCOUNT))
    return best


def title_contains(a: str, b: str) -> bool:
    """Are all content words of one title in the other ("FBGAN for DNA" in "Feedback GAN
    (FBGAN) for DNA: ...")? Too weak to pick a footnote, enough to keep a cited one."""
    ka, kb = _title_key(a), _title_key(b)
    if not ka.stems or not kb.stems:
        return False
    small, big = (ka, kb) if len(ka.stems) <= len(kb.stems) else (kb, ka)
    return all(_word_in(t, big.stems, big.joined) for t in small.stems)


class _TextKey(NamedTuple):
    """The start of a footnote's text, for the starts-with rule."""

    joined: str  # the first words, normalised, without spaces
    ends: frozenset[int]  # offsets in ``joined`` where a word ends


def _text_key(text: str) -> _TextKey:
    words = normalize_title(" ".join(text.split()[:_TEXT_WORDS])).split()
    ends, total = set(), 0
    for w in words:
        total += len(w)
        ends.add(total)
    return _TextKey("".join(words), frozenset(ends))


@lru_cache(maxsize=8192)
def _text_keys(text: str) -> tuple[_TextKey, ...]:
    """Keys of the text, and of the text after a ``Name:`` prefix when it has one."""
    keys = [_text_key(text)]
    if ":" in text[:60]:
        m = _NAME_PREFIX.match(" ".join(text[:2000].split()))
        if m and len(m.group(1).split()) <= 3:
            keys.append(_text_key(m.group(2)))
    return tuple(keys)


def _text_starts_with(text: str, title: str) -> bool:
    """Does the footnote's text begin with the title (as whole words, spaces and hyphens
    folded), or with a ``Name:`` prefix and then the title?"""
    keys = _text_keys(text)
    key = _title_key(title)
    if key.content >= 2 and any(k.joined.startswith(key.joined) and len(key.joined) in k.ends
                                for k in keys):
        return True  # (the common case; the forms below are rarer)
    variants = _variants(title)
    forms = [variants.no_venue]
    if variants.rest is not None:
        forms += [_title_key(variants.rest), _variants(variants.rest).no_venue]
    for form in forms:
        if form is None or form.content < 2:
            continue
        for k in keys:
            if k.joined.startswith(form.joined) and len(form.joined) in k.ends:
                return True
    return False


def _abstract_tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in normalize_title(text).split() if len(t) > 2 and t not in STOPWORDS)


_abstract_key = lru_cache(maxsize=4096)(_abstract_tokens)


def abstract_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two abstracts: shared content words over the smaller set.

    Containment rather than Jaccard, so a footnote holding a shortened abstract still
    matches; abstracts of different papers in one field share few content words.
    """
    ta, tb = _abstract_key(a), _abstract_key(b)
    if min(len(ta), len(tb)) < 6:  # too few words to count: compare the texts
        na, nb = normalize_title(a), normalize_title(b)
        if not na or not nb:
            return 0.0
        return float(_fuzz().ratio(na, nb)) / 100.0
    return len(ta & tb) / min(len(ta), len(tb))


class Side(NamedTuple):
    """One side of a pair: a title and/or an abstract (either may be missing); for a
    footnote, also its whole text (the starts-with rule reads it)."""

    title: str | None
    abstract: str | None
    text: str | None = None


class Candidate(NamedTuple):
    """A pair's score and what produced it ("title" or "abstract"); score 0 = no match."""

    score: float
    basis: str
    title_score: float
    abstract_score: float | None


NO_MATCH = Candidate(0.0, "", 0.0, None)


def pair_score(row: Side, footnote: Side) -> Candidate:
    """Score a paper (its title; its catalogued abstract when known) against a footnote."""
    t = 0.0
    if row.title and footnote.title:
        t = title_similarity(row.title, footnote.title)
    if t < TITLE_THRESHOLD and row.title and footnote.text:
        if _text_starts_with(footnote.text, row.title):
            t = STARTS_WITH_SCORE  # "Title (Venue) Abstract ...": about this paper
    ab: float | None = None
    if row.abstract and footnote.abstract:
        ab = abstract_similarity(row.abstract, footnote.abstract)
    title_ok = t >= TITLE_THRESHOLD
    abstract_ok = ab is not None and ab >= ABSTRACT_THRESHOLD
    if title_ok and (not abstract_ok or t >= (ab or 0.0)):
        return Candidate(t, "title", t, ab)
    if abstract_ok:
        assert ab is not None
        return Candidate(ab, "abstract", t, ab)
    return Candidate(0.0, "", t, ab)


def names_paper(cell: str, title: str, footnote_text: str) -> bool:
    """Would ``catalog check`` take a paper cell written ``cell`` to name the paper
    titled ``title`` whose footnote reads ``footnote_text`` (markup stripped)?

    The exporter asks before it keeps a talk's own wording in a row: the row must name
    the catalog's paper (no title-mismatch) and be about its footnote (no
    footnote-mismatch), read as the parser reads them.
    """
    from catalog.posts.inline import clean_title
    from catalog.posts.parse import parse_footnote_text

    row_title = clean_title(cell)[0]
    if not row_title or title_similarity(row_title, title) < TITLE_THRESHOLD:
        return False
    fn = parse_footnote_text(footnote_text)
    side = Side(fn.title if fn.kind != "note" else footnote_text, fn.abstract, footnote_text)
    return pair_score(Side(row_title, None), side).score > 0


# --------------------------------------------------------------------------- per post


# Survey talks ("Summary of several autoencoder models") present no single paper.
_SURVEY = re.compile(
    r"^(?:a\s+)?(?:summary|summaries|survey|overview|review of|introduction to|intro to|"
    r"tutorial|discussion|recap|several|a few|some recent)\b",
    re.IGNORECASE,
)


def entry_has_paper(entry: PaperEntry) -> bool:
    """Is this a paper of its own (so it may have a footnote), not a survey talk?"""
    return bool(entry.title) and not _SURVEY.match(entry.title)


def row_has_paper(row: Row) -> bool:
    """Does the row present one paper or more (so it may have footnotes of its own)?"""
    return any(entry_has_paper(e) for e in row.papers)


class EntrySide(NamedTuple):
    """A paper of a row, as the matcher sees it."""

    row_index: int
    entry_index: int
    row: Row
    entry: PaperEntry
    has_paper: bool
    known: KnownPaper | None  # the catalog's entry for its arXiv id (None if unknown)
    known_ok: bool  # the catalog title agrees with the row's title (the link is right)
    side: Side


class PostMatch:
    """The matching of one post: its papers, and paper -> its own footnote.

    ``own`` maps an index of ``entries`` to an index of ``post.footnotes``; ``score``
    gives any pair's :class:`Candidate` (computed on demand).
    """

    def __init__(self, entries: list[EntrySide], footnote_sides: list[Side]) -> None:
        self.entries = entries
        self.footnote_sides = footnote_sides
        self.own: dict[int, int] = {}
        self._scores: dict[tuple[int, int], Candidate] = {}

    def score(self, u: int, j: int) -> Candidate:
        found = self._scores.get((u, j))
        if found is None:
            info = self.entries[u]
            found = pair_score(info.side, self.footnote_sides[j]) if info.has_paper else NO_MATCH
            self._scores[(u, j)] = found
        return found

    def of_row(self, i: int) -> list[int]:
        """Indexes into ``entries`` of row ``i``'s papers."""
        return [u for u, e in enumerate(self.entries) if e.row_index == i]


def _footnote_side(fn: Footnote) -> Side:
    if fn.kind == "note":
        return Side(fn.text, None, fn.text)  # a note may still name a paper
    return Side(fn.title, fn.abstract, fn.text)


def link_key(entry: PaperEntry) -> str | None:
    """What the lookup is asked about a paper the row links: its arXiv id, else the
    identifier its first DOI, OpenReview or proceedings link carries (``doi:10.1038/...``,
    ``openreview:BkpiPMbA-``, ``pmlr:v80/kazemi18a``); None for a link that carries none."""
    if entry.arxiv_id:
        return entry.arxiv_id
    from catalog.sources.ids import identifier_in_url

    for link in entry.links:
        ident = identifier_in_url(link.url) if link.url else None
        if ident is not None:
            return ident.value if ident.scheme == "arxiv" else str(ident)
    return None


def _entry_sides(
    post: Post, lookup: Callable[[str], KnownPaper | None] | None
) -> list[EntrySide]:
    out: list[EntrySide] = []
    for i, row in enumerate(post.rows):
        for k, entry in enumerate(row.papers):
            has_paper = entry_has_paper(entry)
            # Without a catalog only arXiv ids matter (no identifier parsing at all).
            key = link_key(entry) if lookup is not None else entry.arxiv_id
            untitled = not entry.title and key is not None
            known = None
            if lookup is not None and key and (has_paper or untitled):
                known = lookup(key)
            if untitled:
                # A paper the row names only by its link: the catalog says what it is.
                side = Side(known.title, known.abstract) if known else Side(None, None)
                out.append(EntrySide(i, k, row, entry, known is not None, known, True, side))
                continue
            ok = known is not None and title_similarity(entry.title, known.title) >= TITLE_THRESHOLD
            # The catalog's abstract counts only when the link is right.
            abstract = known.abstract if ok and known is not None else None
            side = Side(entry.title or None, abstract)
            out.append(EntrySide(i, k, row, entry, has_paper, known, ok, side))
    return out


def match_post(post: Post, lookup: Callable[[str], KnownPaper | None] | None = None) -> PostMatch:
    """Match each paper of the post to the footnote about it (see the module docstring)."""
    entries = _entry_sides(post, lookup)
    m = PostMatch(entries, [_footnote_side(fn) for fn in post.footnotes])
    first: dict[str, int] = {}
    for j, fn in enumerate(post.footnotes):
        first.setdefault(fn.label, j)
    claimed: set[int] = set()
    tables: dict[int, list[int]] = {}
    for u, info in enumerate(entries):
        if info.has_paper:
            tables.setdefault(info.row.table, []).append(u)
    for units in tables.values():
        # The obvious assignment: each paper keeps the best footnote it cites, if that
        # footnote is about it, no other paper of the table keeps it too, and no other
        # paper of the table is closer to it ("Neural Architecture Search" citing the
        # footnote of "Neural Architecture Search with RL", whose row cites another).
        keeps: dict[int, int] = {}
        for u in units:
            cited = [first[label] for label in entries[u].entry.labels if label in first]
            best = max(cited, key=lambda j: m.score(u, j).score, default=None)
            if best is not None and best not in claimed and m.score(u, best).score > 0:
                keeps[u] = best
        taken: dict[int, int] = {}
        for j in keeps.values():
            taken[j] = taken.get(j, 0) + 1
        rivals = _Rivals(m, units)
        for u, j in keeps.items():
            if taken[j] == 1 and not rivals.closer(u, j):
                m.own[u] = j
                claimed.add(j)
        rest = [u for u in units if u not in m.own]
        if not rest:
            continue
        free = [j for j in range(len(post.footnotes)) if j not in claimed]
        edges: dict[tuple[int, int], float] = {}
        cited_pairs: list[tuple[int, int]] = []
        for u, js in _candidates(m, rest, free).items():
            labels = set(entries[u].entry.labels)
            for j in js:
                score = m.score(u, j).score
                if score > 0:
                    edges[(u, j)] = score
                    if post.footnotes[j].label in labels:
                        cited_pairs.append((u, j))
        for u, j in assign_sparse(edges, cited_pairs).items():
            m.own[u] = j
            claimed.add(j)
    return m


class _Rivals:
    """Is another paper of a table closer to a footnote than the paper that cites it?

    Only papers sharing the footnote's rarer words can be (for a large table, they are
    found through an index of the papers' words; for a small one, all are asked).
    """

    def __init__(self, m: PostMatch, units: list[int]) -> None:
        self.m = m
        self.units = units
        self.index: dict[str, list[int]] | None = None

    def closer(self, u: int, j: int) -> bool:
        score = self.m.score(u, j).score
        if score >= 1.0:
            return False  # nothing is closer than the same title
        return any(v != u and self.m.score(v, j).score > score for v in self.rivals(j))

    def rivals(self, j: int) -> Iterable[int]:
        if len(self.units) ** 2 <= PAIR_BUDGET:
            return self.units
        if self.index is None:
            self.index = {}
            for v in self.units:
                for token in _index_tokens(self.m.entries[v].side, False):
                    self.index.setdefault(token, []).append(v)
        weights: dict[int, float] = {}
        for token in _index_tokens(self.m.footnote_sides[j], False):
            postings = self.index.get(token)
            if postings and len(postings) <= _COMMON:
                for v in postings:
                    weights[v] = weights.get(v, 0.0) + 1.0 / len(postings)
        return sorted(weights, key=lambda v: (-weights[v], v))[:_TOP_CANDIDATES]


def _candidates(m: PostMatch, units: list[int], free: list[int]) -> dict[int, Iterable[int]]:
    """The footnotes each paper is scored against: all of them, unless that is more than
    :data:`PAIR_BUDGET` pairs (a hostile post); then those sharing its rarer words."""
    if len(units) * len(free) <= PAIR_BUDGET:
        return {u: free for u in units}
    with_abstracts = any(m.entries[u].side.abstract for u in units)
    index: dict[str, list[int]] = {}
    for j in free:
        for token in _index_tokens(m.footnote_sides[j], with_abstracts):
            index.setdefault(token, []).append(j)
    out: dict[int, Iterable[int]] = {}
    for u in units:
        weights: dict[int, float] = {}
        for token in _index_tokens(m.entries[u].side, with_abstracts):
            postings = index.get(token)
            if not postings or len(postings) > _COMMON:
                continue
            w = 1.0 / len(postings)
            for j in postings:
                weights[j] = weights.get(j, 0.0) + w
        out[u] = sorted(weights, key=lambda j: (-weights[j], j))[:_TOP_CANDIDATES]
    return out


def _index_tokens(side: Side, with_abstracts: bool) -> set[str]:
    tokens: set[str] = set()
    text = side.text or side.title  # a footnote's text starts with its title
    if text:
        words = normalize_title(" ".join(text.split()[:_INDEX_WORDS])).split()
        tokens.update(_stem(t) for t in words if t not in STOPWORDS)
    if with_abstracts and side.abstract:
        tokens.update(_abstract_key(side.abstract))
    return tokens


def own_footnotes(
    post: Post, lookup: Callable[[str], KnownPaper | None] | None = None
) -> dict[tuple[int, int], Footnote]:
    """(row index, paper index in the row) -> the footnote about that paper, whatever the
    row cites."""
    m = match_post(post, lookup)
    return {
        (m.entries[u].row_index, m.entries[u].entry_index): post.footnotes[j]
        for u, j in m.own.items()
    }
