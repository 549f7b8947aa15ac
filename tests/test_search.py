"""Ranked search and paged listing (Catalog.search, Catalog.list_papers_page) on SQLite
and PostgreSQL: what matches, in which order, how filters and pages add up, and that
no query a user can type breaks anything."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session as DbSession

from catalog.errors import InvalidSearch, NotFound
from catalog.exporters.common import publication_parts
from catalog.importers.posts import import_posts
from catalog.records import ArxivRecord
from catalog.store.catalog import Catalog
from catalog.store.engine import make_engine
from catalog.store.migrate import HEAD, alembic_config, current_revision, upgrade
from catalog.store.search import (
    SearchFilters,
    SearchResult,
    bulk_index,
    has_fts_index,
    has_pg_index,
)
from catalog.store.search_query import MAX_TERMS
from catalog.store.selection import Selection, select_for_export

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "_posts"
DAY = datetime(2016, 11, 2, tzinfo=UTC)


def record(
    arxiv_id: str, title: str, abstract: str = "", authors: tuple[str, ...] = ()
) -> ArxivRecord:
    return ArxivRecord(
        arxiv_id=arxiv_id,
        version=1,
        title=title,
        authors=authors or ("Ann Author",),
        abstract=abstract,
        published=DAY,
        updated=DAY,
    )


CONCRETE = record(
    "1611.00712",
    "The Concrete Distribution: A Continuous Relaxation of Discrete Random Variables",
    "The reparameterization trick enables optimizing large scale stochastic computation "
    "graphs via gradient descent.",
    ("Chris J. Maddison", "Andriy Mnih", "Yee Whye Teh"),
)
GUMBEL = record(
    "1611.01144",
    "Categorical Reparameterization with Gumbel-Softmax",
    "Categorical variables are a natural choice for representing discrete structure. "
    "We present a relaxation, continuous and differentiable.",
    ("Eric Jang", "Shixiang Gu", "Ben Poole"),
)
OLD_STYLE = replace(
    record(
        "hep-th/9901001", "Gödel Strings and Branes", authors=("Ann Author", "Chris J. Maddison")
    ),
    published=datetime(1999, 1, 1, tzinfo=UTC),
    updated=datetime(1999, 1, 1, tzinfo=UTC),
)


@pytest.fixture
def catalog(migrated_db_url: str) -> Iterator[Catalog]:
    with Catalog.open(migrated_db_url) as opened:
        yield opened


def arxiv_ids(result: SearchResult) -> list[str | None]:
    return [p.arxiv_id for p in result.papers]


def found(catalog: Catalog, query: str, **kwargs: object) -> list[str | None]:
    return arxiv_ids(catalog.search(query, limit=None, **kwargs))  # type: ignore[arg-type]


# -- what matches -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("relaxation", {"1611.00712", "1611.01144"}),
        ("relax", {"1611.00712", "1611.01144"}),  # a word prefix
        ("RELAX", {"1611.00712", "1611.01144"}),  # case
        ("maddison concrete", {"1611.00712"}),  # author + title: every word must match
        ("maddison", {"1611.00712", "hep-th/9901001"}),
        ("maddison strings", {"hep-th/9901001"}),
        ("gödel", {"hep-th/9901001"}),
        ("teh stochastic", {"1611.00712"}),  # author + abstract
        ("gumbel-softmax", {"1611.01144"}),  # the parts, together
        ("softmax", {"1611.01144"}),
        ("concrete gumbel", set()),  # in two papers, not in one
        ("nothing-like-this", set()),
    ],
)
def test_every_word_must_match_as_a_prefix(
    catalog: Catalog, query: str, expected: set[str]
) -> None:
    catalog.upsert_arxiv([CONCRETE, GUMBEL, OLD_STYLE])
    result = catalog.search(query, limit=None)
    assert set(arxiv_ids(result)) == expected
    assert result.total == len(expected)


def test_phrases_match_words_together_and_whole(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE, GUMBEL])
    # CONCRETE's title says "Continuous Relaxation"; GUMBEL's abstract "relaxation,
    # continuous": both have the words, one has the phrase.
    assert set(found(catalog, "continuous relaxation")) == {"1611.00712", "1611.01144"}
    assert found(catalog, '"continuous relaxation"') == ["1611.00712"]
    assert found(catalog, '"relaxation continuous"') == ["1611.01144"]  # punctuation between
    # A quoted word is a whole word: "relax" is not "relaxation".
    assert found(catalog, '"relax"') == []
    assert found(catalog, '"continuous relax"') == []
    # A phrase and words together.
    assert found(catalog, '"continuous relaxation" maddison') == ["1611.00712"]
    assert found(catalog, '"continuous relaxation" jang') == []
    # Typographic quotes are quotes.
    assert found(catalog, "\u201ccontinuous relaxation\u201d") == ["1611.00712"]


def test_an_unclosed_quote_runs_to_the_end_as_a_phrase_being_typed(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE, GUMBEL])
    assert found(catalog, '"continuous relax') == ["1611.00712"]
    assert found(catalog, 'maddison "continuous rel') == ["1611.00712"]
    assert found(catalog, 'jang "continuous rel') == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Operators and syntax of FTS5 and tsquery are words (or nothing) here.
        ("relaxation AND", {"1611.00712", "1611.01144"}),  # "Andriy", "... and ..."
        ("relaxation OR gumbel", set()),
        ("NOT gumbel", set()),
        ("relax*", {"1611.00712", "1611.01144"}),
        ("relax:*", {"1611.00712", "1611.01144"}),
        ("^relax", {"1611.00712", "1611.01144"}),
        ("(relax", {"1611.00712", "1611.01144"}),
        ("relax) OR (gumbel", set()),
        ("-gumbel", {"1611.01144"}),
        ("gumbel & !softmax", {"1611.01144"}),
        ("gumbel <-> softmax", {"1611.01144"}),
        ("title:gumbel", set()),  # the phrase "title gumbel"
        ("{title}: gumbel", set()),  # the words "title" and "gumbel"
        ("NEAR(gumbel softmax)", set()),  # the phrase "near gumbel softmax"
        ("'gumbel'", {"1611.01144"}),
        ("gumbel\\", {"1611.01144"}),
        ('gumbel"', {"1611.01144"}),
        ('""', {"1611.00712", "1611.01144"}),  # nothing to search for: every paper
        ('"', {"1611.00712", "1611.01144"}),
        ("  ", {"1611.00712", "1611.01144"}),
        ("%", set()),  # punctuation alone is searched as written, LIKE's wildcards too
        ("_", set()),
        (":", {"1611.00712"}),  # "The Concrete Distribution: ..."
        ("\x00", {"1611.00712", "1611.01144"}),  # nothing printable: nothing to search for
        ("gumbel \x00 softmax", {"1611.01144"}),
        ("c++", {"1611.00712", "1611.01144"}),  # the word "c": concrete, categorical
    ],
)
def test_no_query_is_taken_for_syntax(catalog: Catalog, query: str, expected: set[str]) -> None:
    catalog.upsert_arxiv([CONCRETE, GUMBEL])
    result = catalog.search(query, limit=None)
    assert set(arxiv_ids(result)) == expected
    assert result.total == len(expected)


def test_a_query_of_too_many_words_is_refused_clearly(catalog: Catalog) -> None:
    words = " ".join(f"w{i}" for i in range(MAX_TERMS + 1))
    with pytest.raises(InvalidSearch, match=f"at most {MAX_TERMS}"):
        catalog.search(words)
    assert catalog.search(" ".join(["relax"] * 100)).total == 0  # the same word is one term


def test_negative_windows_are_refused(catalog: Catalog) -> None:
    with pytest.raises(InvalidSearch, match="negative"):
        catalog.search("relax", limit=-1)
    with pytest.raises(InvalidSearch, match="negative"):
        catalog.list_papers_page(offset=-5)
    with pytest.raises(InvalidSearch, match="cannot sort by 'size'"):
        catalog.list_papers_page(sort="size")
    with pytest.raises(InvalidSearch, match="not a year"):
        catalog.search("relax", filters=SearchFilters(year=0))


# -- ranking ------------------------------------------------------------------------------


def test_title_matches_come_before_abstract_only_matches(catalog: Catalog) -> None:
    dense = "Diffusion kernels on graphs: diffusion, diffusion and diffusion again. " * 3
    catalog.upsert_arxiv(
        [
            record("1701.00001", "Spectral methods for sparse graphs", dense),
            record("1701.00002", "A diffusion model", "Nothing more to say."),
            record("1701.00003", "Heat kernels", "One diffusion."),
        ]
    )
    assert found(catalog, "diffusion") == ["1701.00002", "1701.00001", "1701.00003"]
    # Several words: the title must hold every one of them to be in the first tier.
    catalog.upsert_arxiv([record("1701.00004", "Diffusion kernel methods", "Short.")])
    assert found(catalog, "diffusion kernel")[:1] == ["1701.00004"]
    assert set(found(catalog, "diffusion kernel")) == {"1701.00001", "1701.00003", "1701.00004"}


def test_relevance_orders_papers_within_a_tier(catalog: Catalog) -> None:
    filler = " ".join(["structure"] * 40)
    catalog.upsert_arxiv(
        [
            record("1702.00001", "On graphs", f"Sampling once. {filler}"),
            record("1702.00002", "On trees", "Sampling, sampling, sampling and more sampling."),
            record("1702.00003", "On forests", f"Sampling twice, sampling. {filler}"),
        ]
    )
    assert found(catalog, "sampling") == ["1702.00002", "1702.00003", "1702.00001"]


def test_titles_weigh_more_than_authors_and_authors_more_than_abstracts(
    catalog: Catalog,
) -> None:
    catalog.upsert_arxiv(
        [
            record("1703.00001", "Trees", "Written by someone called Poole, about trees."),
            record("1703.00002", "Forests", "About forests.", ("Ben Poole",)),
            record("1703.00003", "Poole's lemma", "About lemmas."),
        ]
    )
    assert found(catalog, "poole") == ["1703.00003", "1703.00002", "1703.00001"]


def test_ties_are_broken_by_catalog_number_on_every_page(catalog: Catalog) -> None:
    same = [record(f"1704.{i:05d}", "Identical title", "Identical abstract.") for i in range(1, 8)]
    results = catalog.upsert_arxiv(list(reversed(same)))  # added in reverse order
    by_number = [r.arxiv_id for r in sorted(results, key=lambda r: r.paper_id)]
    assert found(catalog, "identical") == by_number
    pages = [arxiv_ids(catalog.search("identical", limit=3, offset=o)) for o in (0, 3, 6)]
    assert [i for page in pages for i in page] == by_number


# -- pages and totals ---------------------------------------------------------------------


def test_pages_add_up_across_the_title_tier_and_the_rest(catalog: Catalog) -> None:
    titled = [record(f"1705.{i:05d}", f"Kernel number {i}", "Text.") for i in range(1, 13)]
    abstract_only = [
        record(f"1706.{i:05d}", f"Paper {i}", "A kernel inside.") for i in range(1, 14)
    ]
    catalog.upsert_arxiv(titled + abstract_only)
    catalog.upsert_arxiv([record("1707.00001", "Unrelated", "Nothing here.")])
    everything = catalog.search("kernel", limit=None)
    assert everything.total == 25 and len(everything.papers) == 25
    assert set(arxiv_ids(everything)[:12]) == {r.arxiv_id for r in titled}
    for size in (1, 5, 10, 12, 13, 24, 25, 30):
        pages = []
        for offset in range(0, 26, size):
            page = catalog.search("kernel", limit=size, offset=offset)
            assert page.total == 25
            assert len(page.papers) == min(size, max(0, 25 - offset))
            pages += arxiv_ids(page)
        assert pages == arxiv_ids(everything), size
    past = catalog.search("kernel", limit=10, offset=40)
    assert (past.papers, past.total) == ([], 25)
    assert catalog.search("kernel", limit=0).papers == []
    assert catalog.search("kernel", limit=0).total == 25
    assert catalog.search("kernel").total == 25 and len(catalog.search("kernel").papers) == 20


def test_a_prefix_finds_words_indexed_after_it_was_first_asked(catalog: Catalog) -> None:
    """SQLite asks a prefix as the indexed words it starts (kept until the index
    changes): a word written later is found too, and a prefix of many words still is."""
    catalog.upsert_arxiv([record("1801.00001", "Kernel methods", "On kernels.")])
    assert found(catalog, "kern") == ["1801.00001"]
    catalog.upsert_arxiv([record("1801.00002", "Kernelized bandits", "Regret.")])
    assert set(found(catalog, "kern")) == {"1801.00001", "1801.00002"}
    assert found(catalog, "kerneliz") == ["1801.00002"]
    assert found(catalog, '"kernelized band') == ["1801.00002"]  # a phrase being typed
    many = [record(f"1802.{i:05d}", f"Word wor{chr(97 + i)}x{i}", "Text.") for i in range(12)]
    catalog.upsert_arxiv(many)
    assert len(found(catalog, "wor")) == 12  # more words than are asked one by one
    catalog.remove_paper("1801.00001")
    assert found(catalog, "kern") == ["1801.00002"]


# -- the bound: counting and ranking stop at BOUND matches ------------------------------


@pytest.fixture
def bounded(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    """12 papers with "kernel" in the title (published 2015), 13 with it in the
    abstract alone (2016), one without; the bound made 5."""
    from catalog.store import search

    titled = [
        replace(record(f"1705.{i:05d}", f"Kernel number {i}", "Text."), published=DAY_2015)
        for i in range(1, 13)
    ]
    abstract_only = [
        record(f"1706.{i:05d}", f"Paper {i}", "A kernel inside.") for i in range(1, 14)
    ]
    catalog.upsert_arxiv(titled + abstract_only)
    catalog.upsert_arxiv([record("1707.00001", "Unrelated", "Nothing here.")])
    monkeypatch.setattr(search, "BOUND", 5)
    return catalog


DAY_2015 = datetime(2015, 3, 2, tzinfo=UTC)


def _pages(catalog: Catalog, query: str, size: int, **kwargs: object) -> list[SearchResult]:
    pages, offset = [], 0
    while True:
        page = catalog.search(query, limit=size, offset=offset, **kwargs)  # type: ignore[arg-type]
        pages.append(page)
        if not page.has_more:
            return pages
        offset += size
        assert offset < 100, "has_more never ends"


def test_past_the_bound_the_total_is_a_lower_bound(bounded: Catalog) -> None:
    page = bounded.search("kernel", limit=3)
    assert (page.total, page.total_is_exact, page.has_more) == (5, False, True)
    assert len(page.papers) == 3
    # Every match still counted and ranked when every match is asked for.
    every = bounded.search("kernel", limit=None)
    assert (every.total, every.total_is_exact, len(every.papers)) == (25, True, 25)
    # Below the bound, exact.
    narrow = bounded.search("inside", limit=3)
    assert narrow.total_is_exact is False  # 13 abstracts: still past 5
    one = bounded.search("number 7", limit=3)
    assert (one.total, one.total_is_exact, one.has_more) == (1, True, False)


def test_the_window_is_title_matches_first(bounded: Catalog) -> None:
    window = arxiv_ids(bounded.search("kernel", limit=5))
    # The title tier alone passes the bound: the window is its newest 5 (SQLite) or
    # the first 5 found (PostgreSQL), all title matches either way.
    assert all(i is not None and i.startswith("1705.") for i in window)
    assert len(set(window)) == 5


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 50])
def test_pages_across_the_bound_list_every_match_once(bounded: Catalog, size: int) -> None:
    pages = _pages(bounded, "kernel", size)
    ids = [i for page in pages for i in arxiv_ids(page)]
    every = {i for i in found(bounded, "kernel")}
    assert len(ids) == len(every) == 25 and set(ids) == every
    # The window (5) is title matches, ranked; past it every other match, newest first.
    assert all(i is not None and i.startswith("1705.") for i in ids[:5])
    numbers = [p.id for page in pages for p in page.papers]
    assert numbers[5:] == sorted(numbers[5:], reverse=True)
    assert all(page.has_more for page in pages[:-1]) and not pages[-1].has_more
    assert all(len(page.papers) == size for page in pages[:-1])
    assert all(page.total == 5 and not page.total_is_exact for page in pages)
    # Stable: the same page twice is the same page.
    again = bounded.search("kernel", limit=size, offset=size)
    assert arxiv_ids(again) == arxiv_ids(pages[1]) if len(pages) > 1 else True


def test_past_the_last_match_is_an_empty_page(bounded: Catalog) -> None:
    past = bounded.search("kernel", limit=10, offset=40)
    assert (past.papers, past.has_more, past.total, past.total_is_exact) == ([], False, 5, False)


def test_filters_combine_with_the_bound(bounded: Catalog) -> None:
    in_2015 = bounded.search("kernel", filters=SearchFilters(year=2015), limit=4)
    assert not in_2015.total_is_exact and in_2015.has_more  # 12 in 2015: past 5
    pages = _pages(bounded, "kernel", 4, filters=SearchFilters(year=2015))
    ids = [i for page in pages for i in arxiv_ids(page)]
    assert sorted(ids) == sorted(f"1705.{i:05d}" for i in range(1, 13))
    in_2016 = bounded.search("kernel inside", filters=SearchFilters(year=2016), limit=50)
    assert not in_2016.total_is_exact and len(in_2016.papers) == 13
    none = bounded.search("kernel", filters=SearchFilters(year=2014))
    assert (none.total, none.total_is_exact, none.papers) == (0, True, [])


@pytest.mark.parametrize("probed", [True, False])
def test_a_years_matches_past_the_bound_are_its_newest(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, probed: bool
) -> None:
    """With a year, the window past the title tier is that year's newest matches, and
    later pages the rest of them newest first; papers of other years, newer or older,
    and the year's papers that do not match are never among them (PostgreSQL probes
    the year's papers newest first until it has the bound's count)."""
    from catalog.store import search

    papers = [
        replace(
            record(f"1706.{i:05d}", f"Paper {i}", "Nothing." if i % 4 == 0 else "A kernel."),
            published=DAY_2015 if i % 3 else datetime(2016, 5, 1, tzinfo=UTC),
        )
        for i in range(1, 41)
    ]
    catalog.upsert_arxiv(papers)
    # A 2015 paper matching by title: the title tier, first.
    catalog.upsert_arxiv([replace(record("1707.00001", "Kernel"), published=DAY_2015)])
    monkeypatch.setattr(search, "BOUND", 6)
    # PostgreSQL probes the year's papers one by one where its statistics say the words
    # are in many documents, and leaves the plan to the planner otherwise: both ways.
    monkeypatch.setattr(search, "_common", lambda session, matches: probed)
    in_2015 = SearchFilters(year=2015)
    every = catalog.search("kernel", filters=in_2015, limit=None).papers
    assert len(every) == 1 + 20  # i not divisible by 3 nor by 4, and the titled one
    assert all(search.year_of(p) == 2015 for p in every)
    titled = [p.id for p in every if p.title == "Kernel"]
    newest = sorted((p.id for p in every if p.title != "Kernel"), reverse=True)
    pages = _pages(catalog, "kernel", 4, filters=in_2015)
    ids = [p.id for page in pages for p in page.papers]
    assert ids == titled + newest  # the window: title, 5 newest; then the rest, newest first
    assert all(page.total == 6 and not page.total_is_exact for page in pages)
    with_tag = catalog.search("kernel", filters=replace(in_2015, tags=("none",)), limit=10)
    assert (with_tag.papers, with_tag.total) == ([], 0)


def test_at_the_bound_exactly_the_total_is_exact(
    bounded: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalog.store import search

    monkeypatch.setattr(search, "BOUND", 25)
    at = bounded.search("kernel", limit=30)
    assert (at.total, at.total_is_exact, at.has_more, len(at.papers)) == (25, True, False, 25)
    assert arxiv_ids(at) == found(bounded, "kernel")  # every match ranked, as asked
    monkeypatch.setattr(search, "BOUND", 24)
    over = bounded.search("kernel", limit=30)
    assert (over.total, over.total_is_exact, over.has_more, len(over.papers)) == (
        24,
        False,
        False,
        25,
    )


def test_listing_sorts_and_pages(catalog: Catalog) -> None:
    results = catalog.upsert_arxiv(
        [
            replace(
                record("1801.00001", "banana split"), published=datetime(2018, 1, 5, tzinfo=UTC)
            ),
            replace(record("1611.00002", "Apple pie"), published=datetime(2016, 3, 1, tzinfo=UTC)),
            replace(record("hep-th/9901001", "cherry"), published=datetime(1999, 5, 1, tzinfo=UTC)),
        ]
    )
    keys = {"1801.00001": "zed2018", "1611.00002": "abe2016"}
    catalog.write(
        lambda s: [
            s.execute(
                text("UPDATE paper SET citation_key = :k WHERE arxiv_id = :a"), {"k": k, "a": a}
            )
            for a, k in keys.items()
        ]
    )
    added = [r.arxiv_id for r in sorted(results, key=lambda r: r.paper_id)]

    def order(sort: str, **kwargs: object) -> list[str | None]:
        return arxiv_ids(catalog.list_papers_page(sort=sort, limit=None, **kwargs))  # type: ignore[arg-type]

    assert order("added") == added
    assert order("-added") == added[::-1]
    assert order("title") == ["1611.00002", "1801.00001", "hep-th/9901001"]  # case ignored
    assert order("-title") == ["hep-th/9901001", "1801.00001", "1611.00002"]
    assert order("year") == ["hep-th/9901001", "1611.00002", "1801.00001"]
    assert order("-year") == ["1801.00001", "1611.00002", "hep-th/9901001"]
    assert order("key") == ["1611.00002", "1801.00001", "hep-th/9901001"]  # no key: last
    assert order("-key") == ["1801.00001", "1611.00002", "hep-th/9901001"]  # still last
    page = catalog.list_papers_page(sort="title", limit=1, offset=1)
    assert (arxiv_ids(page), page.total) == (["1801.00001"], 3)
    assert catalog.list_papers_page(limit=None).total == 3


# -- filters ------------------------------------------------------------------------------


def test_year_is_the_year_the_list_shows(catalog: Catalog) -> None:
    """The year filter and sort agree with the YEAR column (publication_parts): the v1
    date's year, else the year the arXiv id names, for old- and new-style ids."""
    dated = replace(
        record("1905.00001", "Dated paper"), published=datetime(2021, 12, 31, 23, tzinfo=UTC)
    )
    catalog.upsert_arxiv([dated])

    def unsynced(s: DbSession) -> None:  # papers known from posts only: no dates yet
        for i, (arxiv_id, title) in enumerate(
            [("1804.01694", "Paper of April 2018"), ("hep-th/9912001", "Old style 1999"),
             ("math.GT/0309136", "Old style 2003"), (None, "No id, no date")]
        ):  # fmt: skip
            s.execute(
                text(
                    "INSERT INTO paper (arxiv_id, title, title_key, categories, extra_fields,"
                    " created_at) VALUES (:a, :t, :k, '[]', '{}', :c)"
                ),
                {"a": arxiv_id, "t": title, "k": f"paper {i}", "c": DAY},
            )

    catalog.write(unsynced)
    papers = catalog.list_papers()
    years = {p.arxiv_id: (publication_parts(p) or (None,))[0] for p in papers}
    assert years == {
        "1905.00001": 2021, "1804.01694": 2018, "hep-th/9912001": 1999,
        "math.GT/0309136": 2003, None: None,
    }  # fmt: skip
    for year in (1999, 2003, 2018, 2019, 2021, 1918):
        expected = {a for a, y in years.items() if y == year}
        listed = catalog.list_papers_page(limit=None, filters=SearchFilters(year=year))
        assert set(arxiv_ids(listed)) == expected, year
        assert set(found(catalog, "paper", filters=SearchFilters(year=year))) == {
            a for a in expected if a in {"1905.00001", "1804.01694"}
        }
    by_year = arxiv_ids(catalog.list_papers_page(sort="year", limit=None))
    assert by_year == sorted(years, key=lambda a: (years[a] is None, years[a] or 0))


@pytest.fixture
def imported(catalog: Catalog) -> Catalog:
    """The example posts: three sessions (terms 2018Reads and 2019Reads, tags), talks by
    several presenters, papers known from the posts only."""
    summary = import_posts(catalog, sorted(EXAMPLES.glob("*.md")))
    assert not summary.failed
    return catalog


def export_ids(catalog: Catalog, **selection: tuple[str, ...]) -> set[int]:
    papers, _ = select_for_export(catalog, Selection(**selection))  # type: ignore[arg-type]
    return {p.id for p in papers}


@pytest.mark.parametrize(
    "selection",
    [
        {"tags": ("generative",)},
        {"terms": ("2019Reads",)},
        {"terms": ("2018Reads", "2019Reads")},
        {"presenters": ("Arshdeep",)},
        {"presenters": ("gao ji",)},  # presenter names match as export matches them
        {"tags": ("generative",), "presenters": ("GaoJi",)},
        {"terms": ("2019Reads",), "presenters": ("Arshdeep",)},  # no such talk
        {"tags": ("no-such-tag",)},
    ],
)
def test_session_filters_keep_what_export_keeps(
    imported: Catalog, selection: dict[str, tuple[str, ...]]
) -> None:
    expected = export_ids(imported, **selection)
    filters = SearchFilters(**selection)
    listed = imported.list_papers_page(limit=None, filters=filters)
    assert {p.id for p in listed.papers} == expected and listed.total == len(expected)
    # Combined with words: the papers among those that match them.
    every = {p.id for p in imported.search("learning", limit=None).papers}
    searched = imported.search("learning", limit=None, filters=filters)
    assert {p.id for p in searched.papers} == expected & every
    assert searched.total == len(expected & every)


def test_session_filters_narrow_for_real(imported: Catalog) -> None:
    everything = imported.list_papers_page(limit=None).total
    generative = imported.list_papers_page(limit=None, filters=SearchFilters(tags=("generative",)))
    assert 0 < generative.total < everything
    assert "1611.00712" in arxiv_ids(generative)
    assert "1611.01578" not in arxiv_ids(generative)  # architecture search: 2019Reads


def test_an_unknown_presenter_is_named_with_the_nearest(imported: Catalog) -> None:
    with pytest.raises(NotFound, match="no presenter 'Arshdep'; did you mean Arshdeep"):
        imported.search("learning", filters=SearchFilters(presenters=("Arshdep",)))


def test_year_and_session_filters_together(imported: Catalog) -> None:
    filters = SearchFilters(year=2018, tags=("generative",))
    listed = imported.list_papers_page(limit=None, filters=filters)
    assert set(arxiv_ids(listed)) == {"1804.01694", "1802.02550", "1804.01118"}


# -- the index follows every write --------------------------------------------------------


def test_search_follows_every_write(catalog: Catalog) -> None:
    catalog.upsert_arxiv([CONCRETE, GUMBEL])
    renamed = replace(GUMBEL, title="Straight-through estimators")
    catalog.upsert_arxiv([renamed])
    assert found(catalog, "categorical reparameterization") == []
    assert found(catalog, "straight estimators") == ["1611.01144"]
    assert found(catalog, '"straight through"') == ["1611.01144"]  # the title tier too

    # Writes that do not go through upsert_arxiv are indexed too.
    def edit(s: DbSession) -> None:
        s.execute(text("UPDATE author SET name = 'Erica Jangles' WHERE name = 'Eric Jang'"))
        s.execute(text("UPDATE abstract SET text = 'Zebras, quaggas.' WHERE text LIKE 'The rep%'"))
        s.execute(text("UPDATE paper SET title = 'Quagga title' WHERE arxiv_id = '1611.00712'"))

    catalog.write(edit)
    assert found(catalog, "jangles") == ["1611.01144"]
    assert found(catalog, "quagga") == ["1611.00712"]  # title and abstract
    assert found(catalog, "stochastic") == []
    assert found(catalog, "concrete") == []
    catalog.remove_paper("1611.00712")
    assert found(catalog, "quagga") == []
    assert found(catalog, "") == ["1611.01144"]


def test_bulk_writes_are_indexed_once_at_the_end(catalog: Catalog) -> None:
    def work(s: DbSession) -> None:
        with bulk_index(s) as touched:
            s.execute(
                text(
                    "INSERT INTO paper (id, title, title_key, categories, extra_fields,"
                    " created_at) VALUES (41, 'Bulk loaded', 'bulk loaded', '[]', '{}', :c)"
                ),
                {"c": DAY},
            )
            s.execute(text("INSERT INTO author (id, name) VALUES (41, 'Walrus Writer')"))
            s.execute(
                text("INSERT INTO paper_author (paper_id, position, author_id) VALUES (41, 0, 41)")
            )
            s.execute(
                text(
                    "INSERT INTO abstract (paper_id, text, source, source_ref)"
                    " VALUES (41, 'Narwhals.', 'bib', '')"
                )
            )
            touched.add(41)

    catalog.write(work)
    assert [p.id for p in catalog.search("bulk walrus narwhals").papers] == [41]
    assert [p.id for p in catalog.search('"bulk loaded"').papers] == [41]
    # The triggers are back: later writes are indexed as they happen.
    catalog.write(lambda s: s.execute(text("UPDATE author SET name = 'Seal' WHERE id = 41")))
    assert [p.id for p in catalog.search("seal").papers] == [41]


def test_sqlite_without_fts5_index_falls_back_to_substrings(migrated_sqlite_url: str) -> None:
    with Catalog.open(migrated_sqlite_url) as catalog:
        catalog.upsert_arxiv([CONCRETE, GUMBEL, OLD_STYLE])

        def drop(s: DbSession) -> None:
            triggers = s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            for (name,) in triggers.all():
                s.execute(text(f"DROP TRIGGER {name}"))
            s.execute(text("DROP TABLE IF EXISTS paper_fts"))
            s.execute(text("DROP TABLE IF EXISTS paper_title_fts"))

        catalog.write(drop)
        with catalog.read() as s:
            assert not has_fts_index(s)
        assert found(catalog, "laxation maddison") == ["1611.00712"]
        # Title matches first, then catalog order.
        assert found(catalog, "maddison") == ["1611.00712", "hep-th/9901001"]
        assert found(catalog, "reparameterization") == ["1611.01144", "1611.00712"]
        assert found(catalog, '"continuous relaxation"') == ["1611.00712"]
        page = catalog.search("a", limit=1, offset=1)
        assert page.total == 3 and len(page.papers) == 1


# -- migration 0006 -----------------------------------------------------------------------


def _at_0005_with_papers(url: str) -> None:
    """A database made by the previous head (0005), holding three papers."""
    engine = make_engine(url)
    try:
        assert upgrade(engine, "0005") == (None, "0005")
        with engine.begin() as conn:
            papers = [
                (7, "1611.00712", "Kernel methods on graphs", "Stochastic graphs."),
                (8, "1611.01144", "Spectral clustering", "A kernel, a kernel and a kernel."),
                (9, None, "Unrelated", "Nothing."),
            ]
            for pid, arxiv_id, title, abstract in papers:
                conn.execute(
                    text(
                        "INSERT INTO paper (id, arxiv_id, title, title_key, categories,"
                        " extra_fields, published, created_at) VALUES (:i, :a, :t, :k,"
                        " '[]', '{}', '2016-11-02 17:25:06', '2019-06-01 00:00:00')"
                    ),
                    {"i": pid, "a": arxiv_id, "t": title, "k": title.lower()},
                )
                conn.execute(
                    text(
                        "INSERT INTO abstract (paper_id, text, source, source_ref)"
                        " VALUES (:i, :t, 'arxiv', '')"
                    ),
                    {"i": pid, "t": abstract},
                )
            conn.execute(text("INSERT INTO author (name) VALUES ('Chris J. Maddison')"))
            conn.execute(
                text(
                    "INSERT INTO paper_author (paper_id, position, author_id)"
                    " SELECT 8, 0, id FROM author WHERE name = 'Chris J. Maddison'"
                )
            )
    finally:
        engine.dispose()


def _downgrade(url: str, target: str) -> None:
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, target)
    finally:
        engine.dispose()


def test_upgrade_from_0005_ranks_the_papers_it_had(db_url: str) -> None:
    _at_0005_with_papers(db_url)
    with Catalog.open(db_url) as catalog:  # migrates to head
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == HEAD
        paper = catalog.find_paper("1611.01144")
        assert (paper.id, paper.title, paper.authors) == (
            8,
            "Spectral clustering",
            ["Chris J. Maddison"],
        )
        assert paper.abstract == "A kernel, a kernel and a kernel."
        # Papers from before 0006 are in the new indexes: title tier first.
        assert [p.id for p in catalog.search("kernel").papers] == [7, 8]
        assert [p.id for p in catalog.search('"kernel methods"').papers] == [7]
        assert [p.id for p in catalog.search("maddison kernel").papers] == [8]
        assert catalog.list_papers_page(filters=SearchFilters(year=2016)).total == 3
        # And new writes are indexed as on a fresh database.
        catalog.upsert_arxiv([replace(GUMBEL, title="Kernel softmax")])  # paper 8, retitled
        assert [p.id for p in catalog.search("softmax kernel").papers] == [8]
        assert catalog.search("spectral").total == 0

    # The downgrade puts 0005's schema back, and upgrading again gives the same search.
    _downgrade(db_url, "0005")
    with Catalog.open(db_url, migrate=False) as catalog:
        with catalog.engine.connect() as conn:
            assert current_revision(conn) == "0005"
        with catalog.read() as s:
            assert not has_fts_index(s) and not has_pg_index(s)
    with Catalog.open(db_url) as catalog:
        assert [p.id for p in catalog.search("softmax kernel").papers] == [8]
        assert catalog.search("kernel").total == 2
