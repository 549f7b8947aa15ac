"""Adding papers by identifier: what ``catalog add`` and the web's planning forms both call.

Every ref is parsed before anything is asked or stored (one bad ref refuses the whole
call, naming it and the accepted forms): arXiv ids in any form, DOIs (``doi:``, bare,
doi.org and publisher page URLs), OpenReview, PMLR, NeurIPS, ACL Anthology and DBLP ids
and page URLs (:func:`catalog.sources.ids.parse_identifier`). Then:

* arXiv ids come from the local arXiv index (``catalog harvest``) when it has the paper
  at least as new as the catalog does, with no request; the others from arXiv's API, in
  one request per batch (``online=True`` asks arXiv for every one);
* every other identifier is asked of the first enabled source that can fetch it
  (:meth:`catalog.sources.Sources.fetchers_for`), one ``fetch`` call per source for all
  of its identifiers (batched where the API allows), the next source when it does not
  know one;
* everything found is stored in one transaction, arXiv's records first, so a published
  record (Crossref, OpenReview, a proceedings page) lands on the arXiv paper it is the
  published version of (:func:`catalog.store.works.store_work`): adding a paper by its
  arXiv id, its DOI and its OpenReview link gives one paper with three identifiers;
* with a session, each paper (or, ``together``, all of them) becomes a talk, and only
  when every ref was found, so a failed add never leaves half a plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from catalog.errors import CatalogError, SourceConfigError
from catalog.records import ArxivRecord, Identifier, WorkRecord
from catalog.store.catalog import Catalog
from catalog.store.planning import TalkResult

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as DbSession

    from catalog.index.store import ArxivIndex
    from catalog.sources import Sources

__all__ = ["AddResult", "AddedPaper", "InvalidIds", "add_papers", "label", "parse_refs"]

# How a missing identifier is reported, by the source that did not know it.
_SOURCE_LABELS = {
    "arxiv": "arXiv", "crossref": "Crossref", "dblp": "DBLP", "openreview": "OpenReview",
}  # fmt: skip
_SITE_LABELS = {"pmlr": "PMLR", "neurips": "NeurIPS", "acl": "the ACL Anthology"}
# What each scheme is called when no enabled source can fetch it.
_SCHEME_NOUNS = {
    "arxiv": ("arXiv ids", "arxiv"), "doi": ("DOIs", "crossref"),
    "openreview": ("OpenReview ids", "openreview"), "dblp": ("DBLP keys", "dblp"),
    "pmlr": ("PMLR ids", "proceedings"), "neurips": ("NeurIPS ids", "proceedings"),
    "acl": ("ACL Anthology ids", "proceedings"),
}  # fmt: skip


class InvalidIds(CatalogError):
    """Some of the refs given are no identifier at all; ``messages`` has one line per
    bad ref, naming it, what is wrong and the accepted forms."""

    exit_code = 2

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class AddedPaper:
    """One ref, stored. ``source``: where the record came from ("arxiv", "arxiv index",
    "crossref", "openreview", ...). ``status``: "added" (a new paper), "updated" or
    "unchanged". ``merged``: papers that turned out to be this one (now gone);
    ``identifiers_added``: identifiers the paper did not have before."""

    ref: str  # the identifier as shown: "1611.00712", "doi:10.1038/nature20101"
    paper_id: int
    status: str
    title: str
    source: str
    arxiv_id: str | None = None
    version: int | None = None  # the arXiv version stored
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    merged: list[int] = field(default_factory=list)
    identifiers_added: list[str] = field(default_factory=list)
    note: str | None = None  # e.g. an identifier left with another paper, and why

    @property
    def shown(self) -> str:
        """The ref with the arXiv version stored: "1611.00712v3"."""
        if self.arxiv_id and self.version and self.ref == self.arxiv_id:
            return f"{self.arxiv_id}v{self.version}"
        return self.ref


@dataclass
class AddResult:
    """What :func:`add_papers` did: refs stored, refs that failed (and why), talks made.

    ``unreachable`` lists the refs of ``problems`` whose source could not answer after
    its retries (exit 3); the others were not found, or were refused (exit 1)."""

    stored: list[AddedPaper] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (ref, why)
    unreachable: list[str] = field(default_factory=list)
    talks: list[TalkResult] = field(default_factory=list)
    requests: int = 0  # HTTP requests made to sources

    @property
    def exit_code(self) -> int:
        """0: all stored; 1: some not found or refused; 3: a source could not answer."""
        if self.unreachable:
            return 3
        return 1 if self.problems else 0


def label(ident: Identifier) -> str:
    """An identifier as add reports it: an arXiv id bare, the others ``scheme:value``."""
    return ident.value if ident.scheme == "arxiv" else str(ident)


def parse_refs(refs: Sequence[str]) -> list[Identifier]:
    """Every ref parsed, each identifier once, in the order given;
    :class:`InvalidIds` naming each ref that is none (nothing is asked or stored)."""
    from catalog.errors import InvalidIdentifier
    from catalog.sources.ids import parse_identifier

    parsed: list[Identifier] = []
    bad: list[str] = []
    for text in refs:
        try:
            parsed.append(parse_identifier(text))
        except InvalidIdentifier as exc:
            bad.append(str(exc))
    if bad:
        raise InvalidIds(bad)
    if not parsed:
        raise CatalogError("no paper id given")
    return list(dict.fromkeys(parsed))


@dataclass
class _Fetched:
    """What the sources gave, before anything is stored."""

    arxiv: dict[str, tuple[ArxivRecord, str]] = field(default_factory=dict)  # id -> (rec, source)
    works: dict[Identifier, WorkRecord] = field(default_factory=dict)
    problems: dict[Identifier, str] = field(default_factory=dict)
    unreachable: set[Identifier] = field(default_factory=set)
    requests: int = 0


def add_papers(
    catalog: Catalog,
    refs: Sequence[str],
    *,
    session: str | None = None,
    presenter: str | None = None,
    slides: str | None = None,
    together: bool = False,
    online: bool = False,
    sources: Sources | None = None,
) -> AddResult:
    """Fetch the papers ``refs`` names and store them; with ``session``, add them to it as
    talks (one each, or one for all with ``together``).

    Raises :class:`InvalidIds` (nothing asked, nothing stored) when any ref is no
    identifier; :class:`~catalog.errors.SourceConfigError` (before any request) when no
    enabled source (``CATALOG_SOURCES``) can fetch one of them; NotFound for an unknown
    session (before anything is asked). Refs no source knows, refs a source could not
    answer for and records the store refuses are in ``problems``; then no talk is added.
    ``online`` asks arXiv even for papers the local arXiv index has. ``sources`` (for
    tests and callers that hold them open) defaults to :func:`catalog.sources.enabled_sources`.
    """
    idents = parse_refs(refs)
    if session is None and (presenter or slides or together):
        raise CatalogError("a presenter, slides or 'together' go with a session")
    if session is not None:
        from catalog.store.planning import get_session

        get_session(catalog, session)  # a mistyped slug fails before anything is asked

    fetched = _Fetched()
    remote = list(idents)
    if not online:
        remote = _from_index(catalog, idents, fetched)
    if remote:
        from catalog.sources import enabled_sources

        own = sources is None
        open_sources = enabled_sources() if sources is None else sources
        try:
            _fetch(open_sources, remote, fetched)
        finally:
            if own:
                open_sources.close()

    result = _store(catalog, idents, fetched)
    if session is not None and not result.problems:
        from catalog.store.planning import add_talk

        order = _talk_refs(catalog, idents)
        groups = [order] if together else [[ref] for ref in order]
        result.talks = [
            add_talk(catalog, session, group, presenter=presenter, slides=slides)
            for group in groups
        ]
    return result


# -- the local arXiv index -----------------------------------------------------------------


def _from_index(catalog: Catalog, idents: Sequence[Identifier], out: _Fetched) -> list[Identifier]:
    """Take the arXiv papers the local index has, at least as new as the catalog's copy,
    into ``out``; the identifiers left to ask a source for."""
    wanted = [i.value for i in idents if i.scheme == "arxiv"]
    if not wanted:
        return list(idents)
    index = _open_index(catalog)
    if index is None:
        return list(idents)
    with index:
        found = index.get_many(wanted)
    if not found:
        return list(idents)
    stored = catalog.papers_by_identifier([Identifier("arxiv", i) for i in found])
    for arxiv_id, record in found.items():
        paper = stored.get(Identifier("arxiv", arxiv_id))
        if paper is not None and (paper.version or 0) > record.version:
            continue  # the catalog has a newer version than the index: ask arXiv
        try:
            out.arxiv[arxiv_id] = (record.to_arxiv_record(), "arxiv index")
        except ValueError:  # no version date: the index cannot stand in for arXiv
            continue
    return [i for i in idents if not (i.scheme == "arxiv" and i.value in out.arxiv)]


def _open_index(catalog: Catalog) -> ArxivIndex | None:
    from catalog.index.store import ArxivIndex

    url = catalog.engine.url.render_as_string(hide_password=False)
    return ArxivIndex.open_existing(url)


# -- asking the sources --------------------------------------------------------------------


def _fetch(sources: Sources, idents: Sequence[Identifier], out: _Fetched) -> None:
    """Ask each source for the identifiers it is first (then next) to know, one fetch
    call per source and round. A source that does not know one passes it on; a source
    that cannot answer is the reason given."""
    arxiv = sources.get("arxiv")  # arXiv ids go to its own client: versions, categories
    arxiv_ids = [i for i in idents if i.scheme == "arxiv"]
    todo = {i: sources.fetchers_for(i) for i in idents if i.scheme != "arxiv"}
    orphans = [i for i in arxiv_ids if arxiv is None] + [i for i, plan in todo.items() if not plan]
    if orphans:
        raise SourceConfigError(_no_source(orphans, sources))
    if arxiv_ids:
        _fetch_arxiv(arxiv, arxiv_ids, out)
    tried: dict[Identifier, list[str]] = {}
    while todo:
        by_source: dict[str, list[Identifier]] = {}
        for ident, plan in todo.items():
            by_source.setdefault(plan[0].name, []).append(ident)
        for name, asked in by_source.items():
            outcome = todo[asked[0]][0].fetch(asked)
            out.requests += outcome.requests
            for ident in asked:
                plan = todo.pop(ident)[1:]
                tried.setdefault(ident, []).append(_where(name, ident))
                if ident in outcome.records:
                    out.works[ident] = _carrying(outcome.records[ident], ident)
                elif ident in outcome.failed:
                    out.problems[ident] = outcome.failed[ident]
                    out.unreachable.add(ident)
                elif plan:
                    todo[ident] = plan
                else:
                    out.problems[ident] = f"not found at {' or '.join(tried[ident])}"


def _fetch_arxiv(source: Any, idents: Sequence[Identifier], out: _Fetched) -> None:
    client = source.client
    for batch in client.iter_batches([i.value for i in idents]):
        out.requests += batch.requests
        for arxiv_id in batch.ids:
            ident = Identifier("arxiv", arxiv_id)
            if batch.failure is not None:
                out.problems[ident] = (
                    f"arXiv could not be reached at {client.base_url}: {batch.failure}"
                )
                out.unreachable.add(ident)
            elif arxiv_id in batch.records:
                out.arxiv[arxiv_id] = (batch.records[arxiv_id], "arxiv")
            elif arxiv_id in batch.errors:
                out.problems[ident] = f"arXiv: {batch.errors[arxiv_id]}"
            else:
                out.problems[ident] = "not found on arXiv"


def _where(source: str, ident: Identifier) -> str:
    if source == "proceedings":
        return _SITE_LABELS.get(ident.scheme, "its proceedings site")
    return _SOURCE_LABELS.get(source, source)


def _carrying(rec: WorkRecord, ident: Identifier) -> WorkRecord:
    """``rec`` with the identifier it was fetched by among its own (a legacy NeurIPS
    number's page names only the paper's hash id): the paper is found by it afterwards."""
    if ident in rec.identifiers:
        return rec
    return replace(rec, identifiers=(ident, *rec.identifiers))


def _no_source(orphans: Sequence[Identifier], sources: Sources) -> str:
    schemes = list(dict.fromkeys(i.scheme for i in orphans))
    nouns = [_SCHEME_NOUNS.get(s, (f"{s} ids", s)) for s in schemes]
    needed = ", ".join(dict.fromkeys(name for _, name in nouns))
    return (
        f"no enabled source fetches {' or '.join(noun for noun, _ in nouns)} "
        f"({', '.join(label(i) for i in orphans)}); CATALOG_SOURCES enables "
        f"{', '.join(sources.names) or 'none'}: add {needed} to it, or unset it for all"
    )


# -- storing ----------------------------------------------------------------------------------


def _store(catalog: Catalog, idents: Sequence[Identifier], fetched: _Fetched) -> AddResult:
    """Store every record found in one transaction, arXiv's first; one entry per ref."""
    from catalog.store.catalog import ensure_authors, upsert_arxiv_record
    from catalog.store.works import store_work

    arxiv_order = sorted(fetched.arxiv)  # every writer locks papers in arXiv id order
    works = [(i, rec) for i, rec in fetched.works.items()]

    def work(s: DbSession) -> tuple[dict[str, Any], dict[Identifier, Any]]:
        names = {n for rec, _ in fetched.arxiv.values() for n in rec.authors}
        ensure_authors(s, sorted(names))
        done_arxiv = {i: upsert_arxiv_record(s, fetched.arxiv[i][0]) for i in arxiv_order}
        done_works = {ident: store_work(s, rec) for ident, rec in works}
        return done_arxiv, done_works

    done_arxiv, done_works = catalog.write(work) if (arxiv_order or works) else ({}, {})
    result = AddResult(requests=fetched.requests)
    gone: dict[int, int] = {}  # merged paper -> the paper it became
    for ident in idents:
        ref = label(ident)
        if ident in fetched.problems:
            result.problems.append((ref, fetched.problems[ident]))
            if ident in fetched.unreachable:
                result.unreachable.append(ref)
        elif ident.scheme == "arxiv" and ident.value in done_arxiv:
            up = done_arxiv[ident.value]
            rec, source = fetched.arxiv[ident.value]
            for old in up.merged:
                gone[old] = up.paper_id
            result.stored.append(
                AddedPaper(
                    ref,
                    up.paper_id,
                    up.status,
                    rec.title,
                    source,
                    rec.arxiv_id,
                    version=rec.version,
                    changes=up.changes,
                    merged=list(up.merged),
                )
            )
        elif ident in done_works:
            res = done_works[ident]
            work_rec = fetched.works[ident]
            if res.status == "refused":
                result.problems.append((ref, f"{res.reason}; nothing stored"))
                continue
            for merge in res.merged:
                gone[merge.gone] = merge.kept
            note = None
            if res.taken:
                taken = ", ".join(str(i) for i in res.taken)
                note = f"{taken} stays with another paper: {res.reason or 'it is another paper'}"
            result.stored.append(
                AddedPaper(
                    ref,
                    res.paper_id,
                    res.status,
                    work_rec.title,
                    work_rec.source,
                    changes=res.changes,
                    merged=[m.gone for m in res.merged],
                    identifiers_added=[str(i) for i in res.identifiers_added],
                    note=note,
                )
            )
    for added in result.stored:  # a later record may have merged an earlier paper away
        while added.paper_id in gone:
            added.paper_id = gone[added.paper_id]
    return result


def _talk_refs(catalog: Catalog, idents: Sequence[Identifier]) -> list[str]:
    """A ref per paper the identifiers name, in the order given, each paper once (two
    refs of one paper make one talk)."""
    owners = catalog.papers_by_identifier(list(idents))
    refs: dict[int, str] = {}
    for ident in idents:
        paper = owners.get(ident)
        if paper is not None:
            refs.setdefault(paper.id, label(ident))
    return list(refs.values())
