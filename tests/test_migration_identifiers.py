"""Migration 0007 on a database made by the previous head (0006), with data, on SQLite and
PostgreSQL: identifiers carried over (DOIs lower-cased; a DOI two papers share stays with
one, the other keeps its text), provenance filled in, and the schema takes new writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import text

from catalog.records import Identifier
from catalog.store.catalog import Catalog
from catalog.store.identifiers import identifiers_of
from catalog.store.migrate import HEAD, current_revision
from catalog.store.works import store_work
from tests.migration_helpers import database_at, downgraded
from tests.test_store import CONCRETE, GUMBEL
from tests.test_store_identifiers import CROSSREF

_PAPERS = [
    # id, arxiv_id, doi, title, url, venue, entry_type, citation_key, synced, sync_source
    (1, "1611.00712", "10.5555/CONCRETE.2017", CONCRETE.title,
     "https://arxiv.org/abs/1611.00712", "ICLR17", None, None, True, "arxiv"),
    # The same DOI from a .bib file: stays with paper 1, which arXiv described.
    (2, None, "10.5555/concrete.2017", "Concrete, the journal version", None, "ICLR",
     "inproceedings", "maddison17", False, "bib"),
    # arXiv's DOI field with a malformed DOI beside a real one.
    (3, "1611.01144", "10.1/x 10.5555/GUMBEL", GUMBEL.title,
     "https://arxiv.org/abs/1611.01144", None, None, None, True, "arxiv"),
    # A post's video: typed again by the next import, "paper" until then.
    (4, None, None, "A talk about Concrete", "https://www.youtube.com/watch?v=abc", None,
     None, None, False, "post"),
    (5, None, "not a doi", "A bib entry with junk in its DOI", None, None, "misc", "junk",
     False, "bib"),
    # A DOI with a doi.org prefix, as a .bib file may write it.
    (6, None, "https://doi.org/10.1038/NATURE20101", "Mastering the game", None, "Nature",
     "article", "silver16", False, "bib"),
]  # fmt: skip


def _make_0006_database(url: str) -> None:
    with database_at(url, "0006") as conn:
        for pid, arxiv_id, doi, title, link, venue, kind, key, synced, source in _PAPERS:
            conn.execute(
                text(
                    "INSERT INTO paper (id, arxiv_id, version, doi, title, title_key, url,"
                    " venue, entry_type, citation_key, categories, extra_fields, published,"
                    " synced_at, sync_source, created_at) VALUES (:id, :arxiv_id, :version,"
                    " :doi, :title, :title_key, :url, :venue, :entry_type, :key, '[]',"
                    " :extra, :published, :synced, :source, '2019-06-01 00:00:00')"
                ),
                {
                    "id": pid, "arxiv_id": arxiv_id, "version": 1 if arxiv_id else None,
                    "doi": doi, "title": title, "title_key": title.lower(), "url": link,
                    "venue": venue, "entry_type": kind, "key": key,
                    "extra": '{"note": "kept"}' if pid == 5 else "{}",
                    "published": "2016-11-02 00:00:00" if arxiv_id else None,
                    "synced": "2020-01-01 00:00:00" if synced else None, "source": source,
                },
            )  # fmt: skip
        conn.execute(text("INSERT INTO author (name) VALUES ('Chris J. Maddison')"))
        conn.execute(
            text(
                "INSERT INTO paper_author (paper_id, position, author_id)"
                " SELECT 1, 0, id FROM author"
            )
        )


def test_upgrade_from_0006_carries_identifiers_over(db_url: str) -> None:
    _make_0006_database(db_url)
    with Catalog.open(db_url) as catalog:  # migrates to head
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        with catalog.read() as s:
            held = identifiers_of(s, range(1, 7))
        assert held == {
            1: [Identifier("arxiv", "1611.00712"), Identifier("doi", "10.5555/concrete.2017")],
            3: [Identifier("arxiv", "1611.01144"), Identifier("doi", "10.5555/gumbel")],
            6: [Identifier("doi", "10.1038/nature20101")],
        }
        papers = {p.id: p for p in catalog.list_papers()}
        assert [papers[i].doi for i in range(1, 7)] == [
            "10.5555/concrete.2017",
            None,
            "10.5555/gumbel",
            None,
            None,
            "10.1038/nature20101",
        ]
        # Nothing is lost: a DOI the catalog cannot use as this paper's is kept as written.
        assert papers[2].extra_fields == {"doi": "10.5555/concrete.2017"}
        assert papers[3].extra_fields == {"doi": "10.1/x 10.5555/GUMBEL"}
        assert papers[5].extra_fields == {"note": "kept", "doi": "not a doi"}
        assert papers[1].extra_fields == {} and papers[6].extra_fields == {}
        # Where each field came from, as far as the old schema knew.
        assert papers[1].field_sources == {
            "title": "arxiv", "url": "arxiv", "authors": "arxiv", "published": "arxiv",
            "venue": "post", "doi": "arxiv",
        }  # fmt: skip
        assert papers[2].field_sources == {"title": "bib", "venue": "bib"}
        assert papers[4].field_sources == {"title": "post", "url": "post"}
        assert papers[6].field_sources == {"title": "bib", "venue": "bib", "doi": "bib"}
        for paper in papers.values():
            assert paper.item_type == "paper"
            assert (paper.kind, paper.volume, paper.issue, paper.pages, paper.publisher) == (
                (None,) * 5
            )
        assert papers[1].year == 2016 and papers[2].year is None  # v1's year, until published
        # Found by any form of their identifiers, and by their keys.
        assert catalog.find_paper("https://doi.org/10.5555/Concrete.2017").id == 1
        assert catalog.find_paper("doi:10.1038/nature20101").id == 6
        assert catalog.find_paper("maddison17").id == 2
        # And the schema takes new writes as a fresh one would.
        (again,) = catalog.upsert_arxiv([replace(CONCRETE, doi="10.5555/concrete.2017")])
        assert (again.paper_id, again.merged) == (1, [])
        stored = catalog.write(lambda s: store_work(s, CROSSREF))
        assert stored.paper_id == 1 and stored.changes["year"] == (None, 2017)
        paper = catalog.find_paper("1611.00712")
        assert paper.published == date(2016, 11, 2) and paper.year == 2017
        assert paper.doi == "10.5555/concrete.2017"
        assert paper.field_sources["doi"] == "crossref"  # the published record's, now


def test_downgrade_to_0006_and_back(db_url: str) -> None:
    _make_0006_database(db_url)
    with downgraded(db_url, "0006") as conn:
        dois = conn.execute(text("SELECT id, doi FROM paper ORDER BY id")).all()
        assert dois[0] == (1, "10.5555/concrete.2017")
    with Catalog.open(db_url) as catalog:
        assert catalog.find_paper("doi:10.5555/concrete.2017").id == 1


@pytest.mark.parametrize("scan", [True, False])
def test_views_of_migrated_papers_agree(
    db_url: str, scan: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path and the per-id path read the migrated rows alike."""
    from catalog.store import paper_views

    _make_0006_database(db_url)
    monkeypatch.setattr(paper_views, "SCAN_ABOVE", 0 if scan else 10**9)
    with Catalog.open(db_url) as catalog:
        with catalog.read() as s:
            one_by_one = paper_views.paper_views_by_id(s, list(range(1, 7)))
            everything = paper_views.all_paper_views(s)
    assert one_by_one == everything
    assert [p.identifiers for p in everything][:1] == [
        [Identifier("arxiv", "1611.00712"), Identifier("doi", "10.5555/concrete.2017")]
    ]
