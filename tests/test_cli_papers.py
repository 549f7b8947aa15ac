"""`catalog add/list/show/search/remove` through the real entry point, against the
loopback arXiv stand-in and a real SQLite file (CATALOG_DB, set by conftest)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from tests.arxiv_server import ArxivStandIn

FIVE = [
    "arxiv:1611.00712",
    "1802.02550v2",
    "https://arxiv.org/abs/1804.01118",
    "https://export.arxiv.org/pdf/1711.05772.pdf",
    "10.48550/arXiv.1804.01694",
]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def paper_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM paper").fetchone()[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "catalog.sqlite"


def test_add_five_ids_in_one_request(arxiv_server: ArxivStandIn, db: Path) -> None:
    result = run("add", *FIVE)
    assert result.exit_code == 0, result.output
    asked = [r for r in arxiv_server.log if r.ids]
    assert len(asked) == 1
    assert sorted(asked[0].ids) == sorted(
        ["1611.00712", "1802.02550", "1804.01118", "1711.05772", "1804.01694"]
    )
    assert paper_count(db) == 5

    shown = json.loads(run("show", "1611.00712", "--format", "json").output)
    assert shown["title"] == (
        "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables"
    )
    assert shown["authors"] == ["Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"]
    expected = arxiv_server.corpus["1611.00712"]
    assert shown["version"] == expected.version
    assert shown["published"] == expected.versions[0].date().isoformat()
    assert shown["updated"] == expected.versions[-1].date().isoformat()
    assert [v["version"] for v in shown["versions"]][-1] == expected.version
    assert shown["abstract"].startswith("The reparameterization trick")

    kim = json.loads(run("show", "arxiv:1802.02550", "--format", "json").output)
    assert kim["authors"] == [
        "Yoon Kim",
        "Sam Wiseman",
        "Andrew C. Miller",
        "David Sontag",
        "Alexander M. Rush",
    ]


def test_add_twice_updates_never_duplicates(arxiv_server: ArxivStandIn, db: Path) -> None:
    assert run("add", "1611.00712").exit_code == 0
    again = run("add", "https://arxiv.org/abs/1611.00712v1")
    assert again.exit_code == 0
    assert again.output.startswith("unchanged")
    assert paper_count(db) == 1


@pytest.mark.parametrize(
    "bad",
    [
        "1611.0071",  # too few digits
        "1613.00712",  # month 13
        "hep-th/99010",  # old style, short number
        "arxiv:",  # prefix only
        "https://example.org/abs/1611.00712",  # not arXiv
        "10.12/arXiv.1611.00712",  # a DOI's registrant has 4 to 9 digits
        "doi:10.1038",  # a DOI without its suffix
        "10.1038/nature 20101",  # a DOI has no spaces
        "https://ieeexplore.ieee.org/document/8099678",  # a page that carries no identifier
        "openreview:a b",  # not an OpenReview id
        "1611.00712v0",  # versions start at 1
        "not an id",
    ],
)
def test_bad_id_is_refused_with_its_name_and_exit_2(
    arxiv_server: ArxivStandIn, db: Path, bad: str
) -> None:
    result = CliRunner().invoke(cli, ["add", "1611.00712", bad])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln]
    assert len(lines) == 1
    assert repr(bad) in lines[0] and "accepted forms" in lines[0]
    assert arxiv_server.log == []  # refused before any request
    assert paper_count(db) == 0


def test_503_then_200_succeeds_after_retry_after(arxiv_server: ArxivStandIn, db: Path) -> None:
    arxiv_server.script("503:retry-after=1")
    result = run("add", "1611.00712")
    assert result.exit_code == 0, result.output
    log = arxiv_server.log
    assert [r.status for r in log] == [503, 200]
    assert log[1].time - log[0].time >= 1.0  # Retry-After honoured
    assert paper_count(db) == 1


def test_truncated_answers_are_retried_then_reported_and_nothing_stored(
    arxiv_server: ArxivStandIn, db: Path
) -> None:
    arxiv_server.script(*["truncated"] * 10)
    result = CliRunner().invoke(cli, ["add", "1611.00712", "1802.02550"])
    assert result.exit_code == 3
    assert len(arxiv_server.log) > 1  # it did retry
    assert "arXiv" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert paper_count(db) == 0


def test_truncated_once_then_fine(arxiv_server: ArxivStandIn, db: Path) -> None:
    arxiv_server.script("truncated")
    assert run("add", "1611.00712").exit_code == 0
    assert paper_count(db) == 1


def test_arxiv_unreachable_is_one_line_and_exit_3(db: Path) -> None:
    result = CliRunner().invoke(cli, ["add", "1611.00712"])
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "could not be reached" in result.stderr
    assert paper_count(db) == 0


def test_missing_and_error_ids_are_reported_per_id(arxiv_server: ArxivStandIn, db: Path) -> None:
    result = CliRunner().invoke(cli, ["add", "1611.00712", "1901.99999"])
    assert result.exit_code == 1
    assert "1901.99999: not found on arXiv" in result.stderr
    assert paper_count(db) == 1


def test_list_search_show_remove(arxiv_server: ArxivStandIn, db: Path) -> None:
    run("add", *FIVE)
    listed = json.loads(run("list", "--format", "json").output)
    assert len(listed) == 5
    table = run("list").output
    assert table.splitlines()[0].split() == ["ID", "YEAR", "TITLE", "AUTHORS"]
    assert "1611.00712v" in table

    hits = json.loads(run("search", "relaxation", "--format", "json").output)
    assert [h["arxiv_id"] for h in hits] == ["1611.00712"]
    by_author = json.loads(run("search", "Wiseman", "--format", "json").output)
    assert [h["arxiv_id"] for h in by_author] == ["1802.02550"]

    text = run("show", "1611.00712").output
    assert "Chris J. Maddison, Andriy Mnih, Yee Whye Teh" in text and "versions:" in text

    removed = run("remove", "1611.00712")
    assert removed.exit_code == 0 and "removed" in removed.output
    missing = CliRunner().invoke(cli, ["show", "1611.00712"])
    assert missing.exit_code == 1
    assert "no paper '1611.00712'" in missing.stderr
    assert paper_count(db) == 4


def test_help_and_version() -> None:
    assert run("--version").output.startswith("catalog, version")
    top = run("--help").output
    for command in ("add", "list", "show", "search", "remove", "import", "check", "export"):
        assert f"  {command} " in top
    assert "Exit codes" in top
    assert "catalog add 1802.02550v2" in run("add", "--help").output


def test_bad_database_url_is_one_line_exit_4() -> None:
    result = CliRunner().invoke(cli, ["--db", "nosuchdriver://x", "list"])
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1
