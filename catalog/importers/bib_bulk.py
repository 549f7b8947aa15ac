"""Storing a batch of .bib entries in a few statements (``catalog import refs.bib``).

:func:`catalog.importers.bib_store.merge_entry` states what storing one entry does;
:func:`store_batch` does the same for thousands at once, with the same result. Per
batch it reads what the catalog holds about the batch's entries in a few statements
(the papers owning their identifiers, having their URL keys or title keys or citation
keys; those papers' identifiers, authors and .bib abstracts), replays ``merge_entry``
entry by entry on that copy in memory, and writes what changed: new papers, changed
columns, author lists, abstracts, identifier rows. The copy is updated by every entry,
so an entry matches a paper an earlier entry of the same batch added or changed, as it
would one at a time; papers outside the copy cannot match any entry of the batch (the
copy holds every paper any of its keys reaches, and an entry only adds its own keys).

An entry that changes nothing (a re-import of an unchanged file) writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Table, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as DbSession

from catalog.importers.bib import Unchanged
from catalog.records import Identifier, PaperView
from catalog.store.catalog import utcnow
from catalog.store.identifiers import (
    ALIAS_SCHEME,
    EXCLUSIVE,
    new_paper_columns,
    refresh_id_columns,
)
from catalog.store.models import Abstract, Author, Paper, PaperAuthor, PaperIdentifier
from catalog.store.provenance import may_set, rank
from catalog.store.search import FTS_TITLE_TABLE, bulk_index
from catalog.text import title_key, url_key

__all__ = ["RawRows", "store_batch"]

_CHUNK = 500
# Columns merge_entry may change on a paper that exists.
_MERGED = ("title", "title_key", "published", "url", "url_key", "journal_ref", "venue",
           "entry_type", "extra_fields", "field_sources", "citation_key")  # fmt: skip
# Ids of papers this batch adds, until they are inserted: above every real id, in the
# order they were made (the order the database gives them ids in).
_NEW = 1 << 62


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


@dataclass
class _Entry:
    view: PaperView
    idents: list[Identifier]
    kind: str
    url_key: str | None
    title_key: str | None  # only when it may be matched by title
    folded: str  # title_key(view.title), computed once


@dataclass
class _State:
    """What the catalog holds about one batch's entries, kept current as they are applied."""

    papers: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> columns
    owners: dict[Identifier, int] = field(default_factory=dict)
    by_url: dict[str, list[int]] = field(default_factory=dict)  # ordered by id
    by_title: dict[str, list[int]] = field(default_factory=dict)  # papers typed "paper"
    held: dict[int, list[Identifier]] = field(default_factory=dict)  # no aliases
    sources: dict[Identifier, str | None] = field(default_factory=dict)  # identifier rows
    keys: dict[str, int] = field(default_factory=dict)  # citation key or alias -> paper
    authors: dict[int, list[str]] = field(default_factory=dict)
    abstracts: dict[tuple[int, str], str] = field(default_factory=dict)  # (paper, ref)
    had_abstracts: set[tuple[int, str]] = field(default_factory=set)  # in the database
    # What to write.
    new: list[int] = field(default_factory=list)
    changed: set[int] = field(default_factory=set)
    new_authors: dict[int, list[str]] = field(default_factory=dict)
    new_abstracts: dict[tuple[int, str], str] = field(default_factory=dict)
    # Identifier rows to insert, in the order one entry at a time inserts them.
    rows: list[tuple[int, Identifier]] = field(default_factory=list)
    confirm: dict[Identifier, str] = field(default_factory=dict)  # a stronger source
    # What skipping an unchanged entry must check (bib_digests): the papers that existed
    # and were written, the title and URL keys papers took (key -> those papers), and
    # the last entry that reached each paper.
    dirty: set[int] = field(default_factory=set)
    dirty_titles: dict[str, set[int]] = field(default_factory=dict)
    dirty_urls: dict[str, set[int]] = field(default_factory=dict)
    last: dict[int, int] = field(default_factory=dict)  # paper -> entry index
    applied: int = 0  # the paper the last entry applied went into


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _load(s: DbSession, entries: Sequence[_Entry]) -> _State:
    state = _State()
    papers, idents_t = _table(Paper), _table(PaperIdentifier)
    raw = RawRows(s)
    all_idents = list({i: None for e in entries for i in e.idents})
    state.owners = _owners(raw, all_idents)
    wanted: set[int] = set(state.owners.values())
    urls = sorted({e.url_key for e in entries if e.url_key})
    titles = sorted({e.title_key for e in entries if e.title_key})
    for column, values in (("url_key", urls), ("title_key", titles)):
        for chunk in _chunks(values):
            where, params = raw.within(column, chunk)
            found = raw.execute(f"SELECT id FROM paper WHERE {where}", params)
            wanted.update(pid for (pid,) in found)
    keys = sorted({e.view.citation_key for e in entries if e.view.citation_key})
    for chunk in _chunks(keys):
        where, params = raw.within("citation_key", chunk)
        sql = f"SELECT citation_key, id FROM paper WHERE {where}"
        state.keys.update(dict(raw.execute(sql, params)))
    aliases = _owners(raw, [Identifier(ALIAS_SCHEME, k) for k in keys])
    for alias, pid in aliases.items():
        state.keys.setdefault(alias.value, pid)
    ids = sorted(wanted)
    stmt: Any
    for chunk in _chunks(ids):
        for row in s.execute(sa_select(papers).where(papers.c.id.in_(chunk))):
            _index(state, dict(row._mapping))
        stmt = sa_select(
            idents_t.c.paper_id, idents_t.c.scheme, idents_t.c.value, idents_t.c.source
        ).where(idents_t.c.paper_id.in_(chunk))
        for pid, scheme, value, source in s.execute(stmt):
            ident = Identifier(scheme, value)
            state.sources[ident] = source
            if scheme != ALIAS_SCHEME:
                state.held.setdefault(pid, []).append(ident)
        authors_t, links_t = _table(Author), _table(PaperAuthor)
        stmt = (
            sa_select(links_t.c.paper_id, authors_t.c.name)
            .join(authors_t, authors_t.c.id == links_t.c.author_id)
            .where(links_t.c.paper_id.in_(chunk))
            .order_by(links_t.c.paper_id, links_t.c.position)
        )
        for pid, name in s.execute(stmt):
            state.authors.setdefault(pid, []).append(name)
        abstracts_t = _table(Abstract)
        stmt = sa_select(
            abstracts_t.c.paper_id, abstracts_t.c.source_ref, abstracts_t.c.text
        ).where(abstracts_t.c.paper_id.in_(chunk), abstracts_t.c.source == "bib")
        for pid, ref, text in s.execute(stmt):
            state.abstracts[(pid, ref)] = text
    state.had_abstracts = set(state.abstracts)
    # An arXiv id found through the paper's column, whose row is missing, has no source.
    for ident in state.owners:
        state.sources.setdefault(ident, None)
    return state


def _owners(raw: RawRows, idents: Sequence[Identifier]) -> dict[Identifier, int]:
    """catalog.store.identifiers.papers_by_identifier, as plain statements (arXiv ids
    looked up in ``paper.arxiv_id``, their exact copy)."""
    by_scheme: dict[str, set[str]] = {}
    for ident in idents:
        by_scheme.setdefault(ident.scheme, set()).add(ident.value)
    found: dict[Identifier, int] = {}
    for scheme, values in sorted(by_scheme.items()):
        for chunk in _chunks(sorted(values)):
            if scheme == "arxiv":
                where, params = raw.within("arxiv_id", chunk)
                rows = raw.execute(f"SELECT arxiv_id, id FROM paper WHERE {where}", params)
            else:
                where, params = raw.within("value", chunk)
                sql = f"SELECT value, paper_id FROM paper_identifier WHERE scheme = ? AND {where}"
                rows = raw.execute(sql, [scheme, *params])
            found.update({Identifier(scheme, v): pid for v, pid in rows})
    return found


def _index(state: _State, row: dict[str, Any]) -> None:
    pid = row["id"]
    state.papers[pid] = row
    if row["url_key"]:
        _insert_sorted(state.by_url.setdefault(row["url_key"], []), pid)
    if row["item_type"] == "paper":
        _insert_sorted(state.by_title.setdefault(row["title_key"], []), pid)


def _insert_sorted(ids: list[int], pid: int) -> None:
    if pid not in ids:
        ids.append(pid)
        ids.sort()


def _clash(held: Sequence[Identifier], idents: Sequence[Identifier]) -> bool:
    """Whether the two hold different values of an exclusive scheme (cannot be one paper)."""
    for scheme in EXCLUSIVE:
        mine = {i.value for i in held if i.scheme == scheme}
        theirs = {i.value for i in idents if i.scheme == scheme}
        if mine and theirs and mine != theirs:
            return True
    return False


def _find(state: _State, e: _Entry) -> int | None:
    """find_paper_for on the copy."""
    owners = {i: state.owners[i] for i in e.idents if i in state.owners}
    for ident in sorted(
        owners, key=lambda i: (i.scheme not in ("arxiv", "pmlr", "acl"), e.idents.index(i))
    ):
        if not _clash(state.held.get(owners[ident], []), e.idents):
            return owners[ident]
    if e.url_key:
        for pid in state.by_url.get(e.url_key, []):
            if not _clash(state.held.get(pid, []), e.idents):
                return pid
    if not e.title_key:
        return None
    dois = {i.value for i in e.idents if i.scheme == "doi"}
    for pid in state.by_title.get(e.title_key, [])[:20]:
        theirs = state.held.get(pid, [])
        their_dois = {i.value for i in theirs if i.scheme == "doi"}
        if dois and their_dois and not dois & their_dois:
            continue
        if not _clash(theirs, e.idents):
            return pid
    return None


def _apply(state: _State, e: _Entry) -> tuple[str, str]:
    """merge_entry on the copy; (status, citation key)."""
    view = e.view
    pid = _find(state, e)
    status = "merged"
    if pid is None:
        status = "added"
        pid = _NEW + len(state.new)
        state.new.append(pid)
        row: dict[str, Any] = {
            "id": pid, "title": view.title, "title_key": e.folded,
            "categories": [], "extra_fields": {}, "field_sources": {}, "item_type": e.kind,
            "sync_source": "bib", "created_at": utcnow(), "url": None, "url_key": None,
            "published": None, "journal_ref": None, "venue": None, "entry_type": None,
            "citation_key": None,
        }  # fmt: skip
        _index(state, row)
    paper = state.papers[pid]
    before = {name: paper[name] for name in _MERGED}
    written = (len(state.rows), len(state.new_authors), len(state.new_abstracts))
    sources = dict(paper["field_sources"] or {})
    if view.title and may_set("title", sources.get("title"), "bib"):
        _retitle(state, paper, view.title, e.folded)
        sources["title"] = "bib"
    dated = may_set("published", sources.get("published"), "bib")
    if view.published and paper["published"] is None and dated:
        p = view.published
        paper["published"] = datetime(p.year, p.month, p.day, tzinfo=UTC)
        sources["published"] = "bib"
    if view.url and not paper["url"] and may_set("url", sources.get("url"), "bib"):
        paper["url"] = view.url
        sources["url"] = "bib"
    _rekey_url(state, paper, url_key(paper["url"]))
    paper["journal_ref"] = paper["journal_ref"] or view.journal_ref
    if view.venue and not paper["venue"] and may_set("venue", sources.get("venue"), "bib"):
        paper["venue"] = view.venue
        sources["venue"] = "bib"
    paper["entry_type"] = paper["entry_type"] or view.entry_type
    extra = dict(view.extra_fields)
    if view.doi and not any(i.scheme == "doi" for i in e.idents) and not view.arxiv_id:
        extra["doi"] = view.doi
    paper["extra_fields"] = {**extra, **(paper["extra_fields"] or {})}
    set_authors_now = bool(view.authors) and may_set("authors", sources.get("authors"), "bib")
    if set_authors_now:
        sources["authors"] = "bib"
    paper["field_sources"] = sources
    key = view.citation_key
    if key and paper["citation_key"] is None and state.keys.get(key, pid) == pid:
        paper["citation_key"] = key
        state.keys[key] = pid
    if pid < _NEW and any(paper[name] != before[name] for name in _MERGED):
        state.changed.add(pid)
    if set_authors_now:
        names = [n for n in dict.fromkeys(view.authors) if n]
        if state.authors.get(pid, []) != names:
            state.authors[pid] = state.new_authors[pid] = names
    if view.abstract:
        ref = (pid, view.citation_key or "")
        if state.abstracts.get(ref) != view.abstract:
            state.abstracts[ref] = state.new_abstracts[ref] = view.abstract
    _attach(state, pid, e.idents)
    state.applied = pid
    if pid < _NEW:
        after = (len(state.rows), len(state.new_authors), len(state.new_abstracts))
        if pid in state.changed or after != written:
            state.dirty.add(pid)  # (_attach marks a paper whose identifier it confirmed)
        if paper["title_key"] != before["title_key"]:
            state.dirty_titles.setdefault(paper["title_key"], set()).add(pid)
        if paper["url_key"] != before["url_key"] and paper["url_key"]:
            state.dirty_urls.setdefault(paper["url_key"], set()).add(pid)
    return status, paper["citation_key"] or key or ""


def _retitle(state: _State, paper: dict[str, Any], title: str, new_key: str) -> None:
    if paper["item_type"] == "paper" and new_key != paper["title_key"]:
        old = state.by_title.get(paper["title_key"], [])
        if paper["id"] in old:
            old.remove(paper["id"])
        _insert_sorted(state.by_title.setdefault(new_key, []), paper["id"])
    paper["title"], paper["title_key"] = title, new_key


def _rekey_url(state: _State, paper: dict[str, Any], new_key: str | None) -> None:
    if new_key == paper["url_key"]:
        return
    if paper["url_key"] and paper["id"] in state.by_url.get(paper["url_key"], []):
        state.by_url[paper["url_key"]].remove(paper["id"])
    if new_key:
        _insert_sorted(state.by_url.setdefault(new_key, []), paper["id"])
    paper["url_key"] = new_key


def _attach(state: _State, pid: int, idents: Sequence[Identifier]) -> None:
    """attach_identifiers on the copy (the entry's identifiers, source "bib")."""
    held = state.held.setdefault(pid, [])
    new: list[Identifier] = []
    for ident in idents:
        owner = state.owners.get(ident)
        if owner == pid:
            current = state.sources.get(ident)
            if current is None and ident.scheme == "arxiv":  # only the column had it
                state.rows.append((pid, ident))
                state.sources[ident] = "bib"
            elif rank(_rank_field(ident), "bib") > rank(_rank_field(ident), current):
                state.confirm[ident] = "bib"
                state.sources[ident] = "bib"
                if pid < _NEW:
                    state.dirty.add(pid)
            continue
        if owner is not None:
            continue  # another paper's
        values = {i.value for i in held if i.scheme == ident.scheme}
        if ident.scheme in EXCLUSIVE and values and ident.value not in values:
            continue  # a second arXiv (PMLR, ACL) id: refused
        state.owners[ident] = pid
        state.sources[ident] = "bib"
        held.append(ident)
        new.append(ident)
    # attach_many inserts an entry's new rows sorted (after confirming the others).
    state.rows += [(pid, ident) for ident in sorted(new, key=lambda i: (i.scheme, i.value))]


def _rank_field(ident: Identifier) -> str:
    return "doi" if ident.scheme == "doi" else "title"


def _write(s: DbSession, state: _State) -> dict[int, int]:
    """Write what the batch changed: papers first (in the order they were made, so
    they get their ids as one at a time would), then what hangs off them. Returns the
    new papers' ids (placeholder -> id)."""
    papers = _table(Paper)
    raw = RawRows(s)
    real: dict[int, int] = {}
    if state.new:
        # A new paper's copied columns are known now: its identifier rows are the ones
        # this batch makes for it, in this order (refresh_id_columns would then rewrite
        # every new paper with an UPDATE; it is left the papers that existed).
        new_idents: dict[int, list[Identifier]] = {}
        for pid, ident in state.rows:
            if pid >= _NEW:
                new_idents.setdefault(pid, []).append(ident)
        rows = []
        for pid in state.new:
            row = state.papers[pid]
            copies = new_paper_columns(new_idents.get(pid, []), "bib")
            sources = dict(row["field_sources"])
            if copies["doi_source"]:
                sources["doi"] = copies["doi_source"]
            else:
                sources.pop("doi", None)
            values = {**row, "arxiv_id": copies["arxiv_id"], "doi": copies["doi"]}
            values["field_sources"] = sources
            rows.append(values)
        real = dict(zip(state.new, raw.insert_papers(s, rows), strict=True))

    def rid(pid: int) -> int:
        return real.get(pid, pid)

    if state.changed:
        updates = [
            {"b_id": pid, **{name: state.papers[pid][name] for name in _MERGED}}
            for pid in sorted(state.changed)
        ]
        s.connection().execute(
            papers.update()
            .where(papers.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in _MERGED}),
            updates,
        )
    if state.new_authors:
        names = [n for ns in state.new_authors.values() for n in ns]
        author_ids = raw.ensure_authors(names)
        old = sorted(rid(pid) for pid in state.new_authors if pid < _NEW)
        for chunk in _chunks(old):
            where, params = raw.within("paper_id", chunk)
            raw.execute(f"DELETE FROM paper_author WHERE {where}", params)
        links: list[tuple[int, int, int]] = []
        for pid, ns in state.new_authors.items():
            paper_id = rid(pid)
            links += [(paper_id, i, author_ids[name]) for i, name in enumerate(ns)]
        raw.insert("paper_author", ("paper_id", "position", "author_id"), links)
    if state.new_abstracts:
        abstracts = _table(Abstract)
        inserts: list[tuple[int, str, str, str]] = []
        changes: list[dict[str, Any]] = []
        for (pid, ref), text in state.new_abstracts.items():
            if (pid, ref) in state.had_abstracts:
                changes.append({"b_paper": rid(pid), "b_ref": ref, "text": text})
            else:
                inserts.append((rid(pid), "bib", ref, text))
        raw.insert(
            "abstract", ("paper_id", "source", "source_ref", "text"), inserts,
            "ON CONFLICT (paper_id, source, source_ref) DO NOTHING",
        )  # fmt: skip
        if changes:
            s.connection().execute(
                abstracts.update()
                .where(
                    abstracts.c.paper_id == bindparam("b_paper"),
                    abstracts.c.source == "bib",
                    abstracts.c.source_ref == bindparam("b_ref"),
                )
                .values(text=bindparam("text")),
                changes,
            )
    _write_identifiers(s, state, real, raw)
    return real


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


# New papers' columns (in this order in RawRows.insert_papers); the others are NULL (or
# their server default), as an ORM insert of these rows leaves them.
_NEW_COLUMNS = ("title", "title_key", "url", "url_key", "published", "categories", "doi",
                "journal_ref", "venue", "entry_type", "extra_fields", "citation_key",
                "sync_source", "created_at", "item_type", "field_sources", "arxiv_id")  # fmt: skip


class RawRows:
    """A batch's rows as plain tuples through the DBAPI cursor of the session's own
    connection (so inside its transaction): one prepared statement run for every row,
    without SQLAlchemy's per-row parameter handling (the bound of a first import).
    Values are given as SQLAlchemy's column types would bind them: JSON as text,
    datetimes in UTC, as SQLite's text form (PostgreSQL's driver takes them as they
    are); tests/test_import_bib_raw.py reads them back."""

    def __init__(self, s: DbSession) -> None:
        self._new_ids: list[int] = []
        self._staged: set[str] = set()  # temporary tables made (IF NOT EXISTS: per batch)
        conn = s.connection()
        self.pg = conn.dialect.name == "postgresql"
        driver = conn.connection.driver_connection
        assert driver is not None
        self.cursor = driver.cursor()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.pg else sql

    def many(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.cursor.executemany(self._sql(sql), rows)

    def within(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (?, ...)`` and its parameters; on PostgreSQL ``column = ANY(?)``
        with one array: one statement text whatever the count (psycopg parses a new
        statement's text in Python, a cost that grows with its placeholders)."""
        if self.pg:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({_marks(values)})", list(values)

    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], tail: str = ""
    ) -> None:
        """Insert rows (in this order: ids are given in it). SQLite: one prepared
        statement run for every row. PostgreSQL: COPY, straight into the table, or, for
        an ``ON CONFLICT`` ``tail``, into a temporary table of the transaction first and
        from there in one INSERT ... SELECT: a statement a row cost the server its
        parse, plan and round trip each, and psycopg its per-row pipeline."""
        if not rows:
            return
        names = ", ".join(columns)
        if not self.pg:
            self.many(f"INSERT INTO {table} ({names}) VALUES ({_marks(columns)}) {tail}", rows)
            return
        if not tail:
            self._copy(table, names, rows)
            return
        stage = f"bib_stage_{table}"
        if stage not in self._staged:
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS"
                f" SELECT 0 AS n, {names} FROM {table} WITH NO DATA"
            )
            self._staged.add(stage)
        self._copy(stage, f"n, {names}", [(n, *row) for n, row in enumerate(rows)])
        self.cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ORDER BY n {tail}"
        )
        self.cursor.execute(f"TRUNCATE {stage}")

    def _copy(self, table: str, names: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self.cursor.execute(self._sql(sql), tuple(params))
        return list(self.cursor.fetchall()) if self.cursor.description else []

    def stamp(self, value: datetime | None) -> Any:
        if value is None or self.pg:
            return value
        # The columns' UTCDateTime: in UTC, then SQLite DATETIME's text form (no zone).
        value = value.astimezone(UTC)
        return (
            f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
        )

    def insert_papers(self, s: DbSession, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert new papers (their :data:`_NEW_COLUMNS`); their ids, in order."""
        stamp = self.stamp
        tuples = [
            (r["title"], r["title_key"], r["url"], r["url_key"], stamp(r["published"]),
             _json(r["categories"]), r["doi"], r["journal_ref"], r["venue"], r["entry_type"],
             _json(r["extra_fields"]), r["citation_key"], r["sync_source"],
             stamp(r["created_at"]), r["item_type"], _json(r["field_sources"]), r["arxiv_id"])
            for r in rows
        ]  # fmt: skip
        if self.pg:
            # Their ids taken from the sequence first, in order (as their inserts one at
            # a time would take them), then the rows copied in with them.
            ids = [pid for (pid,) in self.execute(
                "SELECT nextval(pg_get_serial_sequence('paper', 'id'))"
                " FROM generate_series(1, ?) ORDER BY 1", [len(rows)]
            )]  # fmt: skip
            copied = [(pid, *t) for pid, t in zip(ids, tuples, strict=True)]
            self.insert("paper", ("id", *_NEW_COLUMNS), copied)
            return ids
        columns = ", ".join(_NEW_COLUMNS)
        with self._titles_indexed_after():
            self.many(f"INSERT INTO paper ({columns}) VALUES ({_marks(_NEW_COLUMNS)})", tuples)
            # SQLite would run RETURNING a row at a time. Its writer holds the database's
            # one write lock from the first write to the commit, and a rowid is one more
            # than the largest: the last len(rows) ids are these rows', in order.
            last = self.execute("SELECT id FROM paper ORDER BY id DESC LIMIT ?", [len(rows)])
            ids = sorted(pid for (pid,) in last)
            self._new_ids = ids
        return ids

    @contextmanager
    def _titles_indexed_after(self) -> Iterator[None]:
        """SQLite: the new papers' titles go into the title index (``paper_title_fts``,
        migration 0006) in one statement after their insert, not by its insert trigger
        a row at a time, which cost two thirds of the insert (1.5 s a 20,000 papers,
        the statement 0.08 s). The trigger is dropped and put back as it was inside
        the writer's transaction (SQLite's DDL is transactional), so no other
        connection ever sees the papers without it; the index ends the same."""
        found = self.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            [_TITLE_INSERT_TRIGGER],
        )
        if not found:
            yield
            return
        self._new_ids = []
        self.execute(f'DROP TRIGGER "{_TITLE_INSERT_TRIGGER}"')
        yield
        if self._new_ids:
            self.execute(
                f"INSERT INTO {FTS_TITLE_TABLE} (rowid, title)"
                " SELECT id, title FROM paper WHERE id BETWEEN ? AND ? ORDER BY id",
                [self._new_ids[0], self._new_ids[-1]],
            )
        self.execute(found[0][0])

    def ensure_authors(self, names: Sequence[str]) -> dict[str, int]:
        """catalog.store.catalog.ensure_authors, as tuples."""
        unique = list(dict.fromkeys(n for n in names if n))
        # Sorted: concurrent writers lock new names in one order (no deadlock on PostgreSQL).
        new = [(n,) for n in sorted(unique)]
        self.insert("author", ("name",), new, "ON CONFLICT (name) DO NOTHING")
        found: dict[str, int] = {}
        for chunk in _chunks(unique):
            where, params = self.within("name", chunk)
            found.update(self.execute(f"SELECT name, id FROM author WHERE {where}", params))
        return found


# The title index's insert trigger (migration 0006), set aside while papers are inserted.
_TITLE_INSERT_TRIGGER = f"{FTS_TITLE_TABLE}_ai"


def _json(value: Any) -> str:
    """A JSON column's text (read back as the same value SQLAlchemy's encoding gives)."""
    return orjson.dumps(value).decode()


def _write_identifiers(s: DbSession, state: _State, real: dict[int, int], raw: RawRows) -> None:
    idents_t = _table(PaperIdentifier)
    real_id = real.get

    def rid(pid: int) -> int:
        return real_id(pid, pid)

    now = raw.stamp(utcnow())
    raw.insert(
        "paper_identifier", ("paper_id", "scheme", "value", "source", "created_at"),
        [(real_id(pid, pid), i.scheme, i.value, "bib", now) for pid, i in state.rows],
        "ON CONFLICT (scheme, value) DO NOTHING",
    )  # fmt: skip
    if state.confirm:
        s.connection().execute(
            idents_t.update()
            .where(
                idents_t.c.scheme == bindparam("b_scheme"),
                idents_t.c.value == bindparam("b_value"),
            )
            .values(source=bindparam("source")),
            [{"b_scheme": i.scheme, "b_value": i.value, "source": src}
             for i, src in state.confirm.items()],
        )  # fmt: skip
    # New papers were inserted with their copies (_write); the others may need them.
    touched = {pid for pid, i in state.rows if i.scheme in ("arxiv", "doi") and pid < _NEW}
    touched |= {rid(state.owners[i]) for i in state.confirm}
    refresh_id_columns(s, touched)


# What a batch holds: a paper read (with its entry's digest, or None), or an entry the
# reader skipped unread (its digest was recorded).
Item = PaperView | tuple[PaperView, bytes | None] | Unchanged


def store_batch(
    s: DbSession,
    items: Sequence[Item],
    reread: Callable[[Unchanged], PaperView] | None = None,
) -> list[tuple[str, str]]:
    """Store .bib entries as merge_entry would one after another; (status, key) each.

    An :class:`Unchanged` entry is "unchanged" (nothing written) while its digest's row
    stands and no earlier entry of the batch wrote its paper, or took its paper's title
    or URL key; else ``reread`` reads it from its text and it is merged in its place
    (catalog/importers/bib_digests.py). Entries with a digest that may be skipped next
    time are recorded."""
    from catalog.importers import bib_digests

    views: dict[int, tuple[PaperView, bytes | None]] = {}
    skipped: dict[int, Unchanged] = {}
    for n, item in enumerate(items):
        if isinstance(item, Unchanged):
            skipped[n] = item
        elif isinstance(item, PaperView):
            views[n] = (item, None)
        else:
            views[n] = item
    valid = bib_digests.still_valid(s, [u.digest for u in skipped.values()]) if skipped else {}
    reread_digests: set[bytes] = set()

    def read_again(n: int) -> None:
        if reread is None:
            raise ValueError("an unchanged entry must be read again, and no reader is given")
        u = skipped.pop(n)
        views[n] = (reread(u), u.digest)
        reread_digests.add(u.digest)

    for n in [n for n, u in skipped.items() if u.digest not in valid]:
        read_again(n)
    s.flush()
    while True:  # until no skipped entry's paper is written by an earlier entry
        order = sorted(views)
        entries = {n: _entry(views[n][0]) for n in order}
        state = _load(s, list(entries.values()))
        results: dict[int, tuple[str, str]] = {}
        paper_of: dict[int, int] = {}
        again: list[int] = []
        for n in range(len(items)):
            if n in skipped:
                pid, key, tkey, ukey = valid[skipped[n].digest]
                if (
                    pid in state.dirty
                    or _taken(state.dirty_titles, tkey, pid)
                    or _taken(state.dirty_urls, ukey, pid)
                ):
                    again.append(n)
                results[n] = ("unchanged", key or skipped[n].key)
            else:
                results[n] = _apply(state, entries[n])
                paper_of[n] = state.applied
                state.last[state.applied] = n
        if not again:
            break
        for n in again:
            read_again(n)
    # Each paper indexed for search once, not per row; the digests of the papers
    # written forgotten once, as 0010's triggers would have one row at a time.
    with bulk_index(s) as touched, bib_digests.triggers_suspended(s):
        real = _write(s, state)
        written = [*state.new, *state.changed, *state.new_authors]
        written += [pid for pid, _ in state.new_abstracts]
        touched.update(real.get(pid, pid) for pid in written)
        bib_digests.forget_papers(s, state.dirty, state.dirty_titles, state.dirty_urls)
    keep: dict[bytes, tuple[int, str]] = {}
    for n in order:
        view, digest = views[n]
        pid = paper_of[n]
        if digest is not None and _recordable(state, entries[n], pid, n):
            keep[digest] = (real.get(pid, pid), view.citation_key or "")
    bib_digests.forget(s, reread_digests - set(keep))
    bib_digests.record(s, keep)
    return [results[n] for n in range(len(items))]


def _entry(view: PaperView) -> _Entry:
    from catalog.importers.bib_store import entry_identity

    idents, kind = entry_identity(view)
    if view.arxiv_id and Identifier("arxiv", view.arxiv_id) not in idents:
        idents.insert(0, Identifier("arxiv", view.arxiv_id))
    folded = title_key(view.title)
    tkey = folded if kind == "paper" and view.title else None
    return _Entry(view, idents, kind, url_key(view.url), tkey or None, folded)


def _taken(dirty: dict[str, set[int]], key: str | None, pid: int) -> bool:
    """Whether a paper other than ``pid`` took ``key`` in this batch."""
    return bool(key) and bool(dirty.get(key or "", set()) - {pid})


def _recordable(state: _State, e: _Entry, pid: int, n: int) -> bool:
    """Whether skipping this entry next time leaves the catalog as merging it would
    (the rules of catalog/importers/bib_digests.py)."""
    if state.last.get(pid) != n:
        return False  # a later entry of the batch reached the paper
    paper = state.papers[pid]
    if paper["citation_key"] is None:
        return False
    if e.idents:
        if not all(state.owners.get(i) == pid for i in e.idents):
            return False
    elif e.url_key:
        if paper["url_key"] != e.url_key:
            return False
    elif not e.title_key or paper["title_key"] != e.title_key:
        return False
    return not (
        _taken(state.dirty_titles, paper["title_key"], pid)
        or _taken(state.dirty_urls, paper["url_key"], pid)
    )
