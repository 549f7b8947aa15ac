"""Re-importing a .bib file skips, unread, the entries the catalog already holds exactly
(catalog/importers/bib_digests.py): the result is always the one reading and merging
every entry gives (``reread=True``), on both backends, whatever changed in between: the
file (an edited entry, a new duplicate key, a changed @string macro, a broken block), or
the papers, by another route (a changed title, abstract, authors, identifier, an author
renamed, a paper deleted, another paper taking an entry's title or URL)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session as DbSession

from benchmarks.bibgen import bib_entries
from catalog.importers import bib_store
from catalog.importers.bib_store import BibReport, bib_import_work, import_bib
from catalog.store.catalog import Catalog, set_abstract, set_authors
from catalog.store.models import Author, BibEntry, Paper, PaperAuthor, PaperIdentifier
from tests.test_import_bib_bulk import _records, _views, dump

HAND = r"""
@string{venue = {Journal of Skipping}}
@article{byurl, title = {Found By Its Link}, url = {https://example.org/found/}}
@article{bytitle, title = {Found By Its Title Alone}, journal = venue,
  author = {Doe, Jane and Roe, Rick}, abstract = {About skipping.}}
@article{twice1, title = {One Paper Twice}, doi = {10.5555/twice}, year = {2020}}
@article{twice2, title = {One Paper Twice}, doi = {10.5555/twice}, venue = {Other}}
@misc{broken, title = {Unclosed
@article{afterbroken, title = {After A Broken Block}, eprint = {2101.00001},
  archivePrefix = {arXiv}}
"""


@pytest.fixture
def catalog(migrated_db_url: str) -> Iterator[Catalog]:
    with Catalog.open(migrated_db_url) as catalog:
        catalog.upsert_arxiv(_records(random.Random(5), 60))
        yield catalog


def _file(tmp_path: Path, catalog: Catalog, text: str = "") -> Path:
    known = _views(_records(random.Random(5), 60))
    path = tmp_path / "lib.bib"
    path.write_text(HAND + "".join(bib_entries(250, known, seed=3)) + text, encoding="utf-8")
    return path


def _both(catalog: Catalog, path: Path) -> tuple[BibReport, BibReport]:
    """The import as it runs (skipping) and reading every entry, each rolled back; the
    catalog each leaves is the same, and so are the reports' papers and failures."""

    def run(reread: bool) -> Callable[[DbSession], tuple[BibReport, dict[str, Any]]]:
        work = bib_import_work(path, piece=4096, reread=reread)
        return lambda s: (work(s), dump(s))

    skipping, after = catalog.write(run(False), dry_run=True)
    full, reference = catalog.write(run(True), dry_run=True)
    assert after == reference
    assert skipping.added == full.added and skipping.failed == full.failed
    assert sorted(skipping.merged + skipping.unchanged) == sorted(full.merged)
    assert full.unchanged == []
    return skipping, full


def _rows(catalog: Catalog) -> int:
    with catalog.read() as s:
        return int(s.execute(select(func.count()).select_from(BibEntry)).scalar_one())


def test_an_unchanged_file_is_skipped_whole_but_for_a_paper_entered_twice(
    catalog: Catalog, tmp_path: Path
) -> None:
    path = _file(tmp_path, catalog)
    first = import_bib(catalog, path, piece=4096)
    assert first.unchanged == [] and _rows(catalog) > 200
    skipping, full = _both(catalog, path)
    # twice1 reaches the paper twice2 reaches later: read (and merged) every time; the
    # report names each entry by its paper's key (twice2's paper is twice1).
    assert skipping.merged.count("twice1") == 1 and len(skipping.merged) < 20
    assert len(skipping.unchanged) >= 0.9 * (len(first.added) + len(first.merged))
    # The broken block and the duplicates are reported at their lines, as a full read.
    assert any("Unclosed" in m or "afterbroken" in m or "could not" in m for _, m in first.failed)
    again = import_bib(catalog, path, piece=4096)
    assert again.failed == first.failed and again.added == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_edited_entries_merge_and_their_neighbours_stay_skipped(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv("CATALOG_IMPORT_WORKERS", workers)
    monkeypatch.setattr(bib_store, "BATCH", 40)  # changes and skips across batches
    path = _file(tmp_path, catalog)
    import_bib(catalog, path, piece=4096)
    text = path.read_text(encoding="utf-8")
    text = text.replace("{Found By Its Title Alone}", "{Found By Its Title, Edited}")
    text = text.replace("venue = {Other}", "venue = {Other, edited}")  # twice2
    # A new entry whose key an unchanged entry further down holds: that one is now the
    # duplicate, reported at its line.
    text = text.replace("@article{byurl,", "@article{afterbroken, title = {New}}\n@article{byurl,")
    path.write_text(text, encoding="utf-8")
    skipping, _ = _both(catalog, path)
    # bytitle now matches no paper by its title: a new one.
    assert "byurl" in skipping.unchanged and "bytitle" in skipping.added
    assert any("afterbroken" in m and "duplicate" in m for _, m in skipping.failed)


def test_a_changed_macro_rereads_every_entry(catalog: Catalog, tmp_path: Path) -> None:
    path = _file(tmp_path, catalog)
    import_bib(catalog, path, piece=4096)
    text = path.read_text(encoding="utf-8").replace("Journal of Skipping", "J. Skipping")
    path.write_text(text, encoding="utf-8")
    skipping, _ = _both(catalog, path)
    assert skipping.unchanged == []


def _paper(s: DbSession, key: str) -> int:
    return int(s.execute(select(Paper.id).where(Paper.citation_key == key)).scalar_one())


EDITS: dict[str, Callable[[DbSession], None]] = {
    "title": lambda s: s.execute(
        update(Paper).where(Paper.id == _paper(s, "bytitle")).values(title="X", title_key="x")
    ),
    "abstract gone": lambda s: s.execute(
        delete(__import__("catalog.store.models").store.models.Abstract).where(
            __import__("catalog.store.models").store.models.Abstract.paper_id
            == _paper(s, "bytitle")
        )
    ),
    "abstract changed": lambda s: set_abstract(s, _paper(s, "bytitle"), "Other.", "bib", "bytitle"),
    "authors": lambda s: set_authors(s, _paper(s, "bytitle"), ["Someone Else"]),
    "author renamed": lambda s: s.execute(
        update(Author).where(Author.name == "Jane Doe").values(name="Jane Q. Doe")
    ),
    "identifier gone": lambda s: s.execute(
        delete(PaperIdentifier).where(PaperIdentifier.value == "10.5555/twice")
    ),
    "paper deleted": lambda s: s.execute(delete(Paper).where(Paper.id == _paper(s, "byurl"))),
    "links gone": lambda s: s.execute(
        delete(PaperAuthor).where(PaperAuthor.paper_id == _paper(s, "bytitle"))
    ),
    # An older paper takes the title key (or URL key) an entry was matched by: the
    # entry would now match it first.
    "title taken": lambda s: s.execute(
        update(Paper)
        .where(Paper.id == s.execute(select(func.min(Paper.id))).scalar_one())
        .values(title_key=s.execute(
            select(Paper.title_key).where(Paper.citation_key == "bytitle")).scalar_one())
    ),  # fmt: skip
    "url taken": lambda s: s.execute(
        update(Paper)
        .where(Paper.id == s.execute(select(func.min(Paper.id))).scalar_one())
        .values(url="https://example.org/found", url_key=s.execute(
            select(Paper.url_key).where(Paper.citation_key == "byurl")).scalar_one())
    ),  # fmt: skip
    "key freed": lambda s: s.execute(
        update(Paper).where(Paper.citation_key == "twice1").values(citation_key=None)
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_paper_changed_by_another_route_is_merged_again(
    catalog: Catalog, tmp_path: Path, edit: str
) -> None:
    path = _file(tmp_path, catalog)
    import_bib(catalog, path, piece=4096)
    rows = _rows(catalog)
    catalog.write(EDITS[edit])
    assert _rows(catalog) < rows  # the trigger forgot the changed papers' entries
    skipping, _ = _both(catalog, path)
    assert len(skipping.unchanged) > 200


def test_a_paper_changed_earlier_in_the_same_import_is_merged_again(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """twice2 is unchanged, but twice1 (edited, before it) changes their paper."""
    path = _file(tmp_path, catalog)
    import_bib(catalog, path, piece=4096)
    text = path.read_text(encoding="utf-8").replace("year = {2020}}", "year = {2020}, note = {n}}")
    path.write_text(text, encoding="utf-8")
    for batch in (10_000, 3):  # in the same batch, and in an earlier one
        monkeypatch.setattr(bib_store, "BATCH", batch)
        skipping, _ = _both(catalog, path)
        assert skipping.merged.count("twice1") == 2  # twice2 merged again too
