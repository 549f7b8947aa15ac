"""Word search over the arXiv index when a word matches more records than are ranked.

A word that half of arXiv uses must not make a search rank millions of matches to show
20: past ``lookup.CANDIDATES`` matches a search ranks a bounded candidate set and says
"more than" (``IndexHits.more``). The bound is lowered here so that a few dozen records
show what a million would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from catalog.index import lookup, search_pg
from catalog.index.record import IndexRecord, Version
from catalog.index.store import ArxivIndex
from tests.db_fixtures import BACKENDS

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
BOUND = 5


def record(n: int, title: str, abstract: str) -> IndexRecord:
    return IndexRecord(f"2401.{n:05d}", title, abstract=abstract, versions=(Version(1, WHEN),))


def ids(records: list[IndexRecord]) -> list[str]:
    return [r.arxiv_id for r in records]


# On PostgreSQL a search walks the newest records or reads the GIN bitmap, as the
# planner's estimate says (search_pg._pg_newest): each way must give the same pages.
# SQLite has one way: the tests that take a plan run on these pairs.
BACKEND_PLANS = [
    ("sqlite", "bitmap"),
    ("postgresql", "bitmap"),
    ("postgresql", "walk"),
    ("postgresql", "walk-narrow"),
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "plan" in metafunc.fixturenames:
        metafunc.parametrize(
            ("db_url", "plan"),
            BACKEND_PLANS,
            indirect=True,
            ids=[f"{backend}-{plan}" for backend, plan in BACKEND_PLANS],
        )
    elif "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", BACKENDS, indirect=True)


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """tests/db_fixtures.py's ``db_url``, with its backend given by the pairs above."""
    name = "pg_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``bitmap``: no statistics yet (a new index), so no estimate to walk by;
    ``walk``: analyzed, so frequent words walk; ``walk-narrow``: analyzed, and the first
    statement looks through too few ids, so the rest comes from the bitmap."""
    name: str = request.param
    if name == "walk-narrow":
        monkeypatch.setattr(search_pg, "_SPAN", 0.1)
    return name


def analyzed(index: ArxivIndex, plan: str) -> ArxivIndex:
    if plan != "bitmap":
        index.analyze()
    return index


@pytest.fixture
def index(db_url: str, plan: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArxivIndex]:
    monkeypatch.setattr(lookup, "CANDIDATES", BOUND)
    # 30 records whose abstract has "common"; record 2 (stored early, so not among the
    # most recently stored matches) has it in its title too; "rare" is in three.
    records = [
        record(n, f"Paper {n}", "a common word" + (" and a rare one" if n % 10 == 0 else ""))
        for n in range(1, 31)
    ]
    records[1] = record(2, "Common knowledge", "a common word")
    with ArxivIndex.open(db_url) as opened:
        for start in range(0, 30, 10):  # stored in three batches, in id order
            opened.store(records[start : start + 10])
        yield analyzed(opened, plan)


def test_a_word_matching_few_records_counts_them_exactly(index: ArxivIndex) -> None:
    hits = index.search_hits("rare")
    assert sorted(ids(hits.records)) == ["2401.00010", "2401.00020", "2401.00030"]
    assert (hits.total, hits.more) == (3, False)


def test_a_common_word_ranks_a_bounded_set_and_says_there_are_more(index: ArxivIndex) -> None:
    hits = index.search_hits("common", limit=3)
    assert len(hits.records) == 3
    assert (hits.total, hits.more) == (BOUND, True)  # "more than 5", not a made-up count


def test_a_common_word_still_puts_an_old_title_match_first(index: ArxivIndex) -> None:
    assert ids(index.search("common", limit=3))[0] == "2401.00002"


def test_pages_of_a_bounded_search_follow_on_without_repeats(index: ArxivIndex) -> None:
    whole = ids(index.search("common", limit=4))
    pages = ids(index.search("common", limit=2)) + ids(index.search("common", limit=2, offset=2))
    assert pages == whole and len(set(whole)) == 4


def test_every_page_of_a_bounded_search_is_new_until_the_candidates_run_out(
    index: ArxivIndex,
) -> None:
    pages = [ids(index.search("common", limit=3, offset=start)) for start in range(0, 12, 3)]
    seen = [arxiv_id for page in pages for arxiv_id in page]
    # the title tier (record 2) and the newest matches anywhere: 1 + BOUND candidates
    assert len(seen) == len(set(seen)) == 1 + BOUND
    assert seen == ids(index.search("common", limit=20))
    assert seen[0] == "2401.00002"
    assert set(seen[1:]) == {f"2401.{n:05d}" for n in range(30 - BOUND + 1, 31)}


def test_a_prefix_of_a_frequent_word_matches_as_the_word_does(index: ArxivIndex) -> None:
    for prefix in ("comm", "com"):
        hits = index.search_hits(prefix, limit=20)
        assert ids(hits.records) == ids(index.search("common", limit=20)), prefix
        assert (hits.total, hits.more) == (BOUND, True)


def test_words_that_match_nothing_find_nothing(index: ArxivIndex) -> None:
    for query in ("zebra", "common zebra", "rare zebra", "commons"):
        hits = index.search_hits(query)
        assert (hits.records, hits.total, hits.more) == ([], 0, False), query


def test_two_words_match_together_and_count_exactly_under_the_bound(index: ArxivIndex) -> None:
    hits = index.search_hits("common rare")
    assert sorted(ids(hits.records)) == ["2401.00010", "2401.00020", "2401.00030"]
    assert (hits.total, hits.more) == (3, False)


@pytest.mark.parametrize("matching", [BOUND, BOUND + 1])
def test_the_total_is_exact_up_to_the_bound_and_more_past_it(
    db_url: str, plan: str, monkeypatch: pytest.MonkeyPatch, matching: int
) -> None:
    monkeypatch.setattr(lookup, "CANDIDATES", BOUND)
    records = [
        record(n, f"Paper {n}", "walrus" if n <= matching else "narwhal") for n in range(1, 21)
    ]
    with ArxivIndex.open(db_url) as opened:
        opened.store(records)
        analyzed(opened, plan)
        for query in ("walrus", "paper walrus"):  # "paper": in every title
            hits = opened.search_hits(query, limit=2)
            assert len(hits.records) == 2
            assert (hits.total, hits.more) == (BOUND, matching > BOUND)


def test_a_title_match_in_the_middle_comes_first_for_a_word_in_every_abstract(
    db_url: str, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither among the oldest records nor the newest: only a title tier finds it (on
    PostgreSQL the search used to rank the first matches its index gave, the oldest)."""
    monkeypatch.setattr(lookup, "CANDIDATES", BOUND)
    records = [record(n, f"Paper {n}", "a common word") for n in range(1, 41)]
    records[19] = record(20, "Common knowledge", "a common word")
    with ArxivIndex.open(db_url) as opened:
        for start in range(0, 40, 10):
            opened.store(records[start : start + 10])
        found = analyzed(opened, plan).search_hits("common", limit=3)
    assert ids(found.records)[0] == "2401.00020"
    assert (found.total, found.more) == (BOUND, True)


def test_limit_0_ranks_every_match(db_url: str, index: ArxivIndex) -> None:
    hits = index.search_hits("common", limit=0)
    assert len(hits.records) == 30 and (hits.total, hits.more) == (30, False)
    assert ids(hits.records)[0] == "2401.00002"  # the title match, out of all 30


def test_updates_keep_the_full_text_index_in_step_with_the_records(sqlite_url: str) -> None:
    """An update with the same text keeps its index entries, one with new text replaces
    them, a deleted record coming back is indexed again: searches find the words each
    record has now and none it had, and FTS5's integrity check passes."""
    from datetime import date

    def fts_is_consistent(index: ArxivIndex) -> None:
        with index.read() as conn:  # raises on a damaged index
            conn.exec_driver_sql("INSERT INTO arxiv_fts (arxiv_fts) VALUES ('integrity-check')")

    first = [record(n, f"Walrus paper {n}", "about tusks") for n in range(1, 4)]
    with ArxivIndex.open(sqlite_url) as index:
        index.store(first)
        same = record(1, "Walrus paper 1", "about tusks")
        same.journal_ref = "Nature 1 (2024)"
        changed = record(2, "Narwhal paper", "about horns")
        index.store([same, changed])
        fts_is_consistent(index)
        assert index.get("2401.00001").journal_ref == "Nature 1 (2024)"  # type: ignore[union-attr]
        assert sorted(ids(index.search("walrus"))) == ["2401.00001", "2401.00003"]
        assert ids(index.search("narwhal horns")) == ["2401.00002"]
        assert index.search("tusks paper 2") == []

        gone = IndexRecord("2401.00003", "", datestamp=date(2024, 6, 1), deleted=True)
        index.store([gone])
        assert ids(index.search("walrus")) == ["2401.00001"]
        back = record(3, "Walrus paper 3", "about tusks")
        back.datestamp = date(2024, 7, 1)
        index.store([back])
        fts_is_consistent(index)
        assert sorted(ids(index.search("walrus"))) == ["2401.00001", "2401.00003"]


def test_an_index_made_by_ix0001_upgrades_with_its_records_and_drops_deleted_ones_from_fts(
    db_url: str,
) -> None:
    """ix0002: the full-text index holds live records only (an ix0001 index held deleted
    ones too); records and their versions come through the upgrade intact."""
    from catalog.index.schema import HEAD, current_revision, index_url, upgrade
    from catalog.store.engine import make_engine

    engine = make_engine(index_url(db_url))
    upgrade(engine, "ix0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO arxiv_record (id, arxiv_id, title, title_key, authors, abstract,"
            " categories, dois, version, deleted) VALUES"
            " (1, '2401.00001', 'Walrus tusks', 'walrus tusks', 'A B', 'x', 'cs.LG', '', 1,"
            " false), (2, '2401.00002', 'Walrus gone', 'walrus gone', 'A B', 'x', 'cs.LG', '',"
            " 1, true)"
        )
        conn.exec_driver_sql("INSERT INTO arxiv_version (record_id, number) VALUES (1, 1), (2, 1)")
        if conn.dialect.name == "sqlite":  # ix0001 indexed every record, deleted or not
            conn.exec_driver_sql(
                "INSERT INTO arxiv_fts (rowid, title, authors, abstract)"
                " SELECT id, title, authors, abstract FROM arxiv_record"
            )
    engine.dispose()

    with ArxivIndex.open(db_url) as index:
        with index.read() as conn:
            assert current_revision(conn) == HEAD
            if conn.dialect.name == "sqlite":
                in_fts = conn.exec_driver_sql(
                    "SELECT rowid FROM arxiv_fts WHERE arxiv_fts MATCH 'walrus'"
                ).all()
                assert [r[0] for r in in_fts] == [1]
        assert ids(index.search("walrus")) == ["2401.00001"]
        kept = index.get("2401.00001")
        assert kept is not None and kept.title == "Walrus tusks" and len(kept.versions) == 1
        assert index.status().records == 2 and index.status().deleted == 1
