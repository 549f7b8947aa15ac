"""`catalog add` of every identifier form (issue 11): DOIs, page URLs carrying one,
OpenReview, PMLR, NeurIPS, ACL Anthology and DBLP, mixed with arXiv ids, through the real
entry point against the loopback stand-ins of each source and a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from tests.arxiv_server import ArxivStandIn
from tests.arxiv_server import Paper as ArxivPaper
from tests.crossref_server import CrossrefStandIn
from tests.dblp_server import DblpStandIn
from tests.fixtures.works import WORKS, Work, _people
from tests.openreview_server import OpenReviewStandIn
from tests.proceedings_server import ProceedingsStandIn

# One paper known to three sources by three identifiers (invented: Crossref's test
# prefix 10.5555): an arXiv preprint, its journal version (a DOI) and its OpenReview note.
THREE = Work(
    key="add-three",
    title="Routing Messages Between Three Kinds of Identifiers",
    authors=_people("Ada Example", "Grace Sample"),
    year=2023,
    kind="journal",
    why="added by its arXiv id, its DOI and its OpenReview link: one paper; invented",
    venue="Journal of Invented Results",
    volume="9",
    issue="2",
    pages="31-58",
    doi="10.5555/jir.2023.0777",
    arxiv="2210.07777",
    crossref_type="journal-article",
    openreview="thr3eIdsNt",
    openreview_api=2,
    openreview_venue="ICLR 2023 poster",
    openreview_venueid="ICLR.cc/2023/Conference",
)
CORPUS = (*WORKS, THREE)


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def show(ref: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run("show", ref, "--format", "json").stdout)
    return data


def paper_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM paper").fetchone()[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "catalog.sqlite"


@pytest.fixture
def arxiv(arxiv_server: ArxivStandIn) -> ArxivStandIn:
    """The arXiv stand-in, knowing THREE's preprint too."""
    first = datetime(2022, 10, 14, 17, 0, tzinfo=UTC)
    arxiv_server.add_papers(
        [
            ArxivPaper(
                id="2210.07777",
                title=THREE.title,
                authors=[(p.name, None) for p in THREE.authors],
                abstract="We route messages between identifiers.",
                versions=[first],
                categories=["cs.LG"],
            )
        ]
    )
    return arxiv_server


@pytest.fixture
def crossref(monkeypatch: pytest.MonkeyPatch) -> Iterator[CrossrefStandIn]:
    with CrossrefStandIn(works=CORPUS) as server:
        monkeypatch.setenv("CATALOG_CROSSREF_URL", server.url)
        yield server


@pytest.fixture
def openreview(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OpenReviewStandIn, ...]]:
    with OpenReviewStandIn(api=2, works=CORPUS) as v2, OpenReviewStandIn(api=1, works=CORPUS) as v1:
        monkeypatch.setenv("CATALOG_OPENREVIEW_URL", v2.url)
        monkeypatch.setenv("CATALOG_OPENREVIEW_V1_URL", v1.url)
        yield v2, v1


def schemes(paper: dict[str, Any]) -> dict[str, str]:
    idents = paper["identifiers"]
    assert isinstance(idents, list)
    return {i["scheme"]: i["value"] for i in idents}


def test_one_paper_by_its_arxiv_id_doi_and_openreview_link(
    arxiv: ArxivStandIn,
    crossref: CrossrefStandIn,
    openreview: tuple[OpenReviewStandIn, ...],
    db: Path,
) -> None:
    first = run("add", "2210.07777")
    assert first.stdout.startswith(f"added     2210.07777v1  {THREE.title}")
    by_doi = run("add", "doi:10.5555/JIR.2023.0777")  # DOIs are case-insensitive
    assert by_doi.stdout.startswith("updated   doi:10.5555/jir.2023.0777")
    assert "identifiers: + doi:10.5555/jir.2023.0777" in by_doi.stdout
    run("add", "https://openreview.net/forum?id=thr3eIdsNt")
    assert paper_count(db) == 1

    paper = show("2210.07777")
    assert schemes(paper) == {
        "arxiv": "2210.07777",
        "doi": "10.5555/jir.2023.0777",
        "openreview": "thr3eIdsNt",
    }
    assert paper["venue"] == "Journal of Invented Results" and paper["pages"] == "31-58"
    assert paper["abstract"] == "We route messages between identifiers."  # arXiv's, kept
    for ref in ("https://doi.org/10.5555/jir.2023.0777", "openreview:thr3eIdsNt"):
        assert show(ref)["identifiers"] == paper["identifiers"]
    text = run("show", "10.5555/jir.2023.0777").stdout
    assert "arXiv:" in text and "DOI:" in text and "OpenReview:" in text
    assert "https://openreview.net/forum?id=thr3eIdsNt" in text

    # Adding any of them again changes nothing and asks each source once more.
    again = run("add", "https://openreview.net/pdf?id=thr3eIdsNt", "10.5555/jir.2023.0777")
    assert [line.split()[0] for line in again.stdout.splitlines()] == ["unchanged"] * 2
    assert paper_count(db) == 1


def test_every_form_in_one_call_each_source_asked_once(
    arxiv_server: ArxivStandIn,
    crossref_server: CrossrefStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    proceedings_server: ProceedingsStandIn,
    dblp_server: DblpStandIn,
    db: Path,
) -> None:
    refs = [
        "1802.02550",
        "doi:10.1038/nature20101",
        "https://www.nature.com/articles/nature14539",  # a page that carries a DOI
        "https://openreview.net/forum?id=BkpiPMbA-",
        "https://proceedings.mlr.press/v80/kazemi18a.html",
        "https://papers.nips.cc/paper/5346-sequence-to-sequence-learning-with-neural",
        "https://aclanthology.org/N19-1423/",
        "https://dblp.org/rec/conf/iclr/ZophL17.html",
    ]
    result = run("add", *refs, "--format", "json")
    data = json.loads(result.stdout)
    assert data["failed"] == []
    assert [s["status"] for s in data["stored"]] == ["added"] * len(refs)
    assert [s["source"] for s in data["stored"]] == [
        "arxiv", "crossref", "crossref", "openreview", "proceedings", "proceedings",
        "proceedings", "dblp",
    ]  # fmt: skip
    assert paper_count(db) == len(refs)

    # Crossref: both DOIs in one filter request; arXiv: one request.
    assert [sorted(r.ids) for r in crossref_server.log] == [
        ["10.1038/nature14539", "10.1038/nature20101"]
    ]
    assert [r.ids for r in arxiv_server.log] == [("1802.02550",)]

    dnc = show("https://doi.org/10.1038/NATURE20101")
    assert dnc["title"].startswith("Hybrid computing using a neural network")
    assert dnc["venue"] == "Nature" and dnc["volume"] == "538" and dnc["year"] == 2016
    assert show("doi:10.1038/nature14539")["title"] == "Deep learning"
    boundary = show("openreview:BkpiPMbA-")
    assert boundary["authors"] == ["Warren He", "Bo Li", "Dawn Song"] and boundary["year"] == 2018
    kazemi = show("pmlr:v80/kazemi18a")
    assert kazemi["authors"][0] == "Ehsan Kazemi"
    # The legacy NeurIPS number finds the paper, as does the hash id its page names.
    seq = show("https://papers.nips.cc/paper/5346-sequence-to-sequence-learning-with-neural")
    assert seq["title"] == "Sequence to Sequence Learning with Neural Networks"
    assert schemes(seq)["neurips"] in ("5346", "2014/hash/a14ac55a4f27472c5d894ec1c3c743d2")
    assert show("neurips:5346")["identifiers"] == seq["identifiers"]
    hash_page = "https://proceedings.neurips.cc/paper/2014/hash/a14ac55a4f27472c5d894ec1c3c743d2-Abstract.html"
    assert run("add", hash_page).stdout.startswith("unchanged neurips:2014/hash/a14ac55a")
    assert paper_count(db) == len(refs)
    bert = show("acl:N19-1423")
    assert bert["title"].startswith("BERT")
    assert show("dblp:conf/iclr/ZophL17")["title"] == (
        "Neural Architecture Search with Reinforcement Learning"
    )


def test_text_output_names_the_source(
    crossref_server: CrossrefStandIn, proceedings_server: ProceedingsStandIn, db: Path
) -> None:
    out = run("add", "10.1038/nature20101", "acl:N19-1423").stdout.splitlines()
    assert out[0] == (
        "added     doi:10.1038/nature20101  Hybrid computing using a neural network with "
        "dynamic external memory  (Crossref)"
    )
    assert out[1].startswith("added     acl:N19-1423  BERT: Pre-training")
    assert out[1].endswith("(proceedings page)")


def test_arxiv_paper_then_its_published_versions_merge(
    arxiv_server: ArxivStandIn,
    crossref_server: CrossrefStandIn,
    proceedings_server: ProceedingsStandIn,
    db: Path,
) -> None:
    """BERT by its arXiv id, its DOI and its ACL Anthology page: one paper."""
    run("add", "1810.04805")
    run("add", "10.18653/v1/N19-1423", "https://aclanthology.org/N19-1423/")
    assert paper_count(db) == 1
    bert = show("1810.04805")
    assert set(schemes(bert)) == {"arxiv", "doi", "acl"}
    assert bert["pages"] == "4171-4186"


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("doi:10.1038", "suffix is missing"),
        ("10.12/abc", "registrant"),
        ("https://example.org/paper/17", "not a page the catalog reads identifiers from"),
        ("https://ieeexplore.ieee.org/document/8099678", "carry no identifier"),
        ("https://openreview.net/group?id=ICLR.cc", "OpenReview papers are"),
        ("https://proceedings.mlr.press/v80/", "PMLR papers are"),
    ],
)
def test_malformed_ids_and_unknown_urls_are_refused_before_any_request(
    arxiv_server: ArxivStandIn, crossref_server: CrossrefStandIn, db: Path, bad: str, hint: str
) -> None:
    result = run("add", "1611.00712", "doi:10.1038/nature20101", bad, code=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert repr(bad) in lines[0] and hint in lines[0]
    assert "accepted forms" in lines[0] and "doi:10.1038/nature20101" in lines[0]
    assert arxiv_server.log == [] and crossref_server.log == []
    assert paper_count(db) == 0


def test_unknown_identifiers_are_reported_exit_1_and_the_rest_stored(
    crossref_server: CrossrefStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    db: Path,
) -> None:
    result = run(
        "add", "10.1038/nature20101", "10.5555/no.such.doi", "openreview:NoSuchNote1", code=1
    )
    assert result.stdout.startswith("added     doi:10.1038/nature20101")
    assert result.stderr.splitlines() == [
        "catalog: doi:10.5555/no.such.doi: not found at Crossref",
        "catalog: openreview:NoSuchNote1: not found at OpenReview",
    ]
    assert paper_count(db) == 1


def test_a_failing_source_is_one_line_and_exit_3_what_was_found_is_kept(
    arxiv_server: ArxivStandIn, crossref_server: CrossrefStandIn, db: Path
) -> None:
    crossref_server.script(*["503:retry-after=0"] * 10)
    result = run("add", "1611.00712", "doi:10.1038/nature20101", "--session", "x", code=1)
    assert "no session" in result.stderr  # an unknown session: nothing asked at all
    assert crossref_server.log == [] and arxiv_server.log == []

    result = run("add", "1611.00712", "doi:10.1038/nature20101", code=3)
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("catalog: doi:10.1038/nature20101: Crossref")
    assert "503" in lines[0]
    assert len(crossref_server.log) > 1  # it retried before giving up
    assert result.stdout.startswith("added     1611.00712")  # arXiv's paper is kept
    assert paper_count(db) == 1


def test_a_source_that_recovers_after_retry_after(
    crossref_server: CrossrefStandIn, db: Path
) -> None:
    crossref_server.script("503:retry-after=1")
    run("add", "doi:10.1038/nature20101")
    log = crossref_server.log
    assert [r.status for r in log] == [503, 200]
    assert log[1].time - log[0].time >= 1.0
    assert paper_count(db) == 1


def test_an_error_payload_is_reported_as_the_source_failing(
    crossref_server: CrossrefStandIn, db: Path
) -> None:
    crossref_server.script(*["error"] * 10)
    result = run("add", "doi:10.1038/nature20101", "--format", "json", code=3)
    failed = json.loads(result.stdout)["failed"]
    assert [(f["id"], f["unreachable"]) for f in failed] == [("doi:10.1038/nature20101", True)]
    assert "Crossref" in failed[0]["reason"]
    assert paper_count(db) == 0


def test_a_disabled_source_is_refused_before_any_request(
    arxiv_server: ArxivStandIn,
    crossref_server: CrossrefStandIn,
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
) -> None:
    monkeypatch.setenv("CATALOG_SOURCES", "arxiv")
    result = run("add", "1611.00712", "doi:10.1038/nature20101", code=2)
    assert "no enabled source fetches DOIs (doi:10.1038/nature20101)" in result.stderr
    assert "add crossref to it" in result.stderr
    assert arxiv_server.log == [] and crossref_server.log == []


def test_session_planning_with_dois_and_links(
    arxiv_server: ArxivStandIn,
    crossref_server: CrossrefStandIn,
    openreview_servers: tuple[OpenReviewStandIn, OpenReviewStandIn],
    db: Path,
) -> None:
    run("session", "new", "2020-02-02-beyond", "--title", "Beyond arXiv")
    out = run(
        "add", "doi:10.1038/nature20101", "https://openreview.net/forum?id=BkpiPMbA-",
        "--session", "2020-02-02-beyond", "--presenter", "Ji",
    ).stdout  # fmt: skip
    assert "added     #1 2020-02-02-beyond  Ji: Hybrid computing" in out
    assert "added     #2 2020-02-02-beyond  Ji: Decision Boundary Analysis" in out
    # Again, with a DOI page URL of the first: the talk is updated, never added twice.
    again = run(
        "add", "https://doi.org/10.1038/NATURE20101", "--session", "2020-02-02-beyond",
        "--slides", "s.pdf",
    ).stdout  # fmt: skip
    assert "updated   #1 2020-02-02-beyond" in again
    talks = json.loads(run("session", "show", "2020-02-02-beyond", "--format", "json").stdout)
    assert [t["slides_url"] for t in talks["presentations"]] == ["s.pdf", None]

    # A ref that fails: no talk at all.
    failed = run(
        "add", "doi:10.1038/nature14539", "doi:10.5555/none", "--session", "2020-02-02-beyond",
        code=1,
    )  # fmt: skip
    assert "catalog: no talk added to session 2020-02-02-beyond" in failed.stderr
    talks = json.loads(run("session", "show", "2020-02-02-beyond", "--format", "json").stdout)
    assert len(talks["presentations"]) == 2


def test_together_makes_one_talk_of_two_refs_of_one_paper(
    crossref_server: CrossrefStandIn, proceedings_server: ProceedingsStandIn, db: Path
) -> None:
    run("session", "new", "2020-02-03-bert", "--title", "BERT")
    out = run(
        "add", "10.18653/v1/N19-1423", "https://aclanthology.org/N19-1423/", "acl:N19-1423",
        "--session", "2020-02-03-bert", "--together",
    ).stdout  # fmt: skip
    talks = json.loads(run("session", "show", "2020-02-03-bert", "--format", "json").stdout)
    assert len(talks["presentations"]) == 1
    assert len(talks["presentations"][0]["papers"]) == 1, out


def test_every_written_form_of_a_doi_is_one_paper(
    crossref_server: CrossrefStandIn, db: Path
) -> None:
    forms = [
        "doi:10.1038/nature20101",
        "10.1038/NATURE20101",
        "https://doi.org/10.1038/nature20101",
        "http://dx.doi.org/10.1038%2Fnature20101",
        "https://www.nature.com/articles/nature20101.pdf",
        "https://link.springer.com/article/10.1038/nature20101",
        "https://dl.acm.org/doi/abs/10.1038/nature20101",
        "(doi:10.1038/nature20101).",
    ]
    statuses = [run("add", form).stdout.split()[0] for form in forms]
    assert statuses == ["added"] + ["unchanged"] * (len(forms) - 1)
    assert paper_count(db) == 1
    assert all(r.ids == ("10.1038/nature20101",) for r in crossref_server.log)
