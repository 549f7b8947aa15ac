"""The catalog's read path for ``catalog check`` (catalog/store/lookup.py), on SQLite and
PostgreSQL: what arXiv told the catalog, read with plain SQL, never creating a database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalog.check.findings import KnownPaper
from catalog.cli.main import cli
from catalog.errors import DatabaseError
from catalog.store.catalog import Catalog
from catalog.store.lookup import engine_reader, open_reader
from tests.arxiv_server import ArxivStandIn

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "_posts"
GENERATIVE = EXAMPLES / "2018-07-31-generative.md"


def run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output


def test_known_arxiv_reads_synced_papers_only(db_url: str, arxiv_server: ArxivStandIn) -> None:
    run("import", str(GENERATIVE), str(EXAMPLES / "2019-06-11-classics.md"))
    reader = open_reader(db_url)
    assert reader is not None
    with reader:
        assert reader.known_arxiv(["1611.00712"]) == {}  # known from a post only
    run("sync", "1611.00712", "1802.02550")
    with open_reader(db_url) as reader:  # type: ignore[union-attr]
        known = reader.known_arxiv(["1611.00712", "1802.02550", "1804.01694", "9999.99999"])
        lookup = reader.lookup(["1611.00712"])
    assert sorted(known) == ["1611.00712", "1802.02550"]
    concrete = arxiv_server.corpus["1611.00712"]
    assert known["1611.00712"] == KnownPaper("1611.00712", concrete.title, concrete.abstract)
    assert lookup("1611.00712") == known["1611.00712"] and lookup("1802.02550") is None
    # The import's lookup is the same read path over the open catalog.
    with Catalog.open(db_url) as catalog:
        assert engine_reader(catalog.engine).known_arxiv(["1802.02550"]) == {
            "1802.02550": known["1802.02550"]
        }


def test_many_ids_are_read_in_chunks(db_url: str) -> None:
    run("import", str(EXAMPLES))
    with open_reader(db_url) as reader:  # type: ignore[union-attr]
        assert reader.known_arxiv(f"2101.{i:05d}" for i in range(1, 1300)) == {}


def test_no_catalog_no_reader_and_nothing_created(tmp_path: Path) -> None:
    assert open_reader(str(tmp_path / "none.sqlite")) is None
    assert open_reader(f"sqlite:///{tmp_path / 'none.sqlite'}") is None
    assert open_reader("sqlite://") is None
    assert not (tmp_path / "none.sqlite").exists()


def test_a_sqlite_file_without_a_catalog_knows_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with open_reader(str(empty)) as reader:  # type: ignore[union-attr]
        assert reader.known_arxiv(["1611.00712"]) == {}


def test_a_file_that_is_no_database_is_a_database_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database at all, just text " * 100, encoding="utf-8")
    with pytest.raises(DatabaseError, match=r"cannot read the catalog .*junk\.sqlite"):
        with open_reader(str(junk)) as reader:  # type: ignore[union-attr]
            reader.known_arxiv(["1611.00712"])
    result = CliRunner().invoke(cli, ["--db", str(junk), "check", str(GENERATIVE)])
    assert result.exit_code == 4
    assert "cannot read the catalog" in result.stderr


def test_a_database_without_a_catalog_knows_nothing(db_url: str) -> None:
    # An existing database that holds no catalog yet (a new PostgreSQL database, an
    # empty SQLite file): check finds nothing known, and still creates no table.
    if db_url.startswith("sqlite"):
        sqlite3.connect(db_url.removeprefix("sqlite:///")).close()
    with open_reader(db_url) as reader:  # type: ignore[union-attr]
        assert reader.known_arxiv(["1611.00712"]) == {}
    result = CliRunner().invoke(cli, ["check", str(GENERATIVE)])
    assert result.exit_code == 0, result.output
    from sqlalchemy import create_engine, inspect

    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
