""".bib import: arXiv ids from every place a .bib file puts them, de-LaTeXed text,
dates, failed blocks with line numbers, and export -> import round trips."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from catalog.exporters import ExportOptions
from catalog.exporters.bibtex import export
from catalog.importers.bib import BibImport, de_latex, read_bib, split_persons
from catalog.records import PaperView
from tests.fixtures.papers import ALL_PAPERS, IMPORTED, SPECIAL

BIB = Path(__file__).resolve().parent / "fixtures" / "bib"


def read(name: str) -> BibImport:
    return read_bib((BIB / name).read_text(encoding="utf-8"), str(BIB / name))


def by_key(result: BibImport) -> dict[str | None, PaperView]:
    return {p.citation_key: p for p in result.papers}


@pytest.fixture(scope="module")
def arxiv_bib() -> dict[str | None, PaperView]:
    result = read("arxiv.bib")
    assert result.failed == []
    return by_key(result)


# --- arXiv ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "arxiv_id", "version"),
    [
        ("maddison2016concrete", "1611.00712", None),  # eprint + archivePrefix
        ("gupta2018fbgan", "1804.01694", None),  # Scholar's "arXiv preprint arXiv:..."
        ("DBLP:journals/corr/abs-1711-05772", "1711.05772", None),  # dblp eprinttype
        ("kim2018semi", "1802.02550", 7),  # versioned eprint
        ("ganin2018spiral", "1804.01118", None),  # 10.48550 DOI
        ("lovelace2021alpha", "2103.00003", 2),  # "arXiv:" in eprint, no prefix field
        ("abbott2016ligo", "1602.03837", None),
        ("shannon1948", None, None),
    ],
)
def test_arxiv_id_sources(
    arxiv_bib: dict[str | None, PaperView], key: str, arxiv_id: str | None, version: int | None
) -> None:
    paper = arxiv_bib[key]
    assert (paper.arxiv_id, paper.version) == (arxiv_id, version)


def test_arxiv_id_from_url() -> None:
    text = "@misc{u, title = {T}, url = {https://arxiv.org/pdf/1611.00712v2.pdf}}"
    (paper,) = read_bib(text, "u.bib").papers
    assert (paper.arxiv_id, paper.version) == ("1611.00712", 2)
    assert paper.url == "https://arxiv.org/pdf/1611.00712v2.pdf"


def test_pseudo_journals_are_dropped(arxiv_bib: dict[str | None, PaperView]) -> None:
    scholar = arxiv_bib["gupta2018fbgan"]
    assert (scholar.venue, scholar.journal_ref) == (None, None)
    dblp = arxiv_bib["DBLP:journals/corr/abs-1711-05772"]
    assert (dblp.venue, dblp.journal_ref) == (None, None)
    assert "volume" not in dblp.extra_fields
    assert dblp.extra_fields["biburl"] == "https://dblp.org/rec/journals/corr/abs-1711-05772.bib"


def test_primary_class_and_real_journal(arxiv_bib: dict[str | None, PaperView]) -> None:
    ligo = arxiv_bib["abbott2016ligo"]
    assert ligo.primary_category == "gr-qc" and ligo.categories == ["gr-qc"]
    assert ligo.journal_ref == ligo.venue == "Phys. Rev. Lett."
    assert ligo.doi == "10.1103/PhysRevLett.116.061102"


def test_eprint_of_another_archive_is_kept_as_extra_field() -> None:
    paper = by_key(read("broken.bib"))["otherarchive2015"]
    assert paper.arxiv_id is None
    assert paper.extra_fields == {
        "publisher": "Some {Press} \\& Co.",
        "eprint": "hal-01234567",
        "archiveprefix": "HAL",
    }


# --- text ----------------------------------------------------------------------------------


def test_titles_are_de_latexed(arxiv_bib: dict[str | None, PaperView]) -> None:
    assert arxiv_bib["maddison2016concrete"].title == (
        "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables"
    )
    assert arxiv_bib["gupta2018fbgan"].title.startswith("Feedback GAN (FBGAN) for DNA: a Novel")
    # Line breaks inside a value collapse to one space.
    assert arxiv_bib["DBLP:journals/corr/abs-1711-05772"].title.endswith(
        "from Unconditional Generative Models"
    )


def test_tex_math_is_kept_verbatim(arxiv_bib: dict[str | None, PaperView]) -> None:
    assert arxiv_bib["lovelace2021alpha"].title == (
        r"$\alpha$-Divergence and $O(n \log n)$ Bounds for $N$-gram GANs"
    )


def test_latex_specials_and_accents_in_abstract(arxiv_bib: dict[str | None, PaperView]) -> None:
    assert arxiv_bib["lovelace2021alpha"].abstract == (
        r"We spend 50% & more on #hashtags, a_b, {x}, ~ and $\sum_i x_i$."
    )


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"M{\"u}ller", "Müller"),
        (r"M\"uller", "Müller"),
        (r"{\L}ukasz", "Łukasz"),
        (r"\textbackslash{}x \textasciitilde{}a \textasciicircum{}b", "\\x ~a ^b"),
        (r"\{a\} \textbraceleft{}b\textbraceright{}", "{a} {b}"),
        (r"\& \% \$ \# \_", "& % $ # _"),
        ("plain  text\n here", "plain text here"),
        ("", ""),
    ],
)
def test_de_latex(source: str, text: str) -> None:
    assert de_latex(source) == text


def test_authors(arxiv_bib: dict[str | None, PaperView]) -> None:
    assert arxiv_bib["maddison2016concrete"].authors == [
        "Chris J. Maddison",
        "Andriy Mnih",
        "Yee Whye Teh",
    ]
    assert arxiv_bib["DBLP:journals/corr/abs-1711-05772"].authors == [
        "Jesse Engel",
        "Matthew Hoffman",
        "Adam Roberts",
    ]
    # A braced multi-word family name keeps "Last, First" so that it survives.
    assert arxiv_bib["ganin2018spiral"].authors[3] == "Ali Eslami, S. M."
    assert arxiv_bib["lovelace2021alpha"].authors == [
        "Ada Lovelace",
        "Jürgen Müller",
        "Ludwig van der Berg",
        "Martin Luther King, Jr.",
        "The ATLAS Collaboration",
        "Plato",  # "and others" is dropped
    ]


def test_split_persons_handles_backslash_after_and() -> None:
    # bibtexparser's own splitter drops the start of a name that begins with "\".
    assert split_persons(r"A and \"Ozt\"urk, B and {Simon and Schuster} AND C") == [
        "A",
        r"\"Ozt\"urk, B",
        "{Simon and Schuster}",
        "C",
    ]


# --- dates, venues, fields -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "published"),
    [
        ("maddison2016concrete", date(2016, 11, 1)),  # month macro
        ("gupta2018fbgan", date(2018, 1, 1)),  # year only
        ("kim2018semi", date(2018, 7, 1)),  # month = {July}
        ("ganin2018spiral", date(2018, 4, 3)),  # biblatex date
        ("lovelace2021alpha", date(2021, 3, 15)),  # month = 3, day = 15
        ("abbott2016ligo", date(2016, 2, 1)),
    ],
)
def test_published(arxiv_bib: dict[str | None, PaperView], key: str, published: date) -> None:
    assert arxiv_bib[key].published == published


def test_venue_entry_type_and_extra_fields(arxiv_bib: dict[str | None, PaperView]) -> None:
    kim = arxiv_bib["kim2018semi"]
    assert kim.entry_type == "inproceedings"
    assert (
        kim.venue == "Proceedings of the 35th International Conference on Machine Learning (ICML)"
    )
    assert kim.journal_ref is None  # a booktitle is no journal reference
    assert kim.extra_fields == {"pages": "2678--2687", "publisher": "PMLR"}
    shannon = arxiv_bib["shannon1948"]
    assert (shannon.entry_type, shannon.venue) == ("article", "Bell System Technical Journal")
    assert shannon.doi == "10.1002/j.1538-7305.1948.tb01338.x"  # doi.org prefix removed
    assert shannon.extra_fields == {"volume": "27", "number": "3", "pages": "379--423"}


def test_field_names_are_lowercased(arxiv_bib: dict[str | None, PaperView]) -> None:
    assert arxiv_bib["gupta2018fbgan"].title  # "Title = {...}" in the file


def test_papers_are_placeholders_with_their_keys(arxiv_bib: dict[str | None, PaperView]) -> None:
    assert {p.id for p in arxiv_bib.values()} == {0}
    assert all(p.citation_key == k for k, p in arxiv_bib.items())


# --- failures ------------------------------------------------------------------------------


def test_failed_blocks_are_reported_with_lines_and_skipped() -> None:
    result = read("broken.bib")
    assert [p.citation_key for p in result.papers] == ["good2020", "otherarchive2015"]
    assert result.failed == [
        (
            13,
            "could not parse: Unexpected block start: `@article`. "
            "Was still looking for field-value closing `}`",
        ),
        (18, "duplicate entry key 'good2020' (first at line 5); this entry is skipped"),
        (23, "entry 'twice2018' has the field title more than once; entry skipped"),
        (29, "entry 'notitle2017' has no title; skipped"),
    ]
    assert result.path.endswith("broken.bib")


def test_string_macros_are_resolved() -> None:
    good = by_key(read("broken.bib"))["good2020"]
    assert good.venue == "Proceedings of Machine Learning Research"
    assert good.published == date(2020, 12, 1)


def test_empty_and_comment_only_input() -> None:
    assert read_bib("", "empty.bib").papers == []
    result = read_bib("% nothing here\n@comment{x}\n", "c.bib")
    assert (result.papers, result.failed) == ([], [])


def test_no_warnings_or_log_noise(caplog: pytest.LogCaptureFixture) -> None:
    read("broken.bib")
    assert not [r for r in caplog.records if r.name.startswith("bibtexparser")]


# --- round trips ---------------------------------------------------------------------------


def bibtex(papers: list[PaperView], **options: bool) -> str:
    out = io.StringIO()
    export(papers, [], out, ExportOptions(**options))
    return out.getvalue()


@pytest.mark.parametrize("ascii", [False, True])
def test_export_then_import_keeps_the_papers(ascii: bool) -> None:
    result = read_bib(bibtex(ALL_PAPERS, ascii=ascii, abstracts=True), "roundtrip.bib")
    assert result.failed == []
    assert len(result.papers) == len(ALL_PAPERS)
    for original, back in zip(ALL_PAPERS, result.papers, strict=True):
        assert back.arxiv_id == original.arxiv_id
        assert back.doi == original.doi
        assert back.primary_category == original.primary_category
        if original.published:
            assert back.published is not None
            assert back.published.year == original.published.year
    special = {p.citation_key: p for p in result.papers}
    assert special["lovelace2021divergence"].title == SPECIAL["tex_math"].title
    assert special["oneil2021cost"].title == SPECIAL["latex_specials"].title
    assert special["oneil2021cost"].abstract == SPECIAL["latex_specials"].abstract
    assert special["muller2021uber"].title == SPECIAL["accents"].title
    assert special["person2021half"].title == SPECIAL["braces"].title
    assert special["muller2021uber"].authors[:5] == [
        "Jürgen Müller",
        "Łukasz Kaiser",
        "José Ángel Pérez-García",
        "Ludwig van der Berg",
        "Martin Luther King, Jr.",
    ]


def test_import_then_export_keeps_imported_fields() -> None:
    (back,) = read_bib(bibtex([IMPORTED]), "x").papers
    assert back.entry_type == "inproceedings"
    assert back.citation_key == "He_2016_CVPR"
    assert back.venue == IMPORTED.venue
    assert back.extra_fields == IMPORTED.extra_fields
    assert back.published == date(2016, 6, 1)
