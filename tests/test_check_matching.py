"""Matching footnotes to papers: folded hyphens, system prefixes, venues, footnotes that
start with the title, and any rotation, swap or derangement of a real post's references."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.check import check_post, fix_post
from catalog.check.match import TITLE_THRESHOLD, own_footnotes, title_similarity
from catalog.cli.main import cli
from catalog.posts import parse_post
from tests.test_check import brief
from tests.test_posts_parse import FIXTURES, SEED_DIR

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "_posts"


# ------------------------------------------------------------------- title rules


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Automated White-box Testing of Deep Learning Systems",
         "Automated Whitebox Testing of Deep Learning Systems"),
        ("Automated White box Testing of Deep Learning Systems",
         "Automated Whitebox Testing of Deep Learning Systems"),
        ("Black-box Attacks", "Blackbox Attacks"),
        ("Black-box Adversarial Attacks with Limited Queries and Information",
         "Black box adversarial attacks with limited queries and information"),
        # a system's name before the title, on either side
        ("DeepXplore: Automated Whitebox Testing of Deep Learning Systems",
         "Automated White-box Testing of Deep Learning Systems"),
        ("Automated Whitebox Testing of Deep Learning Systems",
         "DeepXplore: Automated Whitebox Testing of Deep Learning Systems"),
        # a venue after the title, on either side
        ("Semi-Amortized Variational Autoencoders ICML 2018",
         "Semi-Amortized Variational Autoencoders"),
        ("Deep Sets", "Deep Sets NIPS17"),
        ("DeepXplore: Automated Whitebox Testing of Deep Learning Systems SOSP'17",
         "Automated White-box Testing of Deep Learning Systems"),
    ],
)
def test_titles_that_name_the_same_paper(a: str, b: str) -> None:
    assert title_similarity(a, b) >= TITLE_THRESHOLD
    assert title_similarity(b, a) >= TITLE_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # two systems, one subtitle: two papers
        ("DeepXplore: Automated Whitebox Testing of Deep Learning Systems",
         "DeepTest: Automated Whitebox Testing of Deep Learning Systems"),
        ("Neural Architecture Search with Reinforcement Learning",
         "Neural Optimizer Search with Reinforcement Learning"),
        ("Whitebox Attacks on Image Classifiers", "Blackbox Attacks on Image Classifiers"),
    ],
)
def test_titles_that_name_different_papers(a: str, b: str) -> None:
    assert title_similarity(a, b) < TITLE_THRESHOLD


def test_an_exact_match_ranks_above_one_found_by_setting_a_prefix_aside() -> None:
    plain = "Automated Whitebox Testing of Deep Learning Systems"
    assert title_similarity(plain, plain) == 1.0
    assert title_similarity("DeepXplore: " + plain, plain) < 1.0


DEEPXPLORE_POST = """\
---
title: Reliable19 - Testing
---

| Presenter | Papers | Paper URL |
| --- | --- | --- |
| Ji | DeepXplore: Automated Whitebox Testing of Deep Learning Systems [^1] | \
[PDF](https://arxiv.org/abs/1705.06640) |
| Ji | Black-box Adversarial Attacks with Limited Queries and Information [^2] | \
[PDF](https://arxiv.org/abs/1804.08598) |
| Ji | Towards Evaluating the Robustness of Neural Networks [^3] | \
[PDF](https://arxiv.org/abs/1608.04644) |

[^1]: Automated White-box Testing of Deep Learning Systems (SOSP 2017) Deep learning systems \
are increasingly deployed in safety- and security-critical domains including self-driving \
cars and malware detection.

[^2]: <sub><sup> Blackbox Adversarial Attacks with Limited Queries and Information / Andrew \
Ilyas, Logan Engstrom, Anish Athalye, Jessy Lin / ICML18 / Current neural network-based \
classifiers are susceptible to adversarial examples even in the black-box setting. </sup></sub>

[^3]: Towards Evaluating the Robustness of Neural Networks (IEEE S&P 2017) Neural networks \
provide state-of-the-art results for most machine learning tasks. Unfortunately, neural \
networks are vulnerable to adversarial examples.
"""


def test_check_cli_accepts_prefixes_hyphenation_and_title_first_footnotes(tmp_path: Path) -> None:
    post = tmp_path / "2019-07-02-testing.md"
    post.write_text(DEEPXPLORE_POST, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(post)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 problems (0 errors, 0 warnings) in 1 file\n"
    # ... and they are matched, not merely left unjudged: swapped, they are reported.
    swapped = DEEPXPLORE_POST.replace("Systems [^1]", "Systems [^x]").replace(
        "Information [^2]", "Information [^1]").replace("Systems [^x]", "Systems [^2]")
    post.write_text(swapped, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(post), "--format", "json"])
    found = [(f["line"], f["code"], f["label"], f["suggest"])
             for f in json.loads(result.stdout)["findings"]]
    assert found == [(7, "footnote-mismatch", "2", "1"), (8, "footnote-mismatch", "1", "2")]


# ------------------------------------------------------ permutations of real posts


@dataclass(frozen=True)
class Movable:
    """A paper of a post that cites exactly its own footnote, once."""

    line: int
    column: int  # of its "[^label]"
    label: str


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    movable: tuple[Movable, ...]
    baseline: tuple[tuple[int, str, str | None, str | None], ...]


def _sources() -> list[tuple[str, str]]:
    paths = sorted(FIXTURES.glob("*.md")) + sorted(EXAMPLES.rglob("*.md"))
    out = [(p.name, p.read_text(encoding="utf-8")) for p in paths]
    seed = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
    out += [("seed/" + p.name, p.read_text(encoding="utf-8")) for p in seed]
    return out


def _case(name: str, text: str) -> Case | None:
    path = f"2019-01-01-{Path(name).stem}.md"
    post = parse_post(text, path)
    text = fix_post(text, post, check_post(post))  # every paper cites its own footnote
    post = parse_post(text, path)
    own = own_footnotes(post)
    cited = [ref.label for row in post.rows for ref in row.refs]
    movable = []
    for i, row in enumerate(post.rows):
        for k, entry in enumerate(row.papers):
            fn = own.get((i, k))
            if fn is None or fn.title is None or [r.label for r in entry.refs] != [fn.label]:
                continue
            if cited.count(fn.label) != 1:
                continue
            ref = entry.refs[0]
            movable.append(Movable(ref.line, ref.column, ref.label))
    if len(movable) < 2:
        return None
    return Case(name, text, tuple(movable), tuple(brief(check_post(post))))


CASES = [c for c in (_case(n, t) for n, t in _sources()) if c is not None]


def test_the_property_runs_over_many_real_posts() -> None:
    names = {c.name for c in CASES}
    assert len(CASES) >= 12, names
    assert {"2019-05-07-joint-talks.md", "2019-01-22-rotation.md", "README.md"} <= names


def _moved(case: Case, order: list[int]) -> str:
    """The post with movable paper ``k`` citing the label of movable paper ``order[k]``."""
    lines = case.text.split("\n")
    edits: dict[int, list[tuple[int, str, str]]] = {}
    for k, target in enumerate(order):
        m = case.movable[k]
        edits.setdefault(m.line, []).append((m.column - 1, m.label, case.movable[target].label))
    for line, changes in edits.items():
        text = lines[line - 1]
        for col, old, new in sorted(changes, reverse=True):
            assert text[col:col + len(old) + 3] == f"[^{old}]"
            text = text[:col] + f"[^{new}]" + text[col + len(old) + 3:]
        lines[line - 1] = text
    return "\n".join(lines)


@st.composite
def moves(draw: st.DrawFn, cases: list[Case] = CASES) -> tuple[Case, list[int]]:
    case = draw(st.sampled_from(cases))
    n = len(case.movable)
    chosen = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True))
    kind = draw(st.sampled_from(["rotation", "swap", "derangement", "any"]))
    if kind == "rotation":
        shift = draw(st.integers(1, len(chosen) - 1))
        image = chosen[shift:] + chosen[:shift]
    elif kind == "swap":
        image = [chosen[1], chosen[0], *chosen[2:]]
    else:
        image = draw(st.permutations(chosen))
        if kind == "derangement" and any(a == b for a, b in zip(chosen, image, strict=True)):
            image = chosen[1:] + chosen[:1]  # a rotation is a derangement
    order = list(range(n))
    for a, b in zip(chosen, image, strict=True):
        order[a] = b
    return case, order


@settings(max_examples=250, deadline=None, derandomize=True)
@given(moves())
def test_moved_references_are_reported_exactly(move: tuple[Case, list[int]]) -> None:
    case, order = move
    post = parse_post(_moved(case, order), f"2019-01-01-{Path(case.name).stem}.md")
    expected = list(case.baseline)
    for k, target in enumerate(order):
        if target != k:
            m, to = case.movable[k], case.movable[target]
            expected.append((m.line, "footnote-mismatch", to.label, m.label))
    key = lambda f: (f[0], f[1], f[2] or "", f[3] or "")  # noqa: E731
    assert sorted(brief(check_post(post)), key=key) == sorted(expected, key=key)


# The same property through the command line, as a site's CI runs it: the text written
# to a file, `catalog check --format json` on it (no catalog, default settings). Posts
# with suppressions are left to tests/test_check_suppress.py: a moved reference can
# make a comment silence something else.
CLI_CASES = [c for c in CASES if "catalog: ignore" not in c.text]


def _cli_findings(path: Path, text: str) -> list[tuple[int, str, str | None, str | None]]:
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--db", str(path.with_name("none.sqlite")), "check", "--isolated", str(path),
              "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return [(f["line"], f["code"], f["label"], f["suggest"])
            for f in json.loads(result.stdout)["findings"]]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(move=moves(CLI_CASES))
def test_moved_references_are_reported_exactly_by_the_cli(
    move: tuple[Case, list[int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    case, order = move
    post = tmp_path_factory.mktemp("moved") / f"2019-01-01-{Path(case.name).stem}.md"
    expected = _cli_findings(post, case.text)  # the post as it was: its other findings
    for k, target in enumerate(order):
        if target != k:
            m, to = case.movable[k], case.movable[target]
            expected.append((m.line, "footnote-mismatch", to.label, m.label))
    key = lambda f: (f[0], f[1], f[2] or "", f[3] or "")  # noqa: E731
    assert sorted(_cli_findings(post, _moved(case, order)), key=key) == sorted(expected, key=key)
    assert not post.with_name("none.sqlite").exists()
