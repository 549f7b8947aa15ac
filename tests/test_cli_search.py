"""`catalog search` and `catalog list` through the real entry point: words and phrases,
pages and the line that says what was left out, filters, sorting, bad input, and the
pager (only on a terminal, never into a pipe)."""

from __future__ import annotations

import json
import os
import pty
import select
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from catalog.cli.papers import SORTS
from catalog.records import ArxivRecord
from catalog.store.catalog import Catalog
from catalog.store.search import SORTS as STORE_SORTS
from tests.web_fixtures import EXAMPLE_POSTS


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def papers(n: int, word: str = "kernel") -> list[ArxivRecord]:
    day = datetime(2016, 1, 4, tzinfo=UTC)
    return [
        ArxivRecord(
            arxiv_id=f"1601.{i:05d}",
            version=1,
            title=f"Paper {i} on {word}s" if i % 2 else f"Paper {i}",
            authors=("Ann Author",),
            abstract=f"An abstract about a {word}.",
            published=day + timedelta(days=i),
            updated=day + timedelta(days=i),
        )
        for i in range(1, n + 1)
    ]


def fill(url: str) -> str:
    """25 papers with "kernel" (odd ones in the title too), and the example posts."""
    with Catalog.open(url) as catalog:
        catalog.upsert_arxiv(papers(25))
    assert run("import", *[str(post) for post in EXAMPLE_POSTS]).exit_code == 0
    return url


@pytest.fixture
def filled(db_url: str) -> str:
    return fill(db_url)


@pytest.fixture
def filled_sqlite(sqlite_url: str) -> str:
    """The pager does not depend on the backend: SQLite only."""
    return fill(sqlite_url)


def ids(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [p["arxiv_id"] for p in json.loads(result.stdout)]


def test_search_takes_several_words_and_phrases(filled: str) -> None:
    assert ids(run("search", "concrete", "relaxation", "--format", "json")) == ["1611.00712"]
    assert ids(run("search", "concrete relaxation", "--format", "json")) == ["1611.00712"]
    assert ids(run("search", '"continuous relaxation"', "--format", "json")) == ["1611.00712"]
    assert ids(run("search", '"relaxation continuous"', "--format", "json")) == []
    table = run("search", "maddison", "concrete")
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["ID", "YEAR", "TITLE", "AUTHORS"]
    assert "1611.00712" in table.stdout and table.stderr == ""


def test_title_matches_first_then_a_page_and_a_line_saying_how_many_more(filled: str) -> None:
    first = run("search", "kernel", "--format", "json")
    listed = ids(first)
    assert len(listed) == 20
    odd = {f"1601.{i:05d}" for i in range(1, 26, 2)}  # "kernel" in the title
    assert set(listed[:13]) == odd
    assert first.stderr.strip() == (
        "catalog: 5 more matches (1-20 of 25 shown); next page: --offset 20, all: --limit 0"
    )
    second = run("search", "kernel", "--offset", "20", "--format", "json")
    assert len(ids(second)) == 5 and second.stderr == ""
    assert set(listed) | set(ids(second)) == {f"1601.{i:05d}" for i in range(1, 26)}
    everything = run("search", "kernel", "--limit", "0", "--format", "json")
    assert ids(everything) == listed + ids(second) and everything.stderr == ""
    small = run("search", "kernel", "--limit", "3", "--offset", "6")
    assert len(small.stdout.splitlines()) == 4  # header + 3
    assert small.stderr.startswith("catalog: 16 more matches (7-9 of 25 shown)")
    past = run("search", "kernel", "--offset", "30")
    assert past.exit_code == 0 and past.stdout == ""
    assert past.stderr.strip() == "catalog: --offset 30 is past the last of 25 matches"
    none = run("search", "zebra")
    assert (none.exit_code, none.stdout, none.stderr.strip()) == (0, "", "catalog: no matches")
    assert run("search", "zebra", "--format", "json").stdout.strip() == "[]"


def test_past_the_bound_the_line_says_more_than(
    filled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.store import search

    monkeypatch.setattr(search, "BOUND", 10)
    first = run("search", "kernel", "--limit", "4", "--format", "json")
    assert first.exit_code == 0 and len(ids(first)) == 4
    assert set(ids(first)) <= {f"1601.{i:05d}" for i in range(1, 26, 2)}  # titles first
    assert first.stderr.strip() == (
        "catalog: more than 10 matches (1-4 shown); next page: --offset 4, all: --limit 0"
    )
    seen: list[str] = []
    offset = 0
    while True:  # every page across the bound, by the line's own "next page"
        page = run("search", "kernel", "--limit", "4", "--offset", str(offset), "--format", "json")
        seen += ids(page)
        if "next page" not in page.stderr:
            break
        offset += 4
    assert sorted(seen) == [f"1601.{i:05d}" for i in range(1, 26)]
    assert page.stderr == ""  # the last page: nothing more
    past = run("search", "kernel", "--offset", "30")
    assert past.stderr.strip() == "catalog: --offset 30 is past the last of more than 10 matches"
    every = run("search", "kernel", "--limit", "0", "--format", "json")
    assert len(ids(every)) == 25 and every.stderr == ""  # every match, ranked: as asked


def test_filters(filled: str) -> None:
    generative = ids(run("search", "learning", "--tag", "generative", "--format", "json"))
    assert generative and "1611.01578" not in generative
    by_term = ids(run("list", "--term", "2019Reads", "--limit", "0", "--format", "json"))
    assert "1611.01578" in by_term and "1611.00712" not in by_term
    by_presenter = ids(run("list", "--presenter", "Arshdeep", "--year", "2018", "--format", "json"))
    assert set(by_presenter) == {"1804.01694", "1802.02550", "1804.01118"}
    assert ids(run("search", "kernel", "--year", "2016", "--limit", "0", "--format", "json"))
    assert ids(run("search", "kernel", "--year", "2017", "--format", "json")) == []
    unknown = run("search", "learning", "--presenter", "Arshdep")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == (
        "catalog: error: no presenter 'Arshdep'; did you mean Arshdeep?"
    )


def test_list_pages_and_sorts(filled: str) -> None:
    first = run("list", "--format", "json")
    assert len(ids(first)) == 20
    total = len(ids(run("list", "--limit", "0", "--format", "json")))
    assert total > 25
    assert first.stderr.startswith(f"catalog: {total - 20} more papers (1-20 of {total} shown)")
    newest = ids(run("list", "--sort", "-year", "--limit", "3", "--format", "json"))
    oldest = ids(run("list", "--sort", "year", "--limit", "0", "--format", "json"))
    assert newest[0].startswith("18")  # the newest year there is: 2018
    assert oldest[::-1][:3] == newest  # -year is year reversed, ties too
    by_title = run("list", "--sort", "title", "--limit", "0", "--format", "json")
    titles = [p["title"].casefold() for p in json.loads(by_title.stdout)]
    assert titles == sorted(titles)
    bad = run("list", "--sort", "size")
    assert bad.exit_code == 2 and "'size' is not one of" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search"], "Missing argument 'WORDS...'"),
        (["search", '""'], "nothing to search for in '\"\"'"),
        (["search", "  "], "nothing to search for"),
        (["search", "x", "--limit", "-1"], "-1 is not in the range x>=0"),
        (["search", "x", "--year", "nineteen"], "'nineteen' is not a valid integer"),
        (["search", *[f"w{i}" for i in range(40)]], "at most 32 are searched for"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(filled: str, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_the_cli_offers_the_stores_sort_keys() -> None:
    assert SORTS == STORE_SORTS


# -- the pager ----------------------------------------------------------------------------


@pytest.fixture
def pager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PAGER is a program that writes what it is given to a file (the file says it ran)."""
    paged = tmp_path / "paged.txt"
    script = "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())"
    monkeypatch.setenv("PAGER", shlex.join([sys.executable, "-c", script, str(paged)]))
    return paged


def on_terminal(*args: str, rows: int = 10) -> tuple[str, str]:
    """Run ``python -m catalog ARGS`` with stdin and stdout on a pseudo-terminal of
    ``rows`` rows; (what the terminal showed, stderr)."""
    main, side = pty.openpty()
    env = dict(os.environ, LINES=str(rows), COLUMNS="120")
    proc = subprocess.Popen(
        [sys.executable, "-m", "catalog", *args],
        stdin=side,
        stdout=side,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(side)
    shown = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("the command hung")
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    return shown.decode().replace("\r\n", "\n"), err


def test_long_output_on_a_terminal_goes_through_the_pager(filled_sqlite: str, pager: Path) -> None:
    shown, err = on_terminal("search", "kernel")
    paged = pager.read_text()
    assert paged.splitlines()[0].split() == ["ID", "YEAR", "TITLE", "AUTHORS"]
    assert len(paged.splitlines()) == 21
    assert "1601.00001" not in shown  # the rows went to the pager, not the screen
    assert err.startswith("catalog: 5 more matches")


def test_no_pager_prints_to_the_terminal(filled_sqlite: str, pager: Path) -> None:
    shown, _ = on_terminal("search", "kernel", "--no-pager")
    assert not pager.exists()
    assert len([line for line in shown.splitlines() if "1601." in line]) == 20


def test_output_that_fits_the_screen_is_not_paged(filled_sqlite: str, pager: Path) -> None:
    shown, _ = on_terminal("search", "kernel", "--limit", "3", rows=24)
    assert not pager.exists()
    assert len([line for line in shown.splitlines() if "1601." in line]) == 3
    shown, _ = on_terminal("list", "--format", "json", rows=24)
    assert pager.exists() and json.loads(pager.read_text())  # 20 papers of JSON: paged


def test_never_a_pager_when_stdout_is_a_pipe(filled_sqlite: str, pager: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "catalog", "search", "kernel", "--limit", "0"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert not pager.exists()
    assert len(done.stdout.splitlines()) == 26 and done.stderr == ""
    # Nor with CliRunner's captured output.
    assert len(run("list", "--limit", "0").stdout.splitlines()) > 26
    assert not pager.exists()
