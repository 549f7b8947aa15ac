"""`catalog check`'s title-mismatch for rows whose link is a DOI, OpenReview or proceedings
link (issue 11 part 5): the read path (catalog/store/lookup.py, paper_identifier) on both
backends, and the real CLI against papers added from the stand-ins; check stays free of
the ORM with such a catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from catalog.check.findings import KnownPaper
from catalog.cli.main import cli
from catalog.store.lookup import open_reader
from tests.crossref_server import CrossrefStandIn
from tests.openreview_server import OpenReviewStandIn
from tests.proceedings_server import ProceedingsStandIn

DNC = "Hybrid computing using a neural network with dynamic external memory"
BOUNDARY = "Decision Boundary Analysis of Adversarial Examples"
KAZEMI = (
    "Scalable Deletion-Robust Submodular Maximization: Data Summarization with Privacy and "
    "Fairness Constraints"
)
POST = f"""---
layout: post
title: Beyond arXiv
---

| Presenter | Papers | Paper URL |
| --- | --- | --- |
| Ann | {DNC} | [PDF](https://www.nature.com/articles/nature20101) |
| Bo | Neural Turing Machines | [PDF](https://doi.org/10.1038/NATURE20101) |
| Cy | {BOUNDARY} | [PDF](https://openreview.net/forum?id=BkpiPMbA-) |
| Di | Adversarial Examples Are Not Bugs | [PDF](https://openreview.net/pdf?id=BkpiPMbA-) |
| Ed | Robust Submodular Maximization | [PDF](http://proceedings.mlr.press/v80/kazemi18a.html) |
| Fe | A paper the catalog does not know | [PDF](https://doi.org/10.5555/unknown.1) |
"""


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def write_post(tmp_path: Path) -> Path:
    post = tmp_path / "_posts" / "2020-01-07-beyond.md"
    post.parent.mkdir()
    post.write_text(POST, encoding="utf-8")
    return post


def add_three() -> None:
    run(
        "add", "doi:10.1038/nature20101", "openreview:BkpiPMbA-", "pmlr:v80/kazemi18a"
    )  # fmt: skip


def test_known_identifiers_read_papers_a_source_described(
    db_url: str,
    tmp_path: Path,
    crossref_server: CrossrefStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    proceedings_server: ProceedingsStandIn,
) -> None:
    # Known from a post only: its title is the post's own text, which proves nothing.
    run("import", str(write_post(tmp_path)))
    with open_reader(db_url) as reader:  # type: ignore[union-attr]
        assert reader.known_identifiers(["doi:10.1038/nature20101", "doi:10.5555/unknown.1"]) == {}

    add_three()
    keys = [
        "doi:10.1038/nature20101", "openreview:BkpiPMbA-", "pmlr:v80/kazemi18a",
        "doi:10.5555/unknown.1", "acl:N19-1423", "nonsense", "doi:",
    ]  # fmt: skip
    with open_reader(db_url) as reader:  # type: ignore[union-attr]
        known = reader.known_identifiers(keys)
        lookup = reader.lookup([*keys, "1611.00712"])
    assert set(known) == {"doi:10.1038/nature20101", "openreview:BkpiPMbA-", "pmlr:v80/kazemi18a"}
    dnc = known["doi:10.1038/nature20101"]
    assert (dnc.title, dnc.link, dnc.named) == (DNC, "doi:10.1038/nature20101", dnc.link)
    assert dnc.abstract is not None and dnc.abstract.startswith("Artificial neural networks")
    assert known["openreview:BkpiPMbA-"] == KnownPaper(
        "", BOUNDARY, known["openreview:BkpiPMbA-"].abstract, link="openreview:BkpiPMbA-"
    )
    assert known["pmlr:v80/kazemi18a"].title == KAZEMI
    assert lookup("doi:10.1038/nature20101") == dnc
    assert lookup("doi:10.5555/unknown.1") is None and lookup("1611.00712") is None


def test_many_identifiers_in_chunks(db_url: str, crossref_server: CrossrefStandIn) -> None:
    run("add", "doi:10.1038/nature20101")
    keys = [f"doi:10.5555/x.{i}" for i in range(1200)] + ["doi:10.1038/nature20101"]
    with open_reader(db_url) as reader:  # type: ignore[union-attr]
        assert list(reader.known_identifiers(keys)) == ["doi:10.1038/nature20101"]


def test_check_finds_wrong_doi_openreview_and_pmlr_links(
    db_url: str,
    tmp_path: Path,
    crossref_server: CrossrefStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    proceedings_server: ProceedingsStandIn,
) -> None:
    post = write_post(tmp_path)
    before = run("check", str(post), "--select", "title-mismatch")
    assert "title-mismatch" not in before.stdout  # the catalog does not know them yet

    add_three()
    result = run("check", str(post), "--select", "title-mismatch", code=1)

    found = [line for line in result.stdout.splitlines() if "title-mismatch" in line]
    assert [line.split(":")[1] for line in found] == ["9", "11", "12"]  # Bo, Di, Ed
    assert 'the link is doi:10.1038/nature20101 "Hybrid computing using' in found[0]
    assert 'this row\'s title is "Neural Turing Machines" (wrong link?)' in found[0]
    assert 'the link is openreview:BkpiPMbA- "Decision Boundary Analysis' in found[1]
    assert 'the link is pmlr:v80/kazemi18a "Scalable Deletion-Robust' in found[2]


PROBE = """
import sys
from catalog.cli.main import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "httpx")
print(code, ",".join(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def test_check_with_identifier_lookups_imports_no_orm(
    sqlite_url: str,
    tmp_path: Path,
    crossref_server: CrossrefStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    proceedings_server: ProceedingsStandIn,
) -> None:
    add_three()
    post = write_post(tmp_path)
    db = sqlite_url.removeprefix("sqlite:///")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--db", db, "check", str(post), "--select", "title-mismatch"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.stderr.splitlines()[-1].rstrip() == "1"  # findings, and no heavy module
    assert done.stdout.count("title-mismatch") == 3
