"""Skipping what a re-import of a .bib file would not change (``bib_entry``, migration 0010).

After merging an entry, the store records its digest (catalog.importers.bib: a digest
of the entry's raw block text, the file's ``@string`` macros and the reader's version)
with the paper it went into. A later import hands every recorded digest to its reader,
which passes such an entry on unread; the store counts it "unchanged" instead of merging
it again, when merging it again would change nothing. That holds while:

* the paper is as the import left it: triggers (0010) delete a paper's rows whenever
  anything a merge reads of it changes, whichever code path writes (``catalog edit``,
  ``sync``, a post import, a merge of papers, deleting it), and within one batch the
  store checks what the batch's earlier entries wrote (bib_bulk);
* the entry was the last of its import to reach the paper, so the paper holds what it
  says last (a second entry for the same paper, later in the file, would have set the
  paper's fields after it: its own row stands, this one is not recorded, and is merged
  on every re-import: a no-op unless the two disagree, as a full merge would do);
* it would match the same paper again: every identifier it carries belongs to that
  paper (so it is found by them first), or, with none, the paper holds its URL key, or
  its title key when matched by title (a paper whose title or URL key changes to it
  clears the rows of the papers holding that key: it could be matched first);
* its key is the paper's, or the paper has another one (a key another paper held would
  be given to this one once freed).

An entry that fails any of these is not recorded, and is read and merged as before.
A skipped entry whose paper turns out to have changed (earlier in the same import) is
read from its text after all and merged in its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session as DbSession

from catalog.store.models import BibEntry, Paper

__all__ = [
    "forget",
    "forget_papers",
    "record",
    "still_valid",
    "stored_digests",
    "triggers_suspended",
]

_CHUNK = 500
# PostgreSQL: while this is 'on' in a transaction, 0010's triggers do nothing there.
IMPORTING = "catalog.bib_import"


def _table() -> Table:
    return BibEntry.__table__  # type: ignore[attr-defined,no-any-return]


def stored_digests(s: DbSession) -> dict[bytes, str]:
    """Every recorded digest and its entry's key (what the reader may skip)."""
    t = _table()
    return {bytes(d): k for d, k in s.execute(select(t.c.digest, t.c.entry_key))}


def still_valid(
    s: DbSession, digests: Sequence[bytes]
) -> dict[bytes, tuple[int, str | None, str | None, str | None]]:
    """The digests whose rows still stand: digest -> (paper id, its citation key,
    title key, URL key)."""
    t, p = _table(), Paper.__table__  # type: ignore[attr-defined]
    found: dict[bytes, tuple[int, str | None, str | None, str | None]] = {}
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        stmt = (
            select(t.c.digest, p.c.id, p.c.citation_key, p.c.title_key, p.c.url_key)
            .join(p, p.c.id == t.c.paper_id)
            .where(t.c.digest.in_(chunk))
        )
        for digest, pid, key, tkey, ukey in s.execute(stmt):
            found[bytes(digest)] = (pid, key, tkey, ukey)
    return found


def record(s: DbSession, rows: Mapping[bytes, tuple[int, str]]) -> None:
    """Record digests: digest -> (paper id, entry key); a recorded one is replaced."""
    if not rows:
        return
    t = _table()
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        # As tuples through the DBAPI cursor (in the session's transaction): a first
        # import records a digest a paper, and SQLAlchemy's per-row binding of dicts
        # cost as much as the rest of this batch's writes of them.
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.cursor().executemany(
            f"INSERT OR REPLACE INTO {t.name} (digest, paper_id, entry_key) VALUES (?, ?, ?)",
            [(d, pid, key) for d, (pid, key) in rows.items()],
        )
        return
    # PostgreSQL: COPY and one INSERT ... SELECT, not a statement a row.
    from catalog.importers.bib_bulk import RawRows

    RawRows(s).insert(
        t.name, ("digest", "paper_id", "entry_key"),
        [(d, pid, key) for d, (pid, key) in rows.items()],
        "ON CONFLICT (digest) DO UPDATE"
        " SET paper_id = excluded.paper_id, entry_key = excluded.entry_key",
    )  # fmt: skip


@contextmanager
def triggers_suspended(s: DbSession) -> Iterator[None]:
    """0010's triggers off for a batch's writes, whose papers the caller then forgets
    itself with :func:`forget_papers` (set-based, not a trigger program per row).

    * PostgreSQL: a transaction-local setting the triggers' WHEN reads; other
      transactions' writes fire them as usual.
    * SQLite: dropped and put back as they were, as ``bulk_index`` does with the search
      index's: the DDL is transactional and the writer holds the lock, so no other
      connection sees the database without them.
    """
    from sqlalchemy import text

    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT set_config(:name, 'on', true)"), {"name": IMPORTING})
        yield
        return
    rows = s.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    triggers = [(n, q) for n, q in rows if str(n).startswith("bib_entry_")]
    for name, _sql in triggers:
        s.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for _name, sql in triggers:
        s.execute(text(sql))


def forget_papers(
    s: DbSession, papers: Iterable[int], title_keys: Iterable[str], url_keys: Iterable[str]
) -> None:
    """What the triggers do for writes to these papers, at once: drop their rows, and
    those of the papers holding these title or URL keys (which other papers took)."""
    t, p = _table(), Paper.__table__  # type: ignore[attr-defined]
    for column, values in (
        (t.c.paper_id, sorted(papers)),
        (None, sorted(set(title_keys))),
        (False, sorted(set(url_keys))),
    ):
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            if column is None:
                where = t.c.paper_id.in_(select(p.c.id).where(p.c.title_key.in_(chunk)))
            elif column is False:
                where = t.c.paper_id.in_(select(p.c.id).where(p.c.url_key.in_(chunk)))
            else:
                where = t.c.paper_id.in_(chunk)
            s.execute(delete(t).where(where))


def forget(s: DbSession, digests: Iterable[bytes]) -> None:
    """Drop the rows of these digests (entries no longer to be skipped)."""
    t = _table()
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), _CHUNK):
        s.execute(delete(t).where(t.c.digest.in_(unique[start : start + _CHUNK])))
