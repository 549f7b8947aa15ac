"""SQLite index word search ranks as FTS5's own bm25 does, without asking FTS5 for it.

For frequent words ``search_fts5.fts_search`` asks a prefix as the words it stands for and
works bm25 out itself from FTS5's figures (see its docstring). A reader must see the same
records in the same order as FTS5's ``bm25(arxiv_fts, 10.0, 4.0, 1.0)`` of the prefix
query gives: checked here against FTS5 itself, over generated records and queries, with
the candidate bound both above every match and lowered (two tiers).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.index import lookup, search_fts5
from catalog.index.record import IndexRecord, Version
from catalog.index.store import ArxivIndex

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
# Syllable words, as the benchmark's generated vocabulary has them: prefixes that stand
# for several words ("dor" for dor, dorbel, dortrilo, ...), words inside others.
SYLLABLES = ["dor", "bel", "tri", "lo", "mi", "qua", "si", "ne", "zo", "ka"]
VOCABULARY = sorted(
    {a + b for a in SYLLABLES for b in SYLLABLES[:6]} | {a + b + c for a in SYLLABLES[:3]
     for b in SYLLABLES[:4] for c in SYLLABLES[4:7]} | set(SYLLABLES)
)  # fmt: skip
# What the tokenizer must fold or split as FTS5's unicode61 (remove_diacritics 2) does.
ODD = ["Dörbel", "DORTRI", "dor_bel", "belzo2", "(trilo)", "mi-qua", "Ñezo", "naïve"]


def _text(rng: random.Random, n: int) -> str:
    weights = [1.0 / (rank + 1) for rank in range(len(VOCABULARY))]  # Zipf-like
    words = rng.choices(VOCABULARY, weights, k=n)
    if n and rng.random() < 0.3:
        words[rng.randrange(n)] = rng.choice(ODD)
    if rng.random() < 0.4:  # in more than half of the records: bm25's floor of idf
        words.append("common")
    return " ".join(words)


def records(seed: int, n: int) -> list[IndexRecord]:
    rng = random.Random(seed)
    return [
        IndexRecord(
            f"2401.{i:05d}",
            _text(rng, rng.randint(2, 8)),
            authors=tuple(_text(rng, 2) for _ in range(rng.randint(0, 3))),
            # Some past 127 tokens: a docsize varint of two bytes.
            abstract=_text(rng, rng.randint(0, 40) if i % 8 else rng.randint(120, 300)),
            versions=(Version(1, WHEN),),
        )
        for i in range(1, n + 1)
    ]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArxivIndex]:
    path: Path = tmp_path_factory.mktemp("bm25") / "catalog.sqlite"
    with ArxivIndex.open(f"sqlite:///{path}") as opened:
        made = records(13, 400)
        for start in range(0, len(made), 100):  # several FTS5 segments, as a harvest makes
            opened.store(made[start : start + 100])
        yield opened


def fts5_order(index: ArxivIndex, query: str, bound: int) -> tuple[list[str], int, bool]:
    """The search as FTS5's bm25 of the prefix query ranks it: every match when there are
    at most ``bound``, else the newest ``bound`` title matches then the newest ``bound``
    matches anywhere, each ranked."""
    tokens = [t for word in query.split() for t in lookup._TOKEN.findall(word.lower())]
    words = " ".join(f'"{t}"*' if len(t) > 2 else f'"{t}"' for t in tokens)
    ranked = (
        "SELECT rowid, bm25(arxiv_fts, 10.0, 4.0, 1.0) AS s FROM arxiv_fts"
        " WHERE arxiv_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    )
    with index.read() as conn:
        every = conn.exec_driver_sql(ranked, (words, bound + 1)).all()
        if len(every) <= bound:
            order = [r[0] for r in sorted(every, key=lambda r: (r[1], r[0]))]
            total, more = len(every), False
        else:
            title = conn.exec_driver_sql(ranked, (f"{{title}} : ({words})", bound)).all()
            seen = {r[0] for r in title}
            rest = [r for r in every[:bound] if r[0] not in seen]
            order = [r[0] for r in sorted(title, key=lambda r: (r[1], r[0]))]
            order += [r[0] for r in sorted(rest, key=lambda r: (r[1], r[0]))]
            total, more = bound, True
        names = dict(conn.exec_driver_sql("SELECT id, arxiv_id FROM arxiv_record").all())
    return [names[i] for i in order], total, more


def no_fallback(*args: object) -> None:
    raise AssertionError("the search left the ranking to FTS5")


@pytest.fixture(autouse=True)
def own_bm25(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every word here is rare enough for FTS5 to count (search_fts5._cheap_to_count): the
    search's own bm25 is what is tested, unless a test says otherwise."""
    monkeypatch.setattr(search_fts5, "_FTS5_COUNTS", 0)


TOKENS = st.one_of(
    st.sampled_from(VOCABULARY),
    st.sampled_from(VOCABULARY).flatmap(lambda w: st.integers(1, len(w)).map(lambda n: w[:n])),
    st.sampled_from(["naive", "nezo", "belzo2", "zz", "qqq", "common", "com"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.lists(TOKENS, min_size=1, max_size=3).map(" ".join),
    bound=st.sampled_from([5, 40, 2000]),
)
def test_search_ranks_as_fts5_bm25_does(
    index: ArxivIndex, monkeypatch: pytest.MonkeyPatch, query: str, bound: int
) -> None:
    monkeypatch.setattr(lookup, "CANDIDATES", bound)
    monkeypatch.setattr(search_fts5, "_fts5_bm25_search", no_fallback)
    expected, total, more = fts5_order(index, query, bound)
    hits = index.search_hits(query, limit=len(expected) + 5)
    assert [r.arxiv_id for r in hits.records] == expected
    assert (hits.total, hits.more) == (total, more)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.lists(TOKENS, min_size=1, max_size=2).map(" ".join), offset=st.integers(0, 30))
def test_pages_are_slices_of_the_fts5_order(
    index: ArxivIndex, monkeypatch: pytest.MonkeyPatch, query: str, offset: int
) -> None:
    monkeypatch.setattr(search_fts5, "_fts5_bm25_search", no_fallback)
    expected, _total, _more = fts5_order(index, query, lookup.CANDIDATES)
    page = index.search(query, limit=7, offset=offset)
    assert [r.arxiv_id for r in page] == expected[offset : offset + 7]


def test_a_prefix_of_more_words_than_are_expanded_still_ranks_as_fts5(
    index: ArxivIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_fts5, "_MAX_WORDS", 2)  # "dor" stands for many more
    expected, total, _more = fts5_order(index, "dor", lookup.CANDIDATES)
    hits = index.search_hits("dor", limit=500)
    assert [r.arxiv_id for r in hits.records] == expected
    assert hits.total == total > 2


def test_a_word_stored_after_a_search_is_found_and_counted(sqlite_url: str) -> None:
    """The words a prefix stands for and the document counts are kept between searches:
    until the index changes, not after."""
    with ArxivIndex.open(sqlite_url) as index:
        index.store(records(5, 30))
        before = index.search_hits("dor", limit=100)
        index.store(
            [
                IndexRecord(
                    "2402.00001", "Dorzap dorzap", abstract="dorzap", versions=(Version(1, WHEN),)
                )
            ]
        )
        after = index.search_hits("dor", limit=100)
        assert after.total == before.total + 1
        assert after.records[0].arxiv_id == "2402.00001"  # the word three times, a short record
        expected, _total, _more = fts5_order(index, "dor bel", lookup.CANDIDATES)
        assert [r.arxiv_id for r in index.search("dor bel", limit=100)] == expected
        assert index.search_hits("dorzap").total == 1


def test_a_prefix_no_word_starts_finds_nothing(index: ArxivIndex) -> None:
    hits = index.search_hits("dor qqqx")
    assert (hits.records, hits.total, hits.more) == ([], 0, False)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.lists(TOKENS, min_size=1, max_size=3).map(" ".join), bound=st.sampled_from([5, 2000])
)
def test_words_few_enough_for_fts5_to_count_rank_as_the_prefix_query(
    index: ArxivIndex, monkeypatch: pytest.MonkeyPatch, query: str, bound: int
) -> None:
    """FTS5 ranks the query as whole words when counting them is cheap: the same order."""
    monkeypatch.setattr(lookup, "CANDIDATES", bound)
    monkeypatch.setattr(search_fts5, "_FTS5_COUNTS", 10**9)
    expected, total, more = fts5_order(index, query, bound)
    hits = index.search_hits(query, limit=len(expected) + 5)
    assert [r.arxiv_id for r in hits.records] == expected
    assert (hits.total, hits.more) == (total, more)
