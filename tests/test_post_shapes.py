"""Every table shape a real site writes, read the same by ``catalog import`` and
``catalog check``: short rows, unfamiliar headers, several papers per cell, HTML links,
open rows, Hugo's TOML, README-style pages, headings without links, tables without a
separator row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.check import check_post
from catalog.cli.main import cli
from catalog.posts import parse_post, read_post
from catalog.store.catalog import Catalog
from catalog.store.sessions import session_views
from tests.test_check import brief
from tests.test_posts_parse import FIXTURES

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "_posts"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def check_json(path: Path) -> list[tuple[int, str, str | None, str | None]]:
    result = run("check", str(path), "--format", "json")
    return [(f["line"], f["code"], f["label"], f["suggest"])
            for f in json.loads(result.stdout)["findings"]]


def papers_of(post_text: str, path: str = "2019-01-01-x.md") -> list[list[tuple[str, str | None]]]:
    """(title, arXiv id) of each paper of each row."""
    post = parse_post(post_text, path)
    return [[(e.title, e.arxiv_id) for e in row.papers] for row in post.rows]


# ------------------------------------------------------------ part 4: short rows


def test_short_row_is_a_warning_on_the_cli_and_its_cells_are_empty(tmp_path: Path) -> None:
    post = tmp_path / "2019-01-01-short.md"
    post.write_text(
        "| Presenter | Papers | Paper URL | Our Slides |\n| --- | --- | --- | --- |\n"
        "| Ann | Deep Sets [^1] | [PDF](https://arxiv.org/abs/1703.06114) |\n"
        "| Bo | Set Transformer [^2] | [PDF](https://arxiv.org/abs/1810.00825) | [PDF](s.pdf) "
        "| extra |\n\n"
        "[^1]: Deep Sets, Manzil Zaheer / NIPS17 / We study sets.\n\n"
        "[^2]: Set Transformer, Juho Lee / ICML19 / Attention over sets.\n",
        encoding="utf-8",
    )
    result = run("check", str(post))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{post}:3:1: table-short-row row has 3 cells; the header has 4 (the missing cells "
        "render empty)",
        f"{post}:4:1: table-malformed row has 5 cells; the header has 4",
        "2 problems (1 error, 1 warning) in 1 file",
    ]
    row = read_post(post).rows[0]
    assert [(c.name, c.text) for c in row.cells] == [
        ("presenter", "Ann"), ("paper", "Deep Sets [^1]"),
        ("url", "[PDF](https://arxiv.org/abs/1703.06114)"), ("slides", ""),
    ]
    assert row.slides_links == [] and row.arxiv_id == "1703.06114"


# ------------------------------------------------------- part 5: the paper column


def test_unfamiliar_headers_find_the_paper_column_by_its_cells() -> None:
    post = read_post(EXAMPLES / "2019-04-23-automl-index.md")
    assert post.findings == []
    assert [(r.index, r.title, r.arxiv_id) for r in post.rows] == [
        ("Team 1", "Neural Architecture Search with Reinforcement Learning", "1611.01578"),
        ("Team 2", "Efficient Neural Architecture Search via Parameter Sharing", "1802.03268"),
        ("Team 3", "Neural Optimizer Search with Reinforcement Learning", "1709.07417"),
    ]
    assert [c.name for c in post.rows[0].cells] == ["index", "paper", "tags", "slides"]
    slides = [lk.url for lk in post.rows[1].slides_links]
    assert slides == ["{{site.baseurl}}/talks19/Team2-ENAS.pdf"]


@pytest.mark.parametrize(
    "header",
    ["| Speaker | Paper Title (Conf/Year) | Slides |", "| Speaker | Reading | Slides |",
     "| Speaker | What we read | Slides |"],
)
def test_paper_column_named_or_found(header: str) -> None:
    text = (
        f"{header}\n| --- | --- | --- |\n"
        "| Ann | [Deep Sets](https://arxiv.org/abs/1703.06114) (NIPS 2017) | [PDF](a.pdf) |\n"
        "| Bo | [Set Transformer](https://arxiv.org/abs/1810.00825) (ICML 2019) | |\n"
    )
    assert papers_of(text) == [[("Deep Sets", "1703.06114")], [("Set Transformer", "1810.00825")]]


def test_of_topic_and_paper_the_column_holding_papers_wins() -> None:
    text = (
        "| Date | Topic | Paper | Presenter |\n| --- | --- | --- | --- |\n"
        "| 1/15 | Sets | [Deep Sets](https://arxiv.org/abs/1703.06114) | Ann |\n"
        "| 1/22 | Attention on sets | [Set Transformer](https://arxiv.org/abs/1810.00825) | Bo |\n"
    )
    post = parse_post(text, "x.md")
    assert [(r.title, r.presenter) for r in post.rows] == [("Deep Sets", "Ann"),
                                                          ("Set Transformer", "Bo")]
    assert post.rows[1].cells[1].name == "topic"


def test_tables_that_hold_no_papers_are_not_talks() -> None:
    text = (
        "| Day | Room | Time |\n| --- | --- | --- |\n| Mon | 101 | 10:00 |\n| Tue | 102 | 11:00 |\n"
        "\n| Team | Members |\n| --- | --- |\n| 1 | Ann Lee, Bo Chen |\n"
    )
    assert parse_post(text, "x.md").rows == []


# --------------------------------------------------- part 5: several papers per cell


def test_several_papers_per_cell() -> None:
    post = read_post(EXAMPLES / "2019-05-07-joint-talks.md")
    assert post.findings == []
    assert [[(e.arxiv_id, e.labels) for e in r.papers] for r in post.rows] == [
        [("1802.02550", ["1"]), ("1611.00712", ["2"])],  # <br>, links given out in order
        [("1412.6572", ["3"]), ("1706.06083", ["4"])],  # " + "
        [("1611.01578", ["5"]), ("1709.07417", ["6"])],  # one titled link each
    ]
    assert [e.title for e in post.rows[2].papers] == [
        "Neural Architecture Search with Reinforcement Learning",
        "Neural Optimizer Search with Reinforcement Learning",
    ]


@pytest.mark.parametrize(
    ("cell", "url", "expected"),
    [
        # authors or a venue on a line of their own belong to the title above
        ("Deep Sets <br> Manzil Zaheer, Satwik Kottur", "[PDF](https://arxiv.org/abs/1703.06114)",
         [("Deep Sets", "1703.06114")]),
        ("Deep Sets <br/> (NIPS 2017)", "", [("Deep Sets", None)]),
        # a "+" inside a title is not a separator
        ("C++ Program Synthesis + Search", "", [("C++ Program Synthesis + Search", None)]),
        # two titles, two links in the URL column
        ("Deep Sets + Set Transformer",
         "[PDF](https://arxiv.org/abs/1703.06114) + [PDF](https://arxiv.org/abs/1810.00825)",
         [("Deep Sets", "1703.06114"), ("Set Transformer", "1810.00825")]),
        # a paper and its code: one paper
        ("[Glow](https://arxiv.org/abs/1807.03039) [code](https://github.com/openai/glow)", "",
         [("Glow", "1807.03039")]),
    ],
)
def test_paper_cell_parts(cell: str, url: str, expected: list[tuple[str, str | None]]) -> None:
    text = f"| Presenter | Papers | Paper URL |\n| --- | --- | --- |\n| Ann | {cell} | {url} |\n"
    assert papers_of(text) == [expected]


def test_joint_talk_rows_written_by_older_exports_still_split_by_link() -> None:
    text = (
        "| Presenter | Papers | Paper URL |\n| --- | --- | --- |\n"
        "| Ann | Two papers [^1] [^2] | [PDF](https://arxiv.org/abs/1703.06114) + "
        "[PDF](https://arxiv.org/abs/1810.00825) |\n"
    )
    post = parse_post(text, "x.md")
    assert [(e.arxiv_id, e.labels) for e in post.rows[0].papers] == [
        ("1703.06114", ["1"]), ("1810.00825", ["2"])
    ]


# ---------------------------------------------------------- part 5: links and rows


def test_html_links_and_open_rows() -> None:
    html = read_post(EXAMPLES / "2019-05-14-html-links.md")
    assert html.findings == []
    assert [(r.title, r.arxiv_id, [lk.url for lk in r.slides_links]) for r in html.rows] == [
        ("Latent Constraints: Learning to Generate Conditionally from Unconditional Generative "
         "Models", "1711.05772", ["{{site.baseurl}}/talks19/Ji-LatentConstraints.pdf"]),
        ("Synthesizing Programs for Images using Reinforced Adversarial Learning", "1804.01118",
         ["{{site.baseurl}}/talks19/Arsh-SPIRAL.pdf"]),
    ]
    open_rows = read_post(EXAMPLES / "2019-05-21-open-rows.md")
    assert open_rows.findings == []
    assert [(len(r.cells), r.arxiv_id, r.labels) for r in open_rows.rows] == [
        (4, "1804.01694", ["1"]), (4, "1804.01118", ["2"])
    ]


def test_fix_appends_a_reference_to_the_paper_it_names(tmp_path: Path) -> None:
    post = tmp_path / "2019-01-01-joint.md"
    post.write_text(
        "| Presenter | Papers | Paper URL |\n| --- | --- | --- |\n"
        "| Ann | Deep Sets <br> Set Transformer [^2] | [PDF](https://arxiv.org/abs/1703.06114) "
        "<br> [PDF](https://arxiv.org/abs/1810.00825)\n\n"
        "[^1]: Deep Sets, Manzil Zaheer / NIPS17 / We study sets.\n\n"
        "[^2]: Set Transformer, Juho Lee / ICML19 / Attention over sets.\n",
        encoding="utf-8",
    )
    assert check_json(post) == [
        (3, "footnote-missing", None, "1"), (5, "footnote-unused", "1", None)
    ]
    assert run("check", "--fix", str(post)).exit_code == 0
    assert post.read_text(encoding="utf-8").splitlines()[2].startswith(
        "| Ann | Deep Sets [^1] <br> Set Transformer [^2] |"
    )


# ----------------------------------------------------- part 5: front matter, pages


def test_hugo_toml_front_matter() -> None:
    post = read_post(EXAMPLES / "robust-training.md")
    assert post.findings == []
    assert post.slug == "robust-training"
    assert post.date == date(2019, 5, 28)
    assert post.title == "Robust19 - Training against attacks"
    assert post.front_matter["tags"] == ["adversarial", "robust-optimization"]
    assert post.front_matter["draft"] is False
    assert [r.arxiv_id for r in post.rows] == ["1706.06083", "1412.6572"]


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ('title = "x"\ntags = [unclosed\n', 3, "front matter is not valid TOML: "),
        ('title = "x"\ntitle = "y"\n', 3, "front matter is not valid TOML: "),
        ('title = "x"\n', None, None),
    ],
)
def test_toml_errors_are_findings_on_the_file_line(
    front: str, line: int | None, message: str | None
) -> None:
    post = parse_post(f"+++\n{front}+++\n\nbody\n", "2020-01-01-x.md")
    if line is None:
        assert post.findings == [] and post.front_matter == {"title": "x"}
        return
    assert [(f.line, f.code) for f in post.findings] == [(line, "frontmatter-invalid")]
    assert message is not None and post.findings[0].message.startswith(message)
    assert "(at line" not in post.findings[0].message


def test_unclosed_toml_front_matter() -> None:
    post = parse_post('+++\ntitle = "x"\n\nbody\n', "x.md")
    assert [(f.line, f.code, f.message) for f in post.findings] == [
        (1, "frontmatter-invalid", "front matter opened on line 1 is never closed with '+++'")
    ]


def test_readme_page_is_one_session_named_by_its_folder_and_dated_by_its_heading() -> None:
    post = read_post(EXAMPLES / "summer-reading" / "README.md")
    assert post.findings == [] and post.front_matter == {}
    assert (post.slug, post.title, post.date) == (
        "summer-reading", "Summer reading: generative models", date(2019, 6, 4)
    )
    assert [r.arxiv_id for r in post.rows] == ["1611.00712", "1711.05772"]


@pytest.mark.parametrize(
    ("path", "text", "slug", "day"),
    [
        ("site/2019-02-01-notes.md", "# Notes\n\n## 2019-03-05\n", "2019-02-01-notes",
         date(2019, 2, 1)),  # the file name first
        ("club/index.md", "# Club\n\n## Week of 5 March 2019\n", "club", date(2019, 3, 5)),
        ("club/README.md", "# Club\n\n## Mar. 12th, 2019\n", "club", date(2019, 3, 12)),
        ("club/README.md", "# Club\n\nNo date anywhere.\n", "club", None),
        ("README.md", "# Club\n", "README", None),
    ],
)
def test_pages_without_front_matter(path: str, text: str, slug: str, day: date | None) -> None:
    post = parse_post(text, path)
    assert (post.slug, post.date) == (slug, day)


# ------------------------------------------------- part 5: headings without links


def test_headings_without_links_keep_title_authors_and_abstract() -> None:
    post = read_post(EXAMPLES / "2019-06-11-classics.md")
    assert post.style == "headings" and post.findings == []
    first, second = post.rows
    assert (first.title, first.presenter, first.arxiv_id) == (
        "Deep Residual Learning for Image Recognition", "Zhe", None
    )
    assert first.authors == ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    assert first.abstract is not None and first.abstract.startswith("Deeper neural networks")
    assert second.authors == ["Sepp Hochreiter", "Jürgen Schmidhuber"]


def test_headings_without_links_are_imported_as_papers(tmp_path: Path) -> None:
    assert run("import", str(EXAMPLES / "2019-06-11-classics.md")).exit_code == 0
    papers = json.loads(run("list", "--format", "json").stdout)
    assert [(p["title"], p["arxiv_id"], p["authors"][:2]) for p in papers] == [
        ("Deep Residual Learning for Image Recognition", None, ["Kaiming He", "Xiangyu Zhang"]),
        ("Long Short-Term Memory", None, ["Sepp Hochreiter", "Jürgen Schmidhuber"]),
    ]
    assert papers[1]["abstract"].startswith("Learning to store information")


# ----------------------------------------------- part 5: no separator row (fixture)


NO_SEPARATOR = FIXTURES / "2019-04-30-no-separator.md"


def test_table_without_separator_row_is_an_error_for_check(tmp_path: Path) -> None:
    result = run("check", str(NO_SEPARATOR))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"{NO_SEPARATOR}:10:1: table-malformed table header has no separator row "
        "(| --- | --- |) after it, so it does not render as a table; add one"
    )


def test_table_without_separator_row_is_imported_with_a_warning(db_url: str) -> None:
    result = run("import", str(NO_SEPARATOR))
    assert result.exit_code == 0, result.stderr
    assert (
        f"catalog: warning: {NO_SEPARATOR}:10: table header has no separator row (| --- | --- |) "
        "after it: its rows are imported, but the page does not show them as a table; add one"
    ) in result.stderr.splitlines()
    assert result.stdout == "added     2019-04-30-no-separator: 2 rows (2 new papers)\n"
    with Catalog.open(db_url) as catalog:
        with catalog.read() as s:
            (session,) = session_views(s)
    talks = [(t.title, [p.arxiv_id for p in t.papers], t.papers[0].abstract or "")
             for t in session.presentations]
    assert [(t, ids) for t, ids, _ in talks] == [
        ("Deep Sets", ["1703.06114"]), ("Set Transformer", ["1810.00825"])
    ]
    assert talks[0][2].startswith("We study the problem of designing models")


# ------------------------------------- part 5: import and check read the same parse


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.rglob("*.md")) + [NO_SEPARATOR], ids=lambda p: p.name
)
def test_the_talks_imported_are_the_rows_checked(path: Path, db_url: str) -> None:
    post = read_post(path)
    assert post.rows, "every example has talks"
    assert run("import", str(path)).exit_code == 0
    with Catalog.open(db_url) as catalog:
        with catalog.read() as s:
            (session,) = session_views(s)
    assert [t.title for t in session.presentations] == [r.title or r.raw_title for r in post.rows]
    assert [len(t.papers) for t in session.presentations] == [len(r.papers) for r in post.rows]
    ids = [[e.arxiv_id for e in r.papers] for r in post.rows]
    assert [[p.arxiv_id for p in t.papers] for t in session.presentations] == ids
    assert brief(check_post(post)) == (
        [(10, "table-malformed", None, None)] if path == NO_SEPARATOR else []
    )
