"""Plain front matter (``key: text`` lines, ``- text`` lists) is read without PyYAML, and
reads as PyYAML reads it: whatever the fast reader accepts, PyYAML gives the same
mapping; what it does not accept goes to PyYAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalog.posts.frontmatter import _plain_yaml, read_front_matter

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (REPO / "examples" / "_posts").glob("*.md")
                  if p.read_text(encoding="utf-8").startswith("---\n"))  # (YAML, not TOML)


def front_matter(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    end = lines.index("---", 1)
    return "\n".join(lines[1:end])


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_example_posts_are_read_without_pyyaml_as_pyyaml_reads_them(path: Path) -> None:
    source = front_matter(path)
    assert _plain_yaml(source) is not None
    assert _plain_yaml(source) == yaml.safe_load(source)


@pytest.mark.parametrize("source", [
    "title: 2019",  # an int
    "title: 1.5",
    "title: 1_000",
    "title: 0x1F",
    "title: 12:30",  # sexagesimal
    "date: 2019-01-15",
    "date: 2019-01-15 10:00:00 -0500",
    "draft: yes", "draft: Off", "draft: TRUE", "title: null", "title: Null",
    "on: x",  # the key is True
    "null: x",
    'title: "quoted"', "title: 'quoted'", "title: a: b", "title: a #comment",
    "title: a:", "title: [a, b]", "title: {a: b}", "title: &a x", "tags:\n- *a",
    "title: |\n  block", "title: a\n  continued", "# comment\ntitle: a",
    "title: a\ntitle: b",  # repeated key
    "tags:\n- a\n  - b",  # items at two indents
    "title: a\n- b",  # an item under a key that has a value
    "tags:\n-", "title: -x", "title: ~", "title: \tx", "title: a\u2028b",
    "title: a\ufeff", "",
])
def test_what_is_not_plain_text_goes_to_pyyaml(source: str) -> None:
    assert _plain_yaml(source) is None


def test_plain_values_that_start_with_a_digit_are_text_when_yaml_says_so() -> None:
    source = "desc: 2019-team\nterm: 2019Reads\ncategories: 5Generative\nname: 3D (x)"
    assert _plain_yaml(source) == yaml.safe_load(source) == {
        "desc": "2019-team", "term": "2019Reads", "categories": "5Generative", "name": "3D (x)",
    }


def test_read_front_matter_gives_the_same_whichever_reader_reads_it() -> None:
    plain = ["---", "layout: post", "title: Session 1", "tags:", "- generated", "---", "x"]
    quoted = ["---", "layout: post", "title: 'Session 1'", "tags: [generated]", "", "---", "x"]
    a, b = read_front_matter(plain), read_front_matter(quoted)
    assert (a.data, a.body, a.error) == (b.data, b.body, b.error) == (
        {"layout": "post", "title": "Session 1", "tags": ["generated"]}, 6, None)
    assert read_front_matter(["---", "title: x", "draft:", "---"]).data == {
        "title": "x", "draft": None}


# Pieces of values: words, numbers, YAML's special words and indicators, unicode.
PIECES = st.sampled_from([
    "a", "Title", "x", "2019", "0", "1.5", "0x1F", "1_0", "12:30", "-", "+", ".", "e", "E",
    "yes", "No", "on", "OFF", "true", "null", "Null", "~", "inf", ".inf", "nan", "T", "Z",
    " ", "  ", ":", ": ", "#", " #", ",", "'", '"', "(", ")", "/", "&", "*", "!", "?", "=",
    "%", "<", ">", "<<", "[", "]", "{", "}", "|", "_", "é", "–", "“", "\u00a0", "\u2028",
    "\t", "2019-01-15", "2019-1-5 1:02:03", "\u0085", "\ufeff", "\u3042", "\U0001f600", "ß",
])
VALUES = st.lists(PIECES, min_size=0, max_size=6).map("".join)
KEYS = st.sampled_from(["title", "layout", "tags", "on", "null", "y", "a_b", "desc", "x-y"])
LINES = st.one_of(
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    KEYS.map(lambda k: f"{k}:"),
    st.tuples(st.sampled_from(["", "  ", " "]), VALUES).map(lambda iv: f"{iv[0]}- {iv[1]}"),
    st.just(""),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=8).map("\n".join))
@example("desc: 2019-team")
@example("title: a  b   ")
@example("tags:\n\n- a\n- b")
@example("tags:\n  - a\n  - b\nlayout: post")
def test_the_fast_reader_agrees_with_pyyaml(source: str) -> None:
    plain = _plain_yaml(source)
    if plain is None:
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert plain == yaml.load(source, Loader=loader)  # noqa: S506 - a safe loader
    assert plain == yaml.load(source, Loader=yaml.SafeLoader)  # noqa: S506
