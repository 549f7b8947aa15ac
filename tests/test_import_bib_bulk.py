"""Batched .bib import: storing entries a batch at a time (bib_bulk.store_batch) leaves
the catalog exactly as merge_entry one entry after another does, on both backends, for
a library that adds papers, merges with papers from arXiv, posts and an earlier .bib
import, repeats papers under other keys, and crosses batch boundaries; and the import
is one transaction."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from benchmarks.bibgen import bib_entries
from catalog.cli.main import cli
from catalog.importers.bib import read_bib
from catalog.importers.bib_bulk import store_batch
from catalog.importers.bib_store import import_bib, merge_entry
from catalog.records import ArxivRecord, PaperView
from catalog.store.catalog import Catalog
from catalog.store.models import Abstract, Author, Paper, PaperAuthor, PaperIdentifier

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "tests" / "fixtures" / "bib"

# Entries whose matching depends on what earlier entries of the same batch did.
EDGES = r"""
@misc{sameurl1, title = {First At A URL}, url = {https://example.org/same/}}
@misc{sameurl2, title = {Second At The Same URL}, url = {http://www.example.org/same}}
@article{doi1, title = {Shared Title}, doi = {10.5555/one}}
@article{doi2, title = {Shared Title}, doi = {10.5555/two}}
@article{doi3, title = {Shared Title}}
@misc{video, title = {Shared Title}, url = {https://www.youtube.com/watch?v=abc}}
@misc{arx1, title = {An arXiv Paper}, eprint = {2101.00001}, archivePrefix = {arXiv}}
@misc{arx2, title = {An arXiv Paper}, eprint = {2101.00002}, archivePrefix = {arXiv}}
@misc{arx3, title = {Other Title}, url = {https://arxiv.org/abs/2101.00001v2},
  doi = {10.5555/arx}, abstract = {Abstract one.}}
@misc{arx4, title = {Renamed}, doi = {10.5555/arx}, abstract = {Abstract two.},
  author = {Doe, Jane and Roe, Rick}}
@misc{maddison2016concrete, title = {Key Already Taken By Another Paper}}
"""


def _records(rng: random.Random, n: int) -> list[ArxivRecord]:
    when = datetime(2019, 1, 1, tzinfo=UTC)
    return [
        ArxivRecord(
            arxiv_id=f"19{i % 12 + 1:02d}.{10000 + i:05d}",
            version=1,
            title=f"Known Paper Number {i} on {rng.choice(['Kernels', 'Graphs', 'Bandits'])}",
            authors=(f"Ann Known{i}", "Bo Second"),
            abstract=f"Abstract of known paper {i}.",
            published=when,
            updated=when,
            doi=f"10.5555/known.{i}" if i % 3 == 0 else None,
        )
        for i in range(n)
    ]


def _views(records: list[ArxivRecord]) -> list[PaperView]:
    return [
        PaperView(id=0, title=r.title, authors=list(r.authors), arxiv_id=r.arxiv_id, doi=r.doi)
        for r in records
    ]


def _library(known: list[PaperView]) -> list[PaperView]:
    texts = [
        "".join(bib_entries(700, known, seed=11)),
        (BIB / "arxiv.bib").read_text(encoding="utf-8"),
        (BIB / "broken.bib").read_text(encoding="utf-8"),
        EDGES,
    ]
    return [p for text in texts for p in read_bib(text, "lib.bib").papers]


def dump(s: DbSession) -> dict[str, Any]:
    """The catalog's papers and what hangs off them, paper ids as their rank (PostgreSQL
    does not roll sequences back), identifier rows in the order they were made."""
    ids = [pid for (pid,) in s.execute(select(Paper.id).order_by(Paper.id))]
    rank = {pid: n for n, pid in enumerate(ids)}
    papers = []
    for paper in s.execute(select(Paper).order_by(Paper.id)).scalars():
        row = paper.model_dump(exclude={"id", "created_at"})
        papers.append(row)
    authors = [
        (rank[pid], pos, name)
        for pid, pos, name in s.execute(
            select(PaperAuthor.paper_id, PaperAuthor.position, Author.name)
            .join(Author, Author.id == PaperAuthor.author_id)
            .order_by(PaperAuthor.paper_id, PaperAuthor.position)
        )
    ]
    idents = [
        (rank[pid], scheme, value, source)
        for pid, scheme, value, source in s.execute(
            select(
                PaperIdentifier.paper_id,
                PaperIdentifier.scheme,
                PaperIdentifier.value,
                PaperIdentifier.source,
            ).order_by(PaperIdentifier.paper_id, PaperIdentifier.id)
        )
    ]
    abstracts = sorted(
        (rank[pid], source, ref, text)
        for pid, source, ref, text in s.execute(
            select(Abstract.paper_id, Abstract.source, Abstract.source_ref, Abstract.text)
        )
    )
    return {"papers": papers, "authors": authors, "ids": idents, "abstracts": abstracts}


def one_at_a_time(views: list[PaperView]) -> Any:
    def work(s: DbSession) -> tuple[list[tuple[str, str]], dict[str, Any]]:
        results = [merge_entry(s, view) for view in views]
        s.flush()
        return results, dump(s)

    return work


def in_batches(views: list[PaperView], size: int) -> Any:
    def work(s: DbSession) -> tuple[list[tuple[str, str]], dict[str, Any]]:
        results = []
        for start in range(0, len(views), size):
            results += store_batch(s, views[start : start + size])
        return results, dump(s)

    return work


@pytest.fixture
def seeded(migrated_db_url: str) -> Iterator[tuple[Catalog, list[PaperView]]]:
    """A catalog with the example posts' papers, 120 papers from arXiv and the first
    half of the library imported from .bib already."""
    assert CliRunner().invoke(cli, ["import", str(REPO / "examples" / "_posts")]).exit_code == 0
    with Catalog.open(migrated_db_url) as catalog:
        records = _records(random.Random(5), 120)
        catalog.upsert_arxiv(records)
        yield catalog, _views(records)


def test_batches_store_what_one_entry_at_a_time_stores(
    seeded: tuple[Catalog, list[PaperView]],
) -> None:
    catalog, known = seeded
    library = _library(known)
    assert len(library) > 700
    # First import: new papers, merges with arXiv's and the posts' papers.
    reference = catalog.write(one_at_a_time(library), dry_run=True)
    statuses = [status for status, _ in reference[0]]
    assert statuses.count("merged") > 60 and statuses.count("added") > 500
    for size in (1, 37, 5000):
        assert catalog.write(in_batches(library, size), dry_run=True) == reference
    # Second import over half of it already imported (re-imports, changed entries).
    catalog.write(in_batches(library[::2], 100))
    changed = [
        replace(view, abstract="Changed.", venue="New Venue", title=view.title.upper())
        if n % 7 == 0
        else view
        for n, view in enumerate(library)
    ]
    reference = catalog.write(one_at_a_time(changed), dry_run=True)
    for size in (1, 37, 5000):
        assert catalog.write(in_batches(changed, size), dry_run=True) == reference


def test_reimport_of_an_unchanged_file_writes_nothing(
    seeded: tuple[Catalog, list[PaperView]], tmp_path: Path
) -> None:
    catalog, known = seeded
    path = tmp_path / "lib.bib"
    path.write_text("".join(bib_entries(300, known, seed=2)), encoding="utf-8")
    first = import_bib(catalog, path, piece=4096)
    with catalog.read() as s:
        before = dump(s)
    again = import_bib(catalog, path, piece=4096)
    assert again.added == [] and again.failed == first.failed
    entries = len(first.added) + len(first.merged)
    assert len(again.merged) + len(again.unchanged) == entries
    # Skipped unread (bib_digests), but for entries that share a paper with a later one.
    assert len(again.unchanged) >= 0.9 * entries
    with catalog.read() as s:
        assert dump(s) == before


def test_a_file_that_fails_midway_leaves_the_catalog_as_it_was(
    seeded: tuple[Catalog, list[PaperView]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.errors import PostReadError
    from catalog.importers import bib_store

    monkeypatch.setattr(bib_store, "BATCH", 20)
    catalog, known = seeded
    with catalog.read() as s:
        before = dump(s)
    path = tmp_path / "bad.bib"
    good = "".join(bib_entries(200, known, seed=4)).encode()
    path.write_bytes(good + b"\n@misc{bad, title = {Bad \xff byte}}\n")
    with pytest.raises(PostReadError, match="cannot read .bib file"):
        import_bib(catalog, path, piece=1024)  # the first pieces are stored before it fails
    with catalog.read() as s:
        assert dump(s) == before
