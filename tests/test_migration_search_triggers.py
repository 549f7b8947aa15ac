"""Migration 0011 (PostgreSQL: the search index's triggers test the bulk write's setting
in their WHEN) on a database made by the previous head (0010), with data: a write with
the index deferred calls no trigger function a row, other writes are indexed as before,
and back down and up. On SQLite it changes nothing."""

from __future__ import annotations

import itertools

from sqlalchemy import text
from sqlalchemy.engine import Connection

from catalog.store.catalog import Catalog
from catalog.store.migrate import HEAD, current_revision
from tests.migration_helpers import add_doi_paper, database_at, downgraded

_CALLS = "SELECT pg_stat_get_xact_function_calls('paper_search_trigger'::regproc)"
_DOCUMENT = "SELECT document::text FROM paper_search WHERE paper_id = 1"
_REFS = itertools.count()


def _write_abstracts(conn: Connection, deferred: bool) -> tuple[int, str]:
    """Three abstracts written in one transaction, the index deferred or not: the
    trigger function's calls in it (counted for this transaction) and paper 1's document."""
    conn.execute(text("SET LOCAL track_functions = 'all'"))
    conn.execute(
        text("SELECT set_config('catalog.defer_search_index', :v, true)"),
        {"v": "on" if deferred else "off"},
    )
    for n in range(3):
        conn.execute(
            text(
                "INSERT INTO abstract (paper_id, source, source_ref, text)"
                " VALUES (1, 'bib', :ref, :text)"
            ),
            {"ref": f"r{next(_REFS)}", "text": f"Neuromorphic{n} {'deferred' * deferred}"},
        )
    return int(conn.execute(text(_CALLS)).scalar_one() or 0), conn.execute(
        text(_DOCUMENT)
    ).scalar_one()


def test_upgrade_from_0010_defers_without_a_call_a_row(pg_url: str) -> None:
    with database_at(pg_url, "0010") as conn:
        add_doi_paper(conn)
    with Catalog.open(pg_url) as catalog:  # migrates to head
        with catalog.engine.begin() as conn:
            assert current_revision(conn) == HEAD
            assert "hybrid" in conn.execute(text(_DOCUMENT)).scalar_one()
        with catalog.engine.begin() as conn:
            calls, document = _write_abstracts(conn, deferred=True)
            assert calls == 0  # 0010's triggers: one call a row, each returning at once
            assert "deferred" not in document
        with catalog.engine.begin() as conn:
            calls, document = _write_abstracts(conn, deferred=False)
            assert calls == 3 and "neuromorphic2" in document
        assert [p.title for p in catalog.search("neuromorphic1").papers] == ["Hybrid computing"]


def test_downgrade_to_0010_and_back(pg_url: str) -> None:
    with database_at(pg_url, "0010") as conn:
        add_doi_paper(conn)
    Catalog.open(pg_url).close()
    with downgraded(pg_url, "0010") as conn:
        calls, document = _write_abstracts(conn, deferred=True)
        assert calls == 3 and "deferred" not in document  # called, returning at once
    with Catalog.open(pg_url) as catalog, catalog.engine.begin() as conn:
        assert _write_abstracts(conn, deferred=True)[0] == 0


def test_sqlite_unchanged(sqlite_url: str) -> None:
    with database_at(sqlite_url, "0010") as conn:
        add_doi_paper(conn)
        before = conn.execute(text("SELECT name, sql FROM sqlite_master ORDER BY name")).all()
    with Catalog.open(sqlite_url) as catalog, catalog.engine.begin() as conn:
        assert current_revision(conn) == HEAD
        after = conn.execute(text("SELECT name, sql FROM sqlite_master ORDER BY name")).all()
    assert after == before
