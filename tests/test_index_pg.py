"""The arXiv index on PostgreSQL: the words table (ix0003), the first fill, and updates.

A record's words live in ``arxiv_text`` (live records only), written for new records,
records whose text changed and deleted ones coming back, and for nothing else: an update
that keeps the text must leave the words' row as it was (its ``xmin`` says whether it was
written). A first fill COPYs into a table without the GIN and b-tree indexes and makes
them at its end; a load killed with SIGKILL in the middle keeps the batches committed
before it, stays usable, and the next load makes the indexes and finishes it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from catalog.index.harvest import load_snapshot
from catalog.index.record import IndexRecord, Version
from catalog.index.store import ArxivIndex, HarvestState
from tests.test_index_load import PAPERS, killed_load, results, write_snapshot

WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
FILL_INDEXES = {
    "ix_arxiv_record_title_key", "ix_arxiv_record_datestamp", "ix_arxiv_text_tsv",
    "ix_arxiv_text_title",
}  # fmt: skip
FILL_KEYS = {"arxiv_version_record_id_fkey", "arxiv_text_record_id_fkey"}


def cs_state() -> HarvestState:
    """A harvest of the cs set in arXivRaw, as the page tests store them."""
    return HarvestState(set_spec="cs", prefix="arXivRaw")


@pytest.fixture
def no_thread_left() -> Iterator[None]:
    """The test leaves no thread running that it started (the pages' cleaner)."""
    threads = set(threading.enumerate())
    yield
    assert set(threading.enumerate()) <= threads


def record(n: int, title: str, abstract: str, day: date = date(2024, 1, 2)) -> IndexRecord:
    return IndexRecord(
        f"2401.{n:05d}", title, abstract=abstract, versions=(Version(1, WHEN),), datestamp=day
    )


def ids(records: list[IndexRecord]) -> list[str]:
    return [r.arxiv_id for r in records]


def words_rows(index: ArxivIndex) -> dict[str, str]:
    """arXiv id -> the transaction that last wrote its words' row."""
    with index.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT r.arxiv_id, t.xmin::text FROM arxiv_text t"
            " JOIN arxiv_record r ON r.id = t.record_id"
        )
        return {r[0]: r[1] for r in rows}


def indexes(url: str) -> set[str]:
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('arxiv_record', 'arxiv_text')"
        )
        return set(rows.scalars()) & FILL_INDEXES


def keys(url: str) -> set[str]:
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        return set(rows.scalars()) & FILL_KEYS


def counts(url: str) -> dict[str, int]:
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT r.arxiv_id, COUNT(*) FROM arxiv_record r"
            " JOIN arxiv_text t ON t.record_id = r.id GROUP BY 1"
        )
        return {r[0]: r[1] for r in rows}


def stored(url: str) -> set[str]:
    with ArxivIndex.open(url) as index, index.read() as conn:
        return set(conn.exec_driver_sql("SELECT arxiv_id FROM arxiv_record").scalars())


def test_words_are_written_only_for_new_changed_and_returning_records(pg_url: str) -> None:
    with ArxivIndex.open(pg_url) as index:
        index.store([record(n, f"Walrus paper {n}", "about tusks") for n in range(1, 4)])
        written = words_rows(index)
        assert set(written) == {"2401.00001", "2401.00002", "2401.00003"}

        same = record(1, "Walrus paper 1", "about tusks", date(2024, 2, 1))
        same.journal_ref = "Nature 1 (2024)"
        changed = record(2, "Narwhal paper", "about horns", date(2024, 2, 1))
        index.store([same, changed])
        now = words_rows(index)
        assert now["2401.00001"] == written["2401.00001"]  # the text is as it was
        assert now["2401.00002"] != written["2401.00002"]
        kept = index.get("2401.00001")
        assert kept is not None and kept.journal_ref == "Nature 1 (2024)"
        assert kept.datestamp == date(2024, 2, 1)
        assert sorted(ids(index.search("walrus"))) == ["2401.00001", "2401.00003"]
        assert ids(index.search("narwhal horns")) == ["2401.00002"]
        assert index.search("tusks paper 2") == []

        older = record(2, "Walrus again", "about tusks", date(2023, 1, 1))  # replaces nothing
        index.store([older])
        assert ids(index.search("narwhal")) == ["2401.00002"]
        assert words_rows(index)["2401.00002"] == now["2401.00002"]

        gone = IndexRecord("2401.00003", "", datestamp=date(2024, 6, 1), deleted=True)
        index.store([gone])
        assert "2401.00003" not in words_rows(index)  # live records only
        assert ids(index.search("walrus")) == ["2401.00001"]
        back = record(3, "Walrus paper 3", "about tusks", date(2024, 7, 1))
        index.store([back])
        assert sorted(ids(index.search("walrus"))) == ["2401.00001", "2401.00003"]


def test_a_page_sent_again_as_stored_writes_no_row(pg_url: str) -> None:
    page = [record(n, f"Walrus paper {n}", "about tusks") for n in range(1, 4)]
    state = cs_state()
    with ArxivIndex.open(pg_url) as index:
        index.store_page(page, state)

        def row_writes() -> list[str]:
            with index.read() as conn:
                return list(
                    conn.exec_driver_sql(
                        "(SELECT xmin::text FROM arxiv_record ORDER BY id)"
                        " UNION ALL (SELECT xmin::text FROM arxiv_version ORDER BY record_id)"
                    ).scalars()
                )

        before = row_writes()
        index.store_page(page, state)
        assert row_writes() == before
        assert len(index.get("2401.00001").versions) == 1  # type: ignore[union-attr]


def test_an_ix0002_index_upgrades_with_its_words_for_live_records_only(pg_url: str) -> None:
    from catalog.index.schema import HEAD, current_revision, index_url, upgrade
    from catalog.store.engine import make_engine

    engine = make_engine(index_url(pg_url))
    upgrade(engine, "ix0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO arxiv_record (id, arxiv_id, title, title_key, authors, abstract,"
            " categories, dois, version, deleted) VALUES"
            " (1, '2401.00001', 'Walrus tusks', 'walrus tusks', 'Ana Smith', 'ivory',"
            " 'cs.LG', '', 1, false), (2, '2401.00002', 'Walrus gone', 'walrus gone',"
            " 'A B', 'x', 'cs.LG', '', 1, true)"
        )
        conn.exec_driver_sql("INSERT INTO arxiv_version (record_id, number) VALUES (1, 1), (2, 1)")
    engine.dispose()

    with ArxivIndex.open(pg_url) as index:
        with index.read() as conn:
            assert current_revision(conn) == HEAD
            columns = conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'arxiv_record'"
            ).scalars()
            assert "tsv" not in set(columns)
        assert set(words_rows(index)) == {"2401.00001"}
        assert ids(index.search("walrus")) == ["2401.00001"]
        assert ids(index.search("smith ivory")) == ["2401.00001"]
        kept = index.get("2401.00001")
        assert kept is not None and kept.title == "Walrus tusks" and len(kept.versions) == 1
        assert index.status().records == 2 and index.status().deleted == 1
    assert indexes(pg_url) == FILL_INDEXES
    assert keys(pg_url) == FILL_KEYS


def test_a_first_fill_ends_with_its_indexes(pg_url: str, tmp_path: Path) -> None:
    path = write_snapshot(tmp_path / "snapshot.json")
    with ArxivIndex.open(pg_url) as index:
        load_snapshot(index, path, batch_size=100)
        assert [r.arxiv_id for r in index.by_title(PAPERS[7].flat_title)] == [PAPERS[7].arxiv_id]
    assert indexes(pg_url) == FILL_INDEXES
    assert keys(pg_url) == FILL_KEYS
    assert counts(pg_url) == {p.arxiv_id: 1 for p in PAPERS}
    assert all(results(pg_url).values())


def test_a_load_killed_with_sigkill_is_usable_and_the_next_load_finishes_it(
    pg_url: str, tmp_path: Path
) -> None:
    path = killed_load(pg_url, tmp_path, "_pg_append")
    # Three batches committed (records and versions), the fourth rolled back; the words
    # come after each batch on a second connection, and may not all be in.
    assert stored(pg_url) == {p.arxiv_id for p in PAPERS[:300]}
    assert set(counts(pg_url)) <= stored(pg_url)
    assert indexes(pg_url) == set()
    assert keys(pg_url) == set()
    with ArxivIndex.open(pg_url) as index:  # usable meanwhile, by scans
        assert [r.arxiv_id for r in index.by_title(PAPERS[5].flat_title)] == [PAPERS[5].arxiv_id]
        assert index.get(PAPERS[299].arxiv_id) is not None
        assert index.get(PAPERS[300].arxiv_id) is None
        assert index.search(PAPERS[5].flat_title, limit=0)
        load_snapshot(index, path, batch_size=100)  # again: the rest goes in
    assert indexes(pg_url) == FILL_INDEXES
    assert keys(pg_url) == FILL_KEYS
    assert counts(pg_url) == {p.arxiv_id: 1 for p in PAPERS}
    with ArxivIndex.open(pg_url) as index:
        assert all(len(index.get(p.arxiv_id).versions) == len(p.versions) for p in PAPERS)  # type: ignore[union-attr]


def test_the_words_a_killed_first_fill_left_out_are_filled_before_its_indexes(
    pg_url: str,
) -> None:
    page = [record(n, f"Walrus paper {n}", f"about tusks {n}") for n in range(1, 7)]
    gone = IndexRecord("2401.00006", "", datestamp=date(2024, 6, 1), deleted=True)
    with ArxivIndex.open(pg_url) as index:
        index.store(page)
        index.store([gone])
        with index._write() as conn:  # a first fill killed before its words were in
            for name in FILL_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql("ALTER TABLE arxiv_text DROP CONSTRAINT arxiv_text_record_id_fkey")
            conn.exec_driver_sql(
                "DELETE FROM arxiv_text WHERE record_id IN (SELECT id FROM arxiv_record"
                " WHERE arxiv_id IN ('2401.00002', '2401.00004'))"
            )
        assert sorted(ids(index.search("walrus"))) == ["2401.00001", "2401.00003", "2401.00005"]
        kept = words_rows(index)
        index.tune_for_pages()  # what a harvest or the next load does first
        assert sorted(ids(index.search("walrus"))) == [f"2401.{n:05d}" for n in range(1, 6)]
        assert ids(index.search("tusks 4")) == ["2401.00004"]
        now = words_rows(index)
        assert {k: now[k] for k in kept} == kept  # the words already there are kept
        assert "2401.00006" not in now  # deleted: no words
    assert indexes(pg_url) == FILL_INDEXES
    assert keys(pg_url) == FILL_KEYS
    assert counts(pg_url) == {f"2401.{n:05d}": 1 for n in range(1, 6)}


def test_a_first_fill_whose_words_fail_says_so_and_ends_with_every_records_words(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import catalog.index.store as store

    def fail(cur: object, after: int, upto: int) -> None:
        raise RuntimeError("the words' connection failed")

    path = write_snapshot(tmp_path / "snapshot.json")
    monkeypatch.setattr(store, "_pg_fill_words", fail)  # the second connection's work
    with ArxivIndex.open(pg_url) as index:
        with pytest.raises(RuntimeError, match="the words' connection failed"):
            load_snapshot(index, path, batch_size=100, parallel=False)
    assert stored(pg_url)  # the batches committed before it stay
    assert counts(pg_url) == {arxiv_id: 1 for arxiv_id in stored(pg_url)}  # filled at the end
    assert indexes(pg_url) == FILL_INDEXES
    assert keys(pg_url) == FILL_KEYS


# -- harvested pages: the words' GIN entries go through the pending list --------------------


def pending_pages(index: ArxivIndex) -> int:
    """Moves the GIN index's pending list into the index; how many pages it held."""
    with index._write() as conn:
        found = conn.exec_driver_sql("SELECT gin_clean_pending_list('ix_arxiv_text_tsv')")
        return int(found.scalar() or 0)


@pytest.mark.usefixtures("no_thread_left")
def test_harvested_pages_are_found_as_they_are_stored_and_leave_no_words_pending(
    pg_url: str,
) -> None:
    from catalog.index.harvest import harvest
    from catalog.index.http import OaiClient
    from tests.oai_server import OaiStandIn, generate_papers

    first, changed = generate_papers(30, seed=1), generate_papers(30, seed=7)
    with ArxivIndex.open(pg_url) as index:
        for papers in (first, changed):  # the second harvest changes every record's text
            with OaiStandIn(papers, page_size=4) as server, OaiClient(server.url, delay=0) as http:
                report = harvest(index, http, from_=date(2000, 1, 1))  # all of it, twice
            assert (report.records, report.pages) == (30, 8)
            assert pending_pages(index) == 0  # the cleaner moved the last pages' words too
            for p in papers:
                assert p.arxiv_id in ids(index.search(p.flat_title, limit=0))
        assert counts(pg_url) == {p.arxiv_id: 1 for p in changed}
        old_only = {p.flat_title for p in first} - {p.flat_title for p in changed}
        assert old_only and not any(index.search(t, limit=0) for t in sorted(old_only)[:5])


def test_a_page_s_words_are_found_while_they_wait_in_the_pending_list(pg_url: str) -> None:
    state = cs_state()
    with ArxivIndex.open(pg_url) as index:
        index.store([record(1, "Walrus paper", "about tusks")])
        pending_pages(index)
        with index.pages():
            index.store_page([record(1, "Narwhal paper", "about horns", date(2024, 2, 1))], state)
            index.store_page([record(2, "Walrus again", "about tusks")], state)
            assert ids(index.search("narwhal horns")) == ["2401.00001"]  # read from the list
            assert ids(index.search("walrus")) == ["2401.00002"]
            assert pending_pages(index) > 0  # the pages' own transactions did not move them
        assert ids(index.search("narwhal horns")) == ["2401.00001"]
        assert ids(index.search("walrus")) == ["2401.00002"]


@pytest.mark.usefixtures("no_thread_left")
def test_a_failed_clean_stops_the_harvest_with_its_error_and_keeps_the_pages(
    pg_url: str,
) -> None:
    from psycopg.errors import UndefinedTable

    from catalog.errors import DatabaseError

    state = cs_state()
    with ArxivIndex.open(pg_url) as index:
        index.store([record(1, "Walrus paper", "about tusks")])
        with pytest.raises(DatabaseError) as failed, index.pages():
            with index._write() as conn:  # the clean that comes after four pages fails
                conn.exec_driver_sql("DROP INDEX ix_arxiv_text_tsv")
            for n in range(2, 10):
                index.store_page([record(n, f"Walrus paper {n}", "about tusks")], state)
        assert isinstance(failed.value, DatabaseError)
        assert "full-text index failed" in str(failed.value) and "run the harvest again" in str(
            failed.value
        )
        assert "\n" not in str(failed.value)  # one line, not the server's whole answer
        assert isinstance(failed.value.__cause__, UndefinedTable)
        # The pages stored before the error came stay: at least the four before the clean.
        assert {f"2401.{n:05d}" for n in range(1, 6)} <= stored(pg_url)


@pytest.mark.usefixtures("no_thread_left")
def test_a_harvest_that_fails_leaves_the_cleaner_stopped_and_says_its_own_error(
    pg_url: str,
) -> None:
    state = cs_state()
    with ArxivIndex.open(pg_url) as index:
        with pytest.raises(KeyError, match="the harvest's own"), index.pages():
            index.store_page([record(1, "Walrus paper", "about tusks")], state)
            raise KeyError("the harvest's own")
        assert ids(index.search("walrus")) == ["2401.00001"]


# -- ix0004: the words' rows stay whole -----------------------------------------------------


def long_record(n: int) -> IndexRecord:
    """A record whose words are well over 2 KB (PostgreSQL's TOAST threshold)."""
    words = " ".join(f"w{n}x{i} tusk{i % 7}" for i in range(400))
    return record(n, f"Walrus paper {n}", words)


def toasted(index: ArxivIndex) -> tuple[int, int]:
    """Words' rows compressed or moved out of their row; rows in the TOAST table."""
    with index.read() as conn:
        compressed = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM arxiv_text WHERE pg_column_compression(tsv) IS NOT NULL"
        ).scalar()
        toast = conn.exec_driver_sql(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'arxiv_text'"
        ).scalar()
        outside = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {toast}").scalar()
    return int(compressed or 0), int(outside or 0)


def test_an_ix0003_index_upgrades_with_its_data_and_keeps_words_rows_whole(
    db_url: str,
) -> None:
    from catalog.index.schema import HEAD, current_revision, index_url, upgrade
    from catalog.store.engine import make_engine

    url = index_url(db_url)
    engine = make_engine(url)
    upgrade(engine, "ix0003")
    before = ArxivIndex(engine, url)
    before.store([long_record(1), record(2, "Narwhal paper", "about horns")])
    if before.dialect == "postgresql":
        assert toasted(before) != (0, 0)  # ix0003: a long words' row was squeezed
    engine.dispose()

    with ArxivIndex.open(db_url) as index:
        with index.read() as conn:
            assert current_revision(conn) == HEAD
        assert ids(index.search("walrus w1x399")) == ["2401.00001"]
        assert ids(index.search("narwhal horns")) == ["2401.00002"]
        kept = index.get("2401.00001")
        assert kept is not None and kept.title == "Walrus paper 1" and len(kept.versions) == 1
        if index.dialect != "postgresql":
            return
        with index.read() as conn:
            options = conn.exec_driver_sql(
                "SELECT reloptions FROM pg_class WHERE relname = 'arxiv_text'"
            ).scalar()
        assert "toast_tuple_target=8160" in options
        squeezed = toasted(index)
        index.store([long_record(3), long_record(4)])  # written after: whole in their rows
        assert toasted(index) == squeezed
        assert ids(index.search("w4x399")) == ["2401.00004"]
