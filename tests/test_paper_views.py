"""Reading papers back as views: the bulk path (one scan of the tables) that exports use
gives exactly what the per-id path gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.cli.main import cli
from catalog.records import PaperView
from catalog.store import paper_views
from catalog.store.catalog import Catalog
from catalog.store.paper_views import all_paper_views, paper_views_by_id
from tests.test_store import CONCRETE, GUMBEL, OLD_STYLE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "_posts"
BIB = Path(__file__).parent / "fixtures" / "bib" / "arxiv.bib"


@pytest.fixture
def filled(migrated_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Catalog]:
    """A catalog with papers from arXiv, from posts (with a post's abstract beside
    arXiv's) and from a .bib file (extra fields, no arXiv id), some without a date."""
    monkeypatch.setenv("CATALOG_DB", migrated_db_url)
    for source in (EXAMPLES, BIB):
        result = CliRunner().invoke(cli, ["import", str(source)])
        assert result.exit_code == 0, result.output + result.stderr
    with Catalog.open(migrated_db_url) as catalog:
        catalog.upsert_arxiv([CONCRETE, GUMBEL, OLD_STYLE])
        yield catalog


def _ids(catalog: Catalog) -> list[int]:
    return [p.id for p in catalog.list_papers()]


def test_scan_and_per_id_reads_agree(filled: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _ids(filled)
    assert len(ids) >= 10
    asked = ids[::-1] + [ids[0], 999_999]  # any order, a repeat, an unknown id
    random.Random(3).shuffle(asked)
    with filled.read() as s:
        monkeypatch.setattr(paper_views, "SCAN_ABOVE", 10**9)
        by_id = paper_views_by_id(s, asked)
        monkeypatch.setattr(paper_views, "SCAN_ABOVE", 0)
        scanned = paper_views_by_id(s, asked)
        everything = all_paper_views(s)
    assert scanned == by_id
    assert [p.id for p in by_id] == [i for i in asked if i != 999_999]
    assert [p.id for p in everything] == sorted(ids)
    assert everything == sorted({p.id: p for p in by_id}.values(), key=lambda p: p.id)


def test_views_carry_what_was_stored(filled: Catalog) -> None:
    with filled.read() as s:
        papers = {p.arxiv_id or p.title: p for p in all_paper_views(s)}
    concrete = papers["1611.00712"]
    assert concrete.authors == list(CONCRETE.authors)  # in arXiv's order
    assert concrete.abstract == CONCRETE.abstract  # arXiv's abstract before the post's
    assert concrete.published == date(2016, 11, 2) and concrete.updated == date(2017, 3, 5)
    assert concrete.categories == ["cs.LG", "stat.ML"]
    assert concrete.version == 3 and concrete.primary_category == "cs.LG"
    assert papers["hep-th/9901001"].abstract is None  # an empty abstract is not stored
    with_extra = [p for p in papers.values() if p.extra_fields]
    assert with_extra, "the .bib import keeps fields it has no column for"
    assert all(isinstance(v, str) for p in with_extra for v in p.extra_fields.values())
    undated = [p for p in papers.values() if p.published is None]
    assert undated, "papers known from posts only have no date yet"


def test_without_abstracts(filled: Catalog) -> None:
    with filled.read() as s:
        full = all_paper_views(s)
        bare = all_paper_views(s, abstracts_too=False)
    assert all(p.abstract is None for p in bare)
    assert [p.id for p in bare] == [p.id for p in full]
    assert [p.authors for p in bare] == [p.authors for p in full]


def test_a_paper_without_authors_has_an_empty_list(migrated_db_url: str) -> None:
    from dataclasses import replace

    with Catalog.open(migrated_db_url) as catalog:
        catalog.upsert_arxiv([replace(GUMBEL, authors=())])
        with catalog.read() as s:
            (view,) = all_paper_views(s)
    assert isinstance(view, PaperView) and view.authors == []
