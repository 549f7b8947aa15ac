"""One paper, however it was found: a source's record stored onto a paper, and papers merged.

* :func:`store_work` stores a :class:`~catalog.records.WorkRecord` (Crossref, DBLP,
  OpenReview, a proceedings page, arXiv's title search) onto the paper that owns one of
  its identifiers, or the one given, or a new one; every field it sets remembers the
  record's source, and :func:`catalog.store.provenance.may_set` decides which values it
  may replace. Identifiers of the record that belong to other papers merge those papers
  into one (unless they hold different arXiv, PMLR or ACL ids: then they are two), and
  so does a paper of the record's title that :func:`title_match` accepts (the arXiv
  preprint of a published record found by its DOI).
* :func:`merge_papers` makes two papers one: talks, abstracts, versions, identifiers and
  authors are kept; each field keeps the stronger source's value; a stored citation key
  never changes (see the function).
* :func:`title_match` is the paper a record that names none of its identifiers may
  describe: the exact normalised title, agreeing authors and years, no contradicting
  identifier; nothing fuzzier (``catalog resolve`` weighs evidence; this is the store's
  last resort).

Everything runs inside the caller's transaction (``Catalog.write``), like
:mod:`catalog.store.catalog`'s building blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, exists
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as DbSession
from sqlmodel import col, select

from catalog.errors import NotFound
from catalog.records import Identifier, WorkRecord
from catalog.store.catalog import (
    author_names,
    set_abstract,
    set_authors,
    utcnow,
)
from catalog.store.identifiers import (
    ALIAS_SCHEME,
    EXCLUSIVE,
    attach_identifiers,
    exclusive_conflicts,
    identifiers_of,
    papers_by_identifier,
    refresh_id_columns,
    release_id_columns,
)
from catalog.store.models import (
    Abstract,
    Paper,
    PaperAuthor,
    PaperIdentifier,
    PaperVersion,
    PresentationPaper,
)
from catalog.store.provenance import may_set, rank
from catalog.text import fold, title_key, url_key

__all__ = [
    "MergeResult",
    "WorkResult",
    "merge_papers",
    "store_work",
    "title_match",
]

# Kinds of record that are a paper, so may describe a paper known only by its title.
_PAPER_KINDS = frozenset({"journal", "proceedings", "book", "chapter", "preprint"})
# Paper columns a record sets, each remembering its source.
_RECORD_FIELDS = ("title", "url", "venue", "year", "kind", "volume", "issue", "pages", "publisher")
# Fields only arXiv gives: they travel with the paper's arXiv id when papers merge.
_ARXIV_FIELDS = (
    "version", "updated", "primary_category", "categories", "comment", "journal_ref",
    "synced_at", "sync_source", "sync_attempted_at", "sync_error",
)  # fmt: skip
# Fields merged by the precedence rule (provenance in field_sources).
_MERGED_FIELDS = ("title", "url", "venue", "year", "kind", "volume", "issue", "pages",
                  "publisher", "published")  # fmt: skip


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass
class MergeResult:
    """Paper ``gone`` was merged into paper ``kept`` (and no longer exists). When both had
    a citation key, ``alias`` is ``gone``'s: it still finds the paper (``catalog show``)
    and is written as the BibTeX entry's ``ids`` (biblatex's key aliases)."""

    kept: int
    gone: int
    alias: str | None = None


@dataclass
class WorkResult:
    """What storing one record did. ``status``: "added" (a new paper), "updated",
    "unchanged", or "refused" (the record contradicts the paper: it names another arXiv,
    PMLR or ACL id; nothing was stored, ``reason`` says why). ``changes`` maps each field
    that changed to (old, new); ``merged`` lists the papers merged into this one;
    ``taken`` the record's identifiers left with another paper (it could not be merged,
    ``reason`` says why); ``invalid`` those that are no identifier of their scheme
    (the others are stored canonical: ``arxiv:1611.00712v2`` as ``1611.00712``)."""

    paper_id: int
    status: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    identifiers_added: list[Identifier] = field(default_factory=list)
    merged: list[MergeResult] = field(default_factory=list)
    taken: dict[Identifier, int] = field(default_factory=dict)
    invalid: list[Identifier] = field(default_factory=list)  # not of their scheme: dropped
    reason: str | None = None


# -- finding the paper a record describes ----------------------------------------------------


def _family(name: str) -> str:
    """A name's family name, folded: "Chris J. Maddison" and "Maddison, C." give "maddison"."""
    head, comma, _ = name.partition(",")
    words = fold(head if comma else name).split()
    return words[-1] if words else ""


def _authors_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    """True when either list is empty or they share a family name."""
    if not a or not b:
        return True
    return bool({_family(n) for n in a} & {_family(n) for n in b} - {""})


def title_match(
    s: DbSession,
    title: str,
    authors: Sequence[str],
    *,
    identifiers: Sequence[Identifier] = (),
    year: int | None = None,
    exclude: Sequence[int] = (),
) -> Paper | None:
    """The oldest paper a record without a known identifier may describe, by title: the
    same normalised title, typed "paper" (never a video or blog post), not a thesis,
    comment, erratum or review (a published record of one is no paper's), not one of
    ``exclude``, and

    * no identifier that contradicts the record's (another arXiv, PMLR or ACL id; DOIs,
      when both have some and none is shared: a journal version may keep its conference
      version's title);
    * a paper known only by its title (from a post or .bib file) must share a family
      name with ``authors`` when both name authors;
    * a paper that has identifiers (a preprint, say) must name authors, share a family
      name with ``authors``, and be within two years of ``year`` when both are known.

    ``None`` when no paper is such. Nothing fuzzier: weighing evidence is the resolver's.
    """
    key = title_key(title)
    if not key:
        return None
    stmt = (
        select(Paper)
        .where(col(Paper.title_key) == key, col(Paper.item_type) == "paper")
        .order_by(col(Paper.id))
        .limit(20)
    )
    candidates = [
        p
        for p in s.execute(stmt).scalars()
        if p.id is not None and p.id not in exclude and (p.kind is None or p.kind in _PAPER_KINDS)
    ]
    held = identifiers_of(s, [p.id for p in candidates if p.id is not None])
    dois = {i.value for i in identifiers if i.scheme == "doi"}
    for paper in candidates:
        assert paper.id is not None
        theirs = held.get(paper.id, [])
        if exclusive_conflicts(s, paper.id, identifiers):
            continue
        their_dois = {i.value for i in theirs if i.scheme == "doi"}
        if dois and their_dois and not dois & their_dois:
            continue
        names = author_names(s, paper.id)
        if theirs:
            if not (names and authors and _authors_agree(names, authors)):
                continue
            when = paper.year or (paper.published.year if paper.published else None)
            if year is not None and when is not None and abs(year - when) > 2:
                continue
        elif not _authors_agree(names, authors):
            continue
        return paper
    return None


# -- storing a record ------------------------------------------------------------------------


def store_work(s: DbSession, rec: WorkRecord, *, paper_id: int | None = None) -> WorkResult:
    """Store ``rec`` onto a paper, inside the caller's transaction.

    The paper is ``paper_id`` when given (``NotFound`` if there is none), else the
    oldest paper owning one of the record's identifiers, else a paper known only by
    the record's title (:func:`title_match`, for records of a paper kind), else a new
    one. Other papers owning the record's identifiers, and the paper :func:`title_match`
    finds for a record of a paper kind, are merged into it (:func:`merge_papers`; the
    oldest paper survives and is the result's ``paper_id``), unless the two hold
    different arXiv, PMLR or ACL ids. A record that itself names an
    arXiv, PMLR or ACL id other than the paper's is refused: nothing is stored.

    Each field the record gives is set when :func:`~catalog.store.provenance.may_set`
    lets the record's source replace the current one's, and remembers that source; the
    record's abstract is kept beside the others (one per source); every identifier is
    attached. Fields only arXiv gives (versions, categories, dates) are never touched.
    """
    from catalog.sources.ids import canonical_identifier

    idents: list[Identifier] = []
    invalid: list[Identifier] = []
    for given_ident in dict.fromkeys(rec.identifiers):
        found = canonical_identifier(given_ident)
        if found is None:
            invalid.append(given_ident)
        elif found not in idents:
            idents.append(found)
    owners = papers_by_identifier(s, idents)
    if paper_id is not None and s.get(Paper, paper_id) is None:
        raise NotFound(f"no paper #{paper_id} in the catalog")
    # The paper the record is about: the one given, else the owner of its arXiv (PMLR,
    # ACL) id, else the oldest owner of any of its identifiers.
    exclusive = [owners[i] for i in idents if i in owners and i.scheme in EXCLUSIVE]
    given = [paper_id] if paper_id is not None else []
    candidates = list(dict.fromkeys([*given, *exclusive, *sorted(owners.values())]))
    status = "updated"
    if rec.kind in _PAPER_KINDS:
        # A paper of the record's title that none of its identifiers names yet (an arXiv
        # preprint, when the record is its published version) is the same paper too.
        match = title_match(
            s, rec.title, rec.authors, identifiers=idents, year=rec.year, exclude=candidates
        )
        if match is not None and match.id is not None:
            if not candidates or not exclusive_conflicts(s, candidates[0], match.id):
                candidates.append(match.id)
    if not candidates:
        candidates = [_new_paper(s, rec.title, rec.source)]
        status = "added"
    target = candidates[0]
    own = {pid: [i for i, p in owners.items() if p == pid] for pid in candidates}
    reasons = exclusive_conflicts(s, target, idents)
    if reasons:
        said = f"the record names {'; '.join(reasons)}"
        return WorkResult(target, "refused", invalid=invalid, reason=said)
    result = WorkResult(target, status, invalid=invalid)
    for other in candidates[1:]:
        why = exclusive_conflicts(s, target, other)
        if why:
            for ident in own.get(other, []):
                result.taken[ident] = other
            result.reason = f"paper #{other} has {'; '.join(why)}"
            continue
        keep, gone = min(target, other), max(target, other)
        result.merged.append(merge_papers(s, keep, gone))
        target = keep
    result.paper_id = target
    before = _paper_row(s, target)
    attached = attach_identifiers(
        s, target, [i for i in idents if i not in result.taken], rec.source
    )
    result.identifiers_added = [ident for _, ident in attached.added]
    for (_pid, ident), owner in attached.taken.items():
        result.taken[ident] = owner
    _apply_record(s, target, rec, result.changes)
    after = _paper_row(s, target)
    if before["doi"] != after["doi"]:
        result.changes["doi"] = (before["doi"], after["doi"])
    if result.status == "updated" and not (
        result.changes or result.merged or result.identifiers_added
    ):
        result.status = "unchanged"
    return result


def _new_paper(s: DbSession, title: str, source: str) -> int:
    """A bare paper row (its fields and identifiers come next); its id."""
    papers = _table(Paper)
    done: Any = s.execute(
        papers.insert().values(
            title=title,
            title_key=title_key(title),
            categories=[],
            extra_fields={},
            field_sources={},
            item_type="paper",
            sync_source=source,
            created_at=utcnow(),
        )  # fmt: skip
    )
    return int(done.inserted_primary_key[0])


def _paper_row(s: DbSession, paper_id: int) -> dict[str, Any]:
    papers = _table(Paper)
    row = s.execute(sa_select(papers).where(papers.c.id == paper_id)).mappings().one()
    return dict(row)


def _apply_record(
    s: DbSession, paper_id: int, rec: WorkRecord, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Set the fields ``rec`` may set (the precedence rule), recording its source."""
    row = _paper_row(s, paper_id)
    sources: dict[str, str] = dict(row["field_sources"] or {})
    values: dict[str, Any] = {}
    given = {
        "title": rec.title, "url": rec.url, "venue": rec.venue, "year": rec.year,
        "kind": rec.kind, "volume": rec.volume, "issue": rec.issue, "pages": rec.pages,
        "publisher": rec.publisher,
    }  # fmt: skip
    for name in _RECORD_FIELDS:
        value = given[name]
        if value is None or value == "" or not may_set(name, sources.get(name), rec.source):
            continue
        if row[name] != value:
            changes[name] = (row[name], value)
            values[name] = value
        sources[name] = rec.source
    if "title" in values:
        values["title_key"] = title_key(values["title"])
    if "url" in values:
        values["url_key"] = url_key(values["url"])
    if rec.authors and may_set("authors", sources.get("authors"), rec.source):
        old = author_names(s, paper_id)
        if old != list(rec.authors):
            set_authors(s, paper_id, rec.authors)
            changes["authors"] = (old, list(rec.authors))
        sources["authors"] = rec.source
    if rec.abstract:
        table = _table(Abstract)
        old_text = s.execute(
            sa_select(table.c.text).where(
                table.c.paper_id == paper_id,
                table.c.source == rec.source,
                table.c.source_ref == "",
            )  # fmt: skip
        ).scalar_one_or_none()
        if old_text != rec.abstract:
            set_abstract(s, paper_id, rec.abstract, rec.source)
            changes["abstract"] = (old_text, rec.abstract)
    values["field_sources"] = sources
    values["item_type"] = "paper"  # a source described it as a work
    papers = _table(Paper)
    s.execute(papers.update().where(papers.c.id == paper_id).values(**values))
    _expire(s, [paper_id])


# -- merging -----------------------------------------------------------------------------------


def merge_papers(s: DbSession, keep: int, gone: int) -> MergeResult:
    """Make paper ``gone`` part of paper ``keep``, inside the caller's transaction.

    Kept: every talk (a talk about both lists the paper once), abstract, arXiv version
    and identifier of either; authors and each field from the stronger source
    (:func:`~catalog.store.provenance.rank`; ties keep ``keep``'s), arXiv's fields
    from the paper that has the arXiv id; other BibTeX fields of both. A stored citation
    key never changes: ``keep`` keeps its key, or takes ``gone``'s when it had none;
    when both had one, ``gone``'s becomes an alias that still finds the paper
    (``catalog show OLDKEY``), never given to another paper, and written in the paper's
    BibTeX entry as ``ids`` (biblatex's key aliases) so documents citing it still build.

    Raises ValueError when the papers hold different arXiv, PMLR or ACL ids (they are
    two papers: see :func:`~catalog.store.identifiers.exclusive_conflicts`).
    """
    if keep == gone:
        raise ValueError("a paper cannot be merged with itself")
    reasons = exclusive_conflicts(s, keep, gone)
    if reasons:
        raise ValueError(f"papers #{keep} and #{gone} are two papers: {'; '.join(reasons)}")
    s.flush()
    a, b = _paper_row(s, keep), _paper_row(s, gone)
    src_a: dict[str, str] = dict(a["field_sources"] or {})
    src_b: dict[str, str] = dict(b["field_sources"] or {})
    values: dict[str, Any] = {}
    sources = dict(src_a)
    for name in _MERGED_FIELDS:
        if _empty(b[name]):
            continue
        if _empty(a[name]) or rank(name, src_b.get(name)) > rank(name, src_a.get(name)):
            values[name] = b[name]
            if name in src_b:
                sources[name] = src_b[name]
            else:
                sources.pop(name, None)
    if b["arxiv_id"] and not a["arxiv_id"]:
        values.update({name: b[name] for name in _ARXIV_FIELDS})
    authors_a, authors_b = author_names(s, keep), author_names(s, gone)
    stronger = rank("authors", src_b.get("authors")) > rank("authors", src_a.get("authors"))
    take_authors = bool(authors_b) and (not authors_a or stronger)
    if take_authors:
        if "authors" in src_b:
            sources["authors"] = src_b["authors"]
    extra = {**(b["extra_fields"] or {}), **(a["extra_fields"] or {})}
    values["entry_type"] = a["entry_type"] or b["entry_type"]
    values["item_type"] = "paper" if "paper" in (a["item_type"], b["item_type"]) else a["item_type"]
    values["created_at"] = min(a["created_at"], b["created_at"])
    alias = None
    # biblatex key aliases of both (gone's own included when both had keys).
    aliases = [
        k.strip()
        for row in (a, b)
        for k in str((row["extra_fields"] or {}).get("ids", "")).split(",")
        if k.strip()
    ]
    if b["citation_key"] and a["citation_key"]:
        alias = b["citation_key"]
        aliases.append(alias)
    if aliases:
        extra["ids"] = ", ".join(dict.fromkeys(aliases))
    values["extra_fields"] = extra
    values["field_sources"] = sources

    papers = _table(Paper)
    _move_children(s, keep, gone, take_authors)
    # Free gone's unique keys before keep takes them, then drop it (its remaining rows,
    # duplicates of keep's, go with it).
    release_id_columns(s, gone)
    s.execute(papers.update().where(papers.c.id == gone).values(citation_key=None))
    _expire(s, [keep, gone])
    for obj in list(s.identity_map.values()):
        if isinstance(obj, Paper) and obj.id == gone:
            s.expunge(obj)
    s.execute(delete(papers).where(papers.c.id == gone))
    if b["citation_key"] and not a["citation_key"]:
        values["citation_key"] = b["citation_key"]
    title = values.get("title", a["title"])
    values["title_key"] = title_key(title)
    values["url_key"] = url_key(values.get("url", a["url"]))
    s.execute(papers.update().where(papers.c.id == keep).values(**values))
    if alias:
        attach_identifiers(s, keep, [Identifier(ALIAS_SCHEME, alias)], "merge")
    refresh_id_columns(s, [keep])
    _expire(s, [keep])
    return MergeResult(keep, gone, alias)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _move_children(s: DbSession, keep: int, gone: int, take_authors: bool) -> None:
    """Move gone's rows to keep, except those keep already has (same abstract source,
    version, talk): those stay with gone and are deleted with it."""
    ids = _table(PaperIdentifier)
    s.execute(ids.update().where(ids.c.paper_id == gone).values(paper_id=keep))
    for model, same in (
        (Abstract, ("source", "source_ref")),
        (PaperVersion, ("version",)),
        (PresentationPaper, ("presentation_id",)),
    ):
        table = _table(model)
        other = table.alias()
        clash = exists().where(
            other.c.paper_id == keep, *[other.c[name] == table.c[name] for name in same]
        )
        s.execute(table.update().where(table.c.paper_id == gone, ~clash).values(paper_id=keep))
    if take_authors:
        links = _table(PaperAuthor)
        s.execute(delete(links).where(links.c.paper_id == keep))
        s.execute(links.update().where(links.c.paper_id == gone).values(paper_id=keep))


def _expire(s: DbSession, paper_ids: Sequence[int]) -> None:
    """ORM copies of these papers in the session are stale after Core writes: reload."""
    wanted = set(paper_ids)
    for obj in list(s.identity_map.values()):
        if isinstance(obj, Paper) and obj.id in wanted:
            s.expire(obj)
