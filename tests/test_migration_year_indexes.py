"""Migration 0008 (the year filter's indexes) on a database made by 0007, with data, on
SQLite and PostgreSQL: the papers stay, each year's papers are found by the one year rule,
and on SQLite the filter is served by the indexes instead of reading every paper."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from catalog.store.catalog import Catalog
from catalog.store.migrate import HEAD, current_revision
from catalog.store.search import SearchFilters, year_condition
from tests.migration_helpers import database_at, downgraded

# id, arxiv_id, v1 date, paper.year (the published record's, or v1's), the year shown
_PAPERS = [
    (1, "1611.00712", "2016-11-02 00:00:00", 2017, 2017),  # published a year later
    (2, "1711.05772", "2015-06-01 00:00:00", None, 2015),  # re-dated: the v1 date's year
    (3, "1804.01694", None, None, 2018),  # not synced: the id's year
    (4, None, None, 2018, 2018),  # a .bib entry's year
    (5, "1702.00001", "2017-02-01 00:00:00", 2019, 2019),  # posted 2017, published 2019
    (6, None, None, None, None),  # a post's title alone
]


def _make_0007_database(url: str) -> None:
    with database_at(url, "0007") as conn:
        for pid, arxiv_id, published, year, _ in _PAPERS:
            conn.execute(
                text(
                    "INSERT INTO paper (id, arxiv_id, version, title, title_key, categories,"
                    " extra_fields, published, year, created_at) VALUES (:id, :arxiv_id,"
                    " :version, :title, :title, '[]', '{}', :published, :year,"
                    " '2019-06-01 00:00:00')"
                ),
                {
                    "id": pid, "arxiv_id": arxiv_id, "version": 1 if arxiv_id else None,
                    "title": f"paper {pid}", "published": published, "year": year,
                },
            )  # fmt: skip

def _indexes(catalog: Catalog) -> set[str]:
    return {ix["name"] or "" for ix in inspect(catalog.engine).get_indexes("paper")}


def test_upgrade_from_0007_finds_each_year_by_its_indexes(db_url: str) -> None:
    _make_0007_database(db_url)
    with Catalog.open(db_url) as catalog:  # migrates to head
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        assert {"ix_paper_year", "ix_paper_published_year"} <= _indexes(catalog)
        assert "ix_paper_published" not in _indexes(catalog)
        assert [p.title for p in catalog.list_papers()] == [f"paper {i}" for i in range(1, 7)]
        for year in (2015, 2016, 2017, 2018, 2019):
            found = catalog.list_papers_page(limit=None, filters=SearchFilters(year=year))
            assert {p.id for p in found.papers} == {i for i, *_, y in _PAPERS if y == year}
        if catalog.engine.dialect.name == "sqlite":
            from catalog.store.models import Paper

            table = Paper.__table__  # type: ignore[attr-defined]
            stmt = select(table.c.id).where(year_condition(2017))
            sql = str(stmt.compile(catalog.engine, compile_kwargs={"literal_binds": True}))
            with catalog.engine.connect() as conn:
                plan = " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            # Each part of the rule from its index; no pass over every paper.
            assert "ix_paper_year (year=?)" in plan, plan
            assert "ix_paper_published_year (published>? AND published<?)" in plan, plan
            assert "SCAN paper" not in plan, plan


def test_downgrade_to_0007_and_back(db_url: str) -> None:
    _make_0007_database(db_url)
    with downgraded(db_url, "0007") as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("paper")}
        assert "ix_paper_published" in names and "ix_paper_year" not in names


@pytest.mark.parametrize("year", [1500, 2095])
def test_years_no_arxiv_id_names_still_find_their_papers(migrated_db_url: str, year: int) -> None:
    with Catalog.open(migrated_db_url) as catalog:
        with catalog.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO paper (title, title_key, categories, extra_fields, year,"
                    " created_at) VALUES ('old', 'old', '[]', '{}', :year, '2019-06-01')"
                ),
                {"year": year},
            )
        found = catalog.list_papers_page(filters=SearchFilters(year=year))
        assert [p.title for p in found.papers] == ["old"]
