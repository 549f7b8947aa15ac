"""BibTeX export: golden files, every special case by name, and property-based parse-back."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace

import pytest
from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from catalog.exporters import EXPORTERS, FILE_SUFFIXES, ExportOptions, get_exporter
from catalog.exporters.bibtex import escape_text, export, format_name, format_title
from catalog.exporters.common import clean, collect_papers
from catalog.exporters.names import SUFFIXES, split_name
from catalog.importers.bib import read_bib
from catalog.records import PaperView
from tests.fixtures.papers import (
    ACCENTS,
    ALL_PAPERS,
    BRACES,
    CONCRETE,
    FBGAN,
    IMPORTED,
    JOURNAL,
    LATEX_SPECIALS,
    MINIMAL,
    OLD_STYLE,
    PIPES_HTML,
    SEED_SESSION,
    SPECIAL,
    SPIRAL,
    TEX_MATH,
    YEAR_ONLY,
    check_golden,
)


def bibtex(papers: list[PaperView], **options: bool) -> str:
    out = io.StringIO()
    export(papers, [], out, ExportOptions(**options))
    return out.getvalue()


def parsed(text: str) -> Library:
    library = parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def fields(paper: PaperView, **options: bool) -> dict[str, str]:
    (entry,) = parsed(bibtex([paper], **options)).entries
    return {f.key: f.value for f in entry.fields}


# --- golden files and parse-back -----------------------------------------------------------


def test_golden_all_fixture_papers() -> None:
    check_golden("export.bib", bibtex(ALL_PAPERS))


def test_golden_ascii_with_abstracts() -> None:
    check_golden("export_ascii_abstracts.bib", bibtex(ALL_PAPERS, ascii=True, abstracts=True))


@pytest.mark.parametrize("options", [{}, {"ascii": True}, {"abstracts": True, "ascii": True}])
def test_every_fixture_paper_parses_back(options: dict[str, bool]) -> None:
    library = parsed(bibtex(ALL_PAPERS, **options))
    assert len(library.entries) == len(ALL_PAPERS)
    assert len({e.key for e in library.entries}) == len(ALL_PAPERS)


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_each_special_case_parses_back_alone(name: str) -> None:
    for options in ({}, {"ascii": True, "abstracts": True}):
        (entry,) = parsed(bibtex([SPECIAL[name]], **options)).entries
        assert entry["title"]


# --- entry types and fields ----------------------------------------------------------------


def test_arxiv_preprint_is_misc_with_eprint_fields() -> None:
    (entry,) = parsed(bibtex([CONCRETE])).entries
    assert entry.entry_type == "misc"
    assert entry.key == "maddison2016concrete"
    assert [f.key for f in entry.fields] == [
        "title",
        "author",
        "year",
        "month",
        "eprint",
        "archivePrefix",
        "primaryClass",
        "url",
    ]
    assert entry["author"] == "Maddison, Chris J. and Mnih, Andriy and Teh, Yee Whye"
    assert entry["year"] == "2016"
    assert entry["eprint"] == "1611.00712"
    assert entry["archivePrefix"] == "arXiv"
    assert entry["primaryClass"] == "cs.LG"
    assert entry["url"] == "https://arxiv.org/abs/1611.00712"


def test_month_is_an_unenclosed_macro_that_parses_back() -> None:
    text = bibtex([CONCRETE])
    assert "  month = nov,\n" in text
    (entry,) = parsed(text).entries
    month = entry.fields_dict["month"]
    assert month.value == "nov"
    assert month.enclosing == "no-enclosing"  # a macro reference, as BibTeX reads it


def test_year_only_date_writes_no_month() -> None:
    assert "month" not in fields(YEAR_ONLY)
    assert fields(YEAR_ONLY)["year"] == "1948"


def test_journal_ref_makes_an_article() -> None:
    (entry,) = parsed(bibtex([JOURNAL])).entries
    assert entry.entry_type == "article"
    assert entry["journal"] == "Phys. Rev. Lett. 116, 061102 (2016)"
    assert entry["doi"] == "10.1103/PhysRevLett.116.061102"


def test_imported_paper_keeps_type_venue_key_and_extra_fields() -> None:
    (entry,) = parsed(bibtex([IMPORTED])).entries
    assert entry.entry_type == "inproceedings"
    assert entry.key == "He_2016_CVPR"  # stored keys are never changed
    assert entry["booktitle"].startswith("Proceedings of the IEEE Conference")
    assert entry["pages"] == "770--778"  # BibTeX source, verbatim
    assert entry["publisher"] == "{IEEE}"
    assert entry["note"] == "Best paper {\\&} more"
    assert "eprint" not in entry


def test_non_arxiv_article_gets_journal_from_venue() -> None:
    f = fields(YEAR_ONLY)
    assert f["journal"] == "Bell System Technical Journal"
    assert (f["volume"], f["number"]) == ("27", "3")


def test_misc_without_arxiv_uses_howpublished_for_venue() -> None:
    paper = PaperView(id=99, title="Talk", venue="Reading group", url="https://example.org/a b")
    f = fields(paper)
    assert f["howpublished"] == "Reading group"
    assert f["url"] == "https://example.org/a%20b"  # whitespace would break the URL


def test_each_verbatim_value_is_encoded_on_its_own() -> None:
    paper = replace(CONCRETE, doi=" 10.1000/x y", url="https://e.org/{a}\\b")
    f = fields(paper)
    assert f["eprint"] == "1611.00712" and f["primaryClass"] == "cs.LG"  # clean: as is
    assert f["doi"] == "10.1000/x%20y"
    assert f["url"] == "https://e.org/%7Ba%7D%5Cb"


def test_article_typed_preprint_without_journal_becomes_misc() -> None:
    paper = replace(CONCRETE, entry_type="article", citation_key="k")
    (entry,) = parsed(bibtex([paper])).entries
    assert entry.entry_type == "misc"


def test_minimal_paper_has_only_a_title() -> None:
    (entry,) = parsed(bibtex([MINIMAL])).entries
    assert entry.entry_type == "misc"
    assert [f.key for f in entry.fields] == ["title"]


def test_old_style_arxiv_id_is_written_verbatim() -> None:
    f = fields(OLD_STYLE)
    assert f["eprint"] == "hep-th/9711200"
    assert f["title"] == "The Large N Limit of Superconformal Field Theories and Supergravity"


def test_abstract_only_with_the_option() -> None:
    assert "abstract" not in fields(CONCRETE)
    assert fields(CONCRETE, abstracts=True)["abstract"].startswith("The reparameterization")


def test_url_keeps_percent_underscore_and_hash() -> None:
    paper = replace(MINIMAL, url="https://example.org/a_b%20c#frag~x")
    assert fields(paper)["url"] == "https://example.org/a_b%20c#frag~x"


def test_session_papers_are_exported_too() -> None:
    out = io.StringIO()
    export([], [SEED_SESSION], out, ExportOptions())
    keys = [e.key for e in parsed(out.getvalue()).entries]
    assert keys == [
        "maddison2016concrete",
        "gupta2018feedback",
        "engel2017latent",
        "kim2018semi",
        "ganin2018synthesizing",
    ]


def test_collect_papers_dedupes_by_identity() -> None:
    copy = replace(CONCRETE)  # another object, same catalog id
    assert collect_papers([CONCRETE, copy], [SEED_SESSION])[:2] == [CONCRETE, FBGAN]
    assert len(collect_papers([CONCRETE], [SEED_SESSION])) == 5


# --- escaping: each special case by name ---------------------------------------------------


def test_latex_specials_in_title_are_escaped() -> None:
    assert fields(LATEX_SPECIALS)["title"] == (
        r"Cost \& Benefit: 100\% of \$5 for \#1 via my\_var, \{braces\}, "
        r"\textasciitilde{}tilde, \textasciicircum{}hat and \textbackslash{}back"
    )


def test_latex_specials_in_names_are_escaped() -> None:
    assert fields(LATEX_SPECIALS)["author"] == "O'Neil, Ann and Smith, Bob\\_Underscore"


def test_latex_specials_in_abstract_are_escaped() -> None:
    assert fields(LATEX_SPECIALS, abstracts=True)["abstract"] == (
        r"We spend 50\% \& more on \#hashtags, a\_b, \{x\}, \textasciitilde{}, "
        r"\textasciicircum{} and \textbackslash{}n."
    )


def test_tex_math_is_kept_and_capital_math_braced() -> None:
    assert fields(TEX_MATH)["title"] == (
        r"$\alpha$-Divergence and {$O(n \log n)$} Bounds for {$N$}-gram {GANs} with $\{x_i\}$"
    )


def test_dollar_amounts_are_not_math() -> None:
    # pandoc's rule: "$" followed by a space, or closing "$" followed by a digit, is no math.
    assert escape_text("costs 5$ or 6$ and $x$") == r"costs 5\$ or 6\$ and $x$"
    assert escape_text("$5 and $10") == r"\$5 and \$10"
    assert escape_text("a lone $ sign") == r"a lone \$ sign"


def test_unsafe_math_is_escaped_as_text() -> None:
    assert escape_text("$a % b$") == r"\$a \% b\$"  # % would start a TeX comment
    assert escape_text("$a { b$") == r"\$a \textbraceleft{} b\$"


def test_title_capitals_are_protected_word_by_word() -> None:
    assert fields(FBGAN)["title"] == (
        "Feedback {GAN} ({FBGAN}) for {DNA}: a Novel Feedback-Loop Architecture for "
        "Optimizing Protein Functions"
    )
    assert format_title("iPhone 3D and Q-Learning with FBGAN-based McDonald") == (
        "{iPhone} {3D} and Q-Learning with {FBGAN-based} {McDonald}"
    )
    assert format_title("Semi-Amortized Müller–Lyer ÜBER") == "Semi-Amortized Müller–Lyer {ÜBER}"


def test_paired_braces_are_escaped_unpaired_become_text_macros() -> None:
    assert fields(LATEX_SPECIALS)["title"].count(r"\{braces\}") == 1
    assert fields(BRACES)["title"] == (
        r"Half-open \textbraceleft{}interval and a closing\textbraceright{} "
        r"brace\textbraceright{} here"
    )
    assert fields(BRACES)["author"] == r"Person, Brace \{Left\}"


def test_accents_kept_as_utf8_by_default() -> None:
    f = fields(ACCENTS)
    assert f["title"] == "Über die Müller–Lyer Illusion: ça marche à São Paulo"
    assert f["author"].startswith("Müller, Jürgen and Kaiser, Łukasz and Pérez-García, José Ángel")


def test_accents_converted_to_latex_with_ascii() -> None:
    f = fields(ACCENTS, ascii=True)
    assert f["title"] == (
        r"{\"U}ber die M{\"u}ller{\textendash}Lyer Illusion: {\c{c}}a marche {\`a} S{\~a}o Paulo"
    )
    assert f["author"].startswith(r"M{\"u}ller, J{\"u}rgen and Kaiser, {\L}ukasz")
    assert f["url"] == "https://arxiv.org/abs/2102.00002"  # verbatim fields untouched


def test_html_entities_and_newlines_in_title() -> None:
    assert fields(PIPES_HTML)["title"] == (
        r"Sense \& Sensitivity | A Study across Lines <b> and {<i>Tags</i>}"
    )


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("S. M. Ali Eslami", "Eslami, S. M. Ali"),
        ("Ludwig van der Berg", "van der Berg, Ludwig"),
        ("Martin Luther King Jr.", "King, Jr., Martin Luther"),
        ("Plato", "{Plato}"),
        ("The ATLAS Collaboration", "{The ATLAS Collaboration}"),
        ("Smith and Wesson Group", "{Smith and Wesson Group}"),
        ("Anna And Berg", "Berg, Anna {And}"),  # a lone "and" would split the name
        ("Ali Eslami, S. M.", "Ali Eslami, S. M."),
        ("", ""),
    ],
)
def test_names(name: str, written: str) -> None:
    assert format_name(name) == written


def test_spiral_authors_in_order() -> None:
    assert fields(SPIRAL)["author"] == (
        "Ganin, Yaroslav and Kulkarni, Tejas and Babuschkin, Igor and Eslami, S. M. Ali "
        "and Vinyals, Oriol"
    )


# --- registry ------------------------------------------------------------------------------


def test_registry_names_every_format() -> None:
    assert sorted(EXPORTERS) == ["bibtex", "csl", "json", "markdown"]
    assert set(FILE_SUFFIXES) == set(EXPORTERS)
    with pytest.raises(KeyError, match="known formats: bibtex, csl, json, markdown"):
        get_exporter("docx")


def test_registry_exporter_writes_the_same_as_the_module() -> None:
    out = io.StringIO()
    get_exporter("bibtex")(ALL_PAPERS, [], out, ExportOptions())
    assert out.getvalue() == bibtex(ALL_PAPERS)


def test_registry_imports_format_modules_lazily() -> None:
    code = (
        "import sys, catalog.exporters\n"
        "heavy = [m for m in ('bibtexparser', 'pylatexenc', 'yaml', 'catalog.exporters.bibtex')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- properties ----------------------------------------------------------------------------

TEX_BITS = [*'&%$#_{}~^\\|@",=', "$\\alpha$", "$x_1$", "{GAN}", " and ", "&amp;", "\n", "é", "Ü"]
LIGATURES = ("--", "''", "``", "!`", "?`")  # TeX reads these as dashes and quotes
text_with_tex = st.lists(
    st.one_of(st.text(max_size=6), st.sampled_from(TEX_BITS)), max_size=12
).map("".join)
name_word = st.one_of(
    st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=8).filter(
        lambda w: w.lower() not in SUFFIXES
    ),
    st.sampled_from(["van", "der", "de", "O'Neil", "Pérez-García", "S.", "a&b", "x_y", "50%"]),
    st.sampled_from(["#1", "~", "^", "\\", "$x$", "and", "AND", "李明"]),
)
person = st.tuples(
    st.lists(name_word, min_size=1, max_size=4).map(" ".join),
    st.sampled_from(["", " Jr.", " III", ", Jr."]),
).map("".join)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text_with_tex, st.lists(text_with_tex, max_size=4), st.booleans(), st.booleans())
def test_any_text_parses_back_without_failed_blocks(
    title: str, authors: list[str], ascii: bool, abstracts: bool
) -> None:
    paper = PaperView(
        id=1, title=title, authors=authors, arxiv_id="1611.00712", abstract=title, venue=title
    )
    text = bibtex(
        [paper, replace(paper, id=2, entry_type="article")], ascii=ascii, abstracts=abstracts
    )
    library = parsed(text)
    assert len(library.entries) == 2


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text_with_tex)
def test_any_title_survives_export_and_import(title: str) -> None:
    want = clean(title)
    assume(want and not any(lig in want for lig in LIGATURES))
    imported = read_bib(bibtex([PaperView(id=1, title=title)]), "x")
    assert not imported.failed
    assert imported.papers[0].title == want


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(person, min_size=1, max_size=4))
def test_any_names_survive_export_and_import(authors: list[str]) -> None:
    imported = read_bib(bibtex([PaperView(id=1, title="T", authors=authors)]), "x")
    assert not imported.failed
    got = [split_name(a) for a in imported.papers[0].authors]
    want = [split_name(clean(a)) for a in authors]
    assert [(n.family, n.first, n.suffix) for n in got] == [
        (n.family, n.first, n.suffix) for n in want
    ]


def test_chunked_writing_equals_one_library(monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.exporters import bibtex as module

    whole = module.render(module.build_library(ALL_PAPERS, ExportOptions()))
    monkeypatch.setattr(module, "_CHUNK", 3)
    assert bibtex(ALL_PAPERS) == whole


@pytest.mark.parametrize(
    ("case", "name", "written"),
    [
        ("latex specials", "Ann 50%_R&D #1", r"\#1, Ann 50\%\_R\&D"),
        ("accents", "Zoë Ångström", "Ångström, Zoë"),
        ("braces", "Ann {B}", r"\{B\}, Ann"),
        ("pipe", "Ann | Pipe", "Pipe, Ann |"),
        ("newline", "Ann\nNew  Line", "Line, Ann New"),
        ("html entity", "Ann &amp; Co", "Co, Ann \\&"),
        ("tex math", "Ann $\\alpha$", "$\\alpha$, Ann"),
    ],
)
def test_special_cases_in_names(case: str, name: str, written: str) -> None:
    assert format_name(name) == written, case
    paper = PaperView(id=1, title="T", authors=[name, "Bob Smith"])
    assert fields(paper)["author"] == f"{written} and Smith, Bob", case
