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
