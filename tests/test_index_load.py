"""The snapshot load's first fill: what it leaves when it finishes and when it is killed.

A first fill (an empty SQLite index) goes without the b-tree indexes on ``title_key``
and ``datestamp`` and makes them at its end; a load killed with SIGKILL in the middle of
a batch keeps the batches committed before it, stays usable (lookups by title scan), and
the next load or harvest makes the indexes and ends with every record exactly once and
the same search results as a load that was never interrupted.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.index.harvest import load_snapshot
from catalog.index.record import IndexRecord
from catalog.index.snapshot import record_from_json, snapshot_rows
from catalog.index.store import ArxivIndex, prepare_rows
from tests.oai_server import generate_papers, snapshot_line

PAPERS = generate_papers(600, seed=11)
FILL_INDEXES = {"ix_arxiv_record_title_key", "ix_arxiv_record_datestamp"}
# Words of the corpus: one, two, and a prefix, as people search.
QUERIES = [
    PAPERS[0].flat_title.split()[0],
    " ".join(PAPERS[10].flat_title.split()[:2]),
    PAPERS[20].flat_title.split()[-1][:4],
    PAPERS[30].author_names[0].split()[-1],
]


def write_snapshot(path: Path) -> Path:
    path.write_text("".join(snapshot_line(p) + "\n" for p in PAPERS), encoding="utf-8")
    return path


def indexes(url: str) -> set[str]:
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'arxiv_record'"
        )
        return {r[0] for r in rows} & FILL_INDEXES


def counts(url: str) -> dict[str, int]:
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql("SELECT arxiv_id, COUNT(*) FROM arxiv_record GROUP BY 1")
        return {r[0]: r[1] for r in rows}


def results(url: str) -> dict[str, list[str]]:
    with ArxivIndex.open(url) as index:
        return {q: [r.arxiv_id for r in index.search(q, limit=0)] for q in QUERIES}


# The child: a load whose fourth batch is killed after its rows went in, before it commits.
# Its arguments: the index URL, the snapshot, and the store's append function to wrap
# (``_sqlite_append`` or ``_pg_append``; tests/test_index_pg.py runs it too).
KILLED_LOAD = """
import os, signal, sys
from pathlib import Path
import catalog.index.store as store
from catalog.index.harvest import load_snapshot
from catalog.index.store import ArxivIndex

calls = []
real = getattr(store, sys.argv[3])

def append_then_die(conn, rows):
    done = real(conn, rows)
    calls.append(done)
    if len(calls) == 4:
        os.kill(os.getpid(), signal.SIGKILL)  # inside the batch's transaction
    return done

setattr(store, sys.argv[3], append_then_die)
with ArxivIndex.open(sys.argv[1]) as index:
    load_snapshot(index, Path(sys.argv[2]), batch_size=100, parallel=False)
"""


def killed_load(url: str, tmp_path: Path, append: str) -> Path:
    """Run :data:`KILLED_LOAD` over a fresh snapshot into ``url``, wrapping the store's
    ``append`` function; check that the child died of SIGKILL; return the snapshot."""
    path = write_snapshot(tmp_path / "snapshot.json")
    child = subprocess.run(
        [sys.executable, "-c", KILLED_LOAD, url, str(path), append],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    return path


def test_a_first_fill_ends_with_its_indexes_and_finds_by_title(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = write_snapshot(tmp_path / "snapshot.json")
    with ArxivIndex.open(sqlite_url) as index:
        load_snapshot(index, path, batch_size=100)
        with index.read() as conn:
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM arxiv_record WHERE title_key = 'x'"
                )
            )
        assert "ix_arxiv_record_title_key" in plan
        assert [r.arxiv_id for r in index.by_title(PAPERS[7].flat_title)] == [PAPERS[7].arxiv_id]
    assert indexes(sqlite_url) == FILL_INDEXES
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS}


@pytest.mark.slow
def test_a_load_killed_with_sigkill_is_usable_and_the_next_load_finishes_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = killed_load(sqlite_url, tmp_path, "_sqlite_append")
    # Three batches committed, the fourth rolled back whole; the indexes are not made yet.
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS[:300]}
    assert indexes(sqlite_url) == set()
    with ArxivIndex.open(sqlite_url) as index:  # usable meanwhile
        assert [r.arxiv_id for r in index.by_title(PAPERS[5].flat_title)] == [PAPERS[5].arxiv_id]
        assert index.get(PAPERS[299].arxiv_id) is not None
        assert index.get(PAPERS[300].arxiv_id) is None
        load_snapshot(index, path, batch_size=100)  # again: the rest goes in

    assert indexes(sqlite_url) == FILL_INDEXES
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS}
    whole = f"sqlite:///{tmp_path / 'whole' / 'catalog.sqlite'}"
    with ArxivIndex.open(whole) as index:
        load_snapshot(index, path, batch_size=100)
    assert results(sqlite_url) == results(whole)
    assert all(results(whole).values())  # the queries find something


# The same load with its reader process (as for a big file), killed the same way; the
# reader's pid is written first, for the test to watch (and to end if it stays).
KILLED_PARALLEL_LOAD = """
import multiprocessing, os, signal, sys
from pathlib import Path
import catalog.index.store as store
from catalog.index.harvest import load_snapshot
from catalog.index.store import ArxivIndex

calls = []
real = store._sqlite_append

def append_then_die(conn, rows):
    done = real(conn, rows)
    calls.append(done)
    if len(calls) == 2:
        pids = [p.pid for p in multiprocessing.active_children()]
        Path(sys.argv[3]).write_text(" ".join(map(str, pids)))
        os.kill(os.getpid(), signal.SIGKILL)
    return done

store._sqlite_append = append_then_die
with ArxivIndex.open(sys.argv[1]) as index:
    load_snapshot(index, Path(sys.argv[2]), batch_size=50, parallel=True)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has ended (its parent, now init, may not reap it)


@pytest.mark.slow
def test_a_killed_load_s_reader_process_ends_and_the_next_load_may_run(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A load killed with SIGKILL takes its reader process with it: left blocked on the
    full queue, the reader held the index's run lock, and every later load or harvest
    was refused as busy."""
    import os
    import time

    from catalog.index.store import IndexBusy

    path = write_snapshot(tmp_path / "snapshot.json")
    pid_file = tmp_path / "reader.pid"
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:  # not a pipe: a reader left running would hold it
        child = subprocess.run(
            [sys.executable, "-c", KILLED_PARALLEL_LOAD, sqlite_url, str(path), str(pid_file)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            timeout=300,
            check=False,
        )
    assert child.returncode == -signal.SIGKILL, errors.read_text()
    readers = [int(pid) for pid in pid_file.read_text().split()]
    assert readers  # the load had its reader process
    try:
        deadline = time.monotonic() + 30
        while any(map(_running, readers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_running, readers))
        with ArxivIndex.open(sqlite_url) as index:
            try:
                with index.exclusive():
                    pass
            except IndexBusy:
                pytest.fail("the killed load's run lock is still held")
            load_snapshot(index, path, batch_size=100)  # the rest goes in
        assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS}
    finally:
        for pid in readers:  # only if the test failed: the reader this test started
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_harvest_after_a_killed_load_makes_the_indexes_first(db_url: str) -> None:
    """What a killed first fill leaves (no fill indexes; on PostgreSQL no foreign keys
    either) is searchable by scans, and harvest's first step makes all of it again."""
    from tests import test_index_pg as pg  # its helpers; it imports this module

    on_pg = not db_url.startswith("sqlite")
    made, keys = (pg.FILL_INDEXES, pg.FILL_KEYS) if on_pg else (FILL_INDEXES, set())
    with ArxivIndex.open(db_url) as index:
        index.store([IndexRecord("2401.00001", "Graph kernels")])
        with index._write() as conn:  # what a killed first fill leaves
            for name in made:
                conn.exec_driver_sql(f"DROP INDEX {name}")
            for name in keys:
                conn.exec_driver_sql(
                    f"ALTER TABLE {name.removesuffix('_record_id_fkey')} DROP CONSTRAINT {name}"
                )
        assert index.by_title("graph KERNELS")[0].arxiv_id == "2401.00001"  # by a scan
        assert [r.arxiv_id for r in index.search("kernels")] == ["2401.00001"]
        index.tune_for_pages()  # what harvest() does first
    if on_pg:
        assert pg.indexes(db_url) == pg.FILL_INDEXES
        assert pg.keys(db_url) == pg.FILL_KEYS
    else:
        assert indexes(db_url) == FILL_INDEXES


def test_the_snapshot_rows_are_what_the_record_makes() -> None:
    """The reader's short way (rows straight from the JSON) and the record's way agree,
    on arXiv's shapes and on odd ones (unknown version labels, numbers for strings,
    unreadable dates, versions out of order, a null DOI)."""
    lines = [json.loads(snapshot_line(p)) for p in PAPERS[:200]]
    odd = dict(lines[0])
    odd["versions"] = [
        {"version": "V3", "created": "Tue, 3 Mar 2020 10:00:00 +0100"},
        {"version": "v1", "created": "Mon, 30 Feb 2020 10:00:00 GMT"},  # no such day
        {"version": 2, "created": "2 Mar 2020 09:00 GMT"},
        {"version": "vx", "created": "Mon, 2 Mar 2020 10:00:00 GMT"},
        {"version": "v4", "created": None},
        "not a version",
    ]
    odd.update({"doi": None, "comments": 7, "journal-ref": "  J. Odd  1 ", "authors_parsed": []})
    leap = dict(lines[1])
    leap["versions"] = [{"version": "v1", "created": "Sat, 29 Feb 2020 23:59:59 GMT"}]
    for data in [*lines, odd, leap]:
        for dialect in ("sqlite", "postgresql"):
            row, versions, day = snapshot_rows(orjson.loads(orjson.dumps(data)), dialect)
            made = prepare_rows([record_from_json(data)], dialect)
            assert ([row], versions) == (made.records, made.versions)
            assert day == record_from_json(data).datestamp


def test_a_line_that_is_not_utf8_or_not_json_is_named(sqlite_url: str, tmp_path: Path) -> None:
    from catalog.index.snapshot import SnapshotError

    good = snapshot_line(PAPERS[0]).encode()
    cases = ((b'{"id": "\xff"}', "line 3: not UTF-8 text"), (b'{"id": 1', "line 3: not JSON"))
    for bad, said in cases:
        path = tmp_path / "bad.json"
        path.write_bytes(good + b"\n\n" + bad + b"\n")
        with ArxivIndex.open(sqlite_url) as index, pytest.raises(SnapshotError, match=said):
            load_snapshot(index, path, parallel=False)


_TEXT = st.text(
    st.sampled_from(
        list("aZ09 ._-:,{}\\'$\n\t\r")
        + ["é", "\u00a0", "ß", "İ", "\x1f", "\u2028", "\x85", "\u3000"]
    ),
    max_size=30,
)
_PART = st.one_of(_TEXT, st.none(), st.integers(0, 9))
_DATE = st.one_of(
    st.builds(
        "{}, {} {} {} {:02d}:{:02d}:{:02d} GMT".format,
        st.sampled_from(["Mon", "Sun", "Mo"]),
        st.sampled_from(["1", "02", "29", "31", "0", "٣"]),
        st.sampled_from(["Jan", "Feb", "Apr", "feb"]),
        st.sampled_from(["2000", "1900", "2024", "0000"]),
        st.sampled_from([0, 9, 23, 24]),
        st.sampled_from([0, 59, 60]),
        st.sampled_from([0, 59, 60]),
    ),  # fmt: skip
    _TEXT,
)


@settings(max_examples=300, deadline=None)
@given(
    title=_TEXT,
    parsed=st.lists(st.one_of(st.lists(_PART, min_size=2, max_size=4), _TEXT, _PART), max_size=4),
    created=st.lists(_DATE, min_size=1, max_size=3),
)
def test_the_reader_s_short_ways_agree_with_the_general_ones(
    title: str, parsed: list[object], created: list[str]
) -> None:
    """The snapshot reader's shortcuts (a title's key by one translate, the authors joined
    at once, the version dates read by slicing) give what the record's way gives, on
    whatever shapes and characters a line may hold."""
    data = {
        "id": "2401.00001",
        "title": title,
        "authors_parsed": parsed,
        "authors": "A. Writer",
        "versions": [{"version": f"v{n}", "created": c} for n, c in enumerate(created, 1)],
    }
    for dialect in ("sqlite", "postgresql"):
        row, versions, _day = snapshot_rows(data, dialect)
        made = prepare_rows([record_from_json(data)], dialect)
        assert ([row], versions) == (made.records, made.versions)


@settings(max_examples=300, deadline=None)
@given(text=_DATE)
def test_version_dates_read_by_slicing_are_what_the_general_way_reads(text: str) -> None:
    """arXiv's own date shape is read by slicing; anything it does not take goes the
    general way (a regex, then email.utils), and the two agree on every input."""
    from catalog.index import fields

    general = fields.read_version_date(text) if text.strip() else None
    assert fields.parse_version_date(text) == general
    stamp = fields.version_stamp(text)
    assert stamp == (None if general is None else general.replace(tzinfo=None).isoformat(sep=" "))


@settings(max_examples=500, deadline=None)
@given(title=st.one_of(_TEXT, st.text(max_size=40)))
def test_the_index_s_title_key_is_the_catalog_s(title: str) -> None:
    """The index keys titles by a translate for plain ASCII; lookups by title compare the
    key with catalog.text.title_key's, so the two must agree on every title."""
    from catalog.index.fields import index_title_key
    from catalog.text import title_key

    assert index_title_key(title) == title_key(title)


_SPACED = st.lists(
    st.sampled_from(
        [
            "a",
            "Zé",
            " ",
            "  ",
            "\n",
            "\n  ",
            "\t",
            "\r",
            "\x0b",
            "\x1f",
            "\x85",
            "\u00a0",
            "\u2028",
            "\u3000",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(_SPACED, st.text(max_size=40)))
def test_one_line_folds_every_space_as_splitting_does(text: str) -> None:
    """Titles, abstracts and names are folded by a short way when their only breaks are
    a newline and some indent; whatever the spaces, the result is the words that
    str.split() finds, joined by single spaces."""
    from catalog.index.fields import one_line

    assert one_line(text) == " ".join(text.split())


def _journal_mode(url: str) -> str:
    import sqlite3

    from catalog.index.schema import index_url

    conn = sqlite3.connect(index_url(url).removeprefix("sqlite:///"))
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    finally:
        conn.close()


def test_a_first_fill_writes_through_a_rollback_journal_and_ends_in_wal(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The batches of a first fill go through a rollback journal (appended pages are not
    copied twice, as the WAL copies them); a reader that opens the index in the middle
    finds the batches stored so far and switches it back to WAL, and the load goes on;
    at the end the file is in WAL mode, with every record once."""
    path = write_snapshot(tmp_path / "snapshot.json")
    modes: list[str] = []
    seen: list[int] = []

    def progress(p: object) -> None:
        modes.append(_journal_mode(sqlite_url))
        if len(modes) == 2:  # another reader, as `catalog search --arxiv` in a shell
            with ArxivIndex.open(sqlite_url) as other:
                seen.append(len(other.search(QUERIES[0], limit=0)))
                assert other.get(PAPERS[199].arxiv_id) is not None

    with ArxivIndex.open(sqlite_url) as index:
        load_snapshot(index, path, batch_size=100, parallel=False, on_progress=progress)
    assert modes[:2] == ["delete", "delete"]
    assert modes[2:] == ["wal"] * (len(PAPERS) // 100 - 2)  # the reader switched it back
    assert seen and seen[0] > 0
    assert _journal_mode(sqlite_url) == "wal"
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS}
    assert indexes(sqlite_url) == FILL_INDEXES
    whole = f"sqlite:///{tmp_path / 'whole' / 'catalog.sqlite'}"
    with ArxivIndex.open(whole) as index:
        load_snapshot(index, path, batch_size=100)
    assert _journal_mode(whole) == "wal"
    assert results(sqlite_url) == results(whole)


def test_a_killed_first_fill_is_rolled_back_to_its_last_batch_and_wal_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    killed_load(sqlite_url, tmp_path, "_sqlite_append")
    with ArxivIndex.open(sqlite_url) as index:  # rolls the killed batch back
        assert index.get(PAPERS[300].arxiv_id) is None
        with index.read() as conn:
            check = conn.exec_driver_sql(
                "INSERT INTO arxiv_fts (arxiv_fts) VALUES ('integrity-check')"
            )
            check.close()
    assert _journal_mode(sqlite_url) == "wal"
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS[:300]}


def test_a_first_fill_beside_another_open_connection_stays_in_wal(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Leaving WAL mode needs the file open nowhere else: with another process's
    connection open (here another connection), the load goes on in WAL mode."""
    import sqlite3

    from catalog.index.schema import index_url

    path = write_snapshot(tmp_path / "snapshot.json")
    modes: list[str] = []
    with ArxivIndex.open(sqlite_url) as index:
        other = sqlite3.connect(index_url(sqlite_url).removeprefix("sqlite:///"))
        try:
            other.execute("SELECT COUNT(*) FROM arxiv_record").fetchone()
            load_snapshot(
                index, path, batch_size=100, parallel=False,
                on_progress=lambda p: modes.append(_journal_mode(sqlite_url)),
            )  # fmt: skip
        finally:
            other.close()
    assert modes == ["wal"] * (len(PAPERS) // 100)
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS}


def test_a_first_fill_of_an_index_in_memory_keeps_its_database(tmp_path: Path) -> None:
    """An in-memory catalog's index is in memory too: it has no journal to switch, and
    its one connection must stay open through the load."""
    path = write_snapshot(tmp_path / "snapshot.json")
    with ArxivIndex.open("sqlite://") as index:
        load_snapshot(index, path, batch_size=100, parallel=False)
        assert index.status().records == len(PAPERS)
        assert index.search(QUERIES[0], limit=0)


def stored_versions(url: str) -> dict[str, list[tuple[int, str | None]]]:
    """Each record's versions as stored: (number, date), by arXiv id."""
    with ArxivIndex.open(url) as index, index.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT r.arxiv_id, v.number, v.date, v.size_kb, v.withdrawn FROM arxiv_version v"
            " JOIN arxiv_record r ON r.id = v.record_id ORDER BY r.arxiv_id, v.number"
        )
        out: dict[str, list[tuple[int, str | None]]] = {}
        for arxiv_id, number, day, size_kb, withdrawn in rows:
            assert size_kb is None and withdrawn is None  # the snapshot gives neither
            out.setdefault(arxiv_id, []).append((number, day))
        return out


def test_the_reader_s_placed_versions_are_the_versions_by_arxiv_id(tmp_path: Path) -> None:
    """On SQLite the reader sends each version with its record's place in the batch
    (Rows.placed); taken back by arXiv id they are the versions the general way sends,
    also when a line's id comes again in the batch (the last line wins, in the first
    one's place)."""
    from catalog.index.snapshot import read_rows

    lines = [snapshot_line(p) for p in PAPERS[:50]]
    again = json.loads(lines[3])
    again["versions"] = again["versions"][:1] + [
        {"version": "v9", "created": "Mon, 2 Mar 2020 10:00:00 GMT"}
    ]
    lines.append(json.dumps(again))
    path = tmp_path / "snapshot.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (placed,) = [rows for _n, rows in read_rows(path, 100, "sqlite")]
    (general,) = [rows for _n, rows in read_rows(path, 100, "postgresql")]
    assert placed.placed is not None and not placed.versions
    assert general.placed is None
    numbers = [(v[0], v[1]) for v in general.versions]
    assert (PAPERS[3].arxiv_id, 9) in numbers  # the second line's versions
    assert [(v[0], v[1]) for v in placed.unplaced().versions] == numbers
    assert len(placed.unplaced().versions) == len(general.versions)


def test_a_first_fill_stores_each_record_s_versions_with_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The versions a first fill writes by their records' places belong to their own
    records, in every batch (the ids go on from batch to batch), and a batch that meets
    a stored record (upserted the general way) gets them right too."""
    path = write_snapshot(tmp_path / "snapshot.json")
    expected = {p.arxiv_id: list(range(1, len(p.versions) + 1)) for p in PAPERS}
    with ArxivIndex.open(sqlite_url) as index:
        index.store([record_from_json(json.loads(snapshot_line(PAPERS[250])))])
        load_snapshot(index, path, batch_size=100, parallel=False)
        for p in (PAPERS[0], PAPERS[250], PAPERS[599]):
            rec = index.get(p.arxiv_id)
            assert rec is not None and [v.date for v in rec.versions] == [d for d, _ in p.versions]
    stored = stored_versions(sqlite_url)
    assert {k: [n for n, _ in v] for k, v in stored.items()} == expected
    assert counts(sqlite_url) == {p.arxiv_id: 1 for p in PAPERS}


def test_a_load_runs_with_fewer_collections_and_puts_the_thresholds_back(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import catalog.index.store as store
    from catalog.gc_pause import BULK_GC_THRESHOLD

    seen = []
    real = store._sqlite_append

    def spy(conn: object, rows: object) -> bool:
        seen.append(gc.get_threshold())
        return real(conn, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_sqlite_append", spy)
    before = gc.get_threshold()
    with ArxivIndex.open(sqlite_url) as index:
        load_snapshot(index, write_snapshot(tmp_path / "snapshot.json"), batch_size=200)
    assert seen == [BULK_GC_THRESHOLD] * 3
    assert gc.get_threshold() == before


def test_a_first_fill_checks_no_keys_then_every_write_does_again(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first fill's batches go without the foreign-key checks and without zeroing freed
    pages; afterwards writes check the keys again (a record deleted takes its versions
    with it) and zero what they free as before the load, and the full-text index agrees
    with the records (FTS5's own integrity check)."""
    import catalog.index.store as store

    seen = []
    real = store._sqlite_append

    def spy(conn: Any, rows: Any) -> bool:
        pragmas = ("foreign_keys", "secure_delete")
        seen.append(tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in pragmas))
        return bool(real(conn, rows))

    monkeypatch.setattr(store, "_sqlite_append", spy)
    with ArxivIndex.open(sqlite_url) as index:
        with index._write() as conn:
            before = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
        load_snapshot(index, write_snapshot(tmp_path / "snapshot.json"), batch_size=200)
        assert seen == [(0, 0)] * 3
        with index._write() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == before
            conn.exec_driver_sql("INSERT INTO arxiv_fts (arxiv_fts) VALUES ('integrity-check')")
            gone = (PAPERS[5].arxiv_id,)
            conn.exec_driver_sql("DELETE FROM arxiv_record WHERE arxiv_id = ?", gone)
        with index.read() as conn:
            left = conn.exec_driver_sql(
                "SELECT COUNT(*) FROM arxiv_version"
                " WHERE record_id NOT IN (SELECT id FROM arxiv_record)"
            ).scalar()
        assert left == 0  # ON DELETE CASCADE: the keys are checked again
