"""Streaming .bib reads: a file read a piece at a time gives exactly what parsing it whole
gives (papers, failed blocks, their line numbers), wherever the pieces are cut."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.bibgen import bib_entries
from catalog.importers.bib import (
    _author_name,
    _braces_only,
    _latex_to_text,
    _math_verbatim,
    _person,
    _plain_name_parts,
    de_latex,
    read_bib,
    read_bib_batches,
)
from catalog.records import PaperView

REPO = Path(__file__).resolve().parents[1]
BIB = REPO / "tests" / "fixtures" / "bib"

# Texts whose blocks a careless cut would change: each is checked at every piece size.
TRICKY = {
    # A macro used before it is defined, and defined twice (the first definition wins).
    "late_string": "@misc{a, title = ven}\n@misc{b, title={B}}\n"
    '@string{ven = "Later Venue"}\n@string{ven = "Second"}\n',
    # Macros over several lines, in upper case, after another block on its line, unclosed.
    "string_forms": '@STRING(long = "Over\n  Two Lines")\n@misc{a, title = long # " and " # m}\n'
    '@comment{x} @string{m = "Mid Line"}\n@misc{b, title = bad}\n@string{bad = {open\n'
    "@misc{c, title = {C}}\n",
    "unclosed_comment": "@comment{open\n@misc{a, title={A}}\n@misc{b, title={B}}\n",
    # The splitter does not count a backslash-newline: no cut may follow one.
    "backslash_newline": "@misc{a, title={A \\\n@misc{x, title={X}}}\n@misc{b, title={B}}\n",
    "indented_starts": "  @misc{a, title={A}\n   @misc{b, title={B}}\n\t@misc(c, title={C})\n",
    "duplicate_keys": "@misc{a, title={A}}\n@misc{b, title={B}}\n@misc{a, title={A2}}\n"
    '@string{s="1"}\n@string{s="2"}\n@misc{A, title={upper}}\n',
    "open_preamble": '@preamble{"x\n@misc{a, title={A}}\n',
    "crlf": "@misc{a,\r\n title={A}}\r\n@misc{b,\r\n title={B\r\n@misc{c, title={C}}\r\n",
}


def streamed(text: str, size: int) -> tuple[list[PaperView], list[tuple[int, str]], int]:
    papers: list[PaperView] = []
    failed: list[tuple[int, str]] = []
    batches = 0
    for batch in read_bib_batches(lambda: io.StringIO(text), "x.bib", size=size):
        papers += batch.papers
        failed += batch.failed
        batches += 1
    return papers, failed, batches


def assert_same(text: str, size: int) -> int:
    whole = read_bib(text, "x.bib")
    papers, failed, batches = streamed(text, size)
    assert [p.citation_key for p in papers] == [p.citation_key for p in whole.papers]
    assert papers == whole.papers
    assert sorted(failed) == whole.failed
    return batches


@pytest.mark.parametrize("name", ["broken.bib", "arxiv.bib"])
@pytest.mark.parametrize("size", [1, 30, 200, 1000, 1 << 21])
def test_fixture_files_stream_as_parsed_whole(name: str, size: int) -> None:
    text = (BIB / name).read_text(encoding="utf-8")
    batches = assert_same(text, size)
    if size == 1:  # every block start a cut: the test does cross boundaries
        assert batches > 5


def test_broken_file_lines_are_the_whole_parse_lines() -> None:
    text = (BIB / "broken.bib").read_text(encoding="utf-8")
    _, failed, _ = streamed(text, 1)
    assert [line for line, _ in sorted(failed)] == [13, 18, 23, 29]
    assert "Unexpected block start" in sorted(failed)[0][1]  # the unclosed entry, as whole


@pytest.mark.parametrize("name", sorted(TRICKY))
@pytest.mark.parametrize("size", [1, 10, 40, 1 << 21])
def test_tricky_boundaries(name: str, size: int) -> None:
    assert_same(TRICKY[name], size)


def test_macro_defined_in_a_later_piece_is_resolved() -> None:
    papers, _, batches = streamed(TRICKY["late_string"], 1)
    assert batches >= 3
    assert papers[0].title == "Later Venue"


def test_duplicate_key_in_a_later_piece_names_the_first_line() -> None:
    _, failed, _ = streamed(TRICKY["duplicate_keys"], 1)
    assert (3, "duplicate entry key 'a' (first at line 1); this entry is skipped") in failed


def test_generated_library_streams_as_parsed_whole() -> None:
    text = "".join(bib_entries(400, seed=3))
    assert assert_same(text, 4096) > 10


def test_a_decoding_error_propagates() -> None:
    def lines() -> list[str]:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    with pytest.raises(UnicodeDecodeError):
        list(read_bib_batches(lines, "x.bib"))


@pytest.mark.parametrize(
    "value",
    [
        "{GAN}s for {DNA}",
        "{van der Berg}",
        "Plain {{Nested}} braces",
        "{Unbalanced",
        "Unbalanced}",
        "}{",
        "{A} -- {B}",
        "{50\\%}",
        "{$x$}",
        "a~b {c}",
        "``{Q}''",
    ],
)
def test_brace_shortcut_reads_as_pylatexenc(value: str) -> None:
    plain = _braces_only(value)
    if plain is not None:
        assert plain == _latex_to_text().latex_to_text(value)
    assert de_latex(value) == " ".join(str(_latex_to_text().latex_to_text(value)).split())


# Titles with inline math: the math is kept as written, the text around it de-braced.
_MATH_BITS = st.sampled_from(
    ["$", "$", "\\alpha", "x_{1}", "^2", "{", "}", "{GAN}", "Text", " ", "\n", "-", "--",
     "%", "~", "\\$", "\\{", "\\", "é", "``", "''", "\\mathcal{O}(n)"]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(_MATH_BITS, max_size=10).map("".join))
def test_math_shortcut_reads_as_pylatexenc(value: str) -> None:
    plain = _math_verbatim(value)
    if plain is not None:
        assert plain == _latex_to_text().latex_to_text(value)
    assert de_latex(value) == " ".join(str(_latex_to_text().latex_to_text(value)).split())


@pytest.mark.parametrize(
    ("value", "taken"),
    [
        ("Bounds With $\\alpha$-divergence", True),
        ("{GAN}s with $\\mathcal{O}(n)$ cost", True),
        ("$a$ and $b_{1}$", True),
        ("{$x$}", False),  # braces around the math: pylatexenc reads it
        ("$a$$b$", False),
        ("costs \\$5 or $x$", False),
        ("$x", False),
    ],
)
def test_math_shortcut_takes_plain_math_only(value: str, taken: bool) -> None:
    assert (_math_verbatim(value) is not None) is taken
    assert de_latex(value) == " ".join(str(_latex_to_text().latex_to_text(value)).split())


# Names as .bib files write them: words of any case, commas, the odd brace, escape, tie,
# accent or unusual space; the fast reading must give what bibtexparser's parser gives.
_NAME_WORDS = st.sampled_from(
    ["Ann", "ann", "B.", "van", "der", "De", "O'Neil", "3rd", "Jr", "Søren", "{Big Co}",
     "M{\\\"u}ller", "\\L{}ukasz", "x~y", "-", "J.-P.", "é", "Ünal", "\u00a0", "\x0b"]
)  # fmt: skip
_NAMES = st.lists(
    st.one_of(_NAME_WORDS, st.sampled_from([",", " ", "  ", "\t", "\n", ", "])), max_size=8
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_NAMES)
def test_plain_names_read_as_bibtexparser_reads_them(name: str) -> None:
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    parts = _plain_name_parts(name.strip())
    full = parse_single_name_into_parts(name.strip(), strict=False)
    if parts is not None:
        assert (parts.first, parts.von, parts.last, parts.jr) == (
            full.first, full.von, full.last, full.jr
        )  # fmt: skip
    assert _person.__wrapped__(name.strip()) == _author_name(full)


@pytest.mark.parametrize("name", ["Doe, Jane", "Jane Q. Doe", "Ali Eslami, S. M.", "Li"])
def test_common_names_take_the_plain_reading(name: str) -> None:
    assert _plain_name_parts(name) is not None
