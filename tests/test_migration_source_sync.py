"""Migration 0009 (when each source last answered for an identifier, when resolve last
tried a paper) on a database made by the previous head (0008), with data, on SQLite and
PostgreSQL: rows intact, the new columns empty ("never asked"), and back down and up."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from catalog.records import Identifier
from catalog.store.catalog import Catalog
from catalog.store.identifiers import mark_synced
from catalog.store.migrate import HEAD, current_revision
from tests.migration_helpers import add_doi_paper, database_at, downgraded


def _make_0008_database(url: str) -> None:
    with database_at(url, "0008") as conn:
        add_doi_paper(conn)


def test_upgrade_from_0008_keeps_rows_and_adds_empty_sync_columns(db_url: str) -> None:
    _make_0008_database(db_url)
    with Catalog.open(db_url) as catalog:  # migrates to head
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
            row = conn.execute(
                text(
                    "SELECT paper_id, value, synced_at, sync_attempted_at, sync_error"
                    " FROM paper_identifier"
                )
            ).one()
            paper = conn.execute(
                text("SELECT title, resolve_attempted_at, resolve_error FROM paper")
            ).one()
        assert tuple(row) == (1, "10.1038/nature20101", None, None, None)
        assert tuple(paper) == ("Hybrid computing", None, None)
        assert catalog.find_paper("doi:10.1038/NATURE20101").id == 1
        # The new columns take writes.
        when = datetime(2026, 1, 2, tzinfo=UTC)
        doi = Identifier("doi", "10.1038/nature20101")
        catalog.write(lambda s: mark_synced(s, [doi], when, "not found at crossref"))
        with catalog.engine.connect() as conn:
            error = conn.execute(text("SELECT sync_error, synced_at FROM paper_identifier")).one()
        assert tuple(error) == ("not found at crossref", None)


def test_downgrade_to_0008_and_back(db_url: str) -> None:
    _make_0008_database(db_url)
    with downgraded(db_url, "0008") as conn:
        assert conn.execute(text("SELECT count(*) FROM paper_identifier")).scalar() == 1
