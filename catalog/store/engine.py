"""Where the catalog lives, and how to connect to it.

The URL comes from ``--db``, then ``CATALOG_DB``, then ``db/catalog.sqlite`` under the
working directory. A bare path means SQLite. SQLite connections run with foreign keys
on, WAL and a busy timeout; write transactions start with ``BEGIN IMMEDIATE`` so two
writers queue for the lock instead of failing half-way with "database is locked".

PostgreSQL (``postgresql+psycopg://``, the ``catalog[postgres]`` extra) gets the same
discipline: a write transaction first takes a transaction-scoped advisory lock, so
writers run one at a time, as on SQLite, and readers are never blocked. Matching a
paper by title or URL (posts, .bib files) cannot rest on a unique index; with writers
queued, two imports of the same post cannot both decide the paper is new.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

DEFAULT_PATH = Path("db") / "catalog.sqlite"
ENV_VAR = "CATALOG_DB"
BUSY_TIMEOUT_MS = 60_000
WAL_ATTEMPTS = 200  # switching a new file to WAL: tries, a few seconds in all
# Execution option that marks a connection as a writer (see ``_sqlite_begin``, ``_pg_begin``).
WRITE_OPTION = "catalog_write"
# Any fixed number: the PostgreSQL advisory lock every write transaction holds.
PG_WRITE_LOCK = 0x0CA7A105


def resolve_url(explicit: str | None = None) -> str:
    """The database URL to use, as a string (``--db`` wins over ``CATALOG_DB``)."""
    raw = explicit or os.environ.get(ENV_VAR) or str(DEFAULT_PATH)
    if "://" in raw:
        return raw
    # A bare path: SQLite, relative to the working directory.
    return "sqlite:///" + str(Path(raw).expanduser())


def describe(url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL is reported by make_engine
        return url


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; raise DatabaseError with a one-line reason."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"bad database URL {url!r}: use a path, sqlite:///PATH or postgresql+psycopg://..."
        ) from None

    if parsed.drivername in ("postgresql", "postgres"):
        # The driver the ``catalog[postgres]`` extra installs, whatever SQLAlchemy's default.
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_folder(parsed)
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError:
        raise DatabaseError(f"unsupported database URL {describe(url)!r}") from None
    except ImportError as exc:
        # SQLAlchemy imports the driver in create_engine: ModuleNotFoundError when it is
        # not installed, a plain ImportError when it is but cannot load (psycopg without
        # its binary part and no system libpq).
        driver = exc.name or parsed.get_driver_name()
        problem = "missing" if isinstance(exc, ModuleNotFoundError) else "cannot be loaded"
        if parsed.get_backend_name() == "postgresql":
            raise DatabaseError(
                f"PostgreSQL driver {driver} {problem}: pip install 'catalog[postgres]'"
            ) from None
        raise DatabaseError(f"database driver {driver} {problem}") from None

    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _pg_begin)
    return engine


# PostgreSQL SQLSTATEs of a transaction that lost a race and may simply run again:
# serialization_failure, deadlock_detected, lock_not_available.
_PG_RETRYABLE = frozenset({"40001", "40P01", "55P03"})


def is_transient(exc: BaseException) -> bool:
    """Whether a failed write lost a race with another writer and is safe to retry.

    SQLite: "database is locked" (or "... table/schema is locked") after the busy
    timeout. PostgreSQL: a deadlock or serialization failure (the server aborted one of
    the transactions involved), or a lock that could not be had.
    """
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) in _PG_RETRYABLE:
        return True
    return " is locked" in str(orig).lower()


def _prepare_sqlite_folder(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:":
        return
    folder = Path(database).expanduser().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot create database folder {folder}: {exc.strerror}") from None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module so that ``_sqlite_begin``
    # decides how each transaction starts (the SQLAlchemy-documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (once: the mode is stored in the file).

    The switch needs an exclusive lock. When several processes open a brand-new file at
    once, each holding its shared lock while asking for the exclusive one, SQLite fails
    all but one at once with "database is locked" (a deadlock, so the busy timeout does
    not help). The loser waits a little and looks again: by then the file is WAL.
    """
    import sqlite3

    for attempt in range(1, WAL_ATTEMPTS + 1):
        try:
            mode = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode not in ("wal", "memory"):
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if attempt == WAL_ATTEMPTS or not is_transient(exc):
                raise
            time.sleep(min(0.01 * attempt, 0.2))


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock up front: a deferred transaction that upgrades
    # from read to write can fail with SQLITE_BUSY without the busy handler waiting.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _pg_begin(conn: Any) -> None:
    # Writers queue on one advisory lock, released by COMMIT or ROLLBACK. Like SQLite's
    # busy timeout, a writer waits at most BUSY_TIMEOUT_MS for it (or any other lock),
    # then fails with lock_not_available, which Catalog.write retries a few times.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")
