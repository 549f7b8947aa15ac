"""Benchmark: what PostgreSQL itself costs for the arXiv index, with none of catalog's code.

Issue 13 asks for a snapshot load at 20,000 records/s and OAI-PMH pages at 5,000
records/s. This script measures the least work any program must do for them on this
machine, so that catalog's own figures (``bench_index.py``) can be read against it:

* the load: Python's ``json.loads`` of each snapshot line (the least a loader in Python
  reads), PostgreSQL's ``COPY`` of each record's text into a plain table (rows prepared
  in a file beforehand, not timed), its primary key, the words (``to_tsvector`` of
  title, authors and abstract, weighted as catalog weights them) and their GIN indexes
  (all words, and the title's: what catalog's index search reads), built after the copy
  with ``maintenance_work_mem`` at 1 GB; and, apart, the same words ready-made (COPYed
  as text) with their GIN index, as if making them cost nothing;
* a page of changed records: ``ElementTree.fromstring`` of the stand-in's page (the least
  a reader in Python parses), then in one transaction a page's text COPYed to a staging
  table, the records updated, their words deleted and made again (``to_tsvector``, the
  GIN indexes' entries, their pending list cleaned up at the end and counted).

Each part prints its wall time, the server's CPU seconds meanwhile (postmaster and every
backend, from /proc) and per record. The sums say how many records a second two cores
can give at best, however the work is spread over them.

Run: ``.venv/bin/python benchmarks/bench_pg_floor.py [--records N] [--cache DIR]
[--pages N]``; the snapshot is ``bench_index.py``'s (made in ``--cache`` if missing).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_index  # noqa: E402  (also puts the repository on sys.path)
from bench_index import make_snapshot, server_cpu, stand_in_pages  # noqa: E402

from tests.oai_server import generate_papers  # noqa: E402

TSV = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', authors), 'B') || "
    "setweight(to_tsvector('simple', abstract), 'C')"
)
TWO_CORES = 2


def _copy_field(value: str) -> str:
    """A value in COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _row(rec: dict[str, Any]) -> str:
    return "\t".join(
        _copy_field(str(rec.get(k) or "")) for k in ("id", "title", "authors", "abstract")
    )


class Server:
    """The throwaway PostgreSQL of the tests, one database, one psycopg connection."""

    def __init__(self) -> None:
        from sqlalchemy.engine import make_url

        from tests.db_fixtures import start_postgres

        self.pg = start_postgres()
        assert self.pg.folder is not None
        self.folder = self.pg.folder
        url = make_url(self.pg.create_database())
        self.conninfo = f"dbname={url.database} user={url.username} host={url.query['host']}"
        self.conn = self.connect()

    def connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(self.conninfo, autocommit=True)
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET synchronous_commit = off")
        return conn

    def close(self) -> None:
        from tests.db_fixtures import stop_postgres

        self.conn.close()
        stop_postgres(self.pg)

    @contextmanager
    def part(self, what: str, records: int, totals: dict[str, float]) -> Iterator[None]:
        """Time a part: wall seconds and the server's CPU seconds, printed per record."""
        s0, w0 = server_cpu(self.folder), time.perf_counter()
        yield
        wall, cpu = time.perf_counter() - w0, server_cpu(self.folder) - s0
        totals[what] = cpu
        print(
            f"  {what:52} {wall:7.1f} s wall {records / wall:9,.0f}/s   server {cpu:6.1f} s"
            f" = {cpu / records * 1e6:5.0f} us a record",
            flush=True,
        )

    def copy_file(self, sql: str, path: Path) -> None:
        with self.conn.cursor() as cur, cur.copy(sql) as copy, path.open("rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)


def reader_floor(snapshot: Path, sample: int) -> float:
    """CPU microseconds of json.loads a snapshot line, over its first ``sample`` lines."""
    with snapshot.open("rb") as f:
        lines = list(itertools.islice(f, sample))
    c0 = time.process_time()
    for line in lines:
        json.loads(line)
    return (time.process_time() - c0) / len(lines) * 1e6


def load_floor(server: Server, snapshot: Path, work: Path, n: int) -> dict[str, float]:
    rows = work / "records.copy"
    with snapshot.open("rb") as f, rows.open("w") as out:
        for i, line in enumerate(f):
            if i >= n:
                break
            out.write(_row(json.loads(line)) + "\n")
    sql = server.conn.execute
    sql("CREATE TABLE t (id text, title text, authors text, abstract text)")
    sql("CREATE TABLE w (id text, tsv tsvector)")
    sql("ALTER TABLE w SET (toast_tuple_target = 8160)")  # as catalog's arxiv_text
    totals: dict[str, float] = {}
    print(f"PostgreSQL alone, a first fill of {n:,} records:")
    with server.part("COPY of the records' text into a plain table", n, totals):
        server.copy_file("COPY t FROM STDIN", rows)
    with server.part("its primary key", n, totals):
        sql("ALTER TABLE t ADD PRIMARY KEY (id)")
    with server.part("the words: to_tsvector of title, authors, abstract", n, totals):
        sql(f"INSERT INTO w SELECT id, {TSV} FROM t")
    with server.part("the words' primary key", n, totals):
        sql("ALTER TABLE w ADD PRIMARY KEY (id)")
    with server.part("GIN index of all the words", n, totals):
        sql("CREATE INDEX w_tsv ON w USING gin (tsv)")
    with server.part("GIN index of the title's words", n, totals):
        sql("CREATE INDEX w_title ON w USING gin (ts_filter(tsv, '{a}'))")
    sql("VACUUM ANALYZE t")
    sql("VACUUM ANALYZE w")
    ready = work / "words.copy"
    dump = "COPY w TO STDOUT (FORMAT binary)"
    with server.conn.cursor() as cur, cur.copy(dump) as copy, ready.open("wb") as f:
        for block in copy:
            f.write(block)
    ready_totals: dict[str, float] = {}
    sql("CREATE TABLE w2 (id text, tsv tsvector)")
    with server.part("ready-made words COPYed (binary)", n, ready_totals):
        server.copy_file("COPY w2 FROM STDIN (FORMAT binary)", ready)
    with server.part("their GIN index", n, ready_totals):
        sql("CREATE INDEX w2_tsv ON w2 USING gin (tsv)")
    sql("DROP TABLE w2")
    ready.unlink()
    rows.unlink()
    return {"full": sum(totals.values()), "ready": sum(ready_totals.values()), **totals}


def pages_floor(server: Server, pages: int, page_size: int = 2500) -> tuple[float, float, float]:
    """Client and server microseconds a record of pages whose every record's text
    changed (ids the snapshot's first ones, as bench_index.py's seed 7)."""
    papers = generate_papers(pages * page_size, seed=7)
    bodies = stand_in_pages(papers, page_size)
    n = len(papers)
    c0 = time.process_time()
    for body in bodies:
        ET.fromstring(body)
    client = (time.process_time() - c0) / n * 1e6
    print(f"A page of {page_size:,} records whose text changed, {len(bodies)} pages:")
    print(f"  ElementTree.fromstring of the pages (Python, no rows): {client:.0f} us a record")
    texts = [
        "".join(
            _row(
                {
                    "id": p.arxiv_id,
                    "title": p.title,
                    "authors": ", ".join(p.author_names),
                    "abstract": p.abstract,
                }
            )
            + "\n"
            for p in papers[i : i + page_size]
        ).encode()
        for i in range(0, n, page_size)
    ]
    sql = server.conn.execute
    sql("CREATE TEMP TABLE s (id text, title text, authors text, abstract text)")
    totals: dict[str, float] = {}
    with server.part("pages stored (COPY, UPDATE, words again)", n, totals):
        for text in texts:
            store_page(server, text, None)
        sql("SELECT gin_clean_pending_list('w_tsv'), gin_clean_pending_list('w_title')")
    wall = pipelined_pages(server, texts, bodies, n, totals)
    return client, totals["pages stored (COPY, UPDATE, words again)"] / n * 1e6, wall


def store_page(server: Server, text: bytes, ready: bytes | None) -> None:
    """One page, one transaction: its text to the staging table, the records updated,
    their words deleted and written again (made here, or ``ready`` in binary COPY)."""
    sql = server.conn.execute
    with server.conn.transaction():
        sql("TRUNCATE s")
        with server.conn.cursor() as cur, cur.copy("COPY s FROM STDIN") as copy:
            copy.write(text)
        sql(
            "UPDATE t SET title = s.title, authors = s.authors, abstract = s.abstract"
            " FROM s WHERE t.id = s.id"
        )
        sql("DELETE FROM w USING s WHERE w.id = s.id")
        if ready is None:
            sql(f"INSERT INTO w SELECT id, {TSV} FROM s")
            return
        with server.conn.cursor() as cur, cur.copy("COPY w FROM STDIN (FORMAT binary)") as copy:
            copy.write(ready)


def _parse_all(bodies: list[bytes]) -> None:
    for body in bodies:
        ET.fromstring(body)


def pipelined_pages(
    server: Server, texts: list[bytes], bodies: list[bytes], n: int, totals: dict[str, float]
) -> float:
    """The same pages with the words of page N+1 made by a second connection (to_tsvector,
    sent back as binary COPY) while page N is stored with ready words, and a forked
    process parsing the pages meanwhile: the work spread over both cores as far as one
    transaction a page allows. Returns its wall time."""
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    words_conn = server.connect()
    words_conn.execute("CREATE TEMP TABLE s2 (id text, title text, authors text, abstract text)")

    def words(text: bytes) -> bytes:
        words_conn.execute("TRUNCATE s2")
        with words_conn.cursor() as cur:
            with cur.copy("COPY s2 FROM STDIN") as copy:
                copy.write(text)
            with cur.copy(f"COPY (SELECT id, {TSV} FROM s2) TO STDOUT (FORMAT binary)") as copy:
                return b"".join(bytes(block) for block in copy)

    sql = server.conn.execute
    parser = multiprocessing.get_context("fork").Process(target=_parse_all, args=(bodies,))
    w0 = time.perf_counter()
    with server.part("the same, words made by a second connection", n, totals):
        parser.start()
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(words, texts[0])
            for i, text in enumerate(texts):
                ready = ahead.result()
                if i + 1 < len(texts):
                    ahead = pool.submit(words, texts[i + 1])
                store_page(server, text, ready)
        sql("SELECT gin_clean_pending_list('w_tsv'), gin_clean_pending_list('w_title')")
        parser.join()
    wall = time.perf_counter() - w0
    words_conn.close()
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--pages", type=int, default=8, help="OAI-PMH pages of 2,500 records")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "catalog-bench")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    snapshot = args.cache / f"snapshot-{args.records}.json"
    if not snapshot.exists():
        make_snapshot(snapshot, args.records)
    print(f"snapshot: {args.records:,} records ({os.cpu_count()} cores)", flush=True)
    reader = reader_floor(snapshot, min(args.records, 200_000))
    print(f"Python: json.loads of a snapshot line {reader:.0f} us a record", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-pg-floor-"))
    server = Server()
    try:
        load = load_floor(server, snapshot, work, args.records)
        client, stored, pipelined = pages_floor(server, args.pages)
    finally:
        server.close()
        for leftover in work.iterdir():
            leftover.unlink()
        work.rmdir()
    n = args.records
    full = load["full"] / n * 1e6 + reader
    ready = (load["ready"] + load["COPY of the records' text into a plain table"]) / n * 1e6
    gin = load["GIN index of all the words"] + load["GIN index of the title's words"]
    print("At best on two cores (the CPU a record, spread perfectly over both):")
    print(
        f"  first fill with the words: {full:.0f} us a record -> {TWO_CORES / full * 1e6:,.0f}/s"
        f" [goal {bench_index.GOAL_LOAD:,}/s]; its GIN builds alone (one backend each) take"
        f" {gin:.0f} s = {n / gin:,.0f}/s"
    )
    ready += reader
    print(
        f"  first fill with words made for nothing: {ready:.0f} us a record ->"
        f" {TWO_CORES / ready * 1e6:,.0f}/s"
    )
    page = client + stored
    print(
        f"  pages whose text changed: {client:.0f} + {stored:.0f} = {page:.0f} us a record ->"
        f" {TWO_CORES / page * 1e6:,.0f}/s [goal {bench_index.GOAL_PAGES:,}/s]; one transaction"
        f" a page on one backend: {1e6 / stored:,.0f}/s"
    )
    print(
        f"  pages whose text changed, the words made by a second connection and the pages"
        f" parsed meanwhile: {args.pages * 2500 / pipelined:,.0f}/s (wall)"
    )


if __name__ == "__main__":
    main()
