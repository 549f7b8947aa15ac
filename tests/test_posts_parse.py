"""The post parser: front matter, tables by column name, headings posts, footnote shapes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from catalog.errors import PostReadError
from catalog.posts import Post, parse_post, read_post
from catalog.posts.parse import clean_title, parse_footnote_text
from catalog.posts.text import looks_like_name, looks_like_venue, normalize_title

FIXTURES = Path(__file__).parent / "fixtures" / "posts"
SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "seed"


def seed_text() -> str:
    """The seed post (Generative18), or skip when the shared seed folder is not there."""
    if SEED_DIR.is_dir():
        for candidate in sorted(SEED_DIR.glob("*.txt")):
            text = candidate.read_text(encoding="utf-8")
            if "The Concrete Distribution" in text:
                return text
    pytest.skip(f"seed post not found in {SEED_DIR} (the shared/ folder beside the repo)")


def fixture(name: str) -> Post:
    return read_post(FIXTURES / name)


# ----------------------------------------------------------------------------- seed


def test_seed_post_shape(tmp_path: Path) -> None:
    path = tmp_path / "2018-07-31-Generative18.md"
    path.write_text(seed_text(), encoding="utf-8")
    post = read_post(path)
    assert post.findings == []
    assert post.slug == "2018-07-31-Generative18"
    assert post.date == date(2018, 7, 31)
    assert post.title == "Generative18 -A few more DNN Generative Models"
    assert post.style == "table"
    assert post.front_matter == {
        "layout": "post",
        "title": "Generative18 -A few more DNN Generative Models",
        "desc": "2018-team",
        "tags": ["5Generative"],
        "categories": "2018Reads",
    }
    assert [r.line for r in post.rows] == [12, 13, 14, 15, 16, 17, 18]
    first = post.rows[0]
    assert first.presenter == "Arshdeep"
    assert first.title == (
        "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables"
    )
    assert first.authors == ["Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"]
    assert first.raw_title.endswith("Yee Whye Teh [^1]")
    assert first.arxiv_id == "1611.00712"
    assert [(r.label, r.line, r.column, r.cell) for r in first.refs] == [("1", 12, 140, "paper")]
    assert [(lk.text, lk.url) for lk in first.paper_links] == [
        ("PDF", "https://arxiv.org/abs/1611.00712")
    ]
    assert first.slides_links[0].url.startswith("{{site.baseurl}}/MoreTalksTeam/Arsh/")
    survey = post.rows[2]
    assert survey.title == "Summary Of Several Autoencoder models"
    assert [(lk.text, lk.url, lk.line, lk.column) for lk in survey.paper_links] == [
        ("PDF", "", 14, 52)
    ]
    assert survey.arxiv_id is None and survey.refs == []
    assert post.rows[4].title == (
        "Summary of A Few Recent Papers about Discrete Generative models, SeqGAN, MaskGAN, "
        "BEGAN, BoundaryGAN"
    )
    assert post.rows[6].authors[3] == "S.M. Ali Eslami"

    fns = {f.label: f for f in post.footnotes}
    assert [(f.label, f.line, f.column) for f in post.footnotes] == [
        ("1", 21, 1), ("2", 24, 1), ("3", 27, 1), ("4", 31, 1), ("5", 34, 1)
    ]
    assert all(f.kind == "paper" for f in post.footnotes)
    assert fns["1"].title == (
        "Synthesizing Programs for Images using Reinforced Adversarial Learning"
    )
    assert fns["1"].venue == "ICML18"
    assert fns["1"].abstract is not None
    assert fns["1"].abstract.startswith("Advances in deep generative networks")
    assert fns["1"].abstract.endswith("synthetic 3D datasets.")  # </sup></sub> stripped
    assert fns["2"].venue == "ICML 2018"
    assert fns["3"].title == (
        "Feedback GAN (FBGAN) for DNA: a Novel Feedback-Loop Architecture for Optimizing "
        "Protein Functions"
    )
    assert fns["3"].authors == ["Anvita Gupta", "James Zou"]
    assert fns["3"].venue == "arxiv Submitted on 5 Apr 2018"
    assert fns["4"].authors == ["Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"]
    assert fns["4"].venue == "2016"
    assert fns["5"].venue == "arxiv 2017"
    assert fns["5"].authors == ["Jesse Engel", "Matthew Hoffman", "Adam Roberts"]


# ------------------------------------------------------------------ footnote shapes


@pytest.mark.parametrize(
    ("text", "kind", "title", "authors", "venue", "abstract_start"),
    [
        (  # Title, Authors / Venue / Abstract
            "Deep Sets, Manzil Zaheer, Satwik Kottur / NIPS17 / We study sets. Models follow.",
            "paper", "Deep Sets", ["Manzil Zaheer", "Satwik Kottur"], "NIPS17", "We study sets",
        ),
        (  # Title / Authors (arxiv Submitted on ...) / Abstract
            "World Models / David Ha, Jürgen Schmidhuber (arxiv Submitted on 27 Mar 2018) / "
            "We explore building generative neural network models of RL environments.",
            "paper", "World Models", ["David Ha", "Jürgen Schmidhuber"],
            "arxiv Submitted on 27 Mar 2018", "We explore",
        ),
        (  # Title, Authors , arxiv 2017/ Abstract
            "Latent Constraints: Learning to Generate, Jesse Engel, Adam Roberts , arxiv 2017/ "
            "Deep generative neural networks have proven effective.",
            "paper", "Latent Constraints: Learning to Generate", ["Jesse Engel", "Adam Roberts"],
            "arxiv 2017", "Deep generative",
        ),
        (  # Title, Venue / Authors / Abstract
            "Order Matters: Sequence to sequence for sets, ICLR16 / Oriol Vinyals, Samy Bengio "
            "/ Sequences have become first class citizens in supervised learning.",
            "paper", "Order Matters: Sequence to sequence for sets",
            ["Oriol Vinyals", "Samy Bengio"], "ICLR16", "Sequences have",
        ),
        (  # a bare abstract
            "Learning useful representations without supervision remains a key challenge in "
            "machine learning. In this paper, we propose a simple yet powerful generative model "
            "that learns such discrete representations.",
            "abstract", None, [], None, "Learning useful",
        ),
        (  # a note
            "Slides were updated after the talk.", "note", None, [], None, None,
        ),
        (  # a title alone
            "Attention Is All You Need", "paper", "Attention Is All You Need", [], None, None,
        ),
        (  # and/or and URLs are not segment breaks
            "Title Goes Here, Ann Lee / ICML18 / We study and/or compare https://x.org/a/b "
            "methods.",
            "paper", "Title Goes Here", ["Ann Lee"], "ICML18", "We study and/or compare",
        ),
    ],
)
def test_footnote_shapes(
    text: str,
    kind: str,
    title: str | None,
    authors: list[str],
    venue: str | None,
    abstract_start: str | None,
) -> None:
    got = parse_footnote_text(text)
    assert got.kind == kind
    assert got.title == title
    assert got.authors == authors
    assert got.venue == venue
    if abstract_start is None:
        assert got.abstract is None
    else:
        assert got.abstract is not None and got.abstract.startswith(abstract_start)


def test_footnote_labels_continuations_and_wrappers() -> None:
    text = (
        "| Presenter | Papers |\n| --- | --- |\n| A | X [^word-label] |\n\n"
        "[^word-label]: <sub><sup> Deep Sets, Manzil Zaheer / NIPS17 / We study the\n"
        "    problem of designing models for sets. </sup></sub>\n"
        "  [^42]: indented definition\n\n"
        "[^x_y]: first paragraph\n\n    second paragraph, indented\n\n"
        "Plain text after.\n"
    )
    post = parse_post(text, "p.md")
    got = [(f.label, f.line, f.column, f.end_line) for f in post.footnotes]
    assert got == [("word-label", 5, 1, 6), ("42", 7, 3, 7), ("x_y", 9, 1, 11)]
    wl = post.footnotes[0]
    assert wl.abstract == "We study the problem of designing models for sets."
    assert "<sub>" not in wl.text and "<sub>" in wl.raw
    assert post.footnotes[2].text == "first paragraph second paragraph, indented"


# --------------------------------------------------------------------- title cleaning


@pytest.mark.parametrize(
    ("cell", "title", "authors", "venue"),
    [
        ("Deep Sets, NIPS17 [^1]", "Deep Sets", [], "NIPS17"),
        ("Neural Architecture Search with Reinforcement Learning, ICLR17",
         "Neural Architecture Search with Reinforcement Learning", [], "ICLR17"),
        ("Semi-Amortized Variational Autoencoders, ICML 2018",
         "Semi-Amortized Variational Autoencoders", [], "ICML 2018"),
        ("Wasserstein GAN, Martin Arjovsky, Soumith Chintala, Léon Bottou",
         "Wasserstein GAN", ["Martin Arjovsky", "Soumith Chintala", "Léon Bottou"], None),
        ("Pixel Recurrent Neural Networks, Aaron van den Oord, Nal Kalchbrenner",
         "Pixel Recurrent Neural Networks", ["Aaron van den Oord", "Nal Kalchbrenner"], None),
        ("[Glow: Generative Flow](https://arxiv.org/abs/1807.03039) [^g]",
         "Glow: Generative Flow", [], None),
        ("**Attention Is All You Need** (NIPS 2017)", "Attention Is All You Need", [],
         "NIPS 2017"),
        ("Summary of GAN variants, SeqGAN, MaskGAN, BEGAN",
         "Summary of GAN variants, SeqGAN, MaskGAN, BEGAN", [], None),
        ("Learning, Fast and Slow Networks", "Learning, Fast and Slow Networks", [], None),
        ("Matching Networks for One Shot Learning, Vinyals et al.",
         "Matching Networks for One Shot Learning", ["Vinyals et al."], None),
        ("", "", [], None),
    ],
)
def test_clean_title(cell: str, title: str, authors: list[str], venue: str | None) -> None:
    assert clean_title(cell) == (title, authors, venue)


def test_names_and_venues() -> None:
    assert looks_like_name("S.M. Ali Eslami")
    assert looks_like_name("Jean-Baptiste Alayrac")
    assert not looks_like_name("BoundaryGAN")
    assert not looks_like_name("Discrete Random Variables")
    assert not looks_like_name("BEGAN GAN")
    for v in ["ICLR17", "ICML 2018", "arxiv 2017", "(2016)", "NeurIPS'18", "CVPR2018",
              "arxiv Submitted on 5 Apr 2018", "IEEE S&P 2017"]:
        assert looks_like_venue(v), v
    for v in ["Deep Sets", "Yee Whye Teh", "GAN"]:
        assert not looks_like_venue(v), v


def test_normalize_title() -> None:
    assert normalize_title("Auto-Encoding Variational {B}ayes") == "auto encoding variational bayes"
    assert normalize_title("Léon's \\emph{Naïve} Model") == "leon s naive model"
    assert normalize_title("See https://arxiv.org/abs/1 now") == "see now"


# ----------------------------------------------------------------------- tables


def test_cells_fixture_shapes() -> None:
    post = fixture("2019-02-12-cells.md")
    assert post.findings == []
    assert post.front_matter["speakers_note"] == "the second table holds the extra readings"
    assert [(r.line, r.table) for r in post.rows] == [(14, 0), (15, 0), (16, 0), (22, 1)]
    glow, realnvp, pixel, maf = post.rows
    # several links in one cell; the ref sits in the URL cell
    assert [(lk.text, lk.url) for lk in glow.paper_links] == [
        ("PDF", "https://arxiv.org/abs/1807.03039"),
        ("code", "https://github.com/openai/glow"),
    ]
    assert [(r.label, r.cell) for r in glow.refs] == [("glow", "url")]
    assert glow.title == "Glow: Generative Flow with Invertible 1x1 Convolutions"
    # empty presenter cell; pdf URL still gives the arXiv id
    assert realnvp.presenter is None
    assert realnvp.arxiv_id == "1605.08803"
    assert realnvp.venue == "ICLR 2017"
    # escaped pipe inside a cell; versioned arXiv URL; an extra link in the slides cell
    assert pixel.title == "Pixel Recurrent Neural Networks | PixelRNN"
    assert pixel.arxiv_id == "1601.06759"
    assert [lk.text for lk in pixel.slides_links] == ["PDF", "Video"]
    # a table without outer pipes
    assert maf.presenter == "Zhe"
    assert maf.authors == ["George Papamakarios", "Theo Pavlakou", "Iain Murray"]
    assert [c.name for c in maf.cells] == ["presenter", "paper", "url"]
    # a footnote continued on an indented line
    realnvp_fn = next(f for f in post.footnotes if f.label == "realnvp")
    assert realnvp_fn.abstract is not None
    assert realnvp_fn.abstract.endswith("have a tractable log-likelihood.")


def test_index_table_without_presenter() -> None:
    post = fixture("2019-02-19-index.md")
    assert post.findings == []
    assert [(r.index, r.presenter) for r in post.rows] == [("1", None), ("2", None), ("3", None)]
    first = post.rows[0]
    assert first.title == "Synthesizing Programs for Images using Reinforced Adversarial Learning"
    assert first.arxiv_id == "1804.01118"
    assert [r.label for r in first.refs] == ["spiral-2018"]
    assert [lk.url for lk in post.rows[1].slides_links] == [
        "{{site.baseurl}}/talks19/Arsh-PQT.pdf"
    ]


def test_unknown_columns_are_kept() -> None:
    text = (
        "| # | Speaker | Title | Venue | PDF |\n|---|---|---|---|---|\n"
        "| 1 | Ann | Deep Sets | NIPS | [PDF](https://arxiv.org/abs/1703.06114) |\n"
    )
    row = parse_post(text, "x.md").rows[0]
    assert [(c.name, c.text) for c in row.cells] == [
        ("index", "1"), ("presenter", "Ann"), ("paper", "Deep Sets"), ("venue", "NIPS"),
        ("url", "[PDF](https://arxiv.org/abs/1703.06114)"),
    ]
    assert row.cells[3].header == "Venue"
    assert row.arxiv_id == "1703.06114"


def test_malformed_tables() -> None:
    post = fixture("2019-03-19-malformed.md")
    assert [(f.line, f.code) for f in post.findings] == [
        (10, "table-short-row"),  # GFM and kramdown render the missing cell empty
        (11, "table-malformed"),
        (13, "table-malformed"),
        (15, "table-malformed"),
    ]
    assert post.findings[0].severity == "warning"
    assert all(f.severity == "error" for f in post.findings[1:])
    assert post.findings[0].message == (
        "row has 3 cells; the header has 4 (the missing cells render empty)"
    )
    assert "row has 5 cells; the header has 4" in post.findings[1].message
    assert "not followed by a blank line" in post.findings[2].message
    assert "no separator row" in post.findings[3].message
    # rows are still read, short and long alike, and the table after the bad header too
    assert [r.line for r in post.rows] == [10, 11, 12, 16]
    assert post.rows[0].slides_links == []
    # the short row's missing cell is there, empty, under its header
    assert [(c.name, c.header, c.text) for c in post.rows[0].cells][-1] == (
        "slides", "Our Slides", ""
    )
    assert post.rows[1].cells[-1].name == "extra"


def test_tables_in_code_fences_and_non_paper_tables_are_not_rows() -> None:
    text = (
        "```\n| Presenter | Papers |\n| --- | --- |\n| A | B [^1] |\n```\n\n"
        "| Day | Room |\n| --- | --- |\n| Mon | 101 [^1] |\n\n[^1]: A note.\n"
    )
    post = parse_post(text, "x.md")
    assert post.rows == []
    assert [(r.label, r.line) for r in post.other_refs] == [("1", 9)]


# ---------------------------------------------------------------- headings style


def test_headings_post() -> None:
    post = fixture("2019-03-05-headings.md")
    assert post.style == "headings"
    assert post.findings == []
    assert [r.line for r in post.rows] == [13, 19]
    first, second = post.rows
    assert first.title == "Intriguing properties of neural networks"
    assert first.presenter == "Bill"
    assert first.arxiv_id == "1312.6199"
    assert first.abstract is not None and first.abstract.startswith("Deep neural networks")
    assert not first.abstract.startswith('"')
    assert second.title == "Towards Evaluating the Robustness of Neural Networks"
    assert second.presenter is None
    assert [r.label for r in second.refs] == ["cw"]
    assert [lk.url for lk in second.slides_links] == ["{{site.baseurl}}/talks19/Bill-CW.pdf"]
    assert second.abstract is not None and second.abstract.endswith("undistilled neural networks.")
    assert second.title_column == 4


def test_example_heading_levels() -> None:
    text = "## Deep Sets\n\n+ [PDF](https://arxiv.org/abs/1703.06114)\n\n###### Notes\n\nnone\n"
    post = parse_post(text, "x.md")
    assert [(r.line, r.title, r.arxiv_id) for r in post.rows] == [(1, "Deep Sets", "1703.06114")]


# ------------------------------------------------------------------ front matter


def test_broken_yaml_is_a_finding_on_the_file_line() -> None:
    post = fixture("2019-03-12-broken-yaml.md")
    assert [(f.line, f.column, f.code) for f in post.findings] == [(3, 8, "frontmatter-invalid")]
    assert "quoted scalar" in post.findings[0].message
    assert post.front_matter == {}
    assert post.title == "2019-03-12-broken-yaml"
    assert [r.title for r in post.rows] == ["World Models"]  # the body is still read


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("title: x\ntags:\n- a\n  b: c\n", 5),  # bad indentation, problem on YAML line 4
        ("title: [unclosed\n", 2),
        ("- just\n- a list\n", 2),  # not a mapping
    ],
)
def test_frontmatter_errors(front: str, line: int) -> None:
    post = parse_post(f"---\n{front}---\n\nbody\n", "2020-01-01-x.md")
    assert [(f.line, f.code) for f in post.findings] == [(line, "frontmatter-invalid")]
    assert post.findings[0].path == "2020-01-01-x.md"


def test_unclosed_front_matter() -> None:
    post = parse_post("---\ntitle: x\n\nbody\n", "x.md")
    assert [(f.line, f.code) for f in post.findings] == [(1, "frontmatter-invalid")]


def test_dates_and_titles() -> None:
    assert parse_post("---\ndate: 2019-05-01\n---\n", "notes.md").date == date(2019, 5, 1)
    assert parse_post("---\ndate: '2019-05-02 10:00'\n---\n", "n.md").date == date(2019, 5, 2)
    assert parse_post("", "2019-02-30-bad.md").date is None
    assert parse_post("# Big Title\n", "x.md").title == "Big Title"
    assert parse_post("", "dir/2019-01-01-slug.markdown").slug == "2019-01-01-slug"


def test_crlf_and_bom() -> None:
    text = (
        "\ufeff---\r\ntitle: T\r\n---\r\n"
        "| Presenter | Papers |\r\n|---|---|\r\n| A | B [^1] |\r\n"
    )
    post = parse_post(text, "x.md")
    assert post.title == "T"
    assert [(r.line, r.title, r.refs[0].column) for r in post.rows] == [(6, "B", 9)]


# -------------------------------------------------------------------- read_post


def test_read_post_errors(tmp_path: Path) -> None:
    with pytest.raises(PostReadError, match="missing.md"):
        read_post(tmp_path / "missing.md")
    bad = tmp_path / "latin1.md"
    bad.write_bytes(b"---\ntitle: caf\xe9\n---\n")
    with pytest.raises(PostReadError, match=r"latin1\.md: not UTF-8 .* line 2"):
        read_post(bad)
    with pytest.raises(PostReadError, match="cannot read"):
        read_post(tmp_path)  # a folder


def test_every_fixture_parses() -> None:
    for path in sorted(FIXTURES.glob("*.md")):
        post = read_post(path)
        assert post.rows, path.name
        assert post.path == str(path)


@pytest.mark.parametrize(
    "after", ["{: .table .table-striped}", "<br>", "- a list item", "1. a numbered item",
              "---", "> a quote", "{% include footer.html %}", "## A heading", "[^1]: a note"]
)
def test_blocks_end_a_table_without_a_blank_line(after: str) -> None:
    text = f"| Presenter | Papers |\n| --- | --- |\n| A | Deep Sets |\n{after}\n"
    post = parse_post(text, "x.md")
    assert post.findings == []
    assert [r.line for r in post.rows] == [3]
