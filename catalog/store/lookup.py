"""What the catalog knows about the papers a post names, read without the ORM.

``catalog check`` runs on every commit (pre-commit) and in CI; it only reads a few
papers, so it does not pay for SQLModel and the mapped classes. :func:`open_reader`
returns a :class:`CatalogReader` (or None when there is no catalog: a linter never
creates one), whose queries are plain SQL: the standard library's ``sqlite3`` for a
SQLite file, SQLAlchemy Core for any other URL.

The reader answers by identifier: arXiv ids (:meth:`CatalogReader.known_arxiv`, the
``paper.arxiv_id`` column) and every other scheme (:meth:`CatalogReader.known_identifiers`,
the ``paper_identifier`` table of migration 0007: DOIs, OpenReview, PMLR, NeurIPS, ACL
Anthology and DBLP ids), each giving :class:`~catalog.check.findings.KnownPaper`, so that
the checker's ``title-mismatch`` works for a row whose link is a DOI, OpenReview or
proceedings link once the catalog knows that paper. "Knows" means a source described it:
a paper whose title is still a post's or a .bib file's own text proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from catalog.check.findings import KnownPaper
from catalog.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["CatalogReader", "Lookup", "engine_reader", "open_reader"]

Lookup = Callable[[str], KnownPaper | None]

# Ids per query: well under SQLite's limit on bound variables.
_CHUNK = 500
# PostgreSQL's SQLSTATE for "relation does not exist" (psycopg's errors carry it).
_UNDEFINED_TABLE = "42P01"

# Papers described by arXiv (synced), with arXiv's abstract when the catalog has it.
# Papers known only from posts are left out: their title is the post's own text, so
# checking a post against it would prove nothing.
_KNOWN_ARXIV = (
    "SELECT paper.arxiv_id, paper.title, abstract.text FROM paper "
    "LEFT OUTER JOIN abstract ON abstract.paper_id = paper.id AND abstract.source = 'arxiv' "
    "WHERE paper.synced_at IS NOT NULL AND paper.arxiv_id IN ({marks})"
)

# Papers by another identifier, with every abstract they have (the one from the source
# of their title is taken). The scheme is a literal from SCHEMES, never user text.
_KNOWN_IDENTIFIER = (
    "SELECT paper_identifier.value, paper.arxiv_id, paper.title, paper.field_sources, "
    "abstract.source, abstract.text FROM paper_identifier "
    "JOIN paper ON paper.id = paper_identifier.paper_id "
    "LEFT OUTER JOIN abstract ON abstract.paper_id = paper.id AND abstract.source_ref = '' "
    "WHERE paper_identifier.scheme = '{scheme}' AND paper_identifier.value IN ({{marks}})"
)
# Schemes looked up in paper_identifier (arXiv ids are the paper column's).
SCHEMES = ("doi", "dblp", "openreview", "acl", "pmlr", "neurips")
# Sources whose title describes the paper (not a post's or a .bib file's own text).
_DESCRIBING_SOURCES = frozenset({"arxiv", "crossref", "dblp", "openreview", "proceedings"})


class CatalogReader:
    """Read-only queries on an existing catalog. Use as a context manager, or close()."""

    def __init__(
        self,
        query: Callable[[str, Sequence[str]], Iterable[tuple[Any, ...]]],
        close: Callable[[], None],
    ) -> None:
        self._query = query
        self._close = close

    def known_arxiv(self, arxiv_ids: Iterable[str]) -> dict[str, KnownPaper]:
        """arXiv id -> what arXiv told the catalog about it (title, abstract), for the
        ids the catalog has synced from arXiv."""
        wanted = sorted(set(arxiv_ids))
        found: dict[str, KnownPaper] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for arxiv_id, title, abstract in self._query(_KNOWN_ARXIV, chunk):
                found[arxiv_id] = KnownPaper(arxiv_id, title, abstract)
        return found

    def known_identifiers(self, idents: Iterable[str]) -> dict[str, KnownPaper]:
        """``scheme:value`` (canonical, as :class:`~catalog.records.Identifier` prints:
        ``doi:10.1038/nature20101``) -> what a source told the catalog about its paper,
        for the identifiers of papers whose title a source gave. Others are left out."""
        import json

        by_scheme: dict[str, set[str]] = {}
        for ident in idents:
            scheme, sep, value = ident.partition(":")
            if sep and scheme in SCHEMES and value:
                by_scheme.setdefault(scheme, set()).add(value)
        found: dict[str, KnownPaper] = {}
        for scheme, values in sorted(by_scheme.items()):
            wanted = sorted(values)
            sql = _KNOWN_IDENTIFIER.format(scheme=scheme)
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                rows: dict[str, tuple[str, str, str | None]] = {}
                abstracts: dict[tuple[str, str], str] = {}
                for value, arxiv_id, title, sources, source, text in self._query(sql, chunk):
                    if isinstance(sources, str):  # SQLite's JSON is text
                        sources = json.loads(sources or "{}")
                    rows[value] = (arxiv_id or "", title, (sources or {}).get("title"))
                    if source and text:
                        abstracts[(value, source)] = text
                for value, (arxiv_id, title, title_source) in rows.items():
                    if title_source not in _DESCRIBING_SOURCES:
                        continue
                    abstract = abstracts.get((value, title_source)) or abstracts.get(
                        (value, "arxiv")
                    )
                    key = f"{scheme}:{value}"
                    found[key] = KnownPaper(arxiv_id, title, abstract, link=key)
        return found

    def lookup(self, keys: Iterable[str]) -> Lookup:
        """The checker's lookup over these keys (:func:`catalog.check.match.link_key`:
        bare arXiv ids and ``scheme:value`` identifiers): a query per scheme, then
        dictionary lookups."""
        arxiv: list[str] = []
        others: list[str] = []
        for key in keys:
            scheme, sep, _ = key.partition(":")
            (others if sep and scheme in SCHEMES else arxiv).append(key)
        found = self.known_arxiv(arxiv)
        if others:
            found.update(self.known_identifiers(others))
        return found.get

    def close(self) -> None:
        self._close()

    def __enter__(self) -> CatalogReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_reader(db_url: str | None) -> CatalogReader | None:
    """A reader on the catalog at ``db_url`` (``--db``, else ``CATALOG_DB``, else
    ``db/catalog.sqlite``), or None when that SQLite file does not exist."""
    from catalog.store.engine import resolve_url

    url = resolve_url(db_url)
    path = _sqlite_path(url)
    if path is not None:
        return _sqlite_reader(path) if path.is_file() else None
    if url.startswith("sqlite"):  # in memory: an empty catalog
        return None
    return _core_reader(url)


def _sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (any ``sqlite+driver``), else None."""
    scheme, sep, rest = url.partition(":///")
    if not sep or not (scheme == "sqlite" or scheme.startswith("sqlite+")):
        return None
    rest = rest.split("?", 1)[0]
    if rest in ("", ":memory:"):
        return None
    return Path(rest)


def _sqlite_reader(path: Path) -> CatalogReader:
    import sqlite3

    try:
        # mode=rw: never create a file, as sqlite3.connect(path) would.
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=60)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open the catalog {path}: {exc}") from None

    def query(sql: str, values: Sequence[str]) -> list[tuple[Any, ...]]:
        marks = ", ".join("?" * len(values))
        try:
            return conn.execute(sql.format(marks=marks), list(values)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # a database file that holds no catalog yet
            raise DatabaseError(f"cannot read the catalog {path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"cannot read the catalog {path}: {exc}") from None

    return CatalogReader(query, conn.close)


def engine_reader(engine: Engine) -> CatalogReader:
    """A reader over an engine the caller owns (``catalog import`` has the catalog open
    already); closing the reader leaves the engine open."""
    return CatalogReader(_core_query(engine), lambda: None)


def _core_reader(url: str) -> CatalogReader:
    from catalog.store.engine import make_engine

    engine = make_engine(url)
    return CatalogReader(_core_query(engine), engine.dispose)


def _core_query(engine: Engine) -> Callable[[str, Sequence[str]], list[tuple[Any, ...]]]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    def query(sql: str, values: Sequence[str]) -> list[tuple[Any, ...]]:
        names = [f"p{k}" for k in range(len(values))]
        stmt = text(sql.format(marks=", ".join(f":{n}" for n in names)))
        try:
            with engine.connect() as conn:
                rows = conn.execute(stmt, dict(zip(names, values, strict=True)))
                return [tuple(r) for r in rows]
        except SQLAlchemyError as exc:
            if getattr(getattr(exc, "orig", None), "sqlstate", None) == _UNDEFINED_TABLE:
                return []  # a database that holds no catalog yet, as with SQLite above
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            where = engine.url.render_as_string(hide_password=True)
            raise DatabaseError(f"cannot read the catalog {where}: {reason}") from None

    return query
