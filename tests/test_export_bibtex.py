"""BibTeX export: golden files, every special case by name, and property-based parse-back."""

from __future__ import annotations

import io
import subprocess
import sys
import unicodedata
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
from catalog.exporters.tex_symbols import SYMBOLS
from catalog.importers.bib import read_bib
from catalog.records import PaperView
from tests.fixtures.papers import (
    ACCENTS,
    ALL_PAPERS,
    BLOG_POST,
    BRACES,
    CONCRETE,
    CROSSREF_SYMBOLS,
    ENAS_CODE,
    EXPORT_PAPERS,
    FBGAN,
    GAN_CACM,
    IMPORTED,
    JOURNAL,
    LATEX_SPECIALS,
    MINIMAL,
    NEURAL_ODE,
    OLD_STYLE,
    OPENREVIEW_ONLY,
    PIPES_HTML,
    PUBLISHED,
    SEED_SESSION,
    SPECIAL,
    SPIRAL,
    TEX_MATH,
    TUTORIAL_VIDEO,
    YEAR_ONLY,
    check_golden,
)


def bibtex(papers: list[PaperView], **options: bool | str) -> str:
    out = io.StringIO()
    export(papers, [], out, ExportOptions(**options))
    return out.getvalue()


def unpublished(paper: PaperView) -> PaperView:
    """The paper as the catalog knew it before a source found where it was published."""
    return replace(
        paper, kind=None, venue=None, volume=None, issue=None, pages=None, publisher=None,
        year=None, identifiers=[i for i in paper.identifiers if i.scheme == "arxiv"],
    )  # fmt: skip


def parsed(text: str) -> Library:
    library = parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def fields(paper: PaperView, **options: bool | str) -> dict[str, str]:
    (entry,) = parsed(bibtex([paper], **options)).entries
    return {f.key: f.value for f in entry.fields}


# --- golden files and parse-back -----------------------------------------------------------


def test_golden_all_fixture_papers() -> None:
    check_golden("export.bib", bibtex(EXPORT_PAPERS))


def test_golden_ascii_with_abstracts() -> None:
    check_golden("export_ascii_abstracts.bib", bibtex(EXPORT_PAPERS, ascii=True, abstracts=True))


def test_golden_prefer_arxiv() -> None:
    check_golden("export_prefer_arxiv.bib", bibtex(list(PUBLISHED.values()), prefer="arxiv"))


@pytest.mark.parametrize(
    "options",
    [{}, {"ascii": True}, {"abstracts": True, "ascii": True}, {"prefer": "arxiv"}],
)
def test_every_fixture_paper_parses_back(options: dict[str, bool | str]) -> None:
    library = parsed(bibtex(EXPORT_PAPERS, **options))
    assert len(library.entries) == len(EXPORT_PAPERS)
    assert len({e.key for e in library.entries}) == len(EXPORT_PAPERS)


@pytest.mark.parametrize("name", sorted(SPECIAL) + sorted(PUBLISHED))
def test_each_special_case_parses_back_alone(name: str) -> None:
    paper = SPECIAL.get(name) or PUBLISHED[name]
    for options in ({}, {"ascii": True, "abstracts": True}):
        (entry,) = parsed(bibtex([paper], **options)).entries
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


# --- published papers and items that are not papers ----------------------------------------


def test_proceedings_paper_is_inproceedings_keeping_its_eprint() -> None:
    (entry,) = parsed(bibtex([NEURAL_ODE])).entries
    assert entry.entry_type == "inproceedings"
    assert entry.key == "chen2018neural"
    assert [f.key for f in entry.fields] == [
        "title", "author", "booktitle", "volume", "pages", "publisher", "year",
        "eprint", "archivePrefix", "primaryClass", "url",
    ]  # fmt: skip
    assert entry["booktitle"] == NEURAL_ODE.venue
    assert (entry["volume"], entry["pages"]) == ("31", "6572--6583")
    assert entry["publisher"] == "Curran Associates, Inc."
    assert (entry["eprint"], entry["archivePrefix"]) == ("1806.07366", "arXiv")


def test_journal_paper_is_article_with_the_published_year_and_no_month() -> None:
    (entry,) = parsed(bibtex([GAN_CACM])).entries
    assert entry.entry_type == "article"
    assert entry.key == "goodfellow2014generative"  # keys keep the year it first appeared
    f = {x.key: x.value for x in entry.fields}
    assert f["journal"] == "Communications of the ACM"
    assert (f["volume"], f["number"], f["pages"]) == ("63", "11", "139--144")
    assert f["year"] == "2020"  # the journal's year, not arXiv v1's 2014
    assert "month" not in f  # June 2014 is when the preprint appeared
    assert f["doi"] == "10.1145/3422622"
    assert f["eprint"] == "1406.2661"


def test_prefer_arxiv_writes_each_published_paper_as_before_it_was_published() -> None:
    for paper in (NEURAL_ODE, GAN_CACM):
        assert bibtex([paper], prefer="arxiv") == bibtex([unpublished(paper)])
    (entry,) = parsed(bibtex([GAN_CACM], prefer="arxiv")).entries
    assert entry.entry_type == "misc"
    assert (entry["year"], entry["month"]) == ("2014", "jun")


def test_prefer_arxiv_keeps_papers_without_an_arxiv_id_published() -> None:
    assert bibtex([OPENREVIEW_ONLY], prefer="arxiv") == bibtex([OPENREVIEW_ONLY])
    assert bibtex([CROSSREF_SYMBOLS], prefer="arxiv") == bibtex([CROSSREF_SYMBOLS])


def test_paper_known_by_title_and_resolved_has_authors_year_and_venue() -> None:
    (entry,) = parsed(bibtex([OPENREVIEW_ONLY])).entries
    assert (entry.entry_type, entry.key) == ("inproceedings", "he2018decision")
    assert entry["author"] == "He, Warren and Li, Bo and Song, Dawn"
    assert entry["year"] == "2018"
    assert entry["booktitle"].endswith("ICLR 2018")
    assert entry["url"] == "https://openreview.net/forum?id=BkpiPMbA-"
    assert "eprint" not in entry


@pytest.mark.parametrize(
    ("kind", "entry_type", "venue_field"),
    [
        ("journal", "article", "journal"),
        ("comment", "article", "journal"),
        ("erratum", "article", "journal"),
        ("review", "article", "journal"),
        ("proceedings", "inproceedings", "booktitle"),
        ("chapter", "incollection", "booktitle"),
        ("book", "book", None),
        ("thesis", "misc", "howpublished"),
        ("other", "misc", "howpublished"),
    ],
)
def test_each_kind_of_published_record_has_its_entry_type(
    kind: str, entry_type: str, venue_field: str | None
) -> None:
    paper = replace(OPENREVIEW_ONLY, kind=kind, issue="2", volume="7", pages="1-9")
    (entry,) = parsed(bibtex([paper])).entries
    assert entry.entry_type == entry_type
    venue_fields = {"journal", "booktitle", "howpublished"} & set(entry.fields_dict)
    assert venue_fields == ({venue_field} if venue_field else set())
    assert entry["pages"] == "1--9" and entry["volume"] == "7"
    assert ("number" in entry) == (entry_type == "article")  # an issue is a journal's
    assert entry["publisher"] == "OpenReview.net"
    if kind == "thesis":
        assert entry["howpublished"] == "Thesis"  # which degree is not known


def test_published_record_without_its_venue_name_is_misc() -> None:
    (entry,) = parsed(bibtex([replace(OPENREVIEW_ONLY, venue=None)])).entries
    assert entry.entry_type == "misc"
    assert "booktitle" not in entry and "howpublished" not in entry
    assert entry["year"] == "2018"


def test_a_preprint_record_is_not_a_publication() -> None:
    assert bibtex([replace(NEURAL_ODE, kind="preprint")]) == bibtex([unpublished(NEURAL_ODE)])


@pytest.mark.parametrize(
    ("pages", "written"),
    [
        ("770-778", "770--778"),
        ("770--778", "770--778"),
        ("770\u2013778", "770--778"),
        ("770 \u2014 778", "770--778"),
        ("S1-S10", "S1--S10"),
        ("e1003", "e1003"),
        ("12", "12"),
        ("1-4, 7-9", "1--4, 7--9"),
    ],
)
def test_pages_are_ranges_with_two_dashes(pages: str, written: str) -> None:
    assert fields(replace(GAN_CACM, pages=pages))["pages"] == written


@pytest.mark.parametrize(
    ("paper", "howpublished"),
    [(TUTORIAL_VIDEO, "Video"), (ENAS_CODE, "Software"), (BLOG_POST, "Blog post")],
)
def test_items_that_are_not_papers_are_misc_with_what_they_are(
    paper: PaperView, howpublished: str
) -> None:
    (entry,) = parsed(bibtex([paper])).entries
    assert entry.entry_type == "misc"
    assert entry["howpublished"] == howpublished
    assert entry["url"] == paper.url
    assert "eprint" not in entry and "booktitle" not in entry


def test_other_item_types_have_their_label() -> None:
    assert fields(replace(TUTORIAL_VIDEO, item_type="slides"))["howpublished"] == "Slides"
    assert fields(replace(TUTORIAL_VIDEO, item_type="web"))["howpublished"] == "Web page"
    with_venue = replace(TUTORIAL_VIDEO, venue="NeurIPS 2016")
    assert fields(with_venue)["howpublished"] == "Video, NeurIPS 2016"


def test_an_item_that_is_not_a_paper_is_never_typed_by_a_record() -> None:
    video = replace(TUTORIAL_VIDEO, kind="proceedings", venue="ICML", volume="3", year=2019)
    f = fields(video)
    assert f["howpublished"] == "Video, ICML"
    assert "volume" not in f and "booktitle" not in f


def test_bib_entry_keeps_its_type_and_its_own_fields_over_the_catalogs() -> None:
    paper = replace(
        IMPORTED, kind="proceedings", year=2016, pages="770-778", publisher="IEEE", volume="1"
    )
    (entry,) = parsed(bibtex([paper])).entries
    assert entry.entry_type == "inproceedings"
    assert entry["pages"] == "770--778" and entry["publisher"] == "{IEEE}"  # the .bib's own
    assert entry["volume"] == "1"  # what the .bib lacked is added
    assert [f.key for f in entry.fields].count("pages") == 1


def test_crossref_symbols_are_latex_in_utf8_exports() -> None:
    f = fields(CROSSREF_SYMBOLS, abstracts=True)
    assert f["title"] == (
        r"{\ensuremath{\alpha}}-Synuclein \& Ca{\textsuperscript{2}}{\textsuperscript{+}} "
        r"Sensing at p \textless{} 0.05: {CO{\textsubscript{2}}} {\ensuremath{\leq}} 5\% in "
        r"{\ensuremath{\beta}}-Cells of {\ensuremath{\Omega}}-Mice"
    )
    assert f["author"] == "Papadopoulou, Maria and Müller, Jürgen"  # Latin letters stay
    assert f["abstract"].startswith(r"We show that {\ensuremath{\alpha}}-synuclein binds Ca")
    assert r"p \textless{} 0.05) \& more." in f["abstract"]


def test_crossref_symbols_read_the_same_with_ascii() -> None:
    utf8, ascii = fields(CROSSREF_SYMBOLS), fields(CROSSREF_SYMBOLS, ascii=True)
    assert utf8["title"] == ascii["title"]
    assert ascii["author"] == r'Papadopoulou, Maria and M{\"u}ller, J{\"u}rgen'
    assert bibtex([CROSSREF_SYMBOLS], ascii=True).isascii()


def test_crossref_title_imports_back_as_plain_text() -> None:
    (back,) = read_bib(bibtex([CROSSREF_SYMBOLS]), "x").papers
    assert back.title == "α-Synuclein & Ca2+ Sensing at p < 0.05: CO2 ≤ 5% in β-Cells of Ω-Mice"
    assert back.venue == "Nature Communications"
    assert back.entry_type == "article"


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
    # "<", ">" and "|" are text macros: LaTeX's default font encoding (OT1) would print
    # "¡", "¿" and "—" for them.
    assert fields(PIPES_HTML)["title"] == (
        r"Sense \& Sensitivity \textbar{} A Study across Lines \textless{}b\textgreater{} and "
        r"{\textless{}i\textgreater{}Tags\textless{}/i\textgreater{}}"
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

TEX_BITS = [*'&%$#_{}~^\\|@",=<>', "$\\alpha$", "$x_1$", "{GAN}", " and ", "&amp;", "\n", "é", "Ü"]
# What Crossref titles hold once their HTML and MathML are stripped.
CROSSREF_BITS = ["α", "β-", "Ω", "CO₂", "Ca²⁺", "10⁻³", "≤", "→", "p < 0.05", "A&B", "µm", "–"]
GREEK_LOOKALIKES = str.maketrans("ΑΒΕΖΗΙΚΜΝΟΡΤΧο", "ABEZHIKMNOPTXo")
LIGATURES = ("--", "''", "``", "!`", "?`")  # TeX reads these as dashes and quotes
text_with_tex = st.lists(
    st.one_of(st.text(max_size=6), st.sampled_from(TEX_BITS), st.sampled_from(CROSSREF_BITS)),
    max_size=12,
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
@given(
    text_with_tex,
    st.lists(text_with_tex, max_size=4),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["journal", "proceedings", "chapter", "book", "thesis", "other"]),
)
def test_any_text_parses_back_without_failed_blocks(
    title: str, authors: list[str], ascii: bool, abstracts: bool, kind: str
) -> None:
    paper = PaperView(
        id=1, title=title, authors=authors, arxiv_id="1611.00712", abstract=title, venue=title
    )
    published = replace(
        paper, id=3, arxiv_id=None, kind=kind, year=2020,
        volume=title, issue=title, pages=title, publisher=title,
    )  # fmt: skip
    papers = [paper, replace(paper, id=2, entry_type="article"), published]
    papers.append(replace(published, id=4, item_type="video"))
    text = bibtex(papers, ascii=ascii, abstracts=abstracts)
    library = parsed(text)
    assert len(library.entries) == 4
    # Greek, sub/superscripts and math signs are LaTeX in every export (pdflatex has no
    # glyph for them), whatever field they are in.
    assert not SYMBOLS.intersection(text)


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
    # Math is imported verbatim: a symbol inside "$...$" comes back in its LaTeX form.
    assume("$" not in want or not SYMBOLS.intersection(want))
    # Sub- and superscripts are written \textsubscript{2}, which reads back as "2" (and
    # a superscript minus as a hyphen); Greek letters that LaTeX has no command for, as
    # they look like Latin ones, are those Latin letters.
    want = "".join(
        unicodedata.normalize("NFKC", c).replace("\u2212", "-")
        if c in SYMBOLS and unicodedata.name(c, "").startswith(("SUPERSCRIPT", "SUBSCRIPT"))
        else c
        for c in want
    ).translate(GREEK_LOOKALIKES)
    for ascii in (False, True):
        imported = read_bib(bibtex([PaperView(id=1, title=title)], ascii=ascii), "x")
        assert not imported.failed
        if not ascii:  # pylatexenc's --ascii forms do not all read back exactly
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
        ("pipe", "Ann | Pipe", "Pipe, Ann \\textbar{}"),
        ("newline", "Ann\nNew  Line", "Line, Ann New"),
        ("html entity", "Ann &amp; Co", "Co, Ann \\&"),
        ("tex math", "Ann $\\alpha$", "$\\alpha$, Ann"),
    ],
)
def test_special_cases_in_names(case: str, name: str, written: str) -> None:
    assert format_name(name) == written, case
    paper = PaperView(id=1, title="T", authors=[name, "Bob Smith"])
    assert fields(paper)["author"] == f"{written} and Smith, Bob", case
