"""Suppressions in posts: ``<!-- catalog: ignore[...] -->`` and ``ignore-file[...]``,
``unused-suppression``, ``--fix`` keeping them, and titles that never show them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalog.check.suppress import find_suppressions
from catalog.cli.main import cli
from catalog.posts import parse_post, read_post
from tests.test_posts_parse import FIXTURES

FIXTURE = FIXTURES / "2019-04-23-suppressions.md"
SWAP = (FIXTURES / "2019-01-15-swap.md").read_text(encoding="utf-8")
COMMENT = re.compile(r"<!--.*?-->")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def found(path: Path, *flags: str) -> list[tuple[int, str]]:
    result = run("check", str(path), "--format", "json", "--isolated", *flags)
    assert result.exit_code in (0, 1), result.output
    return [(f["line"], f["code"]) for f in json.loads(result.stdout)["findings"]]


def post(tmp_path: Path, text: str, name: str = "2019-05-01-p.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fixture_reports_only_the_comment_that_silences_nothing() -> None:
    result = run("check", str(FIXTURE), "--isolated")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{FIXTURE}:16:116: unused-suppression ignore[link-empty] silences nothing: "
        "link-empty has no finding on this line; remove it",
        "1 problem (0 errors, 1 warning) in 1 file",
    ]


ROW3 = ["Eli", "Learning to learn by gradient descent by gradient descent [^1]", "[PDF]()",
        "[PDF]({{site.baseurl}}/talks19/Eli-L2L.pdf)"]
ROW4 = ["Eli", "Adam: A Method for Stochastic Optimization [^2]", "[PDF]()", ""]
FOOTNOTES = (
    "[^1]: Adam: A Method for Stochastic Optimization, Diederik P. Kingma / ICLR15 / "
    "We introduce Adam.\n\n"
    "[^2]: Learning to learn by gradient descent by gradient descent, Marcin Andrychowicz / "
    "NIPS16 / The move from hand-designed features.\n"
)


def rows(row3: list[str] = ROW3, row4: list[str] = ROW4) -> str:
    """Two swapped rows with empty paper links: line 3 and 4 each have a footnote-mismatch
    and a link-empty."""
    return ("| Presenter | Papers | Paper URL | Our Slides |\n| --- | --- | --- | --- |\n"
            + "".join("| " + " | ".join(r) + " |\n" for r in (row3, row4)) + "\n" + FOOTNOTES)


ROWS = rows()


def test_unsuppressed_rows() -> None:
    # What the rows report without comments (the tests below silence them).
    from catalog.check import check_post

    assert [(f.line, f.code) for f in check_post(parse_post(ROWS, "x.md"))] == [
        (3, "footnote-mismatch"), (3, "link-empty"), (4, "footnote-mismatch"), (4, "link-empty")
    ]


@pytest.mark.parametrize("cell", [0, 1, 2, 3])
def test_a_comment_in_any_cell_silences_its_row(tmp_path: Path, cell: int) -> None:
    row3 = list(ROW3)
    row3[cell] += " <!-- catalog: ignore[footnote-mismatch, link-empty] -->"
    path = post(tmp_path, rows(row3))
    # Row 3 is silent; row 4 keeps its findings (a comment covers its own row only).
    assert found(path) == [(4, "footnote-mismatch"), (4, "link-empty")]


def test_a_comment_alone_on_a_line_covers_the_line_below(tmp_path: Path) -> None:
    text = (
        "Intro [^gone] and [^x].\n\n"
        "<!-- catalog: ignore[footnote-undefined] -->\n"
        "See [^also].\n\n"
        "[^x]: A note.\n\n"
        "<!-- catalog: ignore[footnote-unused] -->\n"
        "[^spare]: A spare note.\n"
    )
    path = post(tmp_path, text)
    assert found(path) == [(1, "footnote-undefined")]
    # A comment after text covers its own line only.
    inline = post(tmp_path, "See [^a]. <!-- catalog: ignore[footnote-undefined] -->\n"
                            "See [^b].\n", "2019-05-02-q.md")
    assert found(inline) == [(2, "footnote-undefined")]


def test_ignore_file_anywhere_silences_the_whole_post(tmp_path: Path) -> None:
    path = post(tmp_path, ROWS + "\n<!-- catalog: ignore-file[link-empty] -->\n")
    assert found(path) == [(3, "footnote-mismatch"), (4, "footnote-mismatch")]
    top = post(tmp_path, "<!-- catalog: ignore-file[footnote-mismatch,link-empty] -->\n\n"
                         + ROWS, "2019-05-02-q.md")
    assert found(top) == []


def test_comments_in_code_blocks_and_front_matter_are_not_suppressions(tmp_path: Path) -> None:
    text = (
        "---\ntitle: \"<!-- catalog: ignore-file[link-empty] -->\"\n---\n\n"
        "```markdown\n<!-- catalog: ignore-file[footnote-mismatch] -->\n```\n\n"
        "~~~\n<!-- catalog: ignore[nope] -->\n~~~\n\n" + ROWS
    )
    path = post(tmp_path, text)
    assert [code for _, code in found(path)] == [
        "footnote-mismatch", "link-empty", "footnote-mismatch", "link-empty"]
    assert find_suppressions(text) == []


def test_unused_suppression_names_what_is_unused(tmp_path: Path) -> None:
    row3, row4 = list(ROW3), list(ROW4)
    row3[3] += " <!-- catalog: ignore[link-empty, footnote-shared, link-emty] -->"
    row4[3] += " <!-- catalog: ignore[title-mismatch] --> <!-- catalog: ignore -->"
    text = rows(row3, row4) + "\n<!-- catalog: ignore-file[url-duplicate] -->\n"
    lines = text.split("\n")
    path = post(tmp_path, text)
    result = run("check", str(path), "--format", "json", "--isolated",
                 "--ignore", "title-mismatch")
    got = [(f["line"], f["column"], f["code"], f["severity"], f["message"])
           for f in json.loads(result.stdout)["findings"]]
    row3, row4 = lines[2], lines[3]
    assert got == [
        (3, row3.index("[^1]") + 1, "footnote-mismatch", "error", got[0][4]),
        (3, row3.index("<!--") + 1, "unused-suppression", "warning",
         "ignore[link-empty, footnote-shared, link-emty]: footnote-shared has no finding on "
         "this line; link-emty is no rule (did you mean link-empty?); remove those"),
        (4, row4.index("[^2]") + 1, "footnote-mismatch", "error", got[2][4]),
        (4, row4.index("[PDF]()") + 1, "link-empty", "warning", "empty link [PDF]() for the paper"),
        (4, row4.index("<!--") + 1, "unused-suppression", "warning",
         "ignore[title-mismatch] silences nothing: title-mismatch is not enabled for this "
         "post; remove it"),
        (4, row4.rindex("<!--") + 1, "unused-suppression", "warning",
         "this catalog: comment does nothing: 'catalog: ignore' is not ignore[...] or "
         "ignore-file[...]; write <!-- catalog: ignore[code, ...] --> or remove it"),
        (10, 1, "unused-suppression", "warning",
         "ignore-file[url-duplicate] silences nothing: url-duplicate has no finding in this "
         "post; remove it"),
    ]


def test_unused_suppression_follows_the_settings(tmp_path: Path) -> None:
    row3 = list(ROW3)
    row3[0] += " <!-- catalog: ignore[footnote-shared] -->"
    text = rows(row3)
    path = post(tmp_path, text)
    assert (3, "unused-suppression") in found(path)
    assert (3, "unused-suppression") not in found(path, "--ignore", "unused-suppression")
    # It can be silenced like any rule; silencing it is never itself "unused".
    quiet = post(tmp_path, text + "\n<!-- catalog: ignore-file[unused-suppression]"
                           " -->\n", "2019-05-02-q.md")
    assert [code for _, code in found(quiet)] == [
        "footnote-mismatch", "link-empty", "footnote-mismatch", "link-empty"]


def test_a_suppression_needs_its_code_enabled(tmp_path: Path) -> None:
    row3 = list(ROW3)
    row3[2] += " <!-- catalog: ignore[link-empty] -->"
    path = post(tmp_path, rows(row3))
    assert found(path) == [(3, "footnote-mismatch"), (4, "footnote-mismatch"), (4, "link-empty")]
    (tmp_path / "catalog.toml").write_text(
        f'[per-file-ignores]\n"{path.name}" = ["link-empty"]\n')
    result = run("check", str(path), "--format", "json")
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]
                if f["code"] == "unused-suppression"]
    assert messages == ["ignore[link-empty] silences nothing: link-empty is not enabled for "
                        "this post; remove it"]


def test_crlf_and_bom_posts(tmp_path: Path) -> None:
    row3 = list(ROW3)
    row3[1] += " <!-- catalog: ignore[footnote-mismatch,link-empty] -->"
    text = "\ufeff" + rows(row3).replace("\n", "\r\n")
    path = tmp_path / "2019-05-01-crlf.md"
    path.write_bytes(text.encode("utf-8"))
    assert found(path) == [(4, "footnote-mismatch"), (4, "link-empty")]


def test_unclosed_comments_are_not_suppressions() -> None:
    hostile = "| A | B |\n| --- | --- |\n| x | " + "<!-- catalog: ignore[x] " * 20_000 + "|\n"
    assert find_suppressions(hostile) == []
    assert find_suppressions("<!-- catalog: ignore[link-empty] --") == []
    one = find_suppressions("a <!-- catalog:ignore-file[ link-empty ,, ] --> b")
    assert [(s.line, s.column, s.file_level, s.codes, s.alone) for s in one] == [
        (1, 3, True, ("link-empty",), False)]


def test_comments_never_reach_titles(tmp_path: Path) -> None:
    parsed = read_post(FIXTURE)
    assert [r.title for r in parsed.rows] == [
        "Deep Residual Learning for Image Recognition (part 1)",
        "Deep Residual Learning for Image Recognition (part 2)",
        "Densely Connected Convolutional Networks",
        "Aggregated Residual Transformations for Deep Neural Networks",
    ]
    heading = parse_post(
        "## Deep Sets <!-- catalog: ignore[footnote-missing] -->\n\n"
        "+ [PDF](https://arxiv.org/abs/1703.06114)\n\n"
        "[^n]: Deep Sets, Manzil Zaheer <!-- catalog: ignore[footnote-unused] --> / NIPS17 / "
        "We study sets.\n", "h.md")
    assert [r.title for r in heading.rows] == ["Deep Sets"]
    assert heading.footnotes[0].title == "Deep Sets"
    assert "catalog" not in heading.footnotes[0].text
    # What the catalog stores from an imported post carries no comment either.
    imported = run("import", str(FIXTURE))
    assert imported.exit_code == 0, imported.output
    exported = run("export", "json", "-o", "-")
    assert exported.exit_code == 0
    doc = json.loads(exported.stdout)
    assert [t["title"] for s in doc["sessions"] for t in s["presentations"]][1:3] == [
        "Deep Residual Learning for Image Recognition (part 2)",
        "Densely Connected Convolutional Networks",
    ]
    assert "<!--" not in exported.stdout and "catalog:" not in exported.stdout


def test_fix_keeps_every_suppression_where_it_is(tmp_path: Path) -> None:
    # A swapped pair whose row carries a comment, and a footnote-missing row whose title
    # cell ends in a comment; every comment silences an empty link.
    text = SWAP.replace(
        "[PDF](https://arxiv.org/abs/1606.04474) |",
        "[PDF]() <!-- catalog: ignore[link-empty] --> |",
    ).replace(
        "Shampoo: Preconditioned Stochastic Tensor Optimization, ICML 2018 [^3] | "
        "[PDF](https://arxiv.org/abs/1802.09568)",
        "Shampoo: Preconditioned Stochastic Tensor Optimization, ICML 2018 "
        "<!-- catalog: ignore[link-empty] --> | [PDF]()",
    )
    assert text.count("<!--") == 2
    path = post(tmp_path, text)
    assert found(path) == [(14, "footnote-mismatch"), (15, "footnote-mismatch"),
                           (16, "footnote-missing"), (22, "footnote-unused")]
    fixed = run("check", str(path), "--fix", "--isolated")
    assert fixed.exit_code == 0, fixed.output
    assert f"fixed {path}" in fixed.stderr
    new = path.read_text(encoding="utf-8")
    old_lines, new_lines = text.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    for a, b in zip(old_lines, new_lines, strict=True):
        # Every comment is on the same line, in the same order, in the same cell.
        assert COMMENT.findall(a) == COMMENT.findall(b)
        assert [c.count("<!--") for c in a.split("|")] == [c.count("<!--") for c in b.split("|")]
    assert "gradient descent, NIPS16 [^2] | [PDF]() <!-- catalog: ignore[link-empty] -->" in (
        new_lines[13])
    assert "ICML 2018 <!-- catalog: ignore[link-empty] --> [^3] | [PDF]()" in new_lines[15]
    assert found(path) == []  # and each comment still silences its empty link


def test_fix_leaves_a_silenced_finding_alone(tmp_path: Path) -> None:
    text = SWAP.replace(
        "gradient descent, NIPS16 [^1]",
        "gradient descent, NIPS16 [^1] <!-- catalog: ignore[footnote-mismatch] -->",
    )
    path = post(tmp_path, text)
    diff = run("check", str(path), "--fix", "--diff", "--isolated")
    assert diff.exit_code == 0
    changed = [ln for ln in diff.stdout.splitlines() if ln.startswith("+|")]
    assert len(changed) == 1 and "Adam: A Method" in changed[0] and "[^1] |" in changed[0]
    run("check", str(path), "--fix", "--isolated")
    assert "gradient descent, NIPS16 [^1] <!-- catalog: ignore[footnote-mismatch] -->" in (
        path.read_text(encoding="utf-8"))


def test_fix_on_the_command_line_keeps_crlf_line_ends(tmp_path: Path) -> None:
    text = SWAP.replace(
        "gradient descent, NIPS16 [^1]",
        "gradient descent, NIPS16 [^1] <!-- catalog: ignore[link-empty] -->",
    ).replace("\n", "\r\n")
    path = tmp_path / "2019-05-01-crlf.md"
    path.write_bytes(text.encode("utf-8"))
    fixed = run("check", str(path), "--fix", "--isolated")
    assert fixed.exit_code == 1  # the comment silences nothing: no empty link
    new = path.read_bytes().decode("utf-8")
    assert new.count("\r\n") == text.count("\r\n") and "\n" not in new.replace("\r\n", "")
    assert "NIPS16 [^2] <!-- catalog: ignore[link-empty] --> |" in new
