"""`catalog resolve` through the real entry point against the stand-ins (Crossref, DBLP,
OpenReview, the proceedings sites, arXiv), on a real database: the acceptance rule and
its evidence, one test per decoy kind of tests/fixtures/works.py (no wrong paper is ever
accepted), ambiguity reported and changing nothing, --dry-run, --published, --format
json, exit codes, and the example posts ending with authors and a year for every paper."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from catalog.cli.main import cli
from catalog.records import WorkRecord
from catalog.resolve.rule import Known, decide, evidence, judge
from catalog.store.catalog import Catalog
from tests.arxiv_server import ArxivStandIn
from tests.crossref_server import CrossrefStandIn
from tests.dblp_server import DblpStandIn
from tests.fixtures.works import WORKS, Work, by_key
from tests.openreview_server import OpenReviewStandIn
from tests.proceedings_server import ProceedingsStandIn

REPO = Path(__file__).resolve().parents[1]
POSTS = REPO / "examples" / "_posts"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


class Servers:
    """Every stand-in, serving ``works``; counts what was asked of each."""

    def __init__(self, stack: ExitStack, monkeypatch: pytest.MonkeyPatch, works: tuple[Work, ...]):
        self.crossref = stack.enter_context(CrossrefStandIn(works))
        self.dblp = stack.enter_context(DblpStandIn(works))
        self.v2 = stack.enter_context(OpenReviewStandIn(api=2, works=works))
        self.v1 = stack.enter_context(OpenReviewStandIn(api=1, works=works))
        self.proceedings = stack.enter_context(ProceedingsStandIn(works))
        self.arxiv = stack.enter_context(ArxivStandIn())
        env = {
            "CATALOG_CROSSREF_URL": self.crossref.url,
            "CATALOG_DBLP_URL": self.dblp.url,
            "CATALOG_OPENREVIEW_URL": self.v2.url,
            "CATALOG_OPENREVIEW_V1_URL": self.v1.url,
            "CATALOG_PMLR_URL": self.proceedings.url,
            "CATALOG_NEURIPS_URL": self.proceedings.url,
            "CATALOG_ACL_URL": self.proceedings.url,
            "CATALOG_ARXIV_URL": self.arxiv.url,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    @property
    def requests(self) -> int:
        servers = (self.crossref, self.dblp, self.v2, self.v1, self.proceedings, self.arxiv)
        return sum(len(s.log) for s in servers)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Servers]]:
    with ExitStack() as stack:

        def start(*keys: str) -> Servers:
            works = tuple(by_key(k) for k in keys) if keys else WORKS
            return Servers(stack, monkeypatch, works)

        yield start


def bib(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "refs.bib"
    path.write_text("\n\n".join(entries) + "\n", encoding="utf-8")
    return path


def entry(key: str, title: str, author: str | None = None, year: int | None = None) -> str:
    fields = [f"  title = {{{title}}}"]
    if author:
        fields.append(f"  author = {{{author}}}")
    if year:
        fields.append(f"  year = {{{year}}}")
    return f"@article{{{key},\n" + ",\n".join(fields) + "\n}"


def resolve_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run("resolve", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def paper(ref: str) -> Any:
    with Catalog.open() as catalog:
        return catalog.find_paper(ref)


# -- the rule, on its own --------------------------------------------------------------------


def _rec(**kw: Any) -> WorkRecord:
    base: dict[str, Any] = {"source": "dblp", "title": "Deep Learning", "kind": "book"}
    return WorkRecord(**{**base, **kw})


def test_the_rule_needs_the_title_and_an_agreeing_signal_and_no_disagreeing_one() -> None:
    known = Known(title="Deep learning.", authors=("Ian Goodfellow",), year=2016)
    ok = evidence(known, _rec(authors=("Ian J. Goodfellow", "Aaron Courville"), year=2016))
    assert (ok.title_score, ok.title_match, ok.authors, ok.year) == (1.0, True, "agree", "agree")
    assert ok.shared_authors == ("goodfellow",) and judge(ok).accepted
    # Same title, other authors: rejected, whatever the year says.
    other = evidence(known, _rec(authors=("Jeff Reviewer",), year=2016))
    assert other.authors == "disagree" and not judge(other).accepted
    # Same authors, four years off.
    late = evidence(known, _rec(authors=("Ian Goodfellow",), year=2020))
    assert (late.year, late.year_gap) == ("disagree", 4) and not judge(late).accepted
    # A title one word away is close (reported as ambiguous), never taken.
    near = evidence(known, _rec(title="Deep Learnings", authors=("Ian Goodfellow",)))
    verdict = judge(near)
    assert near.title_score is not None and 0.9 <= near.title_score < 1.0
    assert not verdict.accepted and verdict.close
    # Where a preprint was published: a later year is no disagreement, a preprint no answer.
    pub = evidence(known, _rec(kind="journal", authors=("Ian Goodfellow",), year=2019),
                   published=True)  # fmt: skip
    assert pub.year == "unknown" and judge(pub, published=True).accepted
    pre = evidence(known, _rec(kind="preprint", authors=("Ian Goodfellow",)), published=True)
    assert not judge(pre, published=True).accepted


@pytest.mark.parametrize("kind", ["thesis", "comment", "erratum", "review"])
def test_never_a_paper_whatever_else_agrees(kind: str) -> None:
    known = Known(title="Deep Learning", authors=("Ian Goodfellow",), year=2016)
    rec = _rec(kind=kind, authors=("Ian Goodfellow",), year=2016)
    decision = decide(known, [rec])
    assert decision.status == "not found"
    assert not decision.candidates[0].verdict.accepted
    # A thesis is taken only for a paper that is itself a thesis (a .bib @phdthesis).
    if kind == "thesis":
        assert decide(Known(**{**known.__dict__, "thesis": True}), [rec]).status == "accepted"


def test_two_works_passing_is_ambiguous_and_one_work_twice_is_not() -> None:
    known = Known(title="Deep Learning", authors=("Yoshua Bengio",), year=2016)
    book = _rec(authors=("Ian Goodfellow", "Yoshua Bengio"), year=2016, source_id="books/x")
    article = _rec(kind="journal", authors=("Yann LeCun", "Yoshua Bengio"), year=2015)
    assert decide(known, [book, article]).status == "ambiguous"
    corr = _rec(kind="preprint", authors=("Ian Goodfellow", "Yoshua Bengio"), year=2016)
    decision = decide(known, [corr, book])
    assert (decision.status, decision.works) == ("accepted", 1)
    assert decision.chosen is not None and decision.chosen.record is book  # the published one


# -- decoys: one test per kind, against the stand-ins -----------------------------------------

# (decoy kind, the real work, its decoy, the .bib entry that knows the paper)
DECOYS = [
    ("erratum", "dnc", "dnc-erratum",
     entry("dnc", "Hybrid computing using a neural network with dynamic external memory",
           "Graves, Alex and Wayne, Greg", 2016)),
    ("comment", "dnc", "dnc-comment",
     entry("dnc", "Hybrid computing using a neural network with dynamic external memory",
           "Graves, Alex", 2016)),
    ("thesis", "savae", "savae-thesis",
     entry("savae", "Semi-Amortized Variational Autoencoders", "Kim, Yoon", 2018)),
    ("a title one word away", "seq2seq", "conv-seq2seq",
     entry("s2s", "Sequence to Sequence Learning", "Sutskever, Ilya", 2014)),
    ("same title, other year and authors", "fgsm", "fgsm-2021",
     entry("fgsm", "Explaining and Harnessing Adversarial Examples", "Goodfellow, Ian J.", 2015)),
    ("book review", "dl-book", "dl-review",
     entry("dl", "Deep Learning", "Goodfellow, Ian and Courville, Aaron", 2016)),
]  # fmt: skip


def _identifiers_of(work: Work) -> set[str]:
    found = {
        f"doi:{work.doi.lower()}" if work.doi else "",
        f"dblp:{work.dblp}" if work.dblp else "",
    }
    return found - {""}


@pytest.mark.parametrize(("kind", "real", "decoy", "bibtex"), DECOYS, ids=[d[0] for d in DECOYS])
def test_a_decoy_alone_is_never_accepted(
    kind: str,
    real: str,
    decoy: str,
    bibtex: str,
    serve: Callable[..., Servers],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(decoy)
    # arXiv's stand-in has some of the real papers (savae, fgsm): it stays out of this.
    monkeypatch.setenv("CATALOG_SOURCES", "crossref,dblp,openreview,proceedings")
    assert run("import", str(bib(tmp_path, bibtex))).exit_code == 0
    before = paper(bibtex.split("{")[1].split(",")[0])
    code, report = resolve_json()
    (outcome,) = report["papers"]
    assert outcome["status"] in ("not found", "ambiguous"), outcome
    assert code == 1
    assert report["counts"]["filled"] == 0
    decoys = [c for c in outcome["candidates"] if c["record"]["title"] == by_key(decoy).title]
    assert decoys and not any(c["accepted"] for c in decoys)
    after = paper(before.citation_key)
    assert (after.id, after.authors, after.year, after.identifiers) == (
        before.id, before.authors, before.year, before.identifiers,
    )  # fmt: skip
    assert not set(map(str, after.identifiers)) & _identifiers_of(by_key(decoy))


@pytest.mark.parametrize(("kind", "real", "decoy", "bibtex"), DECOYS, ids=[d[0] for d in DECOYS])
def test_beside_its_decoy_the_real_work_is_the_one_taken(
    kind: str, real: str, decoy: str, bibtex: str, serve: Callable[..., Servers], tmp_path: Path
) -> None:
    work = by_key(real)
    if kind == "a title one word away":  # known by its whole title this time
        bibtex = entry("s2s", work.title, "Sutskever, Ilya", 2014)
    serve(real, decoy)
    assert run("import", str(bib(tmp_path, bibtex))).exit_code == 0
    code, report = resolve_json()
    (outcome,) = report["papers"]
    assert (code, outcome["status"]) == (0, "filled"), outcome
    taken = [c for c in outcome["candidates"] if c["accepted"]]
    assert taken and all(c["record"]["title"] == work.title for c in taken)
    decoy_ids = {i.split(":", 1)[1] for i in _identifiers_of(by_key(decoy))}
    refused = [c for c in outcome["candidates"] if c["record"]["source_id"] in decoy_ids]
    assert all(not c["accepted"] and c["reason"] for c in refused)
    stored = paper(outcome["label"])
    assert stored.year in (work.year, work.year - 1)  # DBLP's CoRR year may be one earlier
    assert {a.split()[-1] for a in stored.authors} >= {p.family for p in work.authors[:2]}
    assert _identifiers_of(work) & set(map(str, stored.identifiers))
    assert not _identifiers_of(by_key(decoy)) & set(map(str, stored.identifiers))


def post(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "_posts" / "2024-05-01-reading.md"
    path.parent.mkdir(exist_ok=True)
    head = "---\nlayout: post\ntitle: Reading\n---\n\n"
    table = "| Presenter | Papers | Paper URL | Our Slides |\n| --- | --- | --- | --- |\n"
    path.write_text(head + table + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_submission_is_no_publication(
    key: str, serve: Callable[..., Servers], tmp_path: Path
) -> None:
    """A rejected (withdrawn) ICLR submission's note is a preprint with no venue: it fills
    the row that links it, but asked where the paper was published (--published), it is
    no answer."""
    work = by_key(key)
    serve(key)
    link = f"https://openreview.net/forum?id={work.openreview}"
    row = f"| Ann | {work.title} | [OpenReview]({link}) | |"
    assert run("import", str(post(tmp_path, row))).exit_code == 0
    code, report = resolve_json("--published", f"openreview:{work.openreview}")
    (outcome,) = report["papers"]
    assert (code, outcome["status"]) == (1, "not found"), outcome
    assert [c["reason"] for c in outcome["candidates"]] == [
        "a preprint, not where the paper was published"
    ]
    assert paper(f"openreview:{work.openreview}").year is None
    code, report = resolve_json(f"openreview:{work.openreview}")
    assert (code, report["papers"][0]["status"]) == (0, "filled")
    stored = paper(f"openreview:{work.openreview}")
    assert stored.kind == "preprint" and stored.venue is None and stored.authors


# -- ambiguity, dry runs, reports, exit codes -------------------------------------------------


def test_ambiguous_candidates_are_reported_with_scores_and_change_nothing(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    """Known only as "Deep Learning" by Bengio in 2016: the book (2016) and the Nature
    article (2015) both pass; which one it is, a person must say."""
    servers = serve("lecun", "dl-book", "dl-review")
    run("import", str(bib(tmp_path, entry("dl", "Deep Learning", "Bengio, Yoshua", 2016))))
    before = paper("dl")
    result = run("resolve")
    assert result.exit_code == 1
    assert re.search(r"^ambiguous +dl +Deep Learning +\(2 different works pass\)", result.stdout,
                     re.M)  # fmt: skip
    # Every candidate with its evidence, on the lines below.
    assert re.search(r"books/daglib/0040158 .*title 1\.00, authors agree \(bengio\), "
                     r"year agree \(\+0\).*accepted", result.stdout)  # fmt: skip
    assert re.search(r"journals/nature/LeCunBH15 .*authors agree \(bengio\), "
                     r"year agree \(-1\).*accepted", result.stdout)  # fmt: skip
    assert re.search(r"^  ambiguous +1 +\(candidates above; nothing changed\)", result.stdout, re.M)
    after = paper("dl")
    assert (after.authors, after.year, after.identifiers, after.field_sources) == (
        before.authors, before.year, before.identifiers, before.field_sources,
    )  # fmt: skip
    # Tried: a plain run leaves it for a month, asking nothing; naming it asks again.
    asked = servers.requests
    again = run("resolve")
    assert again.exit_code == 0 and "looked for recently" in again.stdout
    assert servers.requests == asked
    assert run("resolve", "dl").exit_code == 1 and servers.requests > asked


def test_dry_run_prints_the_evidence_and_writes_nothing(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    serve()
    run("import", str(POSTS / "2019-09-17-beyond-arxiv.md"))
    result = run("resolve", "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^would fill doi:10\.1038/nature20101 +Hybrid computing .*\(crossref, by "
        r"doi:10\.1038/nature20101: the record the paper's link names\)", result.stdout, re.M
    )  # fmt: skip
    assert re.search(r"dblp +proceedings 2017 +conf/nips/VaswaniSPUJGKP17 .*title 1\.00, "
                     r"authors agree \(.*vaswani\), year agree \(\+0\)", result.stdout)  # fmt: skip
    assert "(nothing written: --dry-run)" in result.stdout
    with Catalog.open() as catalog:
        before = catalog.list_papers()
    code, report = resolve_json("--dry-run")
    with Catalog.open() as catalog:
        assert catalog.list_papers() == before
        assert [p.year for p in before if p.item_type == "paper"] == [None] * 7
    assert report["dry_run"] is True and report["counts"]["filled"] == 7
    nature = next(p for p in report["papers"] if p["label"] == "doi:10.1038/nature20101")
    (cand,) = nature["candidates"]
    assert cand["evidence"] == {
        "asked_by": "identifier", "kind": "journal", "title_score": 1.0, "title_match": True,
        "authors": "agree", "shared_authors": ["graves", "reynolds", "wayne"], "year": "agree",
        "year_gap": 0, "link": "agree", "link_detail": "doi:10.1038/nature20101",
        "title_head": False,
    }  # fmt: skip
    assert nature["changes"]["year"] == {"old": None, "new": 2016}


def test_published_finds_where_arxiv_papers_appeared(serve: Callable[..., Servers]) -> None:
    serve()
    assert run("add", "1611.00712", "1802.02550").exit_code == 0
    assert paper("1611.00712").venue is None
    code, report = resolve_json("--published")
    assert report["mode"] == "published"
    assert {p["label"]: p["status"] for p in report["papers"]} == {
        "1611.00712": "filled", "1802.02550": "filled",
    }  # fmt: skip
    concrete, savae = paper("1611.00712"), paper("1802.02550")
    assert concrete.year == 2017 and concrete.venue and concrete.title.startswith("The Concrete")
    assert savae.venue and "dblp:conf/icml/KimWMSR18" in map(str, savae.identifiers)
    assert concrete.field_sources["abstract"] == "arxiv"  # arXiv stays the preprint's source
    # Nothing left to ask.
    assert "nothing to resolve" in run("resolve", "--published").stdout


def test_a_paper_a_plain_run_filled_is_still_due_for_published(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    # A post's row links arXiv and names the paper by its short title (the part before
    # the colon): the plain run fills it from arXiv; that success is no "looked for
    # recently" that would keep --published from asking where it appeared.
    serve()
    post = tmp_path / "2017-01-10-concrete.md"
    post.write_text(
        "---\ntitle: Concrete\n---\n\n| Presenter | Paper | Paper URL |\n| --- | --- | --- |\n"
        "| Ann | The Concrete Distribution | [arXiv](https://arxiv.org/abs/1611.00712) |\n",
        encoding="utf-8",
    )
    assert run("import", str(post)).exit_code == 0
    code, plain = resolve_json()
    assert (code, [p["status"] for p in plain["papers"]]) == (0, ["filled"])
    code, published = resolve_json("--published")
    assert {p["label"]: p["status"] for p in published["papers"]} == {"1611.00712": "filled"}
    assert paper("1611.00712").year == 2017


def test_a_source_that_cannot_answer_is_exit_3_and_asked_again(
    serve: Callable[..., Servers], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = serve()
    monkeypatch.setenv("CATALOG_SOURCES", "crossref")
    servers.crossref.script(*["503"] * 5)  # every attempt of the one search
    run("import", str(bib(tmp_path, entry("dnc", by_key("dnc").title, "Graves, Alex", 2016))))
    result = CliRunner().invoke(cli, ["resolve"])
    assert result.exit_code == 3
    assert re.search(r"^  failed +1", result.stdout, re.M)
    assert "run catalog resolve again" in result.stderr
    assert servers.crossref.pending_faults == []  # it answers again; the failed paper
    # was not marked as tried, so a plain run asks for it again
    code, report = resolve_json()
    assert (code, report["papers"][0]["status"]) == (0, "filled")


def test_unknown_ids_are_refused_before_any_request(serve: Callable[..., Servers]) -> None:
    servers = serve()
    result = CliRunner().invoke(cli, ["resolve", "doi:10.1/nothing-here"])
    assert result.exit_code != 0 and "not in the catalog: doi:10.1/nothing-here" in result.output
    assert servers.requests == 0


# -- the example posts -------------------------------------------------------------------------


def test_after_import_and_resolve_every_paper_has_authors_and_a_year(
    serve: Callable[..., Servers], migrated_db_url: str
) -> None:
    import bibtexparser

    serve()
    assert run("import", str(POSTS)).exit_code == 0
    result = run("resolve")
    assert result.exit_code == 0, result.output
    with Catalog.open(migrated_db_url) as catalog:
        papers = catalog.list_papers()
    scholarly = [p for p in papers if p.item_type == "paper"]
    assert len(scholarly) > 17  # the post beyond arXiv's 7 and the others' arXiv papers
    assert [p.title for p in scholarly if not (p.authors and p.year)] == []
    others = {p.title: p.item_type for p in papers if p.item_type != "paper"}
    assert others.items() >= {
        ("NIPS 2016 Tutorial: Generative Adversarial Networks", "video"),
        ("The Illustrated Transformer", "blog"),
    }
    exported = run("export", "bibtex", "-o", "-").stdout
    entries = bibtexparser.parse_string(exported).entries
    # Every entry that is not an item typed as such (howpublished: Video, Blog post, ...)
    papers_in_bib = [e for e in entries if "howpublished" not in e.fields_dict]
    assert len(papers_in_bib) == len(scholarly)
    assert [e.key for e in papers_in_bib if "author" not in e or "year" not in e] == []
    nature = next(e for e in entries if "nature20101" in str(e.fields_dict.get("doi", "")))
    assert nature.entry_type == "article" and nature["journal"]


# -- the local arXiv index first (issue 13, part 4) ------------------------------------------


def _index_paper(arxiv_id: str, work: Work) -> Any:
    from datetime import UTC, date, datetime

    from tests.oai_server import Paper

    return Paper(
        arxiv_id=arxiv_id,
        title=work.title,
        authors=tuple((p.given, p.family, p.family) for p in work.authors),
        abstract=f"The abstract of {work.title}.",
        categories=("cs.LG",),
        versions=((datetime(work.year, 1, 15, tzinfo=UTC), 300),),
        dois=(),
        journal_ref=None,
        comments=None,
        datestamp=date(work.year, 2, 1),
    )


def fill_index(tmp_path: Path, *papers: Any) -> None:
    """The index filled by its own loader (catalog harvest --snapshot)."""
    from tests.oai_server import snapshot_line

    path = tmp_path / "snapshot.json"
    path.write_text("".join(snapshot_line(p) + "\n" for p in papers), encoding="utf-8")
    result = run("harvest", "--snapshot", str(path))
    assert result.exit_code == 0, result.output


def test_titles_and_arxiv_ids_the_index_holds_cost_no_request(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    servers = serve()
    savae, attention = by_key("savae"), by_key("attention")
    fill_index(tmp_path, _index_paper("1802.02550", savae), _index_paper("1706.03762", attention))
    bibfile = bib(
        tmp_path,
        entry("savae", savae.title, "Kim, Yoon", 2018),
        entry("attention", "Attention Is All You Need", "Vaswani, Ashish", 2017),
    )
    assert run("import", str(bibfile)).exit_code == 0
    row = "| Ann | Attention is all you need | [arXiv](https://arxiv.org/abs/1706.03762) | |"
    assert run("import", str(post(tmp_path, row))).exit_code == 0
    code, report = resolve_json()
    assert code == 0, [(p["label"], p["status"], p["reason"], p["asked"]) for p in report["papers"]]
    assert servers.requests == 0
    assert report["requests"] == 0
    assert {p["label"]: p["asked"] for p in report["papers"]} == {
        "1706.03762": ["index arxiv:1706.03762"], "savae": ["index title"],
        "attention": ["index title"],
    }  # fmt: skip
    assert {p["label"]: p["candidates"][0]["source"] for p in report["papers"]} == {
        "1706.03762": "index", "savae": "index", "attention": "index",
    }  # fmt: skip
    stored = paper("1802.02550")
    assert stored.citation_key == "savae" and stored.version == 1
    assert stored.field_sources["abstract"] == "arxiv" and stored.year == 2018
    # The post's arXiv row and the .bib's title are one paper now.
    assert paper("1706.03762").id == paper("attention").id


def test_titles_the_index_lacks_go_to_the_sources(
    serve: Callable[..., Servers], tmp_path: Path
) -> None:
    servers = serve()
    fill_index(tmp_path, _index_paper("1802.02550", by_key("savae")))
    dnc = by_key("dnc")
    assert (
        run("import", str(bib(tmp_path, entry("dnc", dnc.title, "Graves, Alex", 2016)))).exit_code
        == 0
    )
    code, report = resolve_json()
    assert (code, report["papers"][0]["status"], report["papers"][0]["source"]) == (
        0, "filled", "dblp",
    )  # fmt: skip
    assert servers.requests == len(servers.dblp.log) == 1
