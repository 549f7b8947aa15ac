"""The arXiv index's storage: :class:`ArxivIndex`, opened beside a catalog.

Where it lives and why: :mod:`catalog.index.schema`. Writes go through the driver
(executemany on SQLite, ``COPY`` into a staging table on PostgreSQL), not the ORM: a
million records is a bulk load, and ORM objects would cost more than the parsing.

* A record is upserted by arXiv id, and only replaces what is stored when its datestamp
  is not older (an old snapshot loaded after a harvest changes nothing).
* Versions are merged by number, never deleted: a source that knows less (the snapshot
  has no sizes, the arXiv format only v1's day) does not erase what arXivRaw said.
* Each OAI-PMH page and the harvest state that says where the list goes on (token,
  datestamps) are written in one transaction: a killed harvest resumes at the page after
  the last one stored, and no page is stored twice or lost.
* Writers take the index's own lock (SQLite's write lock on its own file; a PostgreSQL
  advisory lock of the index), so a harvest never holds up the group's catalog writes.
  A whole run holds :meth:`ArxivIndex.exclusive`, so two harvests cannot interleave.

Lookups (by id, by title, word search) are in :mod:`catalog.index.lookup` and offered
here as methods.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from catalog.errors import CatalogError
from catalog.gc_pause import fewer_collections
from catalog.index.fields import index_title_key
from catalog.index.record import IndexRecord

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from catalog.index.lookup import IndexHits

_PG_WRITE_LOCK = 0x0CA7A1D1  # one index writer at a time (not the catalog's lock)
_PG_RUN_LOCK = 0x0CA7A1D2  # one harvest or snapshot load at a time
_CHUNK = 500  # ids per IN (...) list
PAGES_AUTOMERGE = 16  # FTS5 segments of a level merged at once while harvesting pages

_RECORD_COLUMNS = (
    "arxiv_id", "title", "title_key", "authors", "abstract", "categories", "dois",
    "journal_ref", "comments", "version", "published", "updated", "datestamp", "deleted",
)  # fmt: skip
# The b-tree indexes of ix0001 that a first fill makes at its end (ArxivIndex.bulk_load).
_FILL_INDEXES = {
    f"ix_arxiv_record_{column}": f"CREATE INDEX ix_arxiv_record_{column} ON arxiv_record ({column})"
    for column in ("title_key", "datestamp")
}
# On PostgreSQL a first fill also goes without the full-text GIN index (ix0003).
_PG_FILL_INDEXES = {
    **_FILL_INDEXES,
    "ix_arxiv_text_tsv": "CREATE INDEX ix_arxiv_text_tsv ON arxiv_text USING gin (tsv)",
    "ix_arxiv_text_title": (  # ix0005: the title's words, for word search's title tier
        "CREATE INDEX ix_arxiv_text_title ON arxiv_text USING gin (ts_filter(tsv, '{a}'))"
    ),
}
# ... and without the foreign keys of the versions and the words to their records: checked
# row by row they cost a fifth of what the server spends on a record; the rows a first
# fill writes reference its own records by construction, and adding each key back at
# the end checks every row at once.
_PG_FILL_KEYS = {
    f"{table}_record_id_fkey": f"ALTER TABLE {table} ADD CONSTRAINT {table}_record_id_fkey"
    " FOREIGN KEY (record_id) REFERENCES arxiv_record (id) ON DELETE CASCADE"
    for table in ("arxiv_version", "arxiv_text")
}
_VERSION_COLUMNS = ("number", "date", "size_kb", "withdrawn")
_UPDATE_RECORD = ", ".join(f"{c} = excluded.{c}" for c in _RECORD_COLUMNS[1:])
# Only a record at least as new as the stored one replaces it.
_NOT_OLDER = (
    "excluded.datestamp IS NULL OR arxiv_record.datestamp IS NULL"
    " OR excluded.datestamp >= arxiv_record.datestamp"
)
_MERGE_VERSION = (
    "ON CONFLICT (record_id, number) DO UPDATE SET"
    " date = COALESCE(arxiv_version.date, excluded.date),"
    " size_kb = COALESCE(excluded.size_kb, arxiv_version.size_kb),"
    " withdrawn = COALESCE(excluded.withdrawn, arxiv_version.withdrawn)"
)


class IndexBusy(CatalogError):
    """Another harvest or snapshot load is writing the index."""

    exit_code = 3


@dataclass
class HarvestState:
    """One OAI-PMH set's harvest: the list under way (if any) and how far it is done."""

    set_spec: str  # "" for the whole archive
    prefix: str
    token: str | None = None
    list_from: date | None = None
    list_until: date | None = None
    list_max_datestamp: date | None = None
    list_ordered: bool = True  # every datestamp so far came in order
    list_pages: int = 0
    list_records: int = 0
    list_size: int | None = None
    through: date | None = None  # every record up to this datestamp is stored
    started: datetime | None = None
    updated: datetime | None = None
    finished: datetime | None = None

    @property
    def in_progress(self) -> bool:
        return self.finished is None and self.started is not None


@dataclass(frozen=True)
class SnapshotLoad:
    file: str
    records: int
    through: date | None
    loaded: datetime


@dataclass
class IndexStatus:
    location: str
    records: int = 0
    deleted: int = 0
    versions: int = 0
    withdrawn: int = 0  # records whose latest version is withdrawn
    oldest: date | None = None
    newest: date | None = None
    bytes_on_disk: int = 0
    harvests: list[HarvestState] = field(default_factory=list)
    snapshots: list[SnapshotLoad] = field(default_factory=list)


@dataclass
class Rows:
    """Records made ready for the database (:func:`prepare_rows`, or straight from the
    snapshot's JSON): tuples, cheap to send from a reader process and to hand to the
    driver."""

    records: list[tuple[Any, ...]] = field(default_factory=list)  # _RECORD_COLUMNS
    versions: list[tuple[Any, ...]] = field(default_factory=list)  # arxiv_id + _VERSION_COLUMNS
    deleted: list[tuple[Any, ...]] = field(default_factory=list)  # (datestamp, arxiv_id)
    newest_day: date | None = None  # the newest datestamp of the records
    # The versions as the snapshot reader sends them for SQLite, instead of ``versions``:
    # (the record's place in ``records``, from 1; number; date), sizes and withdrawn
    # unknown. A first fill inserts them with the ids its records were just given
    # (:func:`_append_versions`) with no Python work of its own a row; any other write
    # takes them as ``versions`` (:meth:`unplaced`).
    placed: list[tuple[int, int, Any]] | None = None

    @classmethod
    def of(
        cls,
        records: dict[str, tuple[Any, ...]],
        versions: dict[str, list[tuple[Any, ...]]],
        newest: date | None,
        *,
        placed: bool = False,
    ) -> Rows:
        """Rows from record rows and version rows keyed by arXiv id (one record an id,
        ``versions`` in the order of ``records``). ``placed``: the versions as
        :attr:`placed`, for version rows with no size and no withdrawn (a snapshot's)."""
        if placed:
            numbered = enumerate(versions.values(), 1)
            return cls(
                records=list(records.values()),
                placed=[(n, v[1], v[2]) for n, rows in numbered for v in rows],
                newest_day=newest,
            )
        return cls(
            records=list(records.values()),
            versions=[v for rows in versions.values() for v in rows],
            newest_day=newest,
        )

    def unplaced(self) -> Rows:
        """These rows with :attr:`placed` made ``versions`` (keyed by arXiv id)."""
        if self.placed is None:
            return self
        ids = [row[0] for row in self.records]
        versions = [(ids[n - 1], number, day, None, None) for n, number, day in self.placed]
        return Rows(self.records, versions, self.deleted, self.newest_day)

    def __len__(self) -> int:
        return len(self.records) + len(self.deleted)

    def newest(self) -> date | None:
        """The newest datestamp of the records."""
        return self.newest_day


def prepare_rows(records: Iterable[IndexRecord], dialect: str) -> Rows:
    """Rows for ``records``: the last record of an id wins, a deleted record only marks."""
    live: dict[str, IndexRecord] = {}
    gone: dict[str, IndexRecord] = {}
    for r in records:
        if r.deleted:
            gone[r.arxiv_id] = r
        else:
            live[r.arxiv_id] = r
            gone.pop(r.arxiv_id, None)
    rows = Rows()
    for r in live.values():
        by_number = {v.number: v for v in r.versions}  # one per number
        stamps = {n: _stamp(v.date, dialect) for n, v in by_number.items()}
        if stamps and len(by_number) == len(r.versions):  # v1's and the latest's are made
            first, last = min(stamps), max(stamps)
            rows.records.append(_record_row(r, dialect, (last, stamps[first], stamps[last])))
        else:
            rows.records.append(_record_row(r, dialect))
        for n, v in by_number.items():
            rows.versions.append((r.arxiv_id, n, stamps[n], v.size_kb, v.withdrawn))
        if r.datestamp is not None and (rows.newest_day is None or r.datestamp > rows.newest_day):
            rows.newest_day = r.datestamp
    rows.deleted = [(_day(r.datestamp, dialect), r.arxiv_id) for r in gone.values()]
    return rows


class ArxivIndex:
    """The local arXiv index of one catalog. Use as a context manager."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name
        self._first_fill = False  # inside bulk_load() of an empty index
        self._secure_delete: int | None = None  # SQLite's before a first fill turned it off
        self._words: _PgWordsFiller | None = None  # a PostgreSQL first fill's
        self._cleaner: _PgPendingCleaner | None = None  # inside pages() on PostgreSQL

    @classmethod
    def open(cls, catalog_url: str | None = None) -> ArxivIndex:
        """The index beside the catalog at ``catalog_url`` (``--db``/``CATALOG_DB``/default),
        created and migrated as needed. The group's catalog itself is not opened."""
        from catalog.index.schema import ensure_schema, index_url
        from catalog.store.engine import make_engine, resolve_url

        url = index_url(resolve_url(catalog_url))
        engine = make_engine(url)
        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    @classmethod
    def open_existing(cls, catalog_url: str | None = None) -> ArxivIndex | None:
        """The index beside the catalog at ``catalog_url`` if a harvest or snapshot load
        made one (brought to the newest schema), else None; never creates one, so that
        ``catalog add`` and ``search --arxiv`` leave no empty index behind."""
        from sqlalchemy.engine import make_url

        from catalog.index.schema import current_revision, ensure_schema, index_url
        from catalog.store.engine import make_engine, resolve_url

        url = index_url(resolve_url(catalog_url))
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database in (None, "", ":memory:") or not Path(parsed.database).exists():
                return None
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                made = current_revision(conn) is not None
            if made:
                ensure_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        if not made:
            engine.dispose()
            return None
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> ArxivIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        """Where the index is, for people: a file path, or the PostgreSQL database."""
        from catalog.store.engine import describe

        if self.dialect == "sqlite":
            return str(self.engine.url.database or ":memory:")
        return f"tables arxiv_* in {describe(self.url)}"

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        from catalog.store.engine import WRITE_OPTION

        options = {WRITE_OPTION: True} if self.dialect == "sqlite" else {}
        with self.engine.connect().execution_options(**options) as conn:
            if self.dialect == "sqlite":
                # Set outside the transaction, on this connection (pooled: set each time).
                fill = self._first_fill
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute(f"PRAGMA synchronous = {'OFF' if fill else 'NORMAL'}")
                # A first fill's version rows reference the records it has just given
                # their ids (and a batch upserted the general way finds each record by
                # its arXiv id in the same statement): checking each row's key against
                # arxiv_record is work for nothing, and so is zeroing the pages FTS5
                # frees as it merges segments (this SQLite is built with secure_delete
                # on; the index holds arXiv's public metadata). Both are back as they
                # were for any other write.
                raw.execute(f"PRAGMA foreign_keys = {'OFF' if fill else 'ON'}")
                if fill and self._secure_delete is None:
                    self._secure_delete = int(raw.execute("PRAGMA secure_delete").fetchone()[0])
                if self._secure_delete is not None:
                    was = ("OFF", "ON", "FAST")[self._secure_delete]
                    raw.execute(f"PRAGMA secure_delete = {'OFF' if fill else was}")
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})")
                    if self._first_fill:  # see bulk_load()
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                elif self.dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA cache_size = -65536")  # 64 MB for bulk writes
                    # and the batch's temporary tables (their own cache: 2 MB, then a file)
                    conn.exec_driver_sql("PRAGMA temp.cache_size = -65536")
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held for a whole harvest or load; raises :class:`IndexBusy` if another holds it."""
        busy = IndexBusy(
            f"another harvest or snapshot load is writing the arXiv index ({self.location}); "
            "wait for it to finish"
        )
        if self.dialect == "postgresql":
            with self.engine.connect() as conn:
                got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({_PG_RUN_LOCK})").scalar()
                conn.commit()
                if not got:
                    raise busy
                try:
                    yield
                finally:
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_RUN_LOCK})")
                    conn.commit()
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        lock_path = Path(database).with_name(Path(database).name + ".lock")
        handle: IO[str] = lock_path.open("a")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy from None
            yield
        finally:
            handle.close()  # releases the lock; the killed process's lock goes with it

    # -- writing records ------------------------------------------------------------------

    def store(self, records: Sequence[IndexRecord] | Rows, *, new_first: bool = False) -> None:
        """Upsert ``records`` in one transaction (a snapshot batch). With ``new_first``
        (a snapshot load, whose records are mostly not stored yet), the batch is first
        tried as plain inserts, which need none of the upkeep of replacing stored rows;
        a batch holding a stored record is then upserted as usual."""
        rows = records if isinstance(records, Rows) else prepare_rows(records, self.dialect)
        if self.dialect == "postgresql":
            self._pg_store_batch(rows.unplaced(), new_first=new_first)
            return
        with self._write() as conn:
            if new_first and rows.records and not rows.deleted and _sqlite_append(conn, rows):
                return
            self._store(conn, rows)

    def _pg_store_batch(self, rows: Rows, *, new_first: bool) -> None:
        """:meth:`store` on PostgreSQL. During a first fill the words of an appended
        batch are left to :class:`_PgWordsFiller`, on its own connection, once the
        batch is committed; any other write waits until it has caught up, so the two
        connections never write the same records."""
        words = self._words
        with self._write() as conn:
            if new_first and rows.records and not rows.deleted:
                raw = conn.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cur:
                    before = _pg_newest_id(cur)
                if _pg_append(conn, rows):
                    with raw.cursor() as cur:
                        upto = _pg_newest_id(cur)
                        if words is None:
                            _pg_fill_words(cur, before, upto)
                    if words is None:
                        return
                    committed = (before, upto)
                else:
                    committed = None
            else:
                committed = None
            if committed is None:
                if words is not None:
                    words.wait()
                self._store(conn, rows)
        if committed is not None and words is not None:
            words.put(*committed)

    def store_page(self, records: Sequence[IndexRecord] | Rows, state: HarvestState) -> None:
        """Upsert one OAI-PMH page and save ``state`` with it, in one transaction."""
        cleaner = self._cleaner
        if cleaner is not None:
            cleaner.check()
        with self._write() as conn:
            if cleaner is not None:  # the words' GIN entries wait for the cleaner
                conn.exec_driver_sql(f"SET LOCAL gin_pending_list_limit = '{_PG_PAGES_PENDING}'")
            self._store(conn, records)
            self._save_state(conn, state)
        if cleaner is not None:
            cleaner.due()

    @contextmanager
    def pages(self) -> Iterator[None]:
        """Around a harvest's pages (:meth:`store_page`). On PostgreSQL the words of a
        page's records go into the GIN index's pending list in the page's transaction
        (searches read it: nothing is missed), and a connection of its own moves them
        into the index proper every few pages while the next ones are stored (see
        :data:`_PG_PAGES_PENDING` and :class:`_PgPendingCleaner`). At the end the list
        is moved before this returns: a finished harvest leaves none of it behind.
        Started after the parser process is forked (it starts a thread)."""
        if self.dialect != "postgresql" or self._cleaner is not None:
            yield
            return
        with self.read() as conn:
            have = conn.exec_driver_sql(
                "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema()"
                " AND indexname = 'ix_arxiv_text_tsv'"
            ).first()
        if have is None:  # no GIN index (a killed first fill's, not restored): nothing to clean
            yield
            return
        self._cleaner = cleaner = _PgPendingCleaner(self.engine)
        try:
            yield
        except BaseException:
            self._cleaner = None
            cleaner.close(finish=False)  # what went wrong is the harvest's to say
            raise
        self._cleaner = None
        cleaner.close()

    def _store(self, conn: Connection, records: Sequence[IndexRecord] | Rows) -> None:
        rows = records if isinstance(records, Rows) else prepare_rows(records, self.dialect)
        rows = rows.unplaced()
        if rows.records:
            if self.dialect == "postgresql":
                _pg_store(conn, rows)
            else:
                _sqlite_store(conn, rows)
        if rows.deleted:
            mark = _param(self.dialect)
            if self.dialect == "postgresql":  # arxiv_text holds live records only
                conn.exec_driver_sql(
                    "DELETE FROM arxiv_text WHERE record_id IN"
                    " (SELECT id FROM arxiv_record WHERE arxiv_id = ANY(%s))",
                    ([arxiv_id for _day, arxiv_id in rows.deleted],),
                )
            elif self.dialect == "sqlite" and has_fts(conn):  # it holds live records only
                conn.exec_driver_sql(
                    "INSERT INTO arxiv_fts (arxiv_fts, rowid, title, authors, abstract)"
                    " SELECT 'delete', id, title, authors, abstract FROM arxiv_record"
                    " WHERE arxiv_id = ? AND NOT deleted",
                    [(arxiv_id,) for _day, arxiv_id in rows.deleted],
                )
            conn.exec_driver_sql(
                f"UPDATE arxiv_record SET deleted = {_true(self.dialect)},"
                f" datestamp = COALESCE({mark}, datestamp) WHERE arxiv_id = {mark}",
                rows.deleted,
            )

    def is_empty(self) -> bool:
        with self.read() as conn:
            return conn.exec_driver_sql("SELECT 1 FROM arxiv_record LIMIT 1").first() is None

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Around a snapshot load. On SQLite, the full-text index is tuned for one big
        write (see :func:`_tune_fts`), and a first fill (an empty index):

        * commits without waiting for the disk (``synchronous = OFF``): each batch still
          reaches the WAL through the operating system before its commit returns, so a
          load killed at any moment leaves the batches committed so far, whole; only a
          machine that loses power mid-load could lose more, and the index held nothing
          else to lose;
        * writes its batches through a rollback journal instead of the WAL
          (``journal_mode = DELETE`` until the end): a batch's records, full-text
          segment and versions go on new pages at the end of the file, which a rollback
          journal does not copy (it keeps only the few pages a batch changes), while the
          WAL has every page written to it, read back and written again into the file
          at each checkpoint: three system calls a page, a sixth of the load's CPU. A
          load killed in the middle of a batch leaves a journal that the next opening
          of the file rolls back (the batch goes, the ones before stay), and the file is
          in WAL mode again as soon as anything opens it (:mod:`catalog.store.engine`)
          or the load ends. A reader that opens the index meanwhile switches it back to
          WAL between two batches, and the load goes on in WAL mode;
        * goes without the b-tree indexes on ``title_key`` and ``datestamp``
          (:data:`_FILL_INDEXES`), made once at the end from the sorted keys: kept up
          row by row they cost a quarter of storing a record, and more as they outgrow
          the cache (title keys come in no order). A load killed before the end leaves
          them out; the next load or harvest makes them first (:meth:`restore_indexes`),
          and lookups by title work meanwhile, by a scan.

        At the end the WAL is written back to the file and synced, so a finished load is
        as durable as any other write.

        On PostgreSQL a first fill goes without the same b-tree indexes, the GIN index
        of the words (:data:`_PG_FILL_INDEXES`) and the foreign keys of the versions and
        the words (:data:`_PG_FILL_KEYS`), made at the end with a larger
        ``maintenance_work_mem`` (built from sorted entries, a GIN index costs a fraction
        of taking each record's hundred-odd words in one at a time), and its commits do
        not wait for the WAL to reach the disk (``synchronous_commit = off``: a server
        crash may lose the last batches, never a part of one, and the load is simply run
        again). Its tables stay logged (crash-safe): an ``UNLOGGED`` table turned
        ``LOGGED`` at the end would write all of it to the WAL then, saving nothing. A
        load killed before the end leaves the indexes and keys out, and the next load or
        harvest makes them first, as on SQLite; searches and lookups by title scan
        meanwhile.

        Throughout, Python's cyclic collector runs less often (:func:`fewer_collections`)."""
        with fewer_collections(), self._bulk_load():
            yield

    @contextmanager
    def _bulk_load(self) -> Iterator[None]:
        if self.dialect == "postgresql":
            with self._pg_bulk_load():
                yield
            return
        if self.dialect != "sqlite":
            yield
            return
        self.restore_indexes()  # a killed first fill's
        self._first_fill = self.is_empty()
        with self._write() as conn:
            _tune_fts(conn, loading=True)
            if self._first_fill:
                for name in _FILL_INDEXES:
                    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        if self._first_fill:
            self._set_journal("DELETE")
        try:
            yield
        finally:
            self._first_fill = False
            self._set_journal("WAL")
            self.restore_indexes()
            with self._write() as conn:
                _tune_fts(conn, loading=False)
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute("PRAGMA synchronous = NORMAL")
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # syncs WAL, then the file

    def _set_journal(self, mode: str) -> None:
        """A SQLite first fill's batches go through a rollback journal, not the WAL
        (see :meth:`bulk_load`); afterwards the file is in WAL mode again.

        Leaving WAL mode needs the file to be open nowhere else: this process's idle
        pooled connections are closed first, and where another process has it open
        SQLite refuses at once and the load stays in WAL mode (as safe, only slower).
        Going back to WAL is tried for a few seconds (a reader may hold the file for a
        moment); if it still fails, the next opening of the file switches it."""
        import sqlite3
        import time

        database = self.engine.url.database
        if not database or database == ":memory:":
            return  # in memory: no journal file, and disposing would drop the database
        leaving_wal = mode != "WAL"
        if leaving_wal:
            self.engine.dispose()  # nothing is checked out before the first batch
        for attempt in range(1 if leaving_wal else 50):
            if attempt:
                time.sleep(0.1)
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                try:
                    raw.execute(f"PRAGMA journal_mode = {mode}")
                    return
                except sqlite3.OperationalError:  # the file is open elsewhere
                    pass

    @contextmanager
    def _pg_bulk_load(self) -> Iterator[None]:
        self.restore_indexes()  # a killed first fill's
        self._first_fill = self.is_empty()
        if self._first_fill:
            with self._write() as conn:
                for name in _PG_FILL_INDEXES:
                    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
                for name in _PG_FILL_KEYS:
                    table = name.removesuffix("_record_id_fkey")
                    conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
            self._words = _PgWordsFiller(self.engine)
        words_in = False
        try:
            yield
            if self._words is not None:
                self._words.wait()  # raises what it met
            words_in = True
        finally:
            if self._words is not None:
                self._words.close()
                self._words = None
            self._first_fill = False
            # Looking for records without words reads the whole table (9 s at a
            # million): only when the filler may have missed some.
            self.restore_indexes(fill_words=not words_in)

    def restore_indexes(self, *, fill_words: bool = True) -> None:
        """Make the indexes a first fill goes without, if they are missing (a load
        killed before its end), on PostgreSQL after the words it left out
        (``fill_words``). Held under :meth:`exclusive`, by each write run."""
        if self.dialect == "postgresql":
            with self._write() as conn:
                have = set(
                    conn.exec_driver_sql(
                        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                        " AND tablename IN ('arxiv_record', 'arxiv_text')"
                    ).scalars()
                )
                if fill_words and "ix_arxiv_text_tsv" not in have:
                    # A first fill's words come on a second connection after each batch
                    # commits (_PgWordsFiller): killed, it may leave live records without
                    # them. Filled before the GIN index is made.
                    conn.exec_driver_sql(
                        _PG_INDEX_WORDS + " WHERE NOT r.deleted AND NOT EXISTS"
                        " (SELECT 1 FROM arxiv_text t WHERE t.record_id = r.id)"
                    )
                missing = [create for name, create in _PG_FILL_INDEXES.items() if name not in have]
                if missing:
                    # A GIN index of a million records builds in half the time with 1 GB
                    # to sort in (64 MB by default); taken only while it builds.
                    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
                for create in missing:
                    conn.exec_driver_sql(create)
                keys = set(
                    conn.exec_driver_sql(
                        "SELECT conname FROM pg_constraint WHERE contype = 'f'"
                        " AND connamespace = current_schema()::regnamespace"
                    ).scalars()
                )
                for name, add in _PG_FILL_KEYS.items():
                    if name not in keys:
                        conn.exec_driver_sql(add)
            return
        if self.dialect != "sqlite":
            return
        with self._write() as conn:
            have = {
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index'"
                    " AND tbl_name = 'arxiv_record'"
                )
            }
            for name, create in _FILL_INDEXES.items():
                if name not in have:
                    conn.exec_driver_sql(create)

    def tune_for_pages(self) -> None:
        """The settings for harvested pages: the full-text index's and the b-tree
        indexes (a killed load may have left its own, or none).

        FTS5 merges a level's segments once :data:`PAGES_AUTOMERGE` of them are there
        (a page makes one): at four (its default) a page whose text all changed spent
        a third of its CPU merging (610 against 425 ms at sixteen, 2,500 records over a
        million), and word search took no longer with sixteen (its own bound on the
        segments of a level, ``crisismerge``, is 16 too)."""
        self.restore_indexes()
        if self.dialect == "sqlite":
            with self._write() as conn:
                _tune_fts(conn, loading=False)
                if has_fts(conn):
                    conn.exec_driver_sql(
                        "INSERT INTO arxiv_fts (arxiv_fts, rank) VALUES ('automerge', ?)",
                        (PAGES_AUTOMERGE,),
                    )

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load (PostgreSQL would otherwise pick a
        scan for a title lookup until autovacuum's next ANALYZE)."""
        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql("ANALYZE arxiv_record")
                conn.exec_driver_sql("ANALYZE arxiv_version")
                conn.exec_driver_sql("ANALYZE arxiv_text")
            elif self.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA optimize")

    # -- harvest state --------------------------------------------------------------------

    def harvest_state(self, set_spec: str) -> HarvestState | None:
        with self.read() as conn:
            states = _read_states(conn, set_spec)
        return states[0] if states else None

    def harvest_states(self) -> list[HarvestState]:
        with self.read() as conn:
            return _read_states(conn, None)

    def save_state(self, state: HarvestState) -> None:
        with self._write() as conn:
            self._save_state(conn, state)

    def _save_state(self, conn: Connection, state: HarvestState) -> None:
        columns = [f.name for f in HarvestState.__dataclass_fields__.values()]
        values = [_db_value(getattr(state, c), self.dialect) for c in columns]
        mark = _param(self.dialect)
        conn.exec_driver_sql(
            f"INSERT INTO arxiv_harvest ({', '.join(columns)})"
            f" VALUES ({', '.join([mark] * len(columns))})"
            " ON CONFLICT (set_spec) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns[1:]),
            tuple(values),
        )

    def coverage(self, set_spec: str) -> date | None:
        """The datestamp up to which every record of ``set_spec`` is stored: its own
        finished harvests, those of a set holding it (``cs`` holds ``cs:cs:AI``; ""
        holds all), or a snapshot load."""
        dates = [
            s.through
            for s in self.harvest_states()
            if s.through is not None and covers(s.set_spec, set_spec)
        ]
        dates += [s.through for s in self.snapshots() if s.through is not None]
        return max(dates, default=None)

    # -- snapshots ------------------------------------------------------------------------

    def record_snapshot(self, file: str, records: int, through: date | None) -> None:
        mark = _param(self.dialect)
        with self._write() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO arxiv_snapshot (file, records, through, loaded)"
                f" VALUES ({mark}, {mark}, {mark}, {mark})",
                (file, records, _day(through, self.dialect), _db_value(now(), self.dialect)),
            )

    def snapshots(self) -> list[SnapshotLoad]:
        with self.read() as conn:
            rows = conn.exec_driver_sql(
                "SELECT file, records, through, loaded FROM arxiv_snapshot ORDER BY id"
            ).all()
        return [SnapshotLoad(r[0], r[1], as_date(r[2]), as_datetime(r[3]) or now()) for r in rows]

    # -- what it holds --------------------------------------------------------------------

    def status(self) -> IndexStatus:
        out = IndexStatus(location=self.location)
        with self.read() as conn:
            row = conn.exec_driver_sql(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deleted THEN 1 ELSE 0 END), 0),"
                " MIN(datestamp), MAX(datestamp) FROM arxiv_record"
            ).one()
            out.records, out.deleted = int(row[0]), int(row[1])
            out.oldest, out.newest = as_date(row[2]), as_date(row[3])
            out.versions = int(
                conn.exec_driver_sql("SELECT COUNT(*) FROM arxiv_version").scalar() or 0
            )
            out.withdrawn = int(
                conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM arxiv_record r JOIN arxiv_version v"
                    " ON v.record_id = r.id AND v.number = r.version WHERE v.withdrawn"
                ).scalar()
                or 0
            )
            out.bytes_on_disk = self._size(conn)
            out.harvests = _read_states(conn, None)
        out.snapshots = self.snapshots()
        return out

    def _size(self, conn: Connection) -> int:
        if self.dialect == "postgresql":
            return int(
                conn.exec_driver_sql(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    " WHERE c.relname IN ('arxiv_record', 'arxiv_version', 'arxiv_text',"
                    " 'arxiv_harvest', 'arxiv_snapshot') AND c.relkind = 'r'"
                ).scalar()
                or 0
            )
        database = self.engine.url.database
        if not database or database == ":memory:":
            return 0
        return sum(os.path.getsize(p) for p in (database, database + "-wal") if os.path.exists(p))

    # -- lookups (the API that add, sync, resolve and search use) -------------------------

    def get(self, arxiv_id: str) -> IndexRecord | None:
        """The record of one paper (any written form of its id), or None."""
        from catalog.index import lookup

        with self.read() as conn:
            return lookup.get(conn, arxiv_id)

    def get_many(self, arxiv_ids: Iterable[str]) -> dict[str, IndexRecord]:
        """Records by canonical id for the ids the index has (malformed ids are skipped)."""
        from catalog.index import lookup

        with self.read() as conn:
            return lookup.get_many(conn, arxiv_ids)

    def by_title(self, title: str, limit: int = 10) -> list[IndexRecord]:
        """Records whose title has the same matching key (:func:`catalog.text.title_key`)."""
        from catalog.index import lookup

        with self.read() as conn:
            return lookup.by_title(conn, title, limit)

    def search(self, query: str, limit: int = 20, offset: int = 0) -> list[IndexRecord]:
        """Records matching every word of ``query`` (word prefixes), best first."""
        return self.search_hits(query, limit, offset).records

    def search_hits(self, query: str, limit: int = 20, offset: int = 0) -> IndexHits:
        """:meth:`search` with how many records match (a lower bound past the candidate
        bound: see :func:`catalog.index.lookup.search`)."""
        from catalog.index import lookup

        with self.read() as conn:
            return lookup.search(conn, query, limit, offset)


def covers(outer: str, inner: str) -> bool:
    """Whether harvesting set ``outer`` brings every record of set ``inner``."""
    return outer == "" or inner == outer or inner.startswith(outer + ":")


def now() -> datetime:
    return datetime.now(UTC)


# -- values across drivers ---------------------------------------------------------------


def _true(dialect: str) -> str:
    return "true" if dialect == "postgresql" else "1"


def _param(dialect: str) -> str:
    return "%s" if dialect == "postgresql" else "?"


def _day(value: date | None, dialect: str) -> Any:
    if value is None or dialect == "postgresql":
        return value
    return value.isoformat()


def _stamp(value: datetime | None, dialect: str) -> Any:
    """Datetimes: aware UTC for PostgreSQL; SQLite stores naive UTC text."""
    if value is None or dialect == "postgresql":
        return value
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(sep=" ")


db_day = _day  # for the snapshot reader, which makes rows itself
db_stamp = _stamp


def _db_value(value: Any, dialect: str) -> Any:
    if isinstance(value, datetime):
        return _stamp(value, dialect)
    if isinstance(value, date):
        return _day(value, dialect)
    return value


def as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _record_row(
    r: IndexRecord, dialect: str, dated: tuple[int, Any, Any] | None = None
) -> tuple[Any, ...]:
    """``r`` as a row of _RECORD_COLUMNS; ``dated``: its latest version's number and the
    stored forms of v1's and the latest's dates, when the caller has them made."""
    version, published, updated = dated or (
        r.version,
        _stamp(r.published, dialect),
        _stamp(r.updated, dialect),
    )
    return (
        r.arxiv_id,
        r.title,
        index_title_key(r.title),
        "\n".join(r.authors),
        r.abstract,
        " ".join(r.categories),
        " ".join(r.dois),
        r.journal_ref,
        r.comments,
        version,
        published,
        updated,
        _day(r.datestamp, dialect),
        False,
    )


def _read_states(conn: Connection, set_spec: str | None) -> list[HarvestState]:
    columns = [f.name for f in HarvestState.__dataclass_fields__.values()]
    sql = f"SELECT {', '.join(columns)} FROM arxiv_harvest"
    params: tuple[Any, ...] = ()
    if set_spec is not None:
        sql += " WHERE set_spec = " + _param(conn.dialect.name)
        params = (set_spec,)
    out = []
    for row in conn.exec_driver_sql(sql + " ORDER BY set_spec", params).all():
        values = dict(zip(columns, row, strict=True))
        for name in ("list_from", "list_until", "list_max_datestamp", "through"):
            values[name] = as_date(values[name])
        for name in ("started", "updated", "finished"):
            values[name] = as_datetime(values[name])
        values["list_ordered"] = bool(values["list_ordered"])
        out.append(HarvestState(**values))
    return out


# -- SQLite: executemany upserts -----------------------------------------------------------


# A row sent again as it is stored (a page harvested twice, a record whose datestamp
# alone is new) is not written again: an update writes the row's pages and its index
# entries, changed or not, and each page written goes to the WAL and is checkpointed
# back (as on PostgreSQL).
_SQLITE_CHANGED_RECORD = "({}) IS NOT ({})".format(
    ", ".join(f"arxiv_record.{c}" for c in _RECORD_COLUMNS[1:]),
    ", ".join(f"excluded.{c}" for c in _RECORD_COLUMNS[1:]),
)
# title_key is left to its own statement (see _sqlite_store).
_SQLITE_UPDATE_RECORD = ", ".join(
    f"{c} = excluded.{c}" for c in _RECORD_COLUMNS[1:] if c != "title_key"
)
_SQLITE_CHANGED_VERSION = (
    " WHERE (arxiv_version.date, arxiv_version.size_kb, arxiv_version.withdrawn)"
    " IS NOT (COALESCE(arxiv_version.date, excluded.date),"
    " COALESCE(excluded.size_kb, arxiv_version.size_kb),"
    " COALESCE(excluded.withdrawn, arxiv_version.withdrawn))"
)


def _sqlite_store(conn: Connection, rows: Rows) -> None:
    # The FTS5 index has no triggers (per-row triggers, and any per-row statement on
    # FTS5, made bulk loads 5-10x slower); it is kept in step a batch at a time, by
    # set-based statements over the batch's ids, written as ``arxiv_id IN (batch)`` so
    # that SQLite looks the ids up in the unique index (a join let it scan the whole
    # table for each batch: quadratic in a bulk load). It holds live records only.
    #
    # Indexing a record's text is most of what storing it costs (about 40 us, against
    # 15 us for its row), and taking a stored record out costs as much again (FTS5
    # needs the old text to find its entries). An update that leaves title, authors and
    # abstract as they were (a journal-ref or DOI added, a record sent again) keeps
    # its entries: only the stored records whose text differs, and the deleted ones
    # coming back, leave the index and go in again with the text they have now.
    #
    # A restaged record's old entries are taken out and its new text indexed in one
    # statement, before the upsert (the new text is the batch's), record by record in
    # id order: FTS5 writes out its pending entries as a segment whenever the ids it is
    # given go back, so all the deletions then all the insertions cost a second segment
    # and its merging per page (two thirds of storing a page whose text changed).
    fts = has_fts(conn)
    if fts:
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS arxiv_batch_text (arxiv_id TEXT PRIMARY KEY,"
            " title TEXT, authors TEXT, abstract TEXT, datestamp TEXT)"
        )
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS arxiv_restage_text"
            " (id INTEGER PRIMARY KEY, arxiv_id TEXT, live INTEGER)"
        )
        conn.exec_driver_sql("DELETE FROM arxiv_batch_text")
        conn.exec_driver_sql("DELETE FROM arxiv_restage_text")
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO arxiv_batch_text (arxiv_id, title, authors, abstract,"
            " datestamp) VALUES (?, ?, ?, ?, ?)",
            [(row[0], row[1], row[3], row[4], row[12]) for row in rows.records],
        )
        # The stored records the upsert below replaces (not older: _NOT_OLDER) whose
        # text differs, or which are deleted and come back.
        found = conn.exec_driver_sql(
            "INSERT INTO arxiv_restage_text (id, arxiv_id, live)"
            " SELECT r.id, r.arxiv_id, NOT r.deleted FROM arxiv_record r"
            " JOIN arxiv_batch_text b ON b.arxiv_id = r.arxiv_id"
            " WHERE r.arxiv_id IN (SELECT arxiv_id FROM arxiv_batch_text)"
            " AND (b.datestamp IS NULL OR r.datestamp IS NULL OR b.datestamp >= r.datestamp)"
            " AND (r.deleted OR r.title IS NOT b.title OR r.authors IS NOT b.authors"
            " OR r.abstract IS NOT b.abstract)"
        )
        if found.rowcount != 0:
            conn.exec_driver_sql(
                "INSERT INTO arxiv_fts (arxiv_fts, rowid, title, authors, abstract)"
                " SELECT command, id, title, authors, abstract FROM ("
                " SELECT 'delete' AS command, s.id AS id, r.title AS title,"
                " r.authors AS authors, r.abstract AS abstract, 0 AS step"
                " FROM arxiv_restage_text s JOIN arxiv_record r ON r.id = s.id WHERE s.live"
                " UNION ALL SELECT NULL, s.id, b.title, b.authors, b.abstract, 1"
                " FROM arxiv_restage_text s JOIN arxiv_batch_text b ON b.arxiv_id = s.arxiv_id"
                ") ORDER BY id, step"
            )
    newest_before = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM arxiv_record").scalar()
    marks = ", ".join("?" * len(_RECORD_COLUMNS))
    conn.exec_driver_sql(
        f"INSERT INTO arxiv_record ({', '.join(_RECORD_COLUMNS)}) VALUES ({marks})"
        f" ON CONFLICT (arxiv_id) DO UPDATE SET {_SQLITE_UPDATE_RECORD}"
        f" WHERE ({_NOT_OLDER}) AND {_SQLITE_CHANGED_RECORD}",
        rows.records,
    )
    # The title keys of the replaced records whose title changed (the key is the
    # title's): a key set by the upsert, changed or not, is taken out of its index and
    # put back, two pages written for each record at random in the index.
    conn.exec_driver_sql(
        "UPDATE arxiv_record SET title_key = ? WHERE arxiv_id = ? AND title = ?"
        " AND title_key IS NOT ?",
        [(row[2], row[0], row[1], row[2]) for row in rows.records],
    )
    if fts:  # new rows: SQLite numbers an INTEGER PRIMARY KEY on from the largest
        conn.exec_driver_sql(
            "INSERT INTO arxiv_fts (rowid, title, authors, abstract)"
            " SELECT r.id, r.title, r.authors, r.abstract FROM arxiv_record r WHERE r.id > ?",
            (newest_before,),
        )
    if rows.versions:
        conn.exec_driver_sql(
            "INSERT INTO arxiv_version (record_id, number, date, size_kb, withdrawn)"
            " VALUES ((SELECT id FROM arxiv_record WHERE arxiv_id = ?), ?, ?, ?, ?) "
            + _MERGE_VERSION
            + _SQLITE_CHANGED_VERSION,
            rows.versions,
        )


def _sqlite_append(conn: Connection, rows: Rows) -> bool:
    """Insert a batch of records none of which is stored: the record rows, their
    full-text rows (found as the ids above the largest before) and their versions.
    False, with nothing written, when a record of the batch is stored already."""
    from sqlalchemy.exc import IntegrityError

    newest_before = int(
        conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM arxiv_record").scalar() or 0
    )
    marks = ", ".join("?" * len(_RECORD_COLUMNS))
    conn.exec_driver_sql("SAVEPOINT append_batch")
    try:
        conn.exec_driver_sql(
            f"INSERT INTO arxiv_record ({', '.join(_RECORD_COLUMNS)}) VALUES ({marks})",
            rows.records,
        )
    except IntegrityError:  # an arxiv_id already stored: the rows before it go too
        conn.exec_driver_sql("ROLLBACK TO append_batch")
        conn.exec_driver_sql("RELEASE append_batch")
        return False
    conn.exec_driver_sql("RELEASE append_batch")
    if has_fts(conn):
        conn.exec_driver_sql(
            "INSERT INTO arxiv_fts (rowid, title, authors, abstract)"
            " SELECT r.id, r.title, r.authors, r.abstract FROM arxiv_record r WHERE r.id > ?",
            (newest_before,),
        )
    if rows.versions or rows.placed:
        _append_versions(conn, rows, newest_before)
    return True


def _append_versions(conn: Connection, rows: Rows, newest_before: int) -> None:
    """The batch's version rows, given the ids its records were just given: SQLite
    numbers an INTEGER PRIMARY KEY (without AUTOINCREMENT) on from the largest, one by
    one in insertion order, so the n-th record is ``newest_before + n`` (the largest id
    is checked to hold that). Looking each id up by arXiv id was a third of storing a
    record's rows."""
    insert = "INSERT INTO arxiv_version (record_id, number, date, size_kb, withdrawn) VALUES "
    newest = conn.exec_driver_sql("SELECT MAX(id) FROM arxiv_record").scalar()
    if rows.placed is not None and newest == newest_before + len(rows.records):
        # the snapshot reader's: each row's id is its place after the largest before
        conn.exec_driver_sql(
            "INSERT INTO arxiv_version (record_id, number, date)"
            f" VALUES ({int(newest_before)} + ?, ?, ?)",
            rows.placed,
        )
        return
    rows = rows.unplaced()
    if newest != newest_before + len(rows.records):  # not numbered so: look each one up
        conn.exec_driver_sql(
            insert + "((SELECT id FROM arxiv_record WHERE arxiv_id = ?), ?, ?, ?, ?)",
            rows.versions,
        )
        return
    ids = {row[0]: newest_before + n for n, row in enumerate(rows.records, 1)}
    conn.exec_driver_sql(
        insert + "(?, ?, ?, ?, ?)", [(ids[v[0]], v[1], v[2], v[3], v[4]) for v in rows.versions]
    )


def _tune_fts(conn: Connection, *, loading: bool) -> None:
    """FTS5's merge policy (kept in ``arxiv_fts_config``). While loading, segments are
    merged only 16 at a time (``crisismerge``) instead of four at a time as they come
    (``automerge``): merging cost about as much as indexing itself, and every merge
    level rewrites each record. Afterwards ``automerge`` is back at FTS5's default, so
    harvested pages merge what the load left as they come. (``hashsize``, 64 MB so a
    batch becomes one segment, is set by the index's migration ix0002.)"""
    if not has_fts(conn):
        return
    automerge = 0 if loading else 4  # 0: no merging as segments come (crisismerge still)
    for key, value in (("automerge", automerge), ("crisismerge", 16)):
        conn.exec_driver_sql("INSERT INTO arxiv_fts (arxiv_fts, rank) VALUES (?, ?)", (key, value))


def has_fts(conn: Connection) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'arxiv_fts'"
    ).first()
    return found is not None


# -- PostgreSQL: COPY, then set-based statements ------------------------------------------
#
# A record's words (title A, authors B, abstract C) are in arxiv_text (ix0003), computed
# here only for new records, records whose text changed, and deleted ones coming back:
# computing them is most of what storing a record costs the server (to_tsvector of an
# abstract, about 100 us), and every row written to arxiv_text puts its words into the
# GIN index. An update that keeps the text (a new datestamp, a DOI added, the same page
# harvested again) writes the record's row alone.

_PG_TSV = (
    "setweight(to_tsvector('simple', r.title), 'A') || "
    "setweight(to_tsvector('simple', r.authors), 'B') || "
    "setweight(to_tsvector('simple', r.abstract), 'C')"
)
_PG_INDEX_WORDS = (
    f"INSERT INTO arxiv_text (record_id, tsv) SELECT r.id, {_PG_TSV} FROM arxiv_record r"
)
_PG_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS arxiv_record_in (
    arxiv_id text, title text, title_key text, authors text, abstract text,
    categories text, dois text, journal_ref text, comments text, version integer,
    published timestamptz, updated timestamptz, datestamp date, deleted boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS arxiv_version_in (
    arxiv_id text, number integer, date timestamptz, size_kb integer, withdrawn boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS arxiv_restage (id integer) ON COMMIT DELETE ROWS
"""
# A row sent again as it is stored (a page harvested twice) is not written again: an
# update writes a whole new row and its index entries, changed or not.
_PG_CHANGED_RECORD = "({}) IS DISTINCT FROM ({})".format(
    ", ".join(f"arxiv_record.{c}" for c in _RECORD_COLUMNS[1:]),
    ", ".join(f"excluded.{c}" for c in _RECORD_COLUMNS[1:]),
)
_PG_CHANGED_VERSION = (
    " WHERE (arxiv_version.date, arxiv_version.size_kb, arxiv_version.withdrawn)"
    " IS DISTINCT FROM (COALESCE(arxiv_version.date, excluded.date),"
    " COALESCE(excluded.size_kb, arxiv_version.size_kb),"
    " COALESCE(excluded.withdrawn, arxiv_version.withdrawn))"
)
_PG_VERSIONS_IN = "INSERT INTO arxiv_version (record_id, number, date, size_kb, withdrawn)"


def _pg_newest_id(cur: Any) -> int:
    """The largest record id: rows with a larger one are this batch's new ones (the
    write lock is held, and ids come from the sequence in order)."""
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM arxiv_record")
    return int(cur.fetchone()[0])


# COPY's binary format, with the columns' types given: psycopg writes a row in a third
# of the time it takes to write it as text, and the server reads numbers and times
# without parsing them. (The rows hold exactly these types: _record_row, snapshot_rows.)
_PG_RECORD_TYPES = ("text",) * 9 + ("integer", "timestamptz", "timestamptz", "date", "boolean")
_PG_VERSION_TYPES = ("text", "integer", "timestamptz", "integer", "boolean")  # arxiv_id first


def _pg_copy(cur: Any, table: str, rows: Iterable[tuple[Any, ...]], *, versions: bool) -> None:
    columns = ("arxiv_id", *_VERSION_COLUMNS) if versions else _RECORD_COLUMNS
    types = _PG_VERSION_TYPES if versions else _PG_RECORD_TYPES
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _pg_copy_versions(cur: Any, rows: Rows) -> None:
    _pg_copy(cur, "arxiv_version_in", rows.versions, versions=True)


def _pg_append(conn: Connection, rows: Rows) -> bool:
    """A batch none of whose records is stored: COPY straight into ``arxiv_record``,
    then the versions of the rows above the largest id before (their words are the
    caller's: :func:`_pg_fill_words`). False, with nothing written, when a record of
    the batch is stored already."""
    from psycopg.errors import UniqueViolation

    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        before = _pg_newest_id(cur)
        cur.execute("SAVEPOINT append_batch")
        try:
            _pg_copy(cur, "arxiv_record", rows.records, versions=False)
        except UniqueViolation:  # an arxiv_id already stored: the rows before it go too
            cur.execute("ROLLBACK TO SAVEPOINT append_batch")
            cur.execute("RELEASE SAVEPOINT append_batch")
            return False
        cur.execute("RELEASE SAVEPOINT append_batch")
        if rows.versions:
            cur.execute(_PG_STAGING)
            _pg_copy_versions(cur, rows)
            cur.execute(
                _PG_VERSIONS_IN + " SELECT r.id, v.number, v.date, v.size_kb, v.withdrawn"
                " FROM arxiv_version_in v JOIN arxiv_record r ON r.arxiv_id = v.arxiv_id"
                " WHERE r.id > %s",
                (before,),
            )
            cur.execute("DELETE FROM arxiv_version_in")
    return True


def _pg_fill_words(cur: Any, after: int, upto: int) -> None:
    """The words of the live records with ids in (``after``, ``upto``] that have none."""
    cur.execute(
        _PG_INDEX_WORDS + " WHERE r.id > %s AND r.id <= %s AND NOT r.deleted"
        " ON CONFLICT (record_id) DO NOTHING",
        (after, upto),
    )


class _PgWordsFiller:
    """A first fill's words, computed on a connection of their own while the next batch
    is COPYed: to_tsvector is most of what a record costs the server, and the load's
    own connection is one core; the reader process leaves the other mostly idle.

    Each committed batch's id range is filled in a transaction of its own (the words
    of records that are committed, so nothing half-written is seen). A load killed
    before its words are in leaves records without them, and the GIN index not made:
    :meth:`ArxivIndex.restore_indexes` fills what is missing before making it. At most
    ``backlog`` ranges wait, so the words never lag far behind the records.

    Two connections take ranges in turn: a batch's words cost the server four times
    what its COPY does, so with one the words would be the load's slowest part."""

    def __init__(self, engine: Engine, connections: int = 2, backlog: int = 2) -> None:
        import queue
        import threading

        self._engine = engine
        self._ranges: queue.Queue[tuple[int, int] | None] = queue.Queue(maxsize=backlog)
        self._error: BaseException | None = None
        self._threads = [
            threading.Thread(target=self._run, name=f"index-words-{n}", daemon=True)
            for n in range(max(1, min(connections, os.cpu_count() or 1)))
        ]
        for thread in self._threads:
            thread.start()

    def put(self, after: int, upto: int) -> None:
        self._raise()
        self._ranges.put((after, upto))

    def wait(self) -> None:
        """Until every range handed over is filled; raises what the filler met."""
        self._ranges.join()
        self._raise()

    def close(self) -> None:
        for _ in self._threads:
            self._ranges.put(None)
        for thread in self._threads:
            thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        with self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            while True:
                job = self._ranges.get()
                try:
                    if job is None:
                        return
                    if self._error is None:  # after an error, only drain
                        with conn.begin(), raw.cursor() as cur:
                            cur.execute("SET LOCAL synchronous_commit = off")  # as the load's
                            _pg_fill_words(cur, *job)
                except BaseException as exc:  # handed to the loading thread
                    self._error = exc
                finally:
                    self._ranges.task_done()


# Harvested pages on PostgreSQL (ArxivIndex.pages): a page's words go into the GIN
# index's pending list in the page's transaction, and a connection of its own moves them
# into the index proper every few pages. With PostgreSQL's default list (4 MB, about one
# page of words: 2,500 records of some 1.8 KB of tsvector each) nearly every page moved
# the list into the index inside its own transaction, a third of what a page whose text
# changed cost the server; moved four pages at a time, each word's posting list is
# updated once for four pages' entries, at two thirds of the cost a record. The list
# never grows past _PG_PAGES_PENDING (a page that finds it full moves it itself), and a
# search reads at most that much of it.
_PG_PAGES_PENDING = "32MB"
_PG_CLEAN_EVERY = 4  # pages


class _PgPendingCleaner:
    """Moves the words a harvest's pages left in the GIN index's pending list into the
    index proper (``gin_clean_pending_list``) every :data:`_PG_CLEAN_EVERY` pages, on a
    connection of its own, while the next pages are parsed and stored.

    Nothing depends on it for being right: a search finds the entries in the pending list
    as it finds those in the index; they are written in the page's transaction, so a page
    and its words commit together; and a clean is a transaction of its own that moves
    entries without changing what a search finds. A harvest killed meanwhile leaves a
    list that the next page, clean or VACUUM moves. The server sorts at most
    ``maintenance_work_mem`` of entries at a time."""

    def __init__(self, engine: Engine) -> None:
        import threading

        self._engine = engine
        self._due = threading.Event()
        self._stop = False
        self._abandon = False
        self._pages = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="index-gin-cleaner", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Raise what the cleaner met."""
        if self._error is not None:
            raise self._error

    def due(self) -> None:
        """A page was committed: every few pages, a clean (after the one under way)."""
        self._pages += 1
        if self._pages % _PG_CLEAN_EVERY == 0:
            self._due.set()

    def close(self, *, finish: bool = True) -> None:
        """Stop, after a last clean of what is left when ``finish``; raises what the
        cleaner met then."""
        self._stop, self._abandon = True, not finish
        self._due.set()
        self._thread.join()
        if finish:
            self.check()

    def _run(self) -> None:
        try:
            with self._engine.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                while True:
                    self._due.wait()
                    self._due.clear()
                    stopping = self._stop
                    if self._abandon:
                        return
                    with conn.begin(), raw.cursor() as cur:
                        cur.execute("SET LOCAL synchronous_commit = off")  # moved, not new
                        cur.execute("SELECT gin_clean_pending_list('ix_arxiv_text_tsv')")
                    if stopping:
                        return
        except Exception as exc:  # handed to the harvest's thread, as one clear line
            from catalog.errors import DatabaseError

            error = DatabaseError(
                "moving harvested words into the arXiv index's full-text index failed"
                f" ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); the"
                " pages stored before are kept: run the harvest again to go on"
            )
            error.__cause__ = exc
            self._error = error
        except BaseException as exc:
            self._error = exc


def _pg_store(conn: Connection, rows: Rows) -> None:
    """Upsert a batch or an OAI-PMH page: COPY into staging tables, then one set-based
    statement each for the records, their words and their versions."""
    raw = conn.connection.driver_connection
    assert raw is not None
    columns = ", ".join(_RECORD_COLUMNS)
    with raw.cursor() as cur:
        cur.execute(_PG_STAGING)
        _pg_copy(cur, "arxiv_record_in", rows.records, versions=False)
        _pg_copy_versions(cur, rows)
        # Without statistics the planner takes the staging tables for thousands of pages
        # and joins them to the whole index (a merge join reading every arxiv_id: a
        # second a page at a million records) instead of looking each id up. The row
        # counts and the ids' statistics are all it needs: analysing every column cost
        # three times as much (15 us a record, of the 90 a page whose text is unchanged
        # costs the server).
        cur.execute("ANALYZE arxiv_record_in (arxiv_id), arxiv_version_in (arxiv_id)")
        before = _pg_newest_id(cur)
        # The stored records this batch replaces (not older) whose words change: their
        # text differs, or they were deleted and come back. Found before the upsert,
        # which overwrites the old text.
        cur.execute(
            "INSERT INTO arxiv_restage (id) SELECT r.id FROM arxiv_record_in b"
            " JOIN arxiv_record r ON r.arxiv_id = b.arxiv_id"
            " WHERE (b.datestamp IS NULL OR r.datestamp IS NULL OR b.datestamp >= r.datestamp)"
            " AND (r.deleted OR r.title IS DISTINCT FROM b.title"
            " OR r.authors IS DISTINCT FROM b.authors OR r.abstract IS DISTINCT FROM b.abstract)"
        )
        restaged = cur.rowcount != 0
        cur.execute(
            f"INSERT INTO arxiv_record ({columns}) SELECT {columns} FROM arxiv_record_in"
            f" ON CONFLICT (arxiv_id) DO UPDATE SET {_UPDATE_RECORD}"
            f" WHERE ({_NOT_OLDER}) AND {_PG_CHANGED_RECORD}"
        )
        cur.execute(_PG_INDEX_WORDS + " WHERE r.id > %s", (before,))  # the new records
        if restaged:
            cur.execute(
                _PG_INDEX_WORDS + " WHERE r.id IN (SELECT id FROM arxiv_restage)"
                " ON CONFLICT (record_id) DO UPDATE SET tsv = excluded.tsv"
            )
        cur.execute(
            _PG_VERSIONS_IN + " SELECT r.id, v.number, v.date, v.size_kb, v.withdrawn"
            " FROM arxiv_version_in v JOIN arxiv_record r ON r.arxiv_id = v.arxiv_id "
            + _MERGE_VERSION
            + _PG_CHANGED_VERSION
        )
        # ON COMMIT DELETE ROWS empties them at commit; a second batch in the same
        # transaction must not see this one's rows.
        cur.execute(
            "DELETE FROM arxiv_record_in; DELETE FROM arxiv_version_in; DELETE FROM arxiv_restage"
        )
