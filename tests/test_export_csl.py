"""CSL-JSON export: golden file, item fields, and citeproc-py formatting every item."""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import replace
from typing import Any

import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from catalog.exporters import ExportOptions
from catalog.exporters.csl import csl_name, export
from catalog.records import PaperView
from tests.fixtures.papers import (
    ACCENTS,
    ALL_PAPERS,
    BLOG_POST,
    CONCRETE,
    CROSSREF_SYMBOLS,
    ENAS_CODE,
    EXPORT_PAPERS,
    GAN_CACM,
    IMPORTED,
    JOURNAL,
    MINIMAL,
    NEURAL_ODE,
    OPENREVIEW_ONLY,
    PIPES_HTML,
    SEED_SESSION,
    SPECIAL,
    TEX_MATH,
    TUTORIAL_VIDEO,
    YEAR_ONLY,
    check_golden,
)


def items(papers: list[PaperView], **options: bool | str) -> list[dict[str, Any]]:
    out = io.StringIO()
    export(papers, [], out, ExportOptions(**options))
    loaded: list[dict[str, Any]] = json.loads(out.getvalue())
    return loaded


def item(paper: PaperView, **options: bool | str) -> dict[str, Any]:
    (only,) = items([paper], **options)
    return only


def test_golden_all_fixture_papers() -> None:
    out = io.StringIO()
    export(EXPORT_PAPERS, [], out, ExportOptions(abstracts=True))
    check_golden("export.csl.json", out.getvalue())


def test_preprint_item() -> None:
    assert item(CONCRETE) == {
        "id": "maddison2016concrete",
        "type": "article",
        "title": CONCRETE.title,
        "author": [
            {"family": "Maddison", "given": "Chris J."},
            {"family": "Mnih", "given": "Andriy"},
            {"family": "Teh", "given": "Yee Whye"},
        ],
        "issued": {"date-parts": [[2016, 11, 2]]},
        "number": "1611.00712",
        "archive": "arXiv",
        "URL": "https://arxiv.org/abs/1611.00712",
    }


def test_journal_ref_makes_an_article_journal() -> None:
    got = item(JOURNAL)
    assert got["type"] == "article-journal"
    assert got["container-title"] == "Phys. Rev. Lett. 116, 061102 (2016)"
    assert got["DOI"] == "10.1103/PhysRevLett.116.061102"
    assert got["author"][0] == {"literal": "The LIGO Scientific Collaboration"}


def test_imported_entry_types_map_to_csl_types() -> None:
    assert item(IMPORTED)["type"] == "paper-conference"
    assert item(IMPORTED)["container-title"].startswith("Proceedings of the IEEE")
    assert item(YEAR_ONLY)["type"] == "article-journal"
    assert item(replace(IMPORTED, entry_type="phdthesis"))["type"] == "thesis"
    assert item(replace(IMPORTED, entry_type="weird"))["type"] == "article"


def test_dates_leave_out_what_a_bib_file_lacked() -> None:
    assert item(YEAR_ONLY)["issued"] == {"date-parts": [[1948]]}
    assert item(IMPORTED)["issued"] == {"date-parts": [[2016, 6]]}
    assert "issued" not in item(MINIMAL)


def test_abstract_only_with_the_option() -> None:
    assert "abstract" not in item(CONCRETE)
    assert item(CONCRETE, abstracts=True)["abstract"] == CONCRETE.abstract


def test_names_with_particles_suffixes_and_literals() -> None:
    authors = item(ACCENTS)["author"]
    assert authors == [
        {"family": "Müller", "given": "Jürgen"},
        {"family": "Kaiser", "given": "Łukasz"},
        {"family": "Pérez-García", "given": "José Ángel"},
        {"family": "Berg", "given": "Ludwig", "non-dropping-particle": "van der"},
        {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
        {"literal": "Plato"},
        {"literal": "The ATLAS Collaboration"},
        {"literal": "李明"},
    ]
    assert csl_name("S. M. Ali Eslami") == {"family": "Eslami", "given": "S. M. Ali"}


def test_text_is_plain_entities_decoded_math_kept() -> None:
    assert item(PIPES_HTML)["title"] == (
        "Sense & Sensitivity | A Study across Lines <b> and <i>Tags</i>"
    )
    assert item(TEX_MATH)["title"] == TEX_MATH.title
    assert item(SPECIAL["latex_specials"])["title"] == SPECIAL["latex_specials"].title


def test_ids_are_the_bibtex_keys_and_unique() -> None:
    ids = [i["id"] for i in items(ALL_PAPERS)]
    assert len(set(ids)) == len(ids)
    assert "He_2016_CVPR" in ids


def test_session_papers_are_included() -> None:
    out = io.StringIO()
    export([], [SEED_SESSION], out, ExportOptions())
    assert len(json.loads(out.getvalue())) == 5


@pytest.mark.parametrize(
    "options", [{"abstracts": False}, {"abstracts": True}, {"prefer": "arxiv"}]
)
def test_citeproc_formats_every_item(options: dict[str, bool | str]) -> None:
    data = items(EXPORT_PAPERS, **options)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    problems: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bibliography = CitationStylesBibliography(style, CiteProcJSON(data), formatter.plain)
        citations = [Citation([CitationItem(i["id"])]) for i in data]
        for citation in citations:
            bibliography.register(citation)
        texts = [
            str(bibliography.cite(c, lambda ci: problems.append(str(ci.key)))) for c in citations
        ]
        entries = [str(e) for e in bibliography.bibliography()]
    assert not problems
    assert len(entries) == len(data)
    assert texts[0] == "(Maddison, Mnih and Teh, 2016)"
    assert any(e.startswith("Maddison, C.J., Mnih, A. and Teh, Y.W. (2016)") for e in entries)
    assert any("Müller, J." in e for e in entries)
    if options.get("prefer") != "arxiv":
        assert (
            "Goodfellow, I.J. et al. (2020) “Generative Adversarial Networks”, Communications "
            "of the ACM, 63(11), pp. 139–144. Available at: https://doi.org/10.1145/3422622."
        ) in entries
        assert any(e.startswith("Chen, R.T.Q. et al. (2018)") and "pp. 6572–6583" in e
                   for e in entries)  # fmt: skip
    else:
        assert any(e.startswith("Goodfellow, I.J. et al. (2014)") for e in entries)
    assert any("CO₂ ≤ 5% in β-Cells" in e for e in entries)  # CSL text is plain Unicode


def test_streamed_chunks_equal_json_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.exporters import csl as module

    whole = items(ALL_PAPERS, abstracts=True)
    monkeypatch.setattr(module, "_CHUNK", 3)
    out = io.StringIO()
    export(ALL_PAPERS, [], out, ExportOptions(abstracts=True))
    assert out.getvalue() == json.dumps(whole, ensure_ascii=False, indent=2) + "\n"
    empty = io.StringIO()
    export([], [], empty, ExportOptions())
    assert empty.getvalue() == "[]\n"


@pytest.mark.parametrize(
    ("case", "name", "parsed"),
    [
        ("latex specials", "Ann 50%_R&D", {"family": "50%_R&D", "given": "Ann"}),
        ("accents", "Zoë Ångström", {"family": "Ångström", "given": "Zoë"}),
        ("braces", "Ann {B}", {"family": "{B}", "given": "Ann"}),
        ("pipe", "Ann | Pipe", {"family": "Pipe", "given": "Ann |"}),
        ("newline", "Ann\nNew  Line", {"family": "Line", "given": "Ann New"}),
        ("html entity", "Ann &amp; Co", {"family": "Co", "given": "Ann &"}),
        ("tex math", "Ann $\\alpha$", {"family": "$\\alpha$", "given": "Ann"}),
    ],
)
def test_special_cases_in_names(case: str, name: str, parsed: dict[str, str]) -> None:
    assert csl_name(name) == parsed, case


def test_special_cases_in_titles_are_plain_text() -> None:
    got = {p.title: item(p)["title"] for p in SPECIAL.values()}
    assert got[SPECIAL["braces"].title] == "Half-open {interval and a closing} brace} here"
    assert got[SPECIAL["accents"].title] == SPECIAL["accents"].title
    assert got[SPECIAL["pipes_html_newlines"].title].startswith("Sense & Sensitivity | A Study")


# --- published papers and items that are not papers ----------------------------------------


def test_proceedings_paper_is_paper_conference() -> None:
    got = item(NEURAL_ODE)
    assert got["type"] == "paper-conference"
    assert got["container-title"] == NEURAL_ODE.venue
    assert (got["volume"], got["page"]) == ("31", "6572-6583")
    assert got["publisher"] == "Curran Associates, Inc."
    assert got["issued"] == {"date-parts": [[2018]]}
    assert (got["number"], got["archive"]) == ("1806.07366", "arXiv")  # the eprint, as before


def test_journal_paper_is_article_journal_with_the_published_year() -> None:
    got = item(GAN_CACM)
    assert got["type"] == "article-journal"
    assert got["container-title"] == "Communications of the ACM"
    assert (got["volume"], got["issue"], got["page"]) == ("63", "11", "139-144")
    assert got["issued"] == {"date-parts": [[2020]]}
    assert got["DOI"] == "10.1145/3422622"


def test_prefer_arxiv_gives_the_preprint_item() -> None:
    got = item(GAN_CACM, prefer="arxiv")
    assert got["type"] == "article"
    assert got["issued"] == {"date-parts": [[2014, 6, 10]]}
    assert not {"container-title", "volume", "issue", "page", "publisher"} & set(got)
    assert item(OPENREVIEW_ONLY, prefer="arxiv") == item(OPENREVIEW_ONLY)  # no preprint


def test_resolved_paper_without_a_date_takes_the_records_year() -> None:
    got = item(OPENREVIEW_ONLY)
    assert got["id"] == "he2018decision"
    assert got["issued"] == {"date-parts": [[2018]]}
    assert "number" not in got
    assert item(CROSSREF_SYMBOLS)["title"] == CROSSREF_SYMBOLS.title  # plain, as stored


@pytest.mark.parametrize(
    ("kind", "csl_type"),
    [
        ("journal", "article-journal"),
        ("proceedings", "paper-conference"),
        ("chapter", "chapter"),
        ("book", "book"),
        ("thesis", "thesis"),
        ("review", "review-book"),
        ("comment", "article-journal"),
        ("erratum", "article-journal"),
        ("other", "article"),
        ("preprint", "article"),
    ],
)
def test_each_kind_has_its_csl_type(kind: str, csl_type: str) -> None:
    assert item(replace(OPENREVIEW_ONLY, kind=kind))["type"] == csl_type


@pytest.mark.parametrize(
    ("paper", "csl_type"),
    [
        (TUTORIAL_VIDEO, "motion_picture"),
        (ENAS_CODE, "software"),
        (BLOG_POST, "post-weblog"),
        (replace(TUTORIAL_VIDEO, item_type="slides"), "speech"),
        (replace(TUTORIAL_VIDEO, item_type="web"), "webpage"),
    ],
)
def test_items_that_are_not_papers_have_their_csl_type(paper: PaperView, csl_type: str) -> None:
    got = item(replace(paper, kind="journal", volume="1"))  # a record never types them
    assert got["type"] == csl_type
    assert got["URL"] == paper.url
    assert "volume" not in got


def test_blog_post_has_its_author_and_year() -> None:
    got = item(BLOG_POST)
    assert got["author"] == [{"family": "Alammar", "given": "Jay"}]
    assert got["issued"] == {"date-parts": [[2018]]}
