"""Which footnote is about which row's paper: pairwise scores and one assignment per post.

Every row is scored against every footnote (titles, and abstracts when the catalog knows
the row's paper); the whole post is then solved at once with
:func:`scipy.optimize.linear_sum_assignment`, so a rotation of footnotes is recognised
as one and each row gets its own footnote, or none when no pair clears the threshold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from catalog.check.findings import KnownPaper
from catalog.posts.model import Footnote, Post, Row
from catalog.posts.text import STOPWORDS, normalize_title

__all__ = [
    "TITLE_THRESHOLD",
    "ABSTRACT_THRESHOLD",
    "Candidate",
    "Side",
    "title_similarity",
    "title_contains",
    "abstract_similarity",
    "pair_score",
    "assign",
    "match_post",
    "own_footnotes",
    "row_has_paper",
    "PostMatch",
    "RowSide",
]

# Pairs scoring below these are "not the same paper".
TITLE_THRESHOLD = 0.70
ABSTRACT_THRESHOLD = 0.60
# Each content word present in one title only costs this much: "Neural Architecture Search
# with RL" vs "Neural Optimizer Search with RL" differ by two words and do not match.
WORD_PENALTY = 0.12
# A row keeps the footnote it already cites when scores tie.
CITED_BONUS = 0.001


def _word_in(token: str, tokens: frozenset[str], joined: str) -> bool:
    """Is ``token`` in the other title: equal, a close spelling, or a piece of a compound."""
    if token in tokens:
        return True
    if len(token) >= 4 and token in joined:  # "auto encoders" vs "autoencoders"
        return True
    if len(token) >= 5:
        for other in tokens:
            if abs(len(other) - len(token)) <= 2 and len(other) >= 5:
                if fuzz.ratio(token, other) >= 85:  # typos: "amoritzed" for "amortized"
                    return True
    return False


_SYNONYMS = {"nets": "networks", "net": "network", "nn": "network", "nns": "networks"}


def _stem(token: str) -> str:
    token = _SYNONYMS.get(token, token)
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]  # "GANs" and "GAN", "Autoencoders" and "Autoencoder"
    return token


@dataclass(frozen=True)
class _TitleKey:
    norm: str  # normalised title
    joined: str  # without spaces
    stems: frozenset[str]  # stemmed content words
    content: int  # number of content words


@lru_cache(maxsize=8192)
def _title_key(title: str) -> _TitleKey:
    norm = normalize_title(title)
    words = [t for t in norm.split() if t not in STOPWORDS]
    return _TitleKey(norm, norm.replace(" ", ""), frozenset(_stem(t) for t in words), len(words))


def title_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two titles (raw or normalised), strict about content words.

    ``max(ratio, token_sort_ratio)`` minus :data:`WORD_PENALTY` for each content word
    found in only one of the titles (plurals, typos and split compounds forgiven).
    """
    ka, kb = _title_key(a), _title_key(b)
    if not ka.norm or not kb.norm:
        return 0.0
    if ka.norm == kb.norm or ka.joined == kb.joined:
        return 1.0
    short, long_ = (ka, kb) if len(ka.norm) <= len(kb.norm) else (kb, ka)
    # A title cut before its subtitle ("The Concrete Distribution" for "...: A Continuous
    # Relaxation ...") is the same paper when it is a whole-word prefix of 2+ content words.
    if short.content >= 2 and long_.norm.startswith(short.norm + " "):
        return 0.9
    base = max(fuzz.ratio(ka.norm, kb.norm), fuzz.token_sort_ratio(ka.norm, kb.norm)) / 100.0
    if base < TITLE_THRESHOLD:
        return base  # penalties only lower it: already no match (the common case)
    unmatched = sum(1 for t in ka.stems if not _word_in(t, kb.stems, kb.joined))
    unmatched += sum(1 for t in kb.stems if not _word_in(t, ka.stems, ka.joined))
    return max(0.0, base - WORD_PENALTY * unmatched)


def title_contains(a: str, b: str) -> bool:
    """Are all content words of one title in the other ("FBGAN for DNA" in "Feedback GAN
    (FBGAN) for DNA: ...")? Too weak to pick a footnote, enough to keep a cited one."""
    ka, kb = _title_key(a), _title_key(b)
    if not ka.stems or not kb.stems:
        return False
    small, big = (ka, kb) if len(ka.stems) <= len(kb.stems) else (kb, ka)
    return all(_word_in(t, big.stems, big.joined) for t in small.stems)


def _abstract_tokens(text: str) -> set[str]:
    return {t for t in normalize_title(text).split() if len(t) > 2 and t not in STOPWORDS}


def abstract_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two abstracts: shared content words over the smaller set.

    Containment rather than Jaccard, so a footnote holding a shortened abstract still
    matches; abstracts of different papers in one field share few content words.
    """
    ta, tb = _abstract_tokens(a), _abstract_tokens(b)
    if not ta or not tb:
        return 0.0
    if min(len(ta), len(tb)) < 6:
        return fuzz.ratio(normalize_title(a), normalize_title(b)) / 100.0
    return len(ta & tb) / min(len(ta), len(tb))


@dataclass(frozen=True)
class Side:
    """One side of a pair: a title and/or an abstract (either may be missing)."""

    title: str | None
    abstract: str | None


@dataclass(frozen=True)
class Candidate:
    """A pair's score and what produced it ("title" or "abstract"); score 0 = no match."""

    score: float
    basis: str
    title_score: float
    abstract_score: float | None


def pair_score(row: Side, footnote: Side) -> Candidate:
    """Score a row (its title; its catalogued abstract when known) against a footnote."""
    t = 0.0
    if row.title and footnote.title:
        t = title_similarity(row.title, footnote.title)
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


def assign(
    scores: Sequence[Sequence[float]], cited: Sequence[Sequence[bool]] | None = None
) -> dict[int, int]:
    """Row index -> footnote index, maximising the total score over pairs scoring > 0.

    ``cited[i][j]`` marks pairs where row i already cites footnote j; they win ties.
    """
    n = len(scores)
    m = len(scores[0]) if n else 0
    if not n or not m:
        return {}
    # Most posts need no solver: each row's only candidate is nobody else's.
    candidates = [[j for j in range(m) if scores[i][j] > 0] for i in range(n)]
    if all(len(c) <= 1 for c in candidates):
        owners = [c[0] for c in candidates if c]
        if len(owners) == len(set(owners)):
            return {i: c[0] for i, c in enumerate(candidates) if c}
    from scipy.optimize import linear_sum_assignment  # lazy: heavy import

    cost = [
        [
            -(scores[i][j] + (CITED_BONUS if cited is not None and cited[i][j] else 0.0))
            if scores[i][j] > 0
            else 0.0
            for j in range(m)
        ]
        for i in range(n)
    ]
    rows, cols = linear_sum_assignment(cost)
    return {int(i): int(j) for i, j in zip(rows, cols, strict=True) if scores[i][j] > 0}


# --------------------------------------------------------------------------- per post


# Survey talks ("Summary of several autoencoder models") present no single paper.
_SURVEY = re.compile(
    r"^(?:a\s+)?(?:summary|summaries|survey|overview|review of|introduction to|intro to|"
    r"tutorial|discussion|recap|several|a few|some recent)\b",
    re.IGNORECASE,
)


def row_has_paper(row: Row) -> bool:
    """Does the row present one paper (so it may have a footnote of its own)?"""
    return bool(row.title) and not _SURVEY.match(row.title)


@dataclass
class RowSide:
    """A row as the matcher sees it."""

    row: Row
    has_paper: bool
    known: KnownPaper | None  # the catalog's entry for the row's arXiv id (None if unknown)
    known_ok: bool  # the catalog title agrees with the row's title (the link is right)
    side: Side


@dataclass
class PostMatch:
    """The matching of one post: per-row info, pair scores, and row -> own footnote."""

    rows: list[RowSide]
    scores: list[list[Candidate]]  # [row index][footnote index]
    own: dict[int, int]  # row index -> footnote index (the footnote about its paper)


def _footnote_side(fn: Footnote) -> Side:
    if fn.kind == "note":
        return Side(fn.text, None)  # a note may still name a paper
    return Side(fn.title, fn.abstract)


def match_post(post: Post, lookup: Callable[[str], KnownPaper | None] | None = None) -> PostMatch:
    """Score every paper row against every footnote and assign footnotes to rows."""
    sides: list[RowSide] = []
    for row in post.rows:
        has_paper = row_has_paper(row)
        known = None
        if has_paper and row.arxiv_id and lookup is not None:
            known = lookup(row.arxiv_id)
        ok = known is not None and title_similarity(row.title, known.title) >= TITLE_THRESHOLD
        # The catalog's abstract counts only when the link is right.
        abstract = known.abstract if ok and known is not None else None
        sides.append(RowSide(row, has_paper, known, ok, Side(row.title or None, abstract)))
    fsides = [_footnote_side(fn) for fn in post.footnotes]
    none = Candidate(0.0, "", 0.0, None)
    scores = [[pair_score(rs.side, fs) if rs.has_paper else none for fs in fsides]
              for rs in sides]
    cited = [[fn.label in rs.row.labels for fn in post.footnotes] for rs in sides]
    own = assign([[c.score for c in r] for r in scores], cited)
    return PostMatch(sides, scores, own)


def own_footnotes(
    post: Post, lookup: Callable[[str], KnownPaper | None] | None = None
) -> dict[int, Footnote]:
    """Row index -> the footnote that is about that row's paper (whatever the row cites)."""
    m = match_post(post, lookup)
    return {i: post.footnotes[j] for i, j in m.own.items()}
