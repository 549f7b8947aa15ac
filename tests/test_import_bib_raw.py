"""A .bib import writes its rows as plain tuples (bib_bulk.RawRows, not SQLAlchemy's
column types): what it wrote reads back through the ORM, and compares in SQL, exactly
as what the ORM writes does, on both backends: dates (SQLite keeps them as text, so
the text form must be SQLAlchemy's for ``=`` and ordering to hold), JSON columns with
non-ASCII text, the search index, and the ids of the papers it added."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from catalog.importers.bib_store import import_bib
from catalog.store.catalog import Catalog
from catalog.store.models import Abstract, Author, Paper, PaperAuthor, PaperIdentifier

BIB = r"""
@article{muller2019,
  title = {Kernels f{\"u}r Graphen},
  author = {M{\"u}ller, J{\"u}rgen and Dvořák, Zoë},
  journal = {Journal of Graphs},
  year = {2019}, month = {mar},
  doi = {10.5555/graphs.1},
  keywords = {Graphen, Kerne – Überblick},
  abstract = {Über Kerne auf Graphen.},
}
@misc{second2020,
  title = {A Second Paper},
  author = {Roe, Rick},
  eprint = {2001.01234}, archivePrefix = {arXiv},
  year = {2020},
}
"""


def test_rows_written_as_tuples_read_back_as_the_orm_writes_them(
    migrated_db_url: str, tmp_path: Path
) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    with Catalog.open(migrated_db_url) as catalog:
        report = import_bib(catalog, bib)
        assert sorted(report.added) == ["muller2019", "second2020"]
        with catalog.read() as s:
            # A datetime compared in SQL: SQLAlchemy binds it in its own text form on SQLite.
            march = datetime(2019, 3, 1, tzinfo=UTC)
            paper = s.execute(select(Paper).where(Paper.published == march)).scalar_one()
            assert paper.citation_key == "muller2019"
            assert paper.title == "Kernels für Graphen"
            assert paper.extra_fields == {"keywords": "Graphen, Kerne – Überblick"}
            assert paper.field_sources == {
                "title": "bib", "published": "bib", "venue": "bib", "authors": "bib",
                "doi": "bib",
            }  # fmt: skip
            assert paper.categories == []
            assert paper.doi == "10.5555/graphs.1"
            assert paper.created_at is not None
            later = s.execute(select(Paper.citation_key).where(Paper.published > march)).scalars()
            assert list(later) == ["second2020"]
            authors = s.execute(
                select(Author.name)
                .join(PaperAuthor, PaperAuthor.author_id == Author.id)
                .where(PaperAuthor.paper_id == paper.id)
                .order_by(PaperAuthor.position)
            ).scalars()
            assert list(authors) == ["Jürgen Müller", "Zoë Dvořák"]
            abstract = s.execute(select(Abstract).where(Abstract.paper_id == paper.id)).scalar_one()
            assert (abstract.text, abstract.source, abstract.source_ref) == (
                "Über Kerne auf Graphen.", "bib", "muller2019",
            )  # fmt: skip
            idents = s.execute(
                select(
                    PaperIdentifier.scheme, PaperIdentifier.value, PaperIdentifier.source
                ).order_by(PaperIdentifier.id)
            ).all()
            assert [tuple(i) for i in idents] == [
                ("doi", "10.5555/graphs.1", "bib"), ("arxiv", "2001.01234", "bib"),
            ]  # fmt: skip
            ident = s.execute(
                select(PaperIdentifier).where(PaperIdentifier.value == "2001.01234")
            ).scalar_one()
            assert ident.created_at is not None
            second = s.execute(select(Paper).where(Paper.citation_key == "second2020")).scalar_one()
            assert second.arxiv_id == "2001.01234"
            assert second.id == paper.id + 1  # the ids in the file's order
        # The search index holds the papers, their authors and abstracts.
        for words, keys in (
            ("graphen", ["muller2019"]),  # title
            ("kerne", ["muller2019"]),  # abstract
            ("roe", ["second2020"]),  # author
            ("überblick", []),  # an extra field: not searched
        ):
            assert [p.citation_key for p in catalog.search(words).papers] == keys


def test_a_big_import_has_a_bigger_page_cache_and_gives_it_back(
    migrated_sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import catalog.importers.bib_bulk as bib_bulk
    import catalog.importers.bib_store as bib_store

    seen: list[int] = []
    real = bib_bulk.store_batch

    def store_batch(s: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(s.connection().exec_driver_sql("PRAGMA cache_size").scalar())
        return real(s, *args, **kwargs)

    monkeypatch.setattr(bib_bulk, "store_batch", store_batch)
    monkeypatch.setattr(bib_store, "IMPORT_CACHE_FROM", 0)  # this small file counts as big
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    with Catalog.open(migrated_sqlite_url) as catalog:
        with catalog.read() as s:
            before = s.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        assert sorted(import_bib(catalog, bib).added) == ["muller2019", "second2020"]
        assert seen and set(seen) == {-bib_store.IMPORT_CACHE_KB}
        with catalog.read() as s:  # the pooled connection the import used
            assert s.connection().exec_driver_sql("PRAGMA cache_size").scalar() == before


def test_the_title_index_holds_the_imported_papers_and_keeps_its_trigger(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    """bib_bulk inserts a batch's papers with the title index's insert trigger set aside
    and indexes their titles in one statement: the index must then hold exactly what the
    trigger would have put in it, and the trigger be back for every later insert."""
    from catalog.records import ArxivRecord

    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    when = datetime(2021, 5, 1, tzinfo=UTC)
    with Catalog.open(migrated_sqlite_url) as catalog:
        with catalog.read() as s:
            conn = s.connection()
            triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            before = conn.exec_driver_sql(triggers).all()
        assert sorted(import_bib(catalog, bib).added) == ["muller2019", "second2020"]
        with catalog.read() as s:
            conn = s.connection()
            assert conn.exec_driver_sql(triggers).all() == before
            # FTS5 compares an external-content index with its content table, row by row.
            conn.exec_driver_sql(
                "INSERT INTO paper_title_fts (paper_title_fts, rank) VALUES ('integrity-check', 1)"
            )
            hits = conn.exec_driver_sql(
                "SELECT p.citation_key FROM paper_title_fts f JOIN paper p ON p.id = f.rowid"
                " WHERE paper_title_fts MATCH 'graphen OR second' ORDER BY p.id"
            ).all()
            assert [h[0] for h in hits] == ["muller2019", "second2020"]
        # A paper added afterwards, not by the import, is indexed by the trigger again.
        catalog.upsert_arxiv(
            [ArxivRecord(arxiv_id="2105.00001", version=1, title="Later Graphen Work",
                         authors=("Ann Later",), abstract="Later.", published=when,
                         updated=when)]
        )  # fmt: skip
        with catalog.read() as s:
            conn = s.connection()
            hits = conn.exec_driver_sql(
                "SELECT p.title FROM paper_title_fts f JOIN paper p ON p.id = f.rowid"
                " WHERE paper_title_fts MATCH 'graphen' ORDER BY p.id"
            ).all()
            assert [h[0] for h in hits] == ["Kernels für Graphen", "Later Graphen Work"]


def test_the_import_collects_less_often_and_gives_the_thresholds_back(
    migrated_sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import catalog.importers.bib_bulk as bib_bulk
    from catalog.gc_pause import BULK_GC_THRESHOLD

    seen: list[tuple[int, int, int]] = []
    real = bib_bulk.store_batch

    def store_batch(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        if len(seen) > 1:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(bib_bulk, "store_batch", store_batch)
    before = gc.get_threshold()
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    with Catalog.open(migrated_sqlite_url) as catalog:
        assert sorted(import_bib(catalog, bib).added) == ["muller2019", "second2020"]
        assert seen == [BULK_GC_THRESHOLD] and gc.get_threshold() == before
        with pytest.raises(RuntimeError):  # a failed import gives them back too
            import_bib(catalog, bib, reread=True)
        assert gc.get_threshold() == before
