"""`catalog add ARXIV_ID` from the local arXiv index (issue 13 part 4): a real index,
filled by `catalog harvest --snapshot` (the index's own loader), on SQLite and
PostgreSQL; the arXiv stand-in counts the requests (none when the index has the paper)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from tests.arxiv_server import ArxivStandIn
from tests.oai_server import Paper, generate_papers, snapshot_line

PAPERS = [p for p in generate_papers(12, seed=5) if "/" not in p.arxiv_id][:6]
# The index's copy of a paper the arXiv stand-in knows too, with one version and its
# own title, so a test can tell where the stored paper came from.
CONCRETE = replace(
    PAPERS[0],
    arxiv_id="1611.00712",
    title="The Concrete Distribution\n  (as the index has it)",
    versions=((datetime(2016, 11, 2, 17, 0, tzinfo=UTC), 700),),
    dois=(),
)


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def show(ref: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run("show", ref, "--format", "json").stdout)
    return data


def load_index(tmp_path: Path, papers: list[Paper]) -> None:
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text("".join(snapshot_line(p) + "\n" for p in papers), encoding="utf-8")
    run("harvest", "--snapshot", str(snapshot))


def test_add_takes_papers_from_the_index_with_no_request(
    db_url: str, tmp_path: Path, arxiv_server: ArxivStandIn
) -> None:
    load_index(tmp_path, PAPERS)
    ids = [p.arxiv_id for p in PAPERS[:3]]

    out = run("add", *ids).stdout.splitlines()

    assert arxiv_server.log == []
    for line, paper in zip(out, PAPERS[:3], strict=True):
        assert line.startswith(f"added     {paper.arxiv_id}v{len(paper.versions)}  ")
        assert line.endswith("(from the arXiv index)")
    stored = show(ids[0])
    assert stored["title"] == PAPERS[0].flat_title
    assert stored["authors"] == PAPERS[0].author_names
    assert stored["categories"] == list(PAPERS[0].categories)
    assert [v["version"] for v in stored["versions"]][-1] == len(PAPERS[0].versions)
    assert stored["abstract"] == PAPERS[0].abstract


def test_only_papers_the_index_lacks_are_asked(
    sqlite_url: str, tmp_path: Path, arxiv_server: ArxivStandIn
) -> None:
    load_index(tmp_path, PAPERS)

    run("add", PAPERS[1].arxiv_id, "1802.02550", f"arxiv:{PAPERS[2].arxiv_id}v1")

    assert [r.ids for r in arxiv_server.log] == [("1802.02550",)]


def test_online_asks_arxiv_anyway(
    sqlite_url: str, tmp_path: Path, arxiv_server: ArxivStandIn
) -> None:
    load_index(tmp_path, [CONCRETE])

    first = run("add", "1611.00712").stdout
    assert arxiv_server.log == []
    assert first.startswith(
        "added     1611.00712v1  The Concrete Distribution (as the index has it)"
    )

    online = run("add", "1611.00712", "--online").stdout
    assert [r.ids for r in arxiv_server.log] == [("1611.00712",)]
    newest = arxiv_server.corpus["1611.00712"]
    assert online.startswith(f"updated   1611.00712v{newest.version}  {newest.title}")
    assert "(from the arXiv index)" not in online


def test_an_index_older_than_the_catalog_is_not_used(
    sqlite_url: str, tmp_path: Path, arxiv_server: ArxivStandIn
) -> None:
    run("add", "1611.00712")  # from arXiv: its latest version (more than the index's one)
    newest = arxiv_server.corpus["1611.00712"].version
    assert newest > 1
    load_index(tmp_path, [CONCRETE])

    again = run("add", "1611.00712").stdout

    assert len(arxiv_server.log) == 2  # asked arXiv again: the index would go backwards
    assert again.startswith(f"unchanged 1611.00712v{newest}")
    assert show("1611.00712")["version"] == newest


def test_no_index_no_index_file(
    sqlite_url: str, tmp_path: Path, arxiv_server: ArxivStandIn
) -> None:
    run("add", "1611.00712")
    assert len(arxiv_server.log) == 1
    assert not (tmp_path / "arxiv-index.sqlite").exists()  # add never makes an index


def test_planning_with_papers_from_the_index(
    sqlite_url: str, tmp_path: Path, arxiv_server: ArxivStandIn
) -> None:
    load_index(tmp_path, PAPERS)
    run("session", "new", "2024-01-09-index", "--title", "From the index")

    out = run("add", PAPERS[3].arxiv_id, "--session", "2024-01-09-index", "--presenter", "Ji")

    assert arxiv_server.log == []
    assert f"added     #1 2024-01-09-index  Ji: {PAPERS[3].flat_title}" in out.stdout


@pytest.mark.parametrize("online", [False, True])
def test_unknown_to_the_index_and_to_arxiv(
    sqlite_url: str, tmp_path: Path, arxiv_server: ArxivStandIn, online: bool
) -> None:
    load_index(tmp_path, PAPERS)
    args = ["add", "1901.99999", *(["--online"] if online else [])]
    result = run(*args, code=1)
    assert result.stderr.strip() == "catalog: 1901.99999: not found on arXiv"


# -- catalog search --arxiv ------------------------------------------------------------------

# Papers with words to find: titles of their own, so a search's hits are known.
FOUND = [
    replace(p, arxiv_id=f"2401.{i + 1:05d}", title=title)
    for i, (p, title) in enumerate(
        zip(
            generate_papers(30, seed=9),
            [f"Diffusion kernels on graphs, part {n}" for n in range(1, 26)]
            + ["Quantum topology without kernels"] * 5,
            strict=True,
        )
    )
]


def ids(result: Result) -> list[str]:
    return [r["arxiv_id"] for r in json.loads(result.stdout)]


def test_search_arxiv_finds_the_index_s_papers_ranked_and_paged(
    db_url: str, tmp_path: Path
) -> None:
    load_index(tmp_path, FOUND)

    first = run("search", "--arxiv", "diffusion", "kernel", "--format", "json")
    hits = json.loads(first.stdout)
    assert len(hits) == 20  # the default --limit
    assert all("Diffusion kernels on graphs" in h["title"] for h in hits)
    assert hits[0]["url"].startswith("https://arxiv.org/abs/2401.")
    assert "more matches in the arXiv index (1-20 shown); next page: --offset 20" in first.stderr

    rest = ids(
        run("search", "--arxiv", "diffusion", "kernel", "--offset", "20", "--format", "json")
    )
    everything = ids(
        run("search", "--arxiv", "diffusion", "kernel", "--limit", "0", "--format", "json")
    )
    assert len(rest) == 5 and sorted([h["arxiv_id"] for h in hits] + rest) == sorted(everything)
    assert len(everything) == 25

    # Word prefixes, any field; a table by default.
    table = run("search", "--arxiv", "quant", "topol").stdout.splitlines()
    assert table[0].split() == ["ID", "YEAR", "TITLE", "AUTHORS"]
    assert len(table) == 6 and "Quantum topology without kernels" in table[1]

    none = run("search", "--arxiv", "zebra")
    assert none.stdout == "" and none.stderr.strip() == "catalog: no matches in the arXiv index"
    assert run("search", "--arxiv", "zebra", "--format", "json").stdout.strip() == "[]"


def test_search_arxiv_without_an_index_says_how_to_make_one(
    sqlite_url: str, tmp_path: Path
) -> None:
    result = run("search", "--arxiv", "diffusion", code=1)
    line = result.stderr.strip()
    assert line.startswith("catalog: error: no arXiv index yet (no ")
    assert str(tmp_path / "arxiv-index.sqlite") in line
    assert "catalog harvest --snapshot" in line and "catalog harvest --set cs" in line
    assert not (tmp_path / "arxiv-index.sqlite").exists()  # searching made none


def test_search_arxiv_in_an_empty_index_says_it_is_empty(sqlite_url: str, tmp_path: Path) -> None:
    run("harvest", "--status")  # makes the index file, with no records
    assert (tmp_path / "arxiv-index.sqlite").exists()
    result = run("search", "--arxiv", "diffusion")
    line = result.stderr.strip()
    assert result.stdout == ""
    assert line.startswith("catalog: the arXiv index (") and line.endswith(
        "is empty; fill it with catalog harvest --snapshot FILE or catalog harvest --set SET"
    )
    assert str(tmp_path / "arxiv-index.sqlite") in line


def test_search_arxiv_refuses_the_catalog_s_filters(sqlite_url: str, tmp_path: Path) -> None:
    result = run("search", "--arxiv", "diffusion", "--tag", "x", code=2)
    assert "filter the catalog's papers, not the arXiv index" in result.stderr
