"""Citation keys (catalog.exporters.keys) and name splitting (catalog.exporters.names)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.exporters.keys import assign_keys, base_key, citation_key, fold, settled
from catalog.exporters.names import NameParts, simple_name, split_name
from catalog.records import PaperView
from tests.fixtures.papers import (
    ACCENTS,
    ALL_PAPERS,
    BLOG_POST,
    GAN_CACM,
    JOURNAL,
    MINIMAL,
    OPENREVIEW_ONLY,
    SEED_PAPERS,
    TEX_MATH,
    TUTORIAL_VIDEO,
)


def paper(title: str, authors: list[str] | None = None, year: int | None = 2016) -> PaperView:
    published = date(year, 5, 17) if year else None
    return PaperView(id=0, title=title, authors=authors or [], published=published)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Chris J. Maddison", NameParts(first="Chris J.", last="Maddison")),
        ("S. M. Ali Eslami", NameParts(first="S. M. Ali", last="Eslami")),
        ("S.M. Ali Eslami", NameParts(first="S.M. Ali", last="Eslami")),
        ("Ludwig van der Berg", NameParts(first="Ludwig", von="van der", last="Berg")),
        ("Jean de La Fontaine", NameParts(first="Jean", von="de", last="La Fontaine")),
        ("Martin Luther King Jr.", NameParts(first="Martin Luther", last="King", suffix="Jr.")),
        ("Martin Luther King, Jr.", NameParts(first="Martin Luther", last="King", suffix="Jr.")),
        ("John Smith III", NameParts(first="John", last="Smith", suffix="III")),
        ("Maddison, Chris J.", NameParts(first="Chris J.", last="Maddison")),
        ("van der Berg, Ludwig", NameParts(first="Ludwig", von="van der", last="Berg")),
        ("Ali Eslami, S. M.", NameParts(first="S. M.", last="Ali Eslami")),
        ("King, Jr., Martin", NameParts(first="Martin", last="King", suffix="Jr.")),
        ("Plato", NameParts(last="Plato", literal=True)),
        ("李明", NameParts(last="李明", literal=True)),
        (
            "The ATLAS Collaboration",
            NameParts(last="The ATLAS Collaboration", literal=True),
        ),
        ("  Yee   Whye\nTeh ", NameParts(first="Yee Whye", last="Teh")),
        ("", NameParts(literal=True)),
    ],
)
def test_split_name(name: str, expected: NameParts) -> None:
    assert split_name(name) == expected


def test_family_includes_particles() -> None:
    assert split_name("Ludwig van der Berg").family == "van der Berg"
    assert split_name("Chris J. Maddison").family == "Maddison"


# --- keys ----------------------------------------------------------------------------------


def test_seed_papers_get_readable_keys() -> None:
    assert [base_key(p) for p in SEED_PAPERS] == [
        "maddison2016concrete",
        "gupta2018feedback",
        "engel2017latent",
        "kim2018semi",
        "ganin2018synthesizing",
    ]


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("The Concrete Distribution", "concrete"),
        ("A Novel Approach", "novel"),
        ("On the Origin of Species", "origin"),
        ("Towards Deep Learning", "deep"),
        ("Learning to Learn", "learning"),
        ("An Analysis of the Effect", "analysis"),
        ("In Search of Lost Time", "search"),
        ("With and For", "with"),  # only stopwords: the first word
        ("$\\alpha$-Divergence for GANs", "divergence"),  # TeX math is skipped
        ("\\emph{Really} Fast", "really"),  # TeX commands are skipped
        ("Über Alles", "uber"),  # ASCII-folded
        ("Don't Stop", "dont"),  # apostrophes join the word
        ("X Marks the Spot", "marks"),  # single letters are not significant
        ("3D Shapes", "shapes"),
    ],
)
def test_first_significant_title_word(title: str, word: str) -> None:
    assert base_key(paper(title, ["Ann Author"])) == f"author2016{word}"


@pytest.mark.parametrize(
    ("author", "name"),
    [
        ("Jürgen Müller", "muller"),
        ("Łukasz Kaiser", "kaiser"),
        ("José Ángel Pérez-García", "perezgarcia"),
        ("Ludwig van der Berg", "vanderberg"),
        ("Ann O'Neil", "oneil"),
        ("Martin Luther King Jr.", "king"),
        ("Þór Ægirsson", "aegirsson"),
        ("The ATLAS Collaboration", "atlas"),
        ("李明", ""),  # nothing ASCII: the name part is left out
    ],
)
def test_author_name_is_folded_to_letters(author: str, name: str) -> None:
    assert base_key(paper("Concrete", [author])) == f"{name}2016concrete"


def test_missing_parts_are_left_out() -> None:
    assert base_key(paper("Concrete Ideas", [], year=None)) == "concrete"
    assert base_key(paper("", ["Ann Author"], year=None)) == "author"
    assert base_key(paper("", [], year=None)) == "paper"
    assert base_key(MINIMAL) == "untitled"
    assert base_key(JOURNAL) == "ligo2016observation"
    assert base_key(ACCENTS) == "muller2021uber"
    assert base_key(TEX_MATH) == "lovelace2021divergence"


def test_a_resolved_paper_without_a_date_takes_the_year_a_source_gave() -> None:
    assert base_key(OPENREVIEW_ONLY) == "he2018decision"
    # A published arXiv paper keeps the year it first appeared (its key may be stored
    # since before it was published).
    assert base_key(GAN_CACM) == "goodfellow2014generative"


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (OPENREVIEW_ONLY, True),  # authors and a year: its key is the one to keep
        (GAN_CACM, True),
        (replace(OPENREVIEW_ONLY, authors=[]), False),  # a post's title-only row
        (replace(OPENREVIEW_ONLY, year=None), False),  # authors but no year yet
        (PaperView(id=1, title="Neural Stuff", arxiv_id="1612.00001"), False),  # before sync
        (MINIMAL, False),
        (TUTORIAL_VIDEO, True),  # not a paper: no source will ever fill it in
        (BLOG_POST, True),
    ],
)
def test_settled_keys_are_those_of_papers_with_authors_and_a_year(
    view: PaperView, expected: bool
) -> None:
    assert settled(view) is expected


def test_fold() -> None:
    assert fold("Müller–Łukasz ß Æ") == "mullerlukasz ss ae"  # the dash has no ASCII form


def test_citation_key_suffixes_against_taken() -> None:
    p = paper("Concrete", ["Chris Maddison"])
    taken: set[str] = set()
    keys = [citation_key(p, taken) for _ in range(29)]
    assert keys[:4] == [
        "maddison2016concrete",
        "maddison2016concretea",
        "maddison2016concreteb",
        "maddison2016concretec",
    ]
    assert keys[26:29] == [
        "maddison2016concretez",
        "maddison2016concreteaa",
        "maddison2016concreteab",
    ]
    assert taken == set(keys)


def test_citation_key_keeps_a_stored_key() -> None:
    taken = {"maddison2016concrete"}
    stored = replace(paper("Concrete", ["Chris Maddison"]), citation_key="Maddison:Concrete")
    assert citation_key(stored, taken) == "Maddison:Concrete"
    assert "Maddison:Concrete" in taken


def test_assign_keys_unique_and_stored_keys_win() -> None:
    first = paper("Concrete", ["Chris Maddison"])
    second = replace(first, id=2)
    stored = replace(first, id=3, citation_key="maddison2016concrete")
    keys = assign_keys([first, second, stored])
    # The stored key is reserved first, even though its paper comes last.
    assert keys == ["maddison2016concretea", "maddison2016concreteb", "maddison2016concrete"]


def test_assign_keys_compare_case_insensitively() -> None:
    stored = replace(paper("Concrete", ["Chris Maddison"]), citation_key="Maddison2016Concrete")
    keys = assign_keys([paper("Concrete", ["Chris Maddison"]), stored])
    assert keys == ["maddison2016concretea", "Maddison2016Concrete"]


def test_assign_keys_repeated_stored_key_is_suffixed() -> None:
    a = replace(paper("A"), id=1, citation_key="dup")
    b = replace(paper("B"), id=2, citation_key="dup")
    assert assign_keys([a, b]) == ["dup", "dupa"]


def test_assign_keys_do_not_depend_on_input_order() -> None:
    keys = dict(zip([p.id for p in ALL_PAPERS], assign_keys(ALL_PAPERS), strict=True))
    reordered = list(reversed(ALL_PAPERS))
    again = dict(zip([p.id for p in reordered], assign_keys(reordered), strict=True))
    assert keys == again
    # The older of two clashing papers gets the plain key.
    assert keys[1] == "maddison2016concrete"
    assert keys[16] == "maddison2016concretea"


names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"]),
    max_size=30,
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.text(max_size=40), st.lists(names, max_size=3)), max_size=30))
def test_generated_keys_are_ascii_and_unique(items: list[tuple[str, list[str]]]) -> None:
    papers = [
        PaperView(id=i + 1, title=t, authors=a, published=date(2020, 1, 2))
        for i, (t, a) in enumerate(items)
    ]
    keys = assign_keys(papers)
    assert len({k.lower() for k in keys}) == len(keys)
    for key in keys:
        assert re.fullmatch(r"[a-z]*(2020)?[a-z]*", key), key
        assert key


@pytest.mark.parametrize(
    ("name", "simple"),
    [
        ("Chris J. Maddison", ("Chris J.", "Maddison")),
        ("S. M. Ali Eslami", ("S. M. Ali", "Eslami")),
        ("danah Boyd", ("danah", "Boyd")),
        ("Ludwig van der Berg", None),  # particles
        ("Martin Luther King Jr.", None),  # suffix
        ("Maddison, Chris", None),  # comma
        ("Jürgen Müller", None),  # non-ASCII: NFC and folding rules apply
        ("The ATLAS Collaboration", None),  # organisation
        ("Anna And Berg", None),  # a word "and" must be braced in BibTeX
        ("Plato", None),  # one word
        ("Ann  Two Spaces", None),
        ("Bob_Underscore Smith", None),  # TeX specials
    ],
)
def test_simple_name_fast_path(name: str, simple: tuple[str, str] | None) -> None:
    assert simple_name(name) == simple


ascii_names = st.text(alphabet="AaBbZz .,-'_&and\\{}\t", max_size=25)


name_words = st.lists(
    st.sampled_from(
        ["Ann", "Smith", "J.", "Team", "team.", "Inc.", "A.Lab", "LABS", "and", "AND", "van"]
        + ["Jr.", "III", "(X)", "O'Neil", "Zoë", "3rd", "Ann\tB", "", " "]
    ),
    max_size=5,
).map(" ".join)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.one_of(ascii_names, names, name_words))
def test_simple_name_agrees_with_split_name(name: str) -> None:
    simple = simple_name(name)
    if simple is not None:
        assert split_name(name) == NameParts(first=simple[0], last=simple[1])


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="Aab Zz'-.:3ThetOnofr", max_size=40))
def test_first_word_fast_path_agrees_with_the_full_rules(title: str) -> None:
    from catalog.exporters import keys

    words = keys._words(title)  # the full path: fold, drop apostrophes, letters only
    significant = [w for w in words if len(w) > 1 and w not in keys.STOPWORDS]
    expected = significant[0] if significant else (words[0] if words else "")
    assert keys._first_word(title) == expected
