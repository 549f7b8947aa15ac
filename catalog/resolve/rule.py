"""Whether a source's record is the paper the catalog means: evidence, and one rule.

A wrong paper is worse than no paper (the known failures of reference managers are
wrong matches: the first hit of a title search, a DOI that named another paper, a
thesis taken for the paper of the same title). So a candidate record is compared with
what the catalog knows of the paper (:class:`Known`) on independent signals, the result
is a small record (:class:`Evidence`) that ``catalog resolve --dry-run`` prints and the
tests assert on, and :func:`judge` is the acceptance rule, in one place:

* a thesis, a comment or reply, an erratum, a book review (or a record of no paper kind)
  is never taken for a paper, whatever its title; looking for where an arXiv paper was
  published (``published=True``), a preprint is not an answer either;
* any signal that disagrees rejects it (bibtex-autocomplete's rule): the authors (both
  lists known, no family name in common), the year (more than one apart; when looking
  for where a preprint was published, a later year is no disagreement), the link (the
  paper and the record hold different arXiv, PMLR or ACL Anthology ids);
* found by title, it is accepted only when the normalised titles are the same and at
  least one signal agrees where one is known (a family name in common, the year within
  one, the paper's link or identifier among the record's). When nothing but a title is
  known of the paper, the title alone may do, and then only when it names one work
  (:func:`decide`);
* found by the identifier in the paper's link, the record is that identifier's; it is
  accepted unless its title has nothing to do with the paper's and no author agrees
  (a mistyped DOI names somebody else's paper); a paper titled by the record's short
  form, its part before a colon ("BERT", "The Concrete Distribution"), is its subject.

:func:`decide` judges every candidate of one source and says what became of the paper:
``accepted`` (one work, however many records of it: DBLP lists a conference paper and
its CoRR preprint), ``ambiguous`` (several works pass, or some came close without
passing: reported with their scores, nothing changed), or ``not found``.

Crossref's own relevance score is not comparable across queries (paper-qa), so it is
never used; the title score here is the similarity of the normalised titles, from 0 to
1, and only exact equality counts as a match (1.0 after normalising case, accents,
punctuation, "&"/"and").

Stdlib only, but for rapidfuzz (the title score); no database, no network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from catalog.records import Identifier, WorkRecord
from catalog.text import fold

__all__ = [
    "CLOSE_TITLE",
    "NEVER_A_PAPER",
    "Agreement",
    "Candidate",
    "Decision",
    "Evidence",
    "Known",
    "Verdict",
    "decide",
    "evidence",
    "family_names",
    "judge",
    "same_work",
    "title_score",
    "year_in_venue",
]

Agreement = Literal["agree", "disagree", "unknown"]

# Kinds of record that are never the paper a title names (catalog.records.WORK_KINDS).
NEVER_A_PAPER = frozenset({"thesis", "comment", "erratum", "review", "other"})
# Kinds that say where a paper was published.
PUBLISHED_KINDS = frozenset({"journal", "proceedings", "book", "chapter"})
# A title this similar that is not the same is "close": reported as ambiguous, never taken.
CLOSE_TITLE = 0.9
# Found by its identifier, a record whose title is less similar than this to the paper's,
# and whose authors do not agree, is reported instead of taken.
SAME_SUBJECT = 0.6
# Identifier schemes of which a paper has one: two different values are two papers.
_EXCLUSIVE = frozenset({"arxiv", "pmlr", "acl"})


@dataclass(frozen=True)
class Known:
    """What the catalog knows of the paper it looks for. ``title`` is None when the paper
    has no title of its own (a post's row whose text was its link)."""

    title: str | None
    authors: tuple[str, ...] = ()
    year: int | None = None
    url: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    thesis: bool = False  # the paper itself is a thesis (a .bib @phdthesis)


@dataclass(frozen=True)
class Evidence:
    """How one candidate record compares with the paper, signal by signal."""

    asked_by: Literal["identifier", "title"]
    kind: str  # the record's kind (catalog.records.WORK_KINDS)
    title_score: float | None  # similarity of the normalised titles, 0 to 1 (None: the
    title_match: bool  # paper has no title of its own); the normalised titles are the same
    authors: Agreement
    shared_authors: tuple[str, ...] = ()  # family names both lists hold
    year: Agreement = "unknown"
    year_gap: int | None = None  # the record's year minus the paper's
    link: Agreement = "unknown"
    link_detail: str | None = None  # the identifier or link both name, or the clash
    # The paper's title is the record's short form: its part before a colon ("The Concrete
    # Distribution" for "The Concrete Distribution: A Continuous Relaxation ...").
    title_head: bool = False

    def agreeing(self) -> list[str]:
        return [name for name in ("authors", "year", "link") if getattr(self, name) == "agree"]

    def disagreeing(self) -> list[str]:
        return [name for name in ("authors", "year", "link") if getattr(self, name) == "disagree"]


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str  # one line: why
    close: bool = False  # not accepted, but near enough to report the paper as ambiguous


@dataclass(frozen=True)
class Candidate:
    """One record a source gave for the paper, its evidence and the rule's verdict."""

    record: WorkRecord
    evidence: Evidence
    verdict: Verdict


@dataclass(frozen=True)
class Decision:
    """What one source's candidates say about the paper."""

    status: Literal["accepted", "ambiguous", "not found"]
    reason: str
    chosen: Candidate | None = None  # the record to store, when accepted
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    works: int = 0  # distinct works among the accepted candidates (ambiguous when > 1)


# --- signals ------------------------------------------------------------------------------


def _title_key(title: str) -> str:
    return fold(title.replace("&", " and "))


def is_title_head(short: str, full: str) -> bool:
    """Whether ``short`` is ``full``'s part before its first colon (or dash), once
    normalised: how posts name a paper ("BERT", "The Concrete Distribution")."""
    for mark in (":", " - ", " – ", " — "):
        if mark in full:
            head = _title_key(full.split(mark, 1)[0])
            return bool(head) and head == _title_key(short)
    return False


def title_score(a: str, b: str) -> float:
    """Similarity of two titles once normalised (case, accents, punctuation, "&"), 0-1."""
    from rapidfuzz import fuzz

    ka, kb = _title_key(a), _title_key(b)
    if not ka or not kb:
        return 0.0
    return 1.0 if ka == kb else round(fuzz.ratio(ka, kb) / 100.0, 3)


def family_names(names: Sequence[str]) -> set[str]:
    """Folded family names: "Chris J. Maddison" and "Maddison, C." give "maddison";
    DBLP's homonym numbers ("Ehsan Kazemi 0001") are left out."""
    found = set()
    for name in names:
        head, comma, _ = name.partition(",")
        words = [w for w in fold(head if comma else name).split() if not w.isdigit()]
        if words:
            found.add(words[-1])
    return found


_VENUE_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
_VENUE_SHORT_YEAR = re.compile(r"[A-Za-z][A-Za-z-]*\s?'?([0-9]{2})\b")


def year_in_venue(venue: str | None) -> int | None:
    """The year a post's or .bib's venue names: "ICML 2018" and "ICLR17" (a conference
    name and two digits) give 2018 and 2017; None when it names none."""
    if not venue:
        return None
    m = _VENUE_YEAR.search(venue)
    if m:
        return int(m.group(1))
    m = _VENUE_SHORT_YEAR.fullmatch(venue.strip())
    if m:
        yy = int(m.group(1))
        return 2000 + yy if yy < 50 else 1900 + yy
    return None


def _url_key(url: str | None) -> str | None:
    from catalog.text import url_key

    key = url_key(url)
    return key.removeprefix("http://").removeprefix("https://") if key else None


def _record_identifiers(rec: WorkRecord) -> set[Identifier]:
    """The record's identifiers, and those its links carry (DBLP's ee: OpenReview,
    PMLR, NeurIPS links)."""
    from catalog.sources.ids import identifier_in_url

    found = set(rec.identifiers)
    for link in (rec.url, *rec.links):
        ident = identifier_in_url(link) if link else None
        if ident is not None:
            found.add(ident)
    return found


def _link(known: Known, rec: WorkRecord) -> tuple[Agreement, str | None]:
    theirs = _record_identifiers(rec)
    shared = sorted(set(known.identifiers) & theirs)
    if shared:
        return "agree", str(shared[0])
    mine = _url_key(known.url)
    if mine and mine in {_url_key(u) for u in (rec.url, *rec.links) if u}:
        return "agree", known.url
    for ident in known.identifiers:
        if ident.scheme in _EXCLUSIVE:
            other = sorted(i for i in theirs if i.scheme == ident.scheme)
            if other:
                return "disagree", f"{ident} here, {other[0]} there"
    return "unknown", None


def evidence(
    known: Known,
    rec: WorkRecord,
    *,
    asked_by: Literal["identifier", "title"] = "title",
    published: bool = False,
) -> Evidence:
    """Compare ``rec`` with the paper, signal by signal. ``asked_by="identifier"``: the
    record is the one the paper's link names (its link agrees by construction);
    ``published``: the paper is a preprint and ``rec`` may say where it appeared later."""
    score = title_score(known.title, rec.title) if known.title else None
    mine, theirs = family_names(known.authors), family_names(rec.authors)
    shared = tuple(sorted(mine & theirs))
    authors: Agreement = "unknown"
    if mine and theirs:
        authors = "agree" if shared else "disagree"
    year: Agreement = "unknown"
    gap = None
    if known.year is not None and rec.year is not None:
        gap = rec.year - known.year
        if abs(gap) <= 1:
            year = "agree"
        elif not (published and gap > 1):  # a journal version may come years later
            year = "disagree"
    if asked_by == "identifier":
        link: Agreement = "agree"
        detail = str(known.identifiers[0]) if known.identifiers else None
    else:
        link, detail = _link(known, rec)
    return Evidence(
        asked_by=asked_by,
        kind=rec.kind,
        title_score=score,
        title_match=score == 1.0,
        authors=authors,
        shared_authors=shared,
        year=year,
        year_gap=gap,
        link=link,
        link_detail=detail,
        title_head=is_title_head(known.title, rec.title) if known.title else False,
    )


# --- the rule -----------------------------------------------------------------------------


def judge(ev: Evidence, *, published: bool = False, thesis: bool = False) -> Verdict:
    """The acceptance rule (see the module docstring). ``published``: looking for where a
    preprint appeared; ``thesis``: the paper itself is a thesis, so a thesis may be it."""
    never = NEVER_A_PAPER - ({"thesis"} if thesis else set())
    if ev.kind in never:
        return Verdict(False, f"a {_KIND_WORDS.get(ev.kind, ev.kind)}, never taken for the paper")
    if published and ev.kind not in PUBLISHED_KINDS and not (thesis and ev.kind == "thesis"):
        return Verdict(False, "a preprint, not where the paper was published")
    against = ev.disagreeing()
    if against:
        return Verdict(False, f"disagreeing: {_and(against)}")
    agree = ev.agreeing()
    score = ev.title_score
    if ev.asked_by == "identifier":
        if score is None or score >= SAME_SUBJECT or ev.title_head or "authors" in agree:
            return Verdict(True, "the record the paper's link names")
        return Verdict(
            False, f"the link names a record of another title (title score {score:.2f})", close=True
        )
    if score is None:
        return Verdict(False, "the paper has no title to compare")
    if not ev.title_match:
        return Verdict(False, f"another title (score {score:.2f})", close=score >= CLOSE_TITLE)
    if agree:
        return Verdict(True, f"the title, and the {_and(agree)} agree")
    # No signal disagrees and none agrees: none is known on both sides.
    return Verdict(True, "the title; nothing else is known to compare")


_KIND_WORDS = {
    "thesis": "thesis",
    "comment": "comment or reply",
    "erratum": "erratum",
    "review": "book review",
    "other": "record that is no paper",
}


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def same_work(a: WorkRecord, b: WorkRecord) -> bool:
    """Whether two records describe one work: they share an identifier (or a link), or
    one is a preprint of the other: the same title, a family name in common and years
    within one (DBLP's conference entry and its CoRR preprint). Two published records
    that share nothing are two works, however alike (a book and a journal article both
    titled "Deep Learning", with an author in common, a year apart)."""
    if _record_identifiers(a) & _record_identifiers(b):
        return True
    if "preprint" not in (a.kind, b.kind):
        return False
    if _title_key(a.title) != _title_key(b.title):
        return False
    if not family_names(a.authors) & family_names(b.authors):
        return False
    return a.year is None or b.year is None or abs(a.year - b.year) <= 1


def _preference(c: Candidate) -> tuple[int, int, int]:
    """Which record of one work to store: published before preprint, the one asked by
    identifier, then the one with more agreeing signals."""
    return (
        c.record.kind in PUBLISHED_KINDS,
        c.evidence.asked_by == "identifier",
        len(c.evidence.agreeing()),
    )


def decide(
    known: Known,
    records: Sequence[WorkRecord],
    *,
    asked_by: Literal["identifier", "title"] = "title",
    published: bool = False,
) -> Decision:
    """Judge every record one source gave for the paper, and say what became of it."""
    candidates = tuple(
        Candidate(rec, ev, judge(ev, published=published, thesis=known.thesis))
        for rec in records
        for ev in [evidence(known, rec, asked_by=asked_by, published=published)]
    )
    accepted = [c for c in candidates if c.verdict.accepted]
    works: list[list[Candidate]] = []
    for cand in accepted:
        for work in works:
            if any(same_work(cand.record, other.record) for other in work):
                work.append(cand)
                break
        else:
            works.append([cand])
    if len(works) == 1:
        chosen = max(works[0], key=_preference)
        return Decision("accepted", chosen.verdict.reason, chosen, candidates, 1)
    if works:
        return Decision(
            "ambiguous", f"{len(works)} different works pass", None, candidates, len(works)
        )
    close = [c for c in candidates if c.verdict.close]
    if close:
        best = max(close, key=lambda c: c.evidence.title_score or 0.0)
        return Decision("ambiguous", best.verdict.reason, None, candidates)
    return Decision("not found", "no candidate passes" if candidates else "no candidate", None,
                    candidates)  # fmt: skip
