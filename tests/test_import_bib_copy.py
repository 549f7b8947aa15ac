"""PostgreSQL: a .bib import copies a batch's rows in (COPY, straight into the table or
through a temporary table of the transaction: bib_bulk.RawRows.insert) and indexes its
papers for search once per batch, its triggers set aside. What it leaves must be what
the row-at-a-time path leaves: the search documents the triggers compute, papers whose
ids come from the table's sequence (so later inserts do not collide), nothing left over
in the session after it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session as DbSession

from benchmarks.bibgen import bib_entries
from catalog.importers.bib import read_bib
from catalog.importers.bib_bulk import store_batch
from catalog.importers.bib_store import import_bib, merge_entry
from catalog.records import ArxivRecord, PaperView
from catalog.store.catalog import Catalog
from tests.test_import_bib_bulk import EDGES, _records, _views

# Each paper's search document, papers by rank (ids differ: sequences do not roll back).
_DOCUMENTS = (
    "SELECT p.id, s.document::text FROM paper p LEFT JOIN paper_search s ON s.paper_id = p.id"
    " ORDER BY p.id"
)


def _documents(s: DbSession) -> list[str | None]:
    return [doc for _pid, doc in s.execute(text(_DOCUMENTS))]


@pytest.fixture
def catalog(migrated_pg_url: str) -> Iterator[Catalog]:
    with Catalog.open(migrated_pg_url) as catalog:
        catalog.upsert_arxiv(_records(random.Random(5), 80))
        yield catalog


def _library(catalog: Catalog) -> list[PaperView]:
    known = _views(_records(random.Random(5), 80))
    return read_bib("".join(bib_entries(400, known, seed=8)) + EDGES, "lib.bib").papers


def test_the_search_documents_of_a_bulk_import_are_the_ones_the_triggers_make(
    catalog: Catalog,
) -> None:
    library = _library(catalog)

    def one_at_a_time(s: DbSession) -> list[str | None]:
        for view in library:  # the triggers index each row as it is written
            merge_entry(s, view)
        s.flush()
        return _documents(s)

    def in_batches(s: DbSession) -> list[str | None]:
        for start in range(0, len(library), 150):
            store_batch(s, library[start : start + 150])
        return _documents(s)

    reference = catalog.write(one_at_a_time, dry_run=True)
    assert None not in reference and len(reference) > 400
    assert catalog.write(in_batches, dry_run=True) == reference


def test_documents_stay_those_the_triggers_make_over_a_changed_reimport(
    catalog: Catalog, tmp_path: Path
) -> None:
    path = tmp_path / "lib.bib"
    known = _views(_records(random.Random(5), 80))
    path.write_text("".join(bib_entries(300, known, seed=8)), encoding="utf-8")
    import_bib(catalog, path, piece=4096)
    edited = path.read_text(encoding="utf-8").replace("Learning", "Teaching")
    path.write_text(edited, encoding="utf-8")
    again = import_bib(catalog, path, piece=4096)
    assert len(again.merged) > 100  # the edited entries read and merged again

    def check(s: DbSession) -> tuple[list[str | None], list[str | None]]:
        stored = _documents(s)
        # Every paper's row written again with the triggers on: what they compute.
        s.execute(text("UPDATE paper SET title = title"))
        return stored, _documents(s)

    stored, recomputed = catalog.write(check, dry_run=True)
    assert None not in stored
    assert stored == recomputed


def test_papers_take_their_ids_from_the_sequence(catalog: Catalog, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    path = tmp_path / "lib.bib"
    path.write_text(
        "@misc{first, title = {First Copied}}\n@misc{second, title = {Second Copied}}\n",
        encoding="utf-8",
    )
    assert import_bib(catalog, path).added == ["first", "second"]
    when = datetime(2022, 1, 1, tzinfo=UTC)
    record = ArxivRecord(
        arxiv_id="2201.00001", version=1, title="Added After", authors=("Ann After",),
        abstract="After.", published=when, updated=when,
    )  # fmt: skip
    catalog.upsert_arxiv([record])  # an ORM insert: its id from the sequence
    with catalog.read() as s:
        rows = s.execute(text("SELECT id, title FROM paper ORDER BY id")).all()
    titles = [title for _id, title in rows]
    assert titles[-3:] == ["First Copied", "Second Copied", "Added After"]
    ids = [pid for pid, _title in rows[-3:]]
    assert ids[0] + 1 == ids[1] < ids[2]


def test_no_staging_table_outlives_the_import(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    known = _views(_records(random.Random(5), 80))
    path.write_text("".join(bib_entries(120, known, seed=9)), encoding="utf-8")
    first = import_bib(catalog, path, piece=4096)
    again = import_bib(catalog, path, piece=4096, reread=True)  # the same connection again
    assert again.added == [] and len(again.merged) == len(first.added) + len(first.merged)

    def staged(s: DbSession) -> Any:
        return s.execute(
            text("SELECT relname FROM pg_class WHERE relpersistence = 't'"
                 " AND relname LIKE 'bib_stage_%'")
        ).all()  # fmt: skip

    assert catalog.write(staged, dry_run=True) == []
