"""`catalog import refs.bib`: entries merge with the catalog, keep their keys, carry
arXiv ids for `catalog sync`, and unparsable blocks are reported with their lines."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from catalog.cli.main import cli
from tests.arxiv_server import ArxivStandIn

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "tests" / "fixtures" / "bib"
EXAMPLES = REPO / "examples" / "_posts"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def papers() -> list[dict]:  # type: ignore[type-arg]
    return json.loads(run("list", "--limit", "0", "--format", "json").stdout)  # type: ignore[no-any-return]


def test_bib_entries_merge_with_posts_and_keep_their_keys() -> None:
    assert run("import", str(EXAMPLES)).exit_code == 0
    listed = papers()  # the examples include papers without an arXiv id
    before = {p["arxiv_id"]: p for p in listed if p["arxiv_id"]}
    result = run("import", str(BIB / "arxiv.bib"))
    assert result.exit_code == 0, result.stderr
    after = {p["arxiv_id"]: p for p in papers() if p["arxiv_id"]}
    # The seed's papers were in the catalog from the posts: merged, not duplicated.
    for arxiv_id in ("1611.00712", "1804.01694", "1711.05772", "1802.02550", "1804.01118"):
        assert arxiv_id in before and arxiv_id in after
    assert len(papers()) == len(listed) + _added(result)
    assert after["1711.05772"]["citation_key"] == "DBLP:journals/corr/abs-1711-05772"
    assert after["1802.02550"]["citation_key"] == "kim2018semi"
    assert after["1802.02550"]["title"] == "Semi-Amortized Variational Autoencoders"
    # Re-importing changes nothing.
    count = len(papers())
    again = run("import", str(BIB / "arxiv.bib"))
    assert _added(again) == 0
    assert len(papers()) == count


def _added(result: Result) -> int:
    line = result.stdout.strip().splitlines()[-1]
    return int(line.split("added ")[1].split(",")[0])


def test_keys_from_bib_are_what_export_writes() -> None:
    run("import", str(BIB / "arxiv.bib"))
    text = run("export", "bibtex", "--paper", "1711.05772").stdout
    assert text.startswith("@")
    assert "{DBLP:journals/corr/abs-1711-05772," in text


def test_bib_ids_feed_sync(arxiv_server: ArxivStandIn) -> None:
    run("import", str(BIB / "arxiv.bib"))
    synced = run("sync")
    assert synced.exit_code in (0, 1), synced.stderr  # fixtures may name ids arXiv lacks
    shown = json.loads(run("show", "1611.00712", "--format", "json").stdout)
    assert shown["version"] == arxiv_server.corpus["1611.00712"].version
    assert shown["citation_key"] == "maddison2016concrete"


def test_broken_blocks_are_reported_with_lines_and_good_ones_kept() -> None:
    result = run("import", str(BIB / "broken.bib"))
    assert result.exit_code == 1
    failures = [ln for ln in result.stderr.splitlines() if "could not parse" in ln]
    assert failures and all(ln.startswith(f"{BIB / 'broken.bib'}:") for ln in failures)
    assert any(":13:" in ln for ln in failures)  # the entry whose brace never closes
    titles = {p["title"] for p in papers()}
    assert "A Good Entry" in titles


def test_dry_run_and_unreadable_file(tmp_path: Path) -> None:
    assert "would add" in run("import", "--dry-run", str(BIB / "arxiv.bib")).stdout
    assert papers() == []
    missing = run("import", str(tmp_path / "nope.bib"))
    assert missing.exit_code == 2
    assert "nope.bib" in missing.stderr and "Traceback" not in missing.output
