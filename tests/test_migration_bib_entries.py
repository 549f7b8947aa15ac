"""Migration 0010 (the digests of .bib entries a re-import may skip) on a database made
by the previous head (0009), with data, on SQLite and PostgreSQL: rows intact, no digest
recorded (the first import after it reads every entry), its triggers forget a paper's
digests when the paper changes, and back down and up."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from catalog.importers.bib_store import import_bib
from catalog.store.catalog import Catalog
from catalog.store.migrate import HEAD, current_revision
from tests.migration_helpers import add_doi_paper, database_at, downgraded

BIB = """@article{hybrid, title = {Hybrid computing}, doi = {10.1038/nature20101},
  author = {Graves, Alex}}
@article{other, title = {Another paper}, url = {https://example.org/other}}
"""


def _make_0009_database(url: str) -> None:
    with database_at(url, "0009") as conn:
        add_doi_paper(conn)


def _digests(catalog: Catalog) -> list[tuple[int, str]]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT paper_id, entry_key FROM bib_entry ORDER BY 2"))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_upgrade_from_0009_keeps_rows_and_skips_what_was_imported(
    db_url: str, tmp_path: Path
) -> None:
    _make_0009_database(db_url)
    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    with Catalog.open(db_url) as catalog:  # migrates to head
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
            assert conn.execute(text("SELECT title FROM paper")).scalar_one() == "Hybrid computing"
        assert _digests(catalog) == []
        first = import_bib(catalog, path)
        assert (first.added, first.merged, first.unchanged) == (["other"], ["hybrid"], [])
        assert [key for _, key in _digests(catalog)] == ["hybrid", "other"]
        again = import_bib(catalog, path)
        assert (again.added, again.merged, again.unchanged) == ([], [], ["hybrid", "other"])
        # A change to the paper by another route forgets its entry: merged again.
        with catalog.engine.begin() as conn:
            conn.execute(text("UPDATE paper SET venue = 'Nature' WHERE doi IS NOT NULL"))
        assert [key for _, key in _digests(catalog)] == ["other"]
        third = import_bib(catalog, path)
        assert (third.merged, third.unchanged) == (["hybrid"], ["other"])
        with catalog.engine.begin() as conn:
            conn.execute(text("DELETE FROM paper WHERE doi IS NOT NULL"))
        assert [key for _, key in _digests(catalog)] == ["other"]


def test_downgrade_to_0009_and_back(db_url: str, tmp_path: Path) -> None:
    _make_0009_database(db_url)
    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    with Catalog.open(db_url) as catalog:
        import_bib(catalog, path)
    with downgraded(db_url, "0009") as conn:
        assert conn.execute(text("SELECT count(*) FROM paper")).scalar() == 2
        # Without 0010's triggers, writes to papers go through.
        conn.execute(text("UPDATE paper SET venue = 'Nature' WHERE doi IS NOT NULL"))
    with Catalog.open(db_url) as catalog:
        assert _digests(catalog) == []
        assert import_bib(catalog, path).unchanged == []
