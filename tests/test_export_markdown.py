"""Markdown posts in the group's format: golden files, table shape, footnotes, escaping."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.exporters import ExportOptions
from catalog.exporters.markdown import HEADER, SEPARATOR, export, md_text, render_session
from catalog.records import PaperView, PresentationView, SessionView
from tests.fixtures.papers import (
    ALL_PAPERS,
    IMPORTED,
    MINIMAL,
    PIPES_HTML,
    SEED_SESSION,
    SESSIONS,
    SPECIAL,
    SPECIAL_SESSION,
    check_golden,
)

FOOTNOTE_REF = re.compile(r"\[\^(\d+)\](?!:)")
FOOTNOTE_DEF = re.compile(r"^\[\^(\d+)\]: <sub><sup> (.*) </sup></sub>$", re.MULTILINE)


def markdown(papers: list[PaperView], sessions: list[SessionView], title: str | None = None) -> str:
    out = io.StringIO()
    export(papers, sessions, out, ExportOptions(title=title))
    return out.getvalue()


def split_post(text: str) -> tuple[dict[str, object], list[str], list[str]]:
    """(front matter, table lines, footnote lines) of one post."""
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    front = yaml.safe_load(head)
    lines = body.strip("\n").split("\n")
    table = [line for line in lines if line.startswith("|")]
    notes = [line for line in lines if line.startswith("[^")]
    return front, table, notes


def cells(row: str) -> list[str]:
    """The cells of a table row, splitting on unescaped pipes."""
    assert row.startswith("| ") and row.endswith(" |")
    return [c.strip() for c in re.split(r"(?<!\\)\|", row[1:-1])]


# --- golden files --------------------------------------------------------------------------


def test_golden_seed_post() -> None:
    check_golden("seed_post.md", markdown([], [SEED_SESSION]))


def test_golden_special_post() -> None:
    check_golden("special_post.md", markdown([], [SPECIAL_SESSION]))


def test_golden_reading_list() -> None:
    check_golden("reading_list.md", markdown(ALL_PAPERS, [], title="Week 3: all the cases"))


# --- the post format -----------------------------------------------------------------------


def test_front_matter_keys_in_stable_order() -> None:
    front, _, _ = split_post(render_session(SEED_SESSION))
    assert list(front) == ["layout", "title", "desc", "categories", "tags", "term"]
    assert front["title"] == "Generative18 -A few more DNN Generative Models"
    assert front["categories"] == ["2018Reads"]
    assert front["tags"] == ["5Generative"]


def test_front_matter_keeps_extra_keys_and_quotes_yaml_specials() -> None:
    front, _, _ = split_post(render_session(SPECIAL_SESSION))
    assert list(front) == ["layout", "title", "categories", "author", "draft", "weight"]
    assert front["title"] == "Special: cases | with \"quotes\" & 'pipes'"
    assert (front["author"], front["draft"], front["weight"]) == ("catalog", True, 3)


def test_table_has_header_separator_and_one_row_per_presentation() -> None:
    _, table, _ = split_post(render_session(SEED_SESSION))
    assert table[0] == HEADER == "| Presenter | Papers | Paper URL | Our Slides |"
    assert table[1] == SEPARATOR
    assert len(table) == 2 + len(SEED_SESSION.presentations)
    first = cells(table[2])
    assert first[0] == "Arshdeep"
    assert first[1].endswith("Yee Whye Teh [^1]")
    assert first[2] == "[PDF](https://arxiv.org/abs/1611.00712)"
    assert first[3] == "[PDF]({{site.baseurl}}/MoreTalksTeam/Arsh/DEEP-07162018-Gumbel-Softmax.pdf)"


def test_row_without_paper_or_link_has_empty_url_and_no_footnote() -> None:
    # A survey talk: no paper, so no link ("[PDF]()" would be a link-empty finding).
    _, table, _ = split_post(render_session(SEED_SESSION))
    summary = cells(table[4])
    assert summary[1] == "Summary Of Several Autoencoder models"
    assert summary[2] == ""


def test_every_row_cites_its_own_footnotes_numbered_in_row_order() -> None:
    for session in SESSIONS:
        _, table, notes = split_post(render_session(session))
        refs = [int(n) for row in table[2:] for n in FOOTNOTE_REF.findall(row)]
        defs = [int(n) for n in FOOTNOTE_DEF.findall("\n".join(notes)) for n in [n[0]]]
        paper_count = sum(len(p.papers) for p in session.presentations)
        assert refs == list(range(1, paper_count + 1))
        assert defs == refs


def test_footnote_text_title_venue_authors_abstract() -> None:
    _, _, notes = split_post(render_session(SEED_SESSION))
    assert notes[3] == (
        "[^4]: <sub><sup> Semi-Amortized Variational Autoencoders, ICML 2018 / Yoon Kim, "
        "Sam Wiseman, Andrew C. Miller, David Sontag, Alexander M. Rush / Amortized "
        "variational inference (AVI) replaces instance-specific local inference with a global "
        "inference network. </sup></sub>"
    )


def test_footnote_leaves_out_missing_parts() -> None:
    _, _, notes = split_post(markdown([MINIMAL, IMPORTED], []))
    assert notes[0] == "[^1]: <sub><sup> Untitled Note </sup></sub>"
    assert notes[1].startswith(
        "[^2]: <sub><sup> Deep Residual Learning for Image Recognition, Proceedings of the "
    )
    assert notes[1].endswith("/ Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun </sup></sub>")


def test_several_papers_in_one_row_one_title_each_links_joined_with_plus() -> None:
    _, table, _ = split_post(render_session(SPECIAL_SESSION))
    row = cells(table[2])
    # The talk's text ("Two papers | one row") names no paper: each paper's own title.
    assert row[1] == (
        "Cost & Benefit: 100% of $5 for #1 via my_var, {braces}, ~tilde, ^hat and \\back [^1]"
        " <br> $\\alpha$-Divergence and $O(n \\log n)$ Bounds for $N$-gram GANs with "
        "$\\{x_i\\}$ [^2]"
    )
    assert (
        row[2]
        == "[PDF](https://arxiv.org/abs/2101.00001) + [PDF](https://arxiv.org/abs/2103.00003)"
    )
    assert cells(table[5])[2] == "[PDF](https://doi.org/10.1109/CVPR.2016.90) + [PDF]()"


def test_talk_wording_is_kept_only_where_it_names_the_paper() -> None:
    _, table, _ = split_post(render_session(SEED_SESSION))
    # The seed's wording carries authors: it names the paper, so it stays.
    assert cells(table[2])[1].endswith("Andriy Mnih, Yee Whye Teh [^1]")
    _, table, _ = split_post(render_session(SPECIAL_SESSION))
    # "No presenter split line & entity" names another paper than its footnote's.
    assert cells(table[3])[1] == (
        "Sense & Sensitivity \\| A Study across Lines &lt;b&gt; and &lt;i&gt;Tags&lt;/i&gt; [^3]"
    )


def test_row_link_url_and_empty_presenter_and_slides() -> None:
    _, table, _ = split_post(render_session(SPECIAL_SESSION))
    no_presenter = cells(table[3])
    assert no_presenter[0] == ""
    assert no_presenter[3] == "[PDF](s.pdf)"
    link_only = cells(table[4])
    assert link_only[2] == "[PDF](https://example.org/x)"
    assert link_only[3] == ""


def test_rows_follow_position_not_list_order() -> None:
    rows = list(reversed(SEED_SESSION.presentations))
    assert render_session(replace(SEED_SESSION, presentations=rows)) == render_session(SEED_SESSION)


def test_reading_list_has_default_title_and_empty_presenters() -> None:
    front, table, notes = split_post(markdown(ALL_PAPERS[:2], []))
    assert front == {"layout": "post", "title": "Reading list"}
    assert [cells(r)[0] for r in table[2:]] == ["", ""]
    assert len(notes) == 2


def test_several_sessions_are_separated() -> None:
    text = markdown([], SESSIONS)
    first, second = text.split("\n<!-- next post: 2021-05-01-special \\| cases -->\n\n")
    assert first == render_session(SEED_SESSION)
    assert second == render_session(SPECIAL_SESSION)


# --- escaping: each special case by name ---------------------------------------------------


def test_pipe_in_title_and_presenter_is_escaped() -> None:
    _, table, _ = split_post(render_session(SPECIAL_SESSION))
    assert cells(table[2])[0] == "Ana \\| B"
    assert all(len(cells(row)) == 4 for row in table)


def test_newlines_collapse_to_spaces() -> None:
    _, table, notes = split_post(render_session(SPECIAL_SESSION))
    assert "Line one line two" in notes[2]
    survey = PresentationView(1, "A\nB", "Summary of\nthree papers &amp; more", [], None)
    _, table, _ = split_post(render_session(SessionView("s", "S", presentations=[survey])))
    assert cells(table[2])[:2] == ["A B", "Summary of three papers & more"]


def test_html_entities_decoded_and_tags_escaped() -> None:
    _, _, notes = split_post(markdown([PIPES_HTML], []))
    assert notes[0] == (
        "[^1]: <sub><sup> Sense & Sensitivity \\| A Study across Lines &lt;b&gt; and "
        "&lt;i&gt;Tags&lt;/i&gt; / Jane Austen / Line one line two \\| with a pipe & an "
        "entity. </sup></sub>"
    )


def test_md_text_escapes_only_what_would_change_the_page() -> None:
    assert md_text("R&D &amp; more") == "R&D & more"
    assert md_text("&amp;lt; stays text") == "&amp;lt; stays text"  # "&lt;" shown as typed
    assert md_text("a < b > c") == "a &lt; b &gt; c"
    assert md_text(None) == ""


def test_latex_specials_and_math_are_kept_for_mathjax() -> None:
    _, _, notes = split_post(markdown([SPECIAL["latex_specials"], SPECIAL["tex_math"]], []))
    assert r"Cost & Benefit: 100% of $5 for #1 via my_var, {braces}, ~tilde" in notes[0]
    assert r"$\alpha$-Divergence and $O(n \log n)$ Bounds" in notes[1]


def test_accents_and_braces_kept() -> None:
    _, _, notes = split_post(markdown([SPECIAL["accents"], SPECIAL["braces"]], []))
    assert "Über die Müller–Lyer Illusion: ça marche à São Paulo" in notes[0]
    assert "李明" in notes[0]
    assert "Half-open {interval and a closing} brace} here / Brace {Left} Person" in notes[1]


def test_urls_with_spaces_or_parentheses_are_encoded() -> None:
    row = PresentationView(1, "A", "T", [], "slides (v2).pdf", "https://x.org/a b")
    _, table, _ = split_post(render_session(SessionView("s", "S", presentations=[row])))
    assert cells(table[2])[2:] == ["[PDF](https://x.org/a%20b)", "[PDF](slides%20%28v2%29.pdf)"]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=60), st.text(max_size=20), st.text(max_size=60))
def test_any_text_keeps_the_table_shape(title: str, presenter: str, abstract: str) -> None:
    paper = PaperView(id=1, title=title, authors=[presenter], abstract=abstract)
    row = PresentationView(1, presenter, title, [paper], None)
    text = render_session(SessionView("s", title or "t", presentations=[row]))
    _, table, notes = split_post(text)
    assert len(table) == 3
    assert len(cells(table[2])) == 4
    assert len(notes) == 1 and notes[0].startswith("[^1]: <sub><sup> ")


def test_special_cases_in_author_names() -> None:
    authors = ["Ann | Pipe", "Ann\nNewline", "Ann &amp; Co", "Ann <b>", "Zoë $\\alpha$ {B}_#"]
    _, _, notes = split_post(markdown([PaperView(id=1, title="T", authors=authors)], []))
    assert notes[0] == (
        "[^1]: <sub><sup> T / Ann \\| Pipe, Ann Newline, Ann & Co, Ann &lt;b&gt;, "
        "Zoë $\\alpha$ {B}_# </sup></sub>"
    )
