"""A paper's year is one rule (catalog.store.search.year_of): what the web shows, what
``year=`` / ``--year`` filter by and what ``--sort year`` orders by agree on every paper,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.store.catalog import Catalog
from catalog.store.search import SearchFilters, year_of
from tests.web_fixtures import fill, hostile_record


@pytest.fixture
def catalog(migrated_db_url: str, tmp_path: Path) -> Iterator[Catalog]:
    with Catalog.open(migrated_db_url) as opened:
        fill(opened, tmp_path)  # arXiv ids alone, published records, a paper with no year
        old = replace(
            hostile_record(),
            arxiv_id="hep-th/9901001",
            title="Boundary states",
            published=datetime(1999, 1, 4, tzinfo=UTC),
        )
        opened.upsert_arxiv([old])
        with opened.engine.begin() as conn:
            # A v1 date that is not the year its id names (a paper re-dated by arXiv),
            # and an old-style id with no date at all.
            conn.exec_driver_sql(
                "UPDATE paper SET published = '2015-06-01 00:00:00' WHERE arxiv_id = '1711.05772'"
            )
            conn.exec_driver_sql(
                "UPDATE paper SET published = NULL, year = NULL WHERE arxiv_id = 'hep-th/9901001'"
            )
        yield opened


def test_year_shown_filtered_and_sorted_agree(catalog: Catalog) -> None:
    papers = catalog.list_papers()
    years = {p.id: year_of(p) for p in papers}
    by_id = {p.id: p for p in papers}
    # The cases the rule orders: a published record's year over the arXiv id's...
    assert years[catalog.find_paper("1611.00712").id] == 2017
    assert years[catalog.find_paper("1711.05772").id] == 2015  # the v1 date's
    assert years[catalog.find_paper("1804.01694").id] == 2018  # the id's
    assert years[catalog.find_paper("hep-th/9901001").id] == 1999  # old style
    assert None in years.values()  # the post's paper without an id or a date

    for year in sorted({y for y in years.values() if y is not None} | {2016, 1500}):
        found = catalog.list_papers_page(limit=None, filters=SearchFilters(year=year))
        expected = {i for i, y in years.items() if y == year}
        assert {p.id for p in found.papers} == expected, (year, [by_id[i].title for i in expected])
        assert found.total == len(expected)
        # The same filter under ranked search.
        ranked = catalog.search("the", filters=SearchFilters(year=year), limit=None)
        assert {p.id for p in ranked.papers} <= expected

    ordered = catalog.list_papers_page(limit=None, sort="year").papers
    shown = [years[p.id] for p in ordered]
    dated = [y for y in shown if y is not None]
    assert dated == sorted(dated) and shown[len(dated) :] == [None] * (len(shown) - len(dated))
