"""A .bib file read by a forked worker while the importer stores: the same batches, the
same failed blocks at the same lines, the same catalog; a worker that fails or is
killed midway costs time, not output; an unreadable file fails as it does in one
process, leaving the catalog as it was."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bibgen import bib_entries
from catalog.importers import bib_workers
from catalog.importers.bib import BibImport, read_bib_batches, read_pieces
from catalog.importers.bib_store import import_bib
from catalog.importers.bib_workers import read_batches, worker_count
from catalog.records import PaperView
from catalog.store.catalog import Catalog
from tests.test_import_bib_bulk import dump
from tests.test_import_bib_stream import TRICKY

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "tests" / "fixtures" / "bib"
GENERATED = "".join(bib_entries(400, [], seed=5))


def batches(text: str, size: int, workers: int) -> list[BibImport]:
    return list(read_batches(lambda: io.StringIO(text), "x.bib", size=size, workers=workers))


def texts() -> Iterator[tuple[str, str]]:
    for name in ("broken.bib", "arxiv.bib"):
        yield name, (BIB / name).read_text(encoding="utf-8")
    yield from TRICKY.items()
    yield "generated", GENERATED


@pytest.mark.parametrize(("name", "text"), list(texts()))
@pytest.mark.parametrize("size", [1, 200, 4096])
def test_two_processes_read_what_one_reads(name: str, text: str, size: int) -> None:
    one = list(read_bib_batches(lambda: io.StringIO(text), "x.bib", size=size))
    assert batches(text, size, 2) == one
    assert batches(text, size, 1) == one


def _failing_worker(monkeypatch: pytest.MonkeyPatch, after: int, how: str) -> None:
    """Make the forked worker stop after ``after`` pieces (this process reads normally)."""
    parent = os.getpid()
    real = read_pieces

    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, read in enumerate(real(*args, **kwargs)):
            if os.getpid() != parent and n == after:
                if how == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                raise RuntimeError("worker failed")
            yield read

    monkeypatch.setattr(bib_workers, "read_pieces", failing)


@pytest.mark.parametrize("how", ["raise", "kill"])
@pytest.mark.parametrize("after", [0, 1, 7])
def test_a_failed_worker_costs_time_not_output(
    monkeypatch: pytest.MonkeyPatch, how: str, after: int
) -> None:
    # Duplicate keys across pieces: the pieces read here must know the worker's keys.
    text = GENERATED + (BIB / "broken.bib").read_text(encoding="utf-8")
    one = list(read_bib_batches(lambda: io.StringIO(text), "x.bib", size=2000))
    assert sum(len(b.failed) for b in one) > 0 and len(one) > after + 2
    _failing_worker(monkeypatch, after, how)
    assert batches(text, 2000, 2) == one


def test_an_undecodable_file_fails_the_same_with_a_worker() -> None:
    def lines() -> Iterator[str]:
        yield from io.StringIO(GENERATED)
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(UnicodeDecodeError):
        list(read_batches(lines, "x.bib", size=1000, workers=2))


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(bib_workers.WORKERS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert worker_count(100 << 20) == 2
    assert worker_count(1000) == 1  # a small file: not worth a fork
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert worker_count(100 << 20) == 1  # one core
    monkeypatch.setenv(bib_workers.WORKERS_ENV, "1")
    assert worker_count(100 << 20) == 1
    monkeypatch.setenv(bib_workers.WORKERS_ENV, "2")
    assert worker_count(1000) == 2


def _views(n: int) -> list[PaperView]:
    return [
        PaperView(id=0, title=f"Known Paper {i}", arxiv_id=f"1901.{10000 + i:05d}")
        for i in range(n)
    ]


def _fresh(db_url: str, request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    """Another empty database on ``db_url``'s backend."""
    if db_url.startswith("postgresql"):
        url: str = request.getfixturevalue("pg_server").create_database()
        return url
    return f"sqlite:///{tmp_path}/{name}.sqlite"


def test_import_with_and_without_a_worker(
    db_url: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lib.bib"
    text = "".join(bib_entries(300, _views(30), seed=2)) + (BIB / "broken.bib").read_text()
    path.write_text(text, encoding="utf-8")
    results = []
    for workers, url in (("1", db_url), ("2", _fresh(db_url, request, tmp_path, "two"))):
        monkeypatch.setenv(bib_workers.WORKERS_ENV, workers)
        with Catalog.open(url) as catalog:
            first = import_bib(catalog, path, piece=4096)
            again = import_bib(catalog, path, piece=4096)
            with catalog.read() as s:
                results.append((first.__dict__, again.__dict__, dump(s)))
    assert results[0] == results[1]
    assert results[0][0]["failed"] and results[0][0]["added"]
