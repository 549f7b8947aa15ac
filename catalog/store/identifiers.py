"""A paper's identifiers: finding papers by them, attaching them, and the columns that copy them.

Every function works inside the caller's transaction, like the building blocks of
:mod:`catalog.store.catalog`. Each (scheme, value) belongs to one paper (a unique key):
attaching is ``INSERT ... ON CONFLICT DO NOTHING`` followed by a look at who owns each
identifier, so two writers attaching the same identifier at once end with one owner and
the other told so, on SQLite and PostgreSQL alike.

This module is the one place that writes ``paper.arxiv_id`` and ``paper.doi``: after
every change of a paper's identifiers, :func:`refresh_id_columns` sets them from its rows
(the arXiv id; the DOI of the strongest source, :mod:`catalog.store.provenance`). Why the
columns exist at all is written down in :mod:`catalog.store.models`.

A paper has at most one identifier of each :data:`EXCLUSIVE` scheme: two arXiv ids (or
PMLR or ACL Anthology ids) name two papers, so a second one is refused rather than
attached, and papers holding different ones are never merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, delete
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as DbSession

from catalog.records import SCHEMES, Identifier
from catalog.store.models import Paper, PaperIdentifier
from catalog.store.provenance import rank

__all__ = [
    "ALIAS_SCHEME",
    "EXCLUSIVE",
    "AttachResult",
    "attach_identifiers",
    "attach_many",
    "attach_new",
    "detach_identifiers",
    "exclusive_conflicts",
    "identifier_order",
    "identifiers_of",
    "mark_synced",
    "new_paper_columns",
    "papers_by_identifier",
    "refresh_id_columns",
    "register_arxiv_id",
    "release_id_columns",
]

EXCLUSIVE = frozenset({"arxiv", "pmlr", "acl"})
# Citation keys a merged paper gave up (see catalog.store.works.merge_papers): kept as
# identifiers so that they still find the paper, never shown among its identifiers.
ALIAS_SCHEME = "key"
_KNOWN = frozenset(SCHEMES) | {ALIAS_SCHEME}
_SCHEME_POSITION = {scheme: i for i, scheme in enumerate(SCHEMES)}
_CHUNK = 500


def _table() -> Table:
    return PaperIdentifier.__table__  # type: ignore[attr-defined,no-any-return]


def _papers() -> Table:
    return Paper.__table__  # type: ignore[attr-defined,no-any-return]


def identifier_order(scheme: str, source: str, row_id: int) -> tuple[int, int, int]:
    """Sort key of a paper's identifier rows: schemes in :data:`SCHEMES` order, within a
    scheme the strongest source's first (so a paper's first DOI is the one its ``doi``
    column copies), then the oldest."""
    strength = rank("doi", source) if scheme == "doi" else 0
    return (_SCHEME_POSITION.get(scheme, len(SCHEMES)), -strength, row_id)


@dataclass
class AttachResult:
    """What attaching identifiers did. ``taken`` maps (paper, identifier) to the other
    paper that has it; ``refused`` says why an identifier was not attached otherwise
    (a second arXiv id, ...)."""

    added: list[tuple[int, Identifier]] = field(default_factory=list)
    taken: dict[tuple[int, Identifier], int] = field(default_factory=dict)
    refused: dict[tuple[int, Identifier], str] = field(default_factory=dict)


def papers_by_identifier(s: DbSession, idents: Iterable[Identifier]) -> dict[Identifier, int]:
    """The paper id of each identifier the catalog knows (the others are left out).
    arXiv ids are looked up in ``paper.arxiv_id``, their exact copy: the indexed hot key."""
    return _owners(s, idents, rows_only=False)


def _owners(
    s: DbSession, idents: Iterable[Identifier], *, rows_only: bool
) -> dict[Identifier, int]:
    by_scheme: dict[str, set[str]] = {}
    for ident in idents:
        by_scheme.setdefault(ident.scheme, set()).add(ident.value)
    table, papers = _table(), _papers()
    found: dict[Identifier, int] = {}
    for scheme, values in sorted(by_scheme.items()):
        ordered = sorted(values)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            if scheme == "arxiv" and not rows_only:
                stmt = sa_select(papers.c.arxiv_id, papers.c.id).where(papers.c.arxiv_id.in_(chunk))
            else:
                stmt = sa_select(table.c.value, table.c.paper_id).where(
                    table.c.scheme == scheme, table.c.value.in_(chunk)
                )
            found.update({Identifier(scheme, v): pid for v, pid in s.execute(stmt)})
    return found


def _row_owners(s: DbSession, idents: Sequence[Identifier]) -> dict[Identifier, int]:
    """The paper of each identifier row (not the column copies, which may lag)."""
    return _owners(s, idents, rows_only=True)


def identifiers_of(
    s: DbSession, paper_ids: Iterable[int], *, aliases: bool = False
) -> dict[int, list[Identifier]]:
    """Each paper's identifiers, in :func:`identifier_order` (citation-key aliases only
    with ``aliases``); papers without any are left out."""
    table = _table()
    ids = sorted(set(paper_ids))
    rows: dict[int, list[tuple[tuple[int, int, int], Identifier]]] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = sa_select(
            table.c.paper_id, table.c.scheme, table.c.value, table.c.source, table.c.id
        ).where(table.c.paper_id.in_(ids[start : start + _CHUNK]))
        for pid, scheme, value, source, row_id in s.execute(stmt):
            if scheme == ALIAS_SCHEME and not aliases:
                continue
            key = identifier_order(scheme, source, row_id)
            rows.setdefault(pid, []).append((key, Identifier(scheme, value)))
    return {pid: [ident for _, ident in sorted(found)] for pid, found in rows.items()}


def _clashes(a: Iterable[Identifier], b: Iterable[Identifier]) -> list[str]:
    """Each :data:`EXCLUSIVE` scheme in which ``a`` and ``b`` hold different values."""
    reasons = []
    a, b = list(a), list(b)
    for scheme in sorted(EXCLUSIVE):
        mine = {i.value for i in a if i.scheme == scheme}
        theirs = {i.value for i in b if i.scheme == scheme}
        if mine and theirs and mine != theirs:
            reasons.append(f"different {scheme} ids ({', '.join(sorted(mine | theirs))})")
    return reasons


def exclusive_conflicts(s: DbSession, paper: int, other: int | Iterable[Identifier]) -> list[str]:
    """Why ``paper`` and ``other`` (another paper, or a record's identifiers) cannot be
    one paper: each scheme of :data:`EXCLUSIVE` in which they hold different values.
    Empty when they may be one."""
    if isinstance(other, int):
        held = identifiers_of(s, [paper, other])
        return _clashes(held.get(paper, []), held.get(other, []))
    return _clashes(identifiers_of(s, [paper]).get(paper, []), other)


def attach_identifiers(
    s: DbSession, paper_id: int, idents: Iterable[Identifier], source: str
) -> AttachResult:
    """Attach ``idents`` to one paper, each remembering ``source``; see :func:`attach_many`."""
    return attach_many(s, [(paper_id, ident, source) for ident in idents])


def attach_many(s: DbSession, items: Sequence[tuple[int, Identifier, str]]) -> AttachResult:
    """Attach identifiers to papers: (paper id, identifier, source that gave it) each.

    An identifier the paper already has keeps the strongest source that gave it; one
    another paper has is ``taken`` (never moved: merging is
    :func:`catalog.store.works.merge_papers`'s decision); a second identifier of an
    :data:`EXCLUSIVE` scheme is ``refused``. The papers' ``arxiv_id`` / ``doi`` columns
    are brought up to date.
    """
    result = AttachResult()
    for _pid, ident, _src in items:
        if ident.scheme not in _KNOWN:
            raise ValueError(f"unknown identifier scheme {ident.scheme!r}")
    if not items:
        return result
    s.flush()  # pending ORM changes first: the columns below are written with Core
    owners = papers_by_identifier(s, [ident for _, ident, _ in items])
    paper_ids = sorted({pid for pid, _, _ in items})
    held: dict[tuple[int, str], set[str]] = {}  # (paper, exclusive scheme) -> values
    for pid, idents in identifiers_of(s, paper_ids).items():
        for ident in idents:
            if ident.scheme in EXCLUSIVE:
                held.setdefault((pid, ident.scheme), set()).add(ident.value)
    rows: list[dict[str, Any]] = []
    from catalog.store.catalog import utcnow

    now = utcnow()
    confirmed: list[tuple[int, Identifier, str]] = []
    for pid, ident, source in items:
        owner = owners.get(ident)
        if owner == pid:
            confirmed.append((pid, ident, source))
            continue
        if owner is not None:
            result.taken[(pid, ident)] = owner
            continue
        values = held.setdefault((pid, ident.scheme), set())
        if ident.scheme in EXCLUSIVE and values and ident.value not in values:
            result.refused[(pid, ident)] = (
                f"the paper already has {ident.scheme} id {', '.join(sorted(values))}"
            )
            continue
        values.add(ident.value)
        owners[ident] = pid
        rows.append(
            {"paper_id": pid, "scheme": ident.scheme, "value": ident.value,
             "source": source, "created_at": now}
        )  # fmt: skip
    _confirm(s, confirmed)
    if not rows:
        return result
    from catalog.store.catalog import insert_ignore_many

    # Sorted: concurrent writers take the unique key's locks in one order.
    rows.sort(key=lambda r: (r["scheme"], r["value"]))
    insert_ignore_many(s, PaperIdentifier, rows, ["scheme", "value"])
    # Who owns each row now: a writer that got there first keeps it.
    now_owned = _row_owners(s, [Identifier(r["scheme"], r["value"]) for r in rows])
    for row in rows:
        ident = Identifier(row["scheme"], row["value"])
        owner = now_owned.get(ident)
        if owner == row["paper_id"]:
            result.added.append((row["paper_id"], ident))
        elif owner is not None:
            result.taken[(row["paper_id"], ident)] = owner
    refresh_id_columns(s, {pid for pid, ident in result.added if ident.scheme in ("arxiv", "doi")})
    return result


def _source_rank(scheme: str, source: str | None) -> int:
    """How strong a source is for an identifier: a DOI is a published field, the other
    identifiers describe the paper (:mod:`catalog.store.provenance`)."""
    return rank("doi" if scheme == "doi" else "title", source)


def _confirm(s: DbSession, items: Sequence[tuple[int, Identifier, str]]) -> None:
    """Identifiers papers already have, given again by a source: each row keeps the
    strongest source that gave it (a post's DOI that Crossref gives is Crossref's)."""
    if not items:
        return
    table = _table()
    current: dict[Identifier, str | None] = {}
    for pid, ident, source in items:
        if ident in current:
            continue
        stmt = sa_select(table.c.source).where(
            table.c.scheme == ident.scheme, table.c.value == ident.value
        )
        current[ident] = s.execute(stmt).scalar_one_or_none()
        if current[ident] is None and ident.scheme == "arxiv":  # only the column had it
            register_arxiv_id(s, pid, ident.value, source)
            current[ident] = source
    stronger: dict[Identifier, str] = {}
    for _pid, ident, source in items:
        best = stronger.get(ident, current[ident])
        if _source_rank(ident.scheme, source) > _source_rank(ident.scheme, best):
            stronger[ident] = source
    for ident, source in stronger.items():
        s.execute(
            table.update()
            .where(table.c.scheme == ident.scheme, table.c.value == ident.value)
            .values(source=source)
        )
    refresh_id_columns(s, {pid for pid, ident, _ in items if ident in stronger})


def register_arxiv_id(s: DbSession, paper_id: int, arxiv_id: str, source: str = "arxiv") -> None:
    """Make sure the paper whose ``arxiv_id`` column holds ``arxiv_id`` has its identifier
    row: one idempotent statement (sync calls this for every paper it refreshes; a
    database filled by hand, or by a script that wrote only the column, is mended)."""
    from catalog.store.catalog import insert_ignore_many, utcnow

    row = {"paper_id": paper_id, "scheme": "arxiv", "value": arxiv_id, "source": source,
           "created_at": utcnow()}  # fmt: skip
    insert_ignore_many(s, PaperIdentifier, [row], ["scheme", "value"])


def mark_synced(
    s: DbSession, idents: Iterable[Identifier], when: Any, error: str | None = None
) -> None:
    """Record that a source was asked for ``idents`` at ``when``: with no ``error`` it gave
    a record (``synced_at``), else ``error`` says why it gave none. Rows the catalog does
    not have are ignored. ``catalog sync`` plans each source's work from these."""
    table = _table()
    values: dict[str, Any] = {"sync_attempted_at": when, "sync_error": error}
    if error is None:
        values["synced_at"] = when
    for scheme, group in _by_scheme(idents).items():
        for start in range(0, len(group), _CHUNK):
            s.execute(
                table.update()
                .where(table.c.scheme == scheme, table.c.value.in_(group[start : start + _CHUNK]))
                .values(**values)
            )


def _by_scheme(idents: Iterable[Identifier]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for ident in idents:
        found.setdefault(ident.scheme, set()).add(ident.value)
    return {scheme: sorted(values) for scheme, values in sorted(found.items())}


def release_id_columns(s: DbSession, paper_id: int) -> None:
    """Empty a paper's copied columns before its identifiers move to another paper (a
    merge): the unique arXiv id is free for the paper that takes it."""
    papers = _papers()
    s.execute(papers.update().where(papers.c.id == paper_id).values(arxiv_id=None, doi=None))


def detach_identifiers(s: DbSession, paper_id: int, idents: Iterable[Identifier]) -> int:
    """Remove identifiers from a paper (those it does not have are ignored); how many
    went. The paper's ``arxiv_id`` / ``doi`` columns follow."""
    table = _table()
    gone = 0
    for ident in sorted(set(idents)):
        done: Any = s.execute(
            delete(table).where(
                table.c.paper_id == paper_id,
                table.c.scheme == ident.scheme,
                table.c.value == ident.value,
            )
        )
        gone += int(done.rowcount or 0)
    if gone:
        refresh_id_columns(s, [paper_id])
    return gone


def _copies(rows: Iterable[tuple[str, str, str, int]]) -> tuple[str | None, str | None, str | None]:
    """What a paper's copied columns hold, from its (scheme, value, source, row id)
    identifier rows: (arXiv id, DOI, the DOI's source). The DOI is the first in
    :func:`identifier_order`: the strongest source's, then the oldest."""
    best: dict[str, tuple[tuple[int, int, int], str, str]] = {}
    for scheme, value, source, row_id in rows:
        if scheme not in ("arxiv", "doi"):
            continue
        key = identifier_order(scheme, source, row_id)
        if scheme not in best or key < best[scheme][0]:
            best[scheme] = (key, value, source)
    arxiv, doi = best.get("arxiv"), best.get("doi")
    return (arxiv[1] if arxiv else None, doi[1] if doi else None, doi[2] if doi else None)


def new_paper_columns(idents: Sequence[Identifier], source: str) -> dict[str, Any]:
    """The copied columns (``arxiv_id``, ``doi``, ``field_sources["doi"]``) of a new paper
    whose identifiers will be ``idents``, all from ``source``, for callers that insert
    many papers at once and then :func:`attach_new` their identifiers: the same choice
    :func:`refresh_id_columns` makes."""
    rows = [(i.scheme, i.value, source, n) for n, i in enumerate(idents)]
    arxiv_id, doi, doi_source = _copies(rows)
    return {"arxiv_id": arxiv_id, "doi": doi, "doi_source": doi_source}


def attach_new(s: DbSession, items: Sequence[tuple[int, Identifier, str]]) -> AttachResult:
    """Attach identifiers to papers inserted just now with :func:`new_paper_columns`:
    no identifier of theirs to compare with, so only the unique key decides; one another
    paper took meanwhile is ``taken`` (its new paper is the caller's to drop)."""
    result = AttachResult()
    if not items:
        return result
    from catalog.store.catalog import insert_ignore_many, utcnow

    now = utcnow()
    ordered = sorted(items, key=lambda item: (item[1].scheme, item[1].value))
    rows = [
        {"paper_id": pid, "scheme": i.scheme, "value": i.value, "source": src, "created_at": now}
        for pid, i, src in ordered
    ]
    insert_ignore_many(s, PaperIdentifier, rows, ["scheme", "value"])
    owners = _row_owners(s, [i for _, i, _ in ordered])
    for pid, ident, _src in items:
        owner = owners.get(ident)
        if owner == pid:
            result.added.append((pid, ident))
        elif owner is not None:
            result.taken[(pid, ident)] = owner
    return result


def refresh_id_columns(s: DbSession, paper_ids: Iterable[int]) -> None:
    """Set ``paper.arxiv_id`` and ``paper.doi`` (and ``field_sources["doi"]``) of these
    papers from their identifier rows: the one place that keeps the copies right."""
    ids = sorted(set(paper_ids))
    if not ids:
        return
    table, papers = _table(), _papers()
    held: dict[int, list[tuple[str, str, str, int]]] = {pid: [] for pid in ids}
    current: dict[int, tuple[str | None, str | None, dict[str, str]]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = sa_select(
            table.c.paper_id, table.c.scheme, table.c.value, table.c.source, table.c.id
        ).where(table.c.paper_id.in_(chunk), table.c.scheme.in_(("arxiv", "doi")))
        for pid, scheme, value, source, row_id in s.execute(stmt):
            held[pid].append((scheme, value, source, row_id))
        columns = sa_select(
            papers.c.id, papers.c.arxiv_id, papers.c.doi, papers.c.field_sources
        ).where(papers.c.id.in_(chunk))
        for row in s.execute(columns):
            current[row.id] = (row.arxiv_id, row.doi, dict(row.field_sources or {}))
    clear: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for pid, (arxiv_id, doi, sources) in current.items():
        new_arxiv, new_doi, doi_source = _copies(held[pid])
        new_sources = dict(sources)
        if doi_source:
            new_sources["doi"] = doi_source
        else:
            new_sources.pop("doi", None)
        if (new_arxiv, new_doi, new_sources) == (arxiv_id, doi, sources):
            continue
        if arxiv_id is not None and new_arxiv != arxiv_id:
            clear.append({"b_id": pid})  # free the unique arXiv id before another takes it
        updates.append(
            {"b_id": pid, "arxiv_id": new_arxiv, "doi": new_doi, "field_sources": new_sources}
        )
    conn = s.connection()
    if clear:
        conn.execute(
            papers.update().where(papers.c.id == bindparam("b_id")).values(arxiv_id=None), clear
        )
    if updates:
        conn.execute(
            papers.update()
            .where(papers.c.id == bindparam("b_id"))
            .values(
                arxiv_id=bindparam("arxiv_id"),
                doi=bindparam("doi"),
                field_sources=bindparam("field_sources"),
            ),
            updates,
        )
    # ORM objects of these papers in the session now hold stale copies: reload them.
    for obj in list(s.identity_map.values()):
        if isinstance(obj, Paper) and obj.id in current:
            s.expire(obj, ["arxiv_id", "doi", "field_sources"])
