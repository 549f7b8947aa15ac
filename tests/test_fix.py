"""``fix_post`` rewrites only footnote references in rows; ``unified_diff`` shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalog.check import check_post, fix_post, unified_diff
from catalog.posts import parse_post
from tests.test_check import FIXTURE_FINDINGS
from tests.test_posts_parse import FIXTURES, seed_text


def fixed(text: str, path: str = "2018-07-31-Generative18.md") -> str:
    post = parse_post(text, path)
    return fix_post(text, post, check_post(post))


def test_seed_fix_changes_only_the_five_labels() -> None:
    text = seed_text()
    new = fixed(text)
    old_lines, new_lines = text.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    changed = {i + 1: (a, b) for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True))
               if a != b}
    assert sorted(changed) == [12, 13, 15, 17, 18]
    swaps = {12: ("1", "4"), 13: ("2", "3"), 15: ("3", "5"), 17: ("4", "2"), 18: ("5", "1")}
    for line, (a, b) in changed.items():
        old_label, new_label = swaps[line]
        assert a.replace(f"[^{old_label}]", f"[^{new_label}]") == b
        assert len(a) == len(b)
        # only the label characters differ
        diff = [k for k, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        assert len(diff) == 1 and a[diff[0]] == old_label and b[diff[0]] == new_label
    # the file's end is untouched (the seed has no final newline)
    assert new.endswith("</sup></sub>") == text.endswith("</sup></sub>")


def test_seed_after_fix_has_no_footnote_problem() -> None:
    new = fixed(seed_text())
    found = check_post(parse_post(new, "2018-07-31-Generative18.md"))
    assert [(f.line, f.code) for f in found] == [(14, "link-empty"), (16, "link-empty")]
    assert fixed(new) == new  # idempotent


def test_seed_diff() -> None:
    text = seed_text()
    diff = unified_diff(text, fixed(text), "_posts/2018-07-31-Generative18.md")
    lines = diff.splitlines()
    assert lines[0] == "--- a/_posts/2018-07-31-Generative18.md"
    assert lines[1] == "+++ b/_posts/2018-07-31-Generative18.md"
    removed = [ln for ln in lines[2:] if ln.startswith("-")]
    added = [ln for ln in lines[2:] if ln.startswith("+")]
    assert len(removed) == len(added) == 5
    assert [re.findall(r"\[\^(\d)\]", ln) for ln in added] == [["4"], ["3"], ["5"], ["2"], ["1"]]
    assert unified_diff(text, text, "x.md") == ""


def test_line_endings_and_trailing_whitespace_are_kept() -> None:
    text = seed_text().replace("\n", "\r\n") + "\r\n"
    new = fixed(text)
    assert new.count("\r\n") == text.count("\r\n")
    assert new.endswith("</sup></sub>\r\n")
    assert "| \r\n" in new  # the rows' trailing "| " survives
    assert [ln for ln in new.split("\r\n") if "[^4] |" in ln][0].startswith("|  Arshdeep|")


def test_missing_reference_is_appended_to_the_title_cell() -> None:
    text = (FIXTURES / "2019-04-16-missing.md").read_text(encoding="utf-8")
    new = fixed(text, "2019-04-16-missing.md")
    old_lines, new_lines = text.split("\n"), new.split("\n")
    changed = [i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True))
               if a != b]
    assert changed == [14]
    assert new_lines[13] == (
        "| Jeffrey | Prototypical Networks for Few-shot Learning, Jake Snell, Kevin Swersky, "
        "Richard S. Zemel [^2] | [PDF](https://arxiv.org/abs/1703.05175) | "
        "[PDF]({{site.baseurl}}/talks19/Jeffrey-ProtoNets.pdf) |"
    )
    assert check_post(parse_post(new, "2019-04-16-missing.md")) == []


def test_undefined_reference_with_a_suggestion_is_fixed() -> None:
    text = (FIXTURES / "2019-02-05-orphans.md").read_text(encoding="utf-8")
    new = fixed(text, "2019-02-05-orphans.md")
    found = check_post(parse_post(new, "2019-02-05-orphans.md"))
    # [^1] -> [^2] on line 16, [^7] -> [^3] on line 17; the duplicate definition remains.
    assert [(f.line, f.code, f.label) for f in found] == [(27, "footnote-duplicate", "2")]


@pytest.mark.parametrize("name", sorted(FIXTURE_FINDINGS))
def test_fix_every_fixture(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    new = fixed(text, name)
    after = check_post(parse_post(new, name))
    # footnote-shared stays when both rows are about the same paper (a two-part talk)
    fixable = {"footnote-mismatch", "footnote-missing"}
    assert not [f for f in after if f.code in fixable]
    # lines outside rows never change
    rows = {r.line for r in parse_post(text, name).rows}
    for i, (a, b) in enumerate(zip(text.split("\n"), new.split("\n"), strict=True)):
        if a != b:
            assert i + 1 in rows
    if not any(code in fixable for _, code, _, _ in FIXTURE_FINDINGS[name]):
        assert new == text


def test_stale_findings_are_ignored() -> None:
    text = seed_text()
    post = parse_post(text, "s.md")
    findings = check_post(post)
    edited = text.replace("[^1] |", "[^9] |", 1)  # the file changed after checking
    new = fix_post(edited, post, findings)
    assert "[^9] |" in new
    assert new.split("\n")[11] == edited.split("\n")[11]
    other = [f.__class__(**{**f.__dict__, "path": "other.md"}) for f in findings]
    assert fix_post(text, post, other) == text


def test_no_trailing_newline_kept(tmp_path: Path) -> None:
    text = "| Presenter | Papers |\n| --- | --- |\n| A | Deep Sets |\n\n[^1]: Deep Sets, Ann Lee"
    new = fixed(text, "x.md")
    assert new == text.replace("Deep Sets |", "Deep Sets [^1] |")
    diff = unified_diff(text, new, "/abs/x.md")
    assert diff.startswith("--- /abs/x.md\n+++ /abs/x.md\n")
    text2 = text + "\n"
    assert fixed(text2, "x.md").endswith("Ann Lee\n")
    tail = unified_diff("a\nb", "a\nc", "x.md")
    assert tail.endswith("+c\n\\ No newline at end of file\n")


def test_headings_rows_are_fixed_in_the_heading() -> None:
    text = (
        "## Deep Sets ##\n\n+ [PDF](https://arxiv.org/abs/1703.06114)\n\n"
        "## Order Matters: Sequence to sequence for sets [^ds]\n\n"
        "+ [PDF](https://arxiv.org/abs/1511.06391)\n\n"
        "[^ds]: Deep Sets, Manzil Zaheer / NIPS17 / We study sets.\n\n"
        "[^om]: Order Matters: Sequence to sequence for sets, Oriol Vinyals / ICLR16 / Seqs.\n"
    )
    post = parse_post(text, "h.md")
    assert [(f.line, f.code, f.label, f.suggest) for f in check_post(post)] == [
        (1, "footnote-missing", None, "ds"),
        (5, "footnote-mismatch", "ds", "om"),
        (11, "footnote-unused", "om", None),
    ]
    new = fixed(text, "h.md")
    assert new.split("\n")[0] == "## Deep Sets [^ds] ##"
    assert new.split("\n")[4] == "## Order Matters: Sequence to sequence for sets [^om]"
    assert check_post(parse_post(new, "h.md")) == []
