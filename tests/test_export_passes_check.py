"""A post ``catalog export markdown`` writes passes ``catalog check``, by construction: a
row and its footnote are written from one title, even where arXiv has retitled the
paper since the post was written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.check import KnownPaper, check_post
from catalog.cli.main import cli
from catalog.exporters.markdown import render_session
from catalog.posts import parse_post
from catalog.records import PaperView, PresentationView, SessionView
from tests.arxiv_server import ArxivStandIn

REPO = Path(__file__).resolve().parents[1]
GENERATIVE = REPO / "examples" / "_posts" / "2018-07-31-generative.md"
JOINT = REPO / "examples" / "_posts" / "2019-05-07-joint-talks.md"

RETITLED = {  # arXiv id -> the title arXiv gives it now
    "1611.00712": "Concrete Relaxations: Reparameterizing Discrete Random Variables",
    "1711.05772": "Learning to Generate Conditionally from Unconditional Models with Value "
    "Functions",
    "1802.02550": "Semi-Amortized Variational Autoencoders",  # unchanged
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def findings(path: Path) -> list[tuple[int, str]]:
    result = run("check", str(path), "--format", "json")
    return [(f["line"], f["code"]) for f in json.loads(result.stdout)["findings"]]


def test_exported_posts_pass_check_when_arxiv_retitled_the_papers(
    arxiv_server: ArxivStandIn, tmp_path: Path
) -> None:
    posts = tmp_path / "_posts"
    posts.mkdir()
    for source in (GENERATIVE, JOINT):
        shutil.copy(source, posts / source.name)
    assert run("import", str(posts)).exit_code == 0
    for arxiv_id, title in RETITLED.items():
        arxiv_server.corpus[arxiv_id].title = title
    assert run("sync", "--all").exit_code == 0
    # The posts as written no longer agree with arXiv ...
    assert (14, "title-mismatch") in findings(posts / GENERATIVE.name)
    assert (13, "title-mismatch") in findings(posts / JOINT.name)

    site = tmp_path / "site"
    for source in (GENERATIVE, JOINT):
        out = site / source.name
        assert run("export", "markdown", "--session", out.stem, "-o", str(out)).exit_code == 0
        # ... the exports do: against the catalog, and with no catalog at all.
        assert findings(out) == [], out.read_text(encoding="utf-8")
        checked = CliRunner(env={"CATALOG_DB": str(tmp_path / "none.sqlite")}).invoke(
            cli, ["check", str(out)]
        )
        assert checked.exit_code == 0, checked.stdout
    text = (site / GENERATIVE.name).read_text(encoding="utf-8")
    row, note = next(ln for ln in text.splitlines() if "1611.00712" in ln), "[^1]: <sub><sup> "
    assert f"| {RETITLED['1611.00712']} [^1] |" in row  # the row and ...
    assert f"{note}{RETITLED['1611.00712']}, ICLR17 / " in text  # ... its footnote: one title
    # The talk whose wording still names its paper keeps it.
    assert "| Arshdeep | Semi-Amortized Variational Autoencoders [^4] |" in text
    joint = (site / JOINT.name).read_text(encoding="utf-8")
    assert (f"| Arshdeep | Semi-Amortized Variational Autoencoders [^1] <br> "
            f"{RETITLED['1611.00712']} [^2] |") in joint

    # Read back into another catalog: the same talks and papers, and still clean.
    fresh = CliRunner(env={"CATALOG_DB": str(tmp_path / "fresh.sqlite")})
    assert fresh.invoke(cli, ["import", str(site)]).exit_code == 0
    talks = json.loads(fresh.invoke(cli, ["export", "json"]).stdout)["sessions"]
    assert [[len(t["papers"]) for t in s["presentations"]] for s in talks] == [
        [1, 1, 1, 1, 1], [2, 2, 2]
    ]


# -------------------------------------------------------------- by construction

# Titles and wordings: words of letters (any script), with markup, TeX, pipes, brackets
# and entities around or inside them. Authors are names and abstracts sentences, as the
# footnote format needs them to be told apart.
_LETTERS = st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo")), min_size=1,
                   max_size=9)
_MARK = st.sampled_from(["", "", "", ":", ",", "|", "*", "_", "-", "&", "&amp;", "$", "\\",
                         "(", ")", "[", "]", "<b>", "{", "}", "#", "^", "'", '"', "/", "!"])
_WORD = st.tuples(_MARK, _LETTERS, _MARK).map("".join)
_TITLE = st.lists(_WORD, min_size=2, max_size=9).map(" ".join)
_NAME = st.tuples(st.sampled_from(["Ann", "Bo", "Chen", "Dana", "Zoë", "José Ángel"]),
                  st.sampled_from(["Lee", "Kim", "Müller", "van der Berg", "O'Neil"])).map(" ".join)
_ABSTRACT = st.lists(_LETTERS, min_size=8, max_size=30).map(lambda w: " ".join(w) + ".")


@st.composite
def sessions(draw: st.DrawFn) -> tuple[SessionView, dict[str, KnownPaper]]:
    n = draw(st.integers(min_value=1, max_value=6))
    titles = draw(st.lists(_TITLE, min_size=n, max_size=n, unique_by=str.casefold))
    papers = [
        PaperView(id=i + 1, title=t, arxiv_id=f"2101.{i + 1:05d}",
                  authors=draw(st.lists(_NAME, max_size=3)),
                  abstract=draw(st.one_of(st.none(), _ABSTRACT)),
                  venue=draw(st.one_of(st.none(), st.sampled_from(["ICML18", "NeurIPS 2019"]))))
        for i, t in enumerate(titles)
    ]
    talks, position, rest = [], 1, list(papers)
    while rest:
        k = draw(st.integers(min_value=1, max_value=min(2, len(rest))))
        mine, rest = rest[:k], rest[k:]
        wording = draw(st.one_of(_TITLE, st.just(mine[0].title),
                                 st.just(f"{mine[0].title}, Ann Lee")))
        talks.append(PresentationView(position, "Ann", wording, mine, None))
        position += 1
    known = {p.arxiv_id or "": KnownPaper(p.arxiv_id or "", p.title, p.abstract) for p in papers}
    return SessionView("2021-01-01-s", "S", presentations=talks), known


@settings(max_examples=300, deadline=None, derandomize=True)
@given(sessions())
def test_any_exported_session_passes_check(case: tuple[SessionView, dict[str, KnownPaper]]) -> None:
    session, known = case
    text = render_session(session)
    post = parse_post(text, "2021-01-01-s.md")
    found = [f for f in check_post(post, known.get) if f.code != "link-empty"]
    assert found == [], text
    assert [len(r.papers) for r in post.rows] == [len(t.papers) for t in session.presentations]
    found = [f for f in check_post(post) if f.code != "link-empty"]
    assert found == [], text


@pytest.mark.parametrize(
    "title",
    ["Deep | Sets", "A / B: Sets of Things", "Learning [to] Rank (the) Things",
     "Title *with* _emphasis_ and `code`", "Glow", "x <b>bold</b> & &amp; entity",
     "Deep Sets, Manzil Zaheer", "Deep Sets, ICML 2018", "[^1] Sets"],
)
def test_awkward_titles_pass(title: str) -> None:
    paper = PaperView(id=1, title=title, arxiv_id="2101.00001", authors=["Ann Lee"],
                      abstract="An abstract.", venue="ICML18")
    other = PaperView(id=2, title="Set Transformer and Friends", arxiv_id="2101.00002")
    talks = [PresentationView(1, "Ann", "Something else entirely", [paper], None),
             PresentationView(2, "Bo", title, [other, paper], None)]
    text = render_session(SessionView("s", "S", presentations=talks))
    post = parse_post(text, "s.md")
    known = {p.arxiv_id or "": KnownPaper(p.arxiv_id or "", p.title, p.abstract)
             for p in (paper, other)}
    assert [f for f in check_post(post, known.get) if f.code != "link-empty"] == [], text
